"""The fixtures the tests share: a random generator, small valid workspaces, and copies of
this repository with DVC after a real `dvc repro`. What tests share that is not a fixture
is in tests/support/."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from support.data import synthetic_mnist, write_raw
from support.repos import REPO, make_copy, run, run_stage, write_params
from support.search import write_space


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under `pytest -n 2` (the README's command), unless `--dist` names another way: each
    file's tests in one process, so that the docs runner makes the README's environment
    once, and the files in their order, so that it starts early and the rest run beside it."""
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadFileScheduling  # only pytest-xdist calls this hook

    config.option.loadscopereorder = False
    return LoadFileScheduling(config, log)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def valid_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small, valid files for every stage: params, raw and prepared data, a trained model."""
    root = tmp_path_factory.mktemp("workspace")
    write_params(root / "params.yaml", hidden=16, epochs=2, batch_size=32, val_size=50)
    write_raw(root / "data" / "raw", synthetic_mnist())
    shutil.copytree(REPO / "data" / "digits", root / "data" / "digits")  # the export's test vectors
    for stage in ("prepare", "train", "evaluate", "export"):
        assert run_stage(root, stage).returncode == 0
    return root


@pytest.fixture
def workspace(valid_workspace: Path, tmp_path: Path) -> Path:
    subprocess.run(["cp", "-a", f"{valid_workspace}/.", str(tmp_path)], check=True)
    return tmp_path


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
