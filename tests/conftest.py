"""Shared fixtures and helpers: synthetic MNIST, copies and clones of this repository with
DVC, and the runner of commands in them."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from support.search import write_space

from numpy_mlp_mnist import layout
from stages.sources import canonical


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


REPO = Path(__file__).resolve().parent.parent


def write_params(path: Path, **overrides: object) -> Path:
    """The repository's params.yaml with `overrides` applied, written to `path`."""
    path.write_text((REPO / "params.yaml").read_text())
    update_params(path, **overrides)
    return path


def update_params(path: Path, **changes: object) -> None:
    """`path` (a params.yaml) with `changes` applied."""
    params = yaml.safe_load(path.read_text())
    params.update(changes)
    path.write_text(yaml.safe_dump(params))


def synthetic_mnist(n_train: int = 300, n_test: int = 100, seed: int = 0) -> dict[str, np.ndarray]:
    """uint8 digits whose class is written in a block of bright pixels, so a network can learn it."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 784)).astype(np.uint8)
        for digit in range(10):
            images[labels == digit, digit * 70 : digit * 70 + 70] = 255
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
    return arrays


def expected_hashes(arrays: dict[str, np.ndarray]) -> dict[str, canonical.Expected]:
    return {name: canonical.Expected(a.shape, canonical.array_sha256(a)) for name, a in arrays.items()}


def write_raw(directory: Path, arrays: dict[str, np.ndarray]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(layout.array_path(directory, name), array)


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def run_stage(root: Path, stage: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", f"stages.{stage}"], cwd=root, capture_output=True, text=True,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)},
    )  # fmt: skip


@pytest.fixture(scope="session")
def valid_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small, valid files for every stage: params, raw and prepared data, a trained model."""
    root = tmp_path_factory.mktemp("workspace")
    write_params(root / "params.yaml", hidden=16, epochs=2, batch_size=32, val_size=50)
    write_raw(root / "data" / "raw", synthetic_mnist())
    shutil.copytree(REPO / "tests" / "digits", root / "tests" / "digits")  # the export's test vectors
    for stage in ("prepare", "train", "evaluate", "export"):
        assert run_stage(root, stage).returncode == 0
    return root


@pytest.fixture
def workspace(valid_workspace: Path, tmp_path: Path) -> Path:
    subprocess.run(["cp", "-a", f"{valid_workspace}/.", str(tmp_path)], check=True)
    return tmp_path


def tracked_files(repo: Path) -> list[str]:
    """What a fresh clone would hold (plus files not yet committed, while developing)."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [name for name in listing.stdout.split("\0") if name and (repo / name).is_file()]


def make_copy(destination: Path, epochs: int) -> Path:
    for name in tracked_files(REPO):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    params = destination / "params.yaml"
    params.write_text(re.sub(r"(?m)^epochs: \d+", f"epochs: {epochs}", params.read_text()))
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "config", "user.email", "test@example.invalid"],
        ["git", "config", "user.name", "pipeline test"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "copy"],
    ):
        subprocess.run(command, cwd=destination, check=True)
    return destination


def clone_with_outputs(repo: Path, destination: Path) -> Path:
    """A git clone of `repo` with its last run's outputs, from the shared DVC cache: no stage reruns."""
    run(destination.parent, "git", "clone", "-q", str(repo), str(destination))
    run(destination, "dvc", "cache", "dir", "--local", run(repo, "dvc", "cache", "dir").strip())
    for changed in run(repo, "git", "diff", "--name-only").split():  # dvc.lock and the metrics
        shutil.copy2(repo / changed, destination / changed)
    run(destination, "dvc", "checkout", "-q")
    return destination


def environment() -> dict[str, str]:
    """This interpreter's bin first on PATH, so `dvc` and dvc.yaml's `python` are this environment's."""
    bin_dir = str(Path(sys.executable).parent)
    return os.environ | {"PATH": bin_dir + os.pathsep + os.environ["PATH"], "DVC_NO_ANALYTICS": "1"}


def run(repo: Path, *args: str) -> str:
    result = subprocess.run(args, cwd=repo, env=environment(), capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def run_queue(repo: Path, workers: int = 2) -> None:
    """Start the experiment queue of `repo` and wait until it has run everything queued."""
    # Not captured: the queue's worker is a daemon that inherits the command's output, and a
    # worker slow to shut down once idle would hold a captured pipe open, and the test with it.
    subprocess.run(
        ["dvc", "queue", "start", "-j", str(workers)],
        cwd=repo, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = run(repo, "dvc", "queue", "status")
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(2)
    else:
        pytest.fail(f"the queue did not finish: {status}")
    assert "Failed" not in status, status


def experiments(repo: Path) -> dict[str, dict]:
    """name -> the data (params, metrics, rev) of each experiment `dvc exp show` lists."""
    shown = json.loads(run(repo, "dvc", "exp", "show", "--json"))
    return {
        experiment["name"]: experiment["revs"][0]["data"]
        for commit in shown
        for experiment in commit.get("experiments") or []
    }


def stages_run(output: str) -> list[str]:
    return re.findall(r"Running stage '(\w+)'", output)


@pytest.fixture(scope="session")
def trained_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git copy of the repository after a full `dvc repro` (2 epochs), committed, with a
    local-folder DVC remote as its default, pushed."""
    repo = make_copy(tmp_path_factory.mktemp("trained"), epochs=2)
    store = tmp_path_factory.mktemp("dvc-store")
    run(repo, "dvc", "repro")
    run(repo, "dvc", "remote", "add", "-d", "store", str(store))
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-q", "-m", "trained")
    run(repo, "dvc", "push")
    return repo


@pytest.fixture(scope="session")
def one_epoch_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed git copy of the repository, 1 epoch, data fetched and prepared, with a
    small search.yaml of its own."""
    repo = make_copy(tmp_path_factory.mktemp("search"), epochs=1)
    write_space(repo)
    run(repo, "dvc", "repro")
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-q", "-m", "one epoch, quick search")
    return repo
