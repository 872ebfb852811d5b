"""The build-it assignment (assignment/): the grader passes the reference and fails each of
the learner's page's break-it edits, a wrong shape, a missing part and a syntax error, each
in one line that names the part; the student version holds no solution."""

import subprocess
import sys
from pathlib import Path

import pytest
from support.pages import REPO

from assignment.student import SOLUTION, student_version

REFERENCE = (REPO / "assignment" / "backprop.py").read_text()


def graded(tmp_path: Path, source: str) -> tuple[int, list[str]]:
    student = tmp_path / "student.py"
    student.write_text(source)
    result = subprocess.run([sys.executable, "-m", "assignment.grade", str(student)], cwd=REPO,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, (result.stdout + result.stderr).splitlines()


def edited(old: str, new: str) -> str:
    assert REFERENCE.count(old) == 1, old
    return REFERENCE.replace(old, new)


def test_the_reference_gets_every_part_right(tmp_path: Path) -> None:
    status, lines = graded(tmp_path, REFERENCE)
    assert status == 0 and lines[-1].endswith(": 7 of 7 parts right")
    assert all(line.endswith(": right") for line in lines[:-1])


# docs/learning.md's break-it edits, a wrong shape and a missing part: the line of the part
# that each breaks, and every other part right.
BROKEN = {
    "flip the sign in BP2": (
        ("return (delta2 @ W2.T)", "return -(delta2 @ W2.T)"),
        ["BP2, the error one layer down: delta1 is wrong (leaky_relu)", "the gradient check: dW1 is wrong"],
    ),
    "drop the hidden layer's bias gradient": (
        ("db1 = delta1.sum(axis=0) / n", "db1 = 0 * delta1.sum(axis=0)"),
        ["BP3, the biases' gradients: db1 is wrong (sigmoid)", "the gradient check: db1 is wrong"],
    ),
    "forget f'(z1) in BP2": (
        ("* f_prime(z1, slope)\n", "* 1\n"),
        ["BP2, the error one layer down: delta1 is wrong (leaky_relu)", "the gradient check: dW1 is wrong"],
    ),
    "average BP4 twice": (
        ("dW1 = x.T @ delta1 / n", "dW1 = x.T @ delta1 / n / n"),
        ["BP4, the weights' gradients: dW1 is wrong (sigmoid): largest relative difference 0.937",
         "the gradient check: dW1 is wrong"],
    ),
    "a wrong shape": (
        ("db2 = delta2.sum(axis=0) / n", "db2 = delta2.sum(axis=1) / n"),
        ["BP3, the biases' gradients: db2 has shape (16,) (sigmoid); expected (10,)",
         "the gradient check: db2 has shape (16,)"],
    ),
    "a missing part": (
        ("def hidden_error(", "def hidden_errors("),
        ["BP2, the error one layer down: missing: no function hidden_error",
         "the gradient check: stopped with NameError: name 'hidden_error' is not defined"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("edit", list(BROKEN))
def test_each_broken_part_is_named_in_its_one_line(tmp_path: Path, edit: str) -> None:
    (old, new), expected = BROKEN[edit]
    status, lines = graded(tmp_path, edited(old, new))
    assert status == 1 and lines[-1].endswith(f": {7 - len(expected)} of 7 parts right")
    wrong = [line for line in lines[:-1] if not line.endswith(": right")]
    assert len(wrong) == len(expected)
    for line, start in zip(wrong, expected, strict=True):
        assert line.startswith(start), (line, start)


def test_a_syntax_error_is_one_line_and_nothing_is_graded(tmp_path: Path) -> None:
    status, lines = graded(
        tmp_path, edited("    n = x.shape[0]\n    ### BEGIN", "    n = x.shape[0\n    ### BEGIN")
    )
    assert status == 2 and len(lines) == 1
    assert (
        lines[0].startswith("error: ")
        and "student.py: line " in lines[0]
        and lines[0].endswith("nothing graded")
    )


def test_the_student_version_holds_no_solution_and_is_graded_as_not_written(tmp_path: Path) -> None:
    solutions = [
        line.strip()
        for block in SOLUTION.finditer(REFERENCE)
        for line in block.group(0).splitlines()[1:-1]
        if line.strip()
    ]
    assert len(solutions) >= 14
    student = student_version(REFERENCE)
    assert not [line for line in solutions if line in student.splitlines() or f" {line}" in student]
    status, lines = graded(tmp_path, student)
    assert status == 1 and lines[-1].endswith(": 0 of 7 parts right")
    assert all(line.endswith(": not written yet") for line in lines[:-1])


def test_the_student_version_is_written_by_a_command_that_overwrites_nothing(tmp_path: Path) -> None:
    def write() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "assignment.student", "backprop.py"], cwd=tmp_path,
                              capture_output=True, text=True)  # fmt: skip

    first = write()
    assert first.returncode == 0 and first.stdout == "backprop.py: the assignment, 8 parts to write\n"
    assert (tmp_path / "backprop.py").read_text() == student_version(REFERENCE)
    second = write()
    assert second.returncode == 2
    assert (
        second.stderr
        == "error: backprop.py: exists already; expected a new file's name (nothing was written)\n"
    )


LABS = sorted((REPO / "labs").glob("[0-9][0-9]_*.py"))


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.stem)
def test_each_labs_student_version_holds_no_solution_and_still_runs_as_python(lab: Path) -> None:
    source = lab.read_text()
    solutions = [
        line.strip()
        for block in SOLUTION.finditer(source)
        for line in block.group(0).splitlines()[1:-1]
        if ("=" in line or "return" in line) and not line.strip().startswith("#")
    ]
    assert solutions, f"{lab.name} marks no solution"
    student = student_version(source, stub=None)
    assert "SOLUTION" not in student and not [line for line in solutions if line in student]
    compile(student, lab.name, "exec")


def test_the_labs_student_version_is_written_into_a_new_folder_of_the_repository(tmp_path: Path) -> None:
    def write(folder: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "assignment.student", "--labs", str(folder)], cwd=REPO,
                              capture_output=True, text=True)  # fmt: skip

    outside = write(tmp_path / "my-labs")
    assert outside.returncode == 2 and "not inside the repository" in outside.stderr
    assert not (tmp_path / "my-labs").exists()
