"""The code is held to ruff's rules and formatting, as part of the suite."""

import ast
import subprocess
import sys

from support.repos import REPO


def test_ruff_check_and_format() -> None:
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=REPO, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_says_what_it_is_for() -> None:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True, check=True)
    undocumented = [
        name for name in listed.stdout.split() if not ast.get_docstring(ast.parse((REPO / name).read_text()))
    ]
    assert not undocumented, f"no module docstring: {', '.join(undocumented)}"
