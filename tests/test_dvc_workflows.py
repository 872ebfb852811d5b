"""A DVC user's habits, with the real commands: plots, queued sweeps, remotes, the model registry."""

import gzip
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from support.data import idx_bytes
from support.repos import (
    clone_with_outputs,
    experiments,
    lock_outputs,
    make_copy,
    run,
    run_queue,
    stages_run,
    update_params,
)

from stages.sources import idx

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'


def test_plots_show_draws_every_plot_once_with_its_title(trained_repo: Path) -> None:
    run(trained_repo, "dvc", "plots", "show", "-o", "dvc_plots")
    page = (trained_repo / "dvc_plots" / "index.html").read_text()
    titles = re.findall(r'"title": \{"text": "([^"]*)"', page)
    assert sorted(titles) == sorted(
        ["Loss per epoch", "Validation accuracy per epoch", "Test accuracy per digit",
         "Confusion matrix on the test set"]
    )  # fmt: skip
    assert page.count("vegaEmbed(") == len(titles)  # no chart without a title
    for picture in ("misclassified.png", "weights.png"):
        assert len(re.findall(rf"<img src=\"[^\"]*{picture}\"", page)) == 1
        assert len(list((trained_repo / "dvc_plots" / "static").glob(f"*{picture}"))) == 1


def test_push_then_pull_in_a_fresh_clone_leaves_nothing_to_reproduce(
    trained_repo: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(trained_repo), str(clone)], check=True)
    run(clone, "dvc", "pull")
    assert (clone / "models" / "model.npz").read_bytes() == (
        trained_repo / "models" / "model.npz"
    ).read_bytes()
    assert "Data and pipelines are up to date" in run(clone, "dvc", "status")
    assert stages_run(run(clone, "dvc", "repro")) == []


def test_registered_model_version_is_fetched_byte_for_byte(trained_repo: Path, tmp_path: Path) -> None:
    run(trained_repo, "gto", "register", "mnist-mlp", "--version", "v1.0.0")
    assert "mnist-mlp@v1.0.0" in run(trained_repo, "git", "tag")
    run(
        tmp_path,
        "dvc",
        "artifacts",
        "get",
        str(trained_repo),
        "mnist-mlp",
        "--rev",
        "v1.0.0",
        "-o",
        "got.npz",
    )
    assert (tmp_path / "got.npz").read_bytes() == (trained_repo / "models" / "model.npz").read_bytes()


def test_queued_sweep_runs_every_experiment(trained_repo: Path) -> None:
    run(trained_repo, "dvc", "exp", "run", "--queue", "-S", "hidden=8,12")
    run_queue(trained_repo)
    finished = {
        data["params"]["params.yaml"]["data"]["hidden"]: data["metrics"]["metrics/test.json"]["data"]
        for data in experiments(trained_repo).values()
    }
    assert set(finished) == {8, 12}
    assert all(0.5 < metrics["accuracy"] <= 1 for metrics in finished.values())


def test_a_sweep_run_on_one_clone_is_pulled_applied_and_restored_on_another(tmp_path: Path) -> None:
    """Two machines: clone A runs a sweep and pushes it; clone B pulls it, lists it,
    applies one experiment and gets its model byte for byte."""
    bare, store = tmp_path / "team.git", tmp_path / "dvc-store"
    source = make_copy(tmp_path / "source", epochs=2)
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True)
    a, b = tmp_path / "a", tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(bare), str(a)], check=True)
    run(a, "dvc", "repro")
    run(a, "dvc", "remote", "add", "-d", "store", str(store))
    run(a, "git", "add", "-A")
    run(a, "git", "commit", "-q", "-m", "trained, with a DVC remote")
    run(a, "git", "push", "-q", "origin", "main")
    run(a, "dvc", "push")
    run(a, "dvc", "exp", "run", "--queue", "-S", "hidden=8,12")
    run_queue(a)
    swept = experiments(a)
    assert len(swept) == 2
    run(a, "dvc", "exp", "push", "origin", *swept)

    subprocess.run(["git", "clone", "-q", str(bare), str(b)], check=True)
    run(b, "dvc", "exp", "pull", "origin", *swept)
    pulled = experiments(b)
    assert {name: data["metrics"] for name, data in pulled.items()} == {
        name: data["metrics"] for name, data in swept.items()
    }
    [wider] = [name for name, data in pulled.items() if data["params"]["params.yaml"]["data"]["hidden"] == 12]
    run(b, "dvc", "exp", "apply", wider)
    run(b, "dvc", "pull")
    assert "Data and pipelines are up to date" in run(b, "dvc", "status")

    run(a, "dvc", "exp", "apply", wider)
    run(a, "dvc", "checkout")
    model = Path("models") / "model.npz"
    assert (b / model).read_bytes() == (a / model).read_bytes()
    with np.load(b / model, allow_pickle=False) as archive:
        assert archive["W1"].shape == (784, 12)


def test_switching_the_source_reruns_nothing_downstream(trained_repo: Path, tmp_path: Path) -> None:
    """Every source yields canonical MNIST's bytes, so a new source reruns fetch (and the
    params check) and DVC finds every later stage's inputs unchanged."""
    repo = clone_with_outputs(trained_repo, tmp_path / "clone")
    folder = tmp_path / "idx"
    folder.mkdir()
    for name, (file, _) in idx.FILES.items():
        magic = idx.IMAGES_MAGIC if name.endswith("images") else idx.LABELS_MAGIC
        array = np.load(repo / "data" / "raw" / f"{name}.npy", allow_pickle=False)
        (folder / file).write_bytes(gzip.compress(idx_bytes(array, magic), mtime=0))
    before = lock_outputs(repo)
    update_params(repo / "params.yaml", source="idx", idx_dir=str(folder))
    output = run(repo, "dvc", "repro")
    assert stages_run(output) == ["check", "fetch"]
    assert "fetch: source 'idx'" in output
    assert lock_outputs(repo) == before
