"""Running mlp-search as a user does, in a subprocess, and reading what it left: the study,
the experiments, the processes still at work in a folder."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import yaml

from support.repos import REPO, environment
from support.signals import ctrl_c_reaches_it

SPACE = {
    "study": "quick",
    "trials": 4,
    "objective": "accuracy",
    "params": {"lr": {"low": 0.002, "high": 0.01, "log": True}, "augment_shift": [0, 1]},
}


def write_space(repo: Path, **changes: object) -> None:
    (repo / "search.yaml").write_text(yaml.safe_dump(SPACE | changes, sort_keys=False))


def search(repo: Path, *args: str, env: dict[str, str] | None = None, **popen: object) -> subprocess.Popen:
    """`mlp-search ARGS` started in `repo`, Ctrl-C able to reach it."""
    return subprocess.Popen(
        [sys.executable, "-m", "numpy_mlp_mnist.commands.search", *args], cwd=repo, text=True,
        env=environment(PYTHONPATH=str(REPO), **(env or {})),
        **{"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "preexec_fn": ctrl_c_reaches_it} | popen,
    )  # fmt: skip


def finished(process: subprocess.Popen, timeout: float = 900) -> tuple[str, str]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{out}\n{err}"
    return out, err


def study_trials(url: str, name: str) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=name, storage=url).get_trials()


def complete(trials: list[optuna.trial.FrozenTrial]) -> list[optuna.trial.FrozenTrial]:
    return [trial for trial in trials if trial.state == optuna.trial.TrialState.COMPLETE]


def processes_in(folder: Path, command: str = "") -> list[int]:
    """The processes whose working folder is in `folder` (and whose command line holds `command`)."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            working_here = entry.name.isdigit() and Path(os.readlink(entry / "cwd")).is_relative_to(folder)
            if working_here and command in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                found.append(int(entry.name))
    return found


def kill_everything_in(folder: Path) -> None:
    """SIGKILL every process working in `folder`: mlp-search and the DVC and Python it started."""
    for pid in processes_in(folder):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
