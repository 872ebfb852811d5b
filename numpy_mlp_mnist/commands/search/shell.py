"""Running git and DVC as a user would (this environment's `dvc` first on PATH), and the
line of their output that says what went wrong."""

import os
import subprocess
import sys
from pathlib import Path

from numpy_mlp_mnist.errors import UserError


def environment() -> dict[str, str]:
    """This interpreter's bin first on PATH, so that `dvc` and dvc.yaml's `python` are this environment's."""
    return os.environ | {"PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}


def run(command: list[str], cwd: Path) -> str:
    """What `command` prints; a UserError with its error line if it fails."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environment())
    if result.returncode != 0:
        raise UserError(f"{' '.join(command[:3])} in {cwd}: {last_error_line(result.stdout + result.stderr)}")
    return result.stdout.strip()


def answer_of(command: list[str], cwd: Path) -> str:
    """What `command` prints, or "" if it fails: for questions whose answer may be "none"."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environment())
    return result.stdout.strip() if result.returncode == 0 else ""


def last_error_line(text: str) -> str:
    """The line of a tool's output that says what went wrong: its last error line, or its last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith(("error", "fatal"))]
    return (errors or lines or ["(no output)"])[-1]
