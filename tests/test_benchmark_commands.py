"""Every benchmark, started as its docs page tells a user to start it (`python -m
benchmarks.NAME` from the repository's root, after `dvc repro`), at its smallest settings:
each must run to its end and print its report, not a traceback. Their figures are timings,
never asserted (docs/tests.md); tests/test_benchmark.py checks how they are computed."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.repos import REPO, clone_with_outputs, environment

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

SMALLEST = {
    "speed": ["--epochs", "1", "--runs", "1", "--sweep-epochs", "1", "--widths", "30",
              "--whole-epochs", "1", "--whole-runs", "1"],
    "kernels": ["--rounds", "1"],
    "widths": ["--hidden", "8", "--seeds", "0", "--workers", "1", "--set", "epochs=1"],
    "draw": ["--repeats", "2"],
    "engine_change": ["--before", "HEAD", "--rounds", "1", "--epochs", "2"],
    "xla_products": ["--rounds", "1"],
    "one_run": ["ours", "--epochs", "1"],
    "search": ["--processes", "1", "--trials-per-process", "1"],
    "site": ["--loads", "1"],
}  # fmt: skip


def test_every_benchmark_a_user_can_start_is_run_here() -> None:
    runnable = {
        path.stem
        for path in (REPO / "benchmarks").glob("*.py")
        if '__name__ == "__main__"' in path.read_text()
    }
    assert runnable == set(SMALLEST)


def test_every_benchmark_is_given_on_a_docs_page_as_it_is_run_here() -> None:
    pages = "\n".join(page.read_text() for page in (REPO / "docs").glob("*.md"))
    given = set(re.findall(r"python -m benchmarks\.(\w+)", pages))
    assert given == set(SMALLEST)


@pytest.fixture(scope="module")
def users_clone(trained_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone after `dvc repro`: what a user who followed the README has."""
    return clone_with_outputs(trained_repo, tmp_path_factory.mktemp("benchmarks") / "clone")


@pytest.mark.parametrize("name", list(SMALLEST))
def test_a_benchmark_runs_as_its_page_says(users_clone: Path, name: str) -> None:
    if name == "search" and os.geteuid() != 0:
        pytest.skip("the search benchmark runs PostgreSQL as the postgres user, which needs root")
    result = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", *SMALLEST[name]],
        cwd=users_clone, env=environment(), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    printed = result.stdout + result.stderr
    assert result.returncode == 0 and "Traceback" not in printed, printed[-3000:]
    assert result.stdout.strip(), f"benchmarks.{name} printed no report"
