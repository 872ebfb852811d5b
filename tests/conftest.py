import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


REPO = Path(__file__).resolve().parent.parent


def write_params(path: Path, **overrides: object) -> Path:
    """The repository's params.yaml with `overrides` applied, written to `path`."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params.update(overrides)
    path.write_text(yaml.safe_dump(params))
    return path


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


def environment() -> dict[str, str]:
    """This interpreter's bin first on PATH, so `dvc` and dvc.yaml's `python` are this environment's."""
    bin_dir = str(Path(sys.executable).parent)
    return os.environ | {"PATH": bin_dir + os.pathsep + os.environ["PATH"], "DVC_NO_ANALYTICS": "1"}


def run(repo: Path, *args: str) -> str:
    result = subprocess.run(args, cwd=repo, env=environment(), capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


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
