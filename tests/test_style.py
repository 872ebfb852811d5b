"""The code is held to ruff's rules and formatting, as part of the suite."""

import ast
import re
import subprocess
import sys

from support.repos import REPO


def test_ruff_check_and_format() -> None:
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=REPO, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def says_what_it_is_for(name: str) -> bool:
    """A module by its docstring; a lab, which is a notebook, by its first cell (after the
    kernel it asks for): a heading and the question it asks."""
    text = (REPO / name).read_text()
    if re.fullmatch(r"labs/\d\d_\w+\.py", name):
        return re.match(r"(# ---\n(# .*\n)+# ---\n\n)?# %% \[markdown\]\n# # Lab ", text) is not None
    return bool(ast.get_docstring(ast.parse(text)))


def test_every_module_says_what_it_is_for() -> None:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True, check=True)
    undocumented = [name for name in listed.stdout.split() if not says_what_it_is_for(name)]
    assert not undocumented, f"no module docstring: {', '.join(undocumented)}"


LONGEST_FUNCTION = 50  # lines, docstring included: past it, a function does more than one thing


def test_no_function_outside_the_tests_is_longer_than_50_lines() -> None:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True, check=True)
    too_long = [
        f"{name}: {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for name in listed.stdout.split()
        if not name.startswith("tests/")
        for node in ast.walk(ast.parse((REPO / name).read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]
    assert not too_long, "split these: " + ", ".join(too_long)
