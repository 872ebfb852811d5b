"""Copies and clones of this repository, with DVC, and the commands run in them as a user
runs them: the real git and DVC, this environment's Python first on PATH."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


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


def environment(**variables: str) -> dict[str, str]:
    """This interpreter's bin first on PATH, so that `dvc`, the console commands and
    dvc.yaml's `python` are this environment's; and `variables` besides."""
    bin_dir = str(Path(sys.executable).parent)
    path = bin_dir + os.pathsep + os.environ["PATH"]
    return os.environ | {"PATH": path, "DVC_NO_ANALYTICS": "1"} | variables


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


def lock_outputs(repo: Path) -> dict[str, str]:
    """Each output path in dvc.lock and its md5."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    return {out["path"]: out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])}
