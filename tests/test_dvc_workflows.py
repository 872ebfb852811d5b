"""A DVC user's habits, with the real commands: plots, queued sweeps, remotes, the model registry."""

import json
import subprocess
import time
from pathlib import Path

import pytest
from conftest import run, stages_run


def test_plots_show_writes_every_declared_plot(trained_repo: Path) -> None:
    run(trained_repo, "dvc", "plots", "show", "-o", "dvc_plots")
    page = (trained_repo / "dvc_plots" / "index.html").read_text()
    for title in ("Loss per epoch", "Validation accuracy per epoch", "Confusion matrix on the test set"):
        assert title in page
    for picture in ("misclassified.png", "weights.png"):
        assert picture in page
        assert list((trained_repo / "dvc_plots" / "static").glob(f"*{picture}"))


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
    run(trained_repo, "dvc", "queue", "start", "-j", "2")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = run(trained_repo, "dvc", "queue", "status")
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(2)
    else:
        pytest.fail(f"the queue did not finish: {status}")
    assert "Failed" not in status, status

    shown = json.loads(run(trained_repo, "dvc", "exp", "show", "--json"))
    experiments = [exp for commit in shown for exp in (commit.get("experiments") or [])]
    finished = {}
    for experiment in experiments:
        data = experiment["revs"][0]["data"]
        hidden = data["params"]["params.yaml"]["data"]["hidden"]
        finished[hidden] = data["metrics"]["metrics/test.json"]["data"]["test_accuracy"]
    assert set(finished) == {8, 12}
    assert all(0.5 < accuracy <= 1 for accuracy in finished.values())
