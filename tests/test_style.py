"""The code is held to ruff's rules and formatting, as part of the suite."""

import subprocess
import sys

from conftest import REPO


def test_ruff_check_and_format() -> None:
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=REPO, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
