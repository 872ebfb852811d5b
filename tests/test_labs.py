"""The labs (labs/): their exercises' checks, the check of every number they state, the
refusal of the network, and the labs run as notebooks in a real kernel, their controls
turned without a browser. docs/labs.md runs every lab as a command from a fresh clone
(tests/test_docs.py)."""

import contextlib
import io
import json
import math
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jupytext
import nbclient
import numpy as np
import pytest
from support.repos import REPO, clone_with_outputs

sys.path.insert(0, str(REPO / "labs"))
import exercises
import verify

RIGHT_AND_WRONG = [
    (exercises.chance_cross_entropy_100, math.log(100), 2.3026),
    (exercises.chance_mae_100, 0.0198, 0.18),
    (exercises.parameter_count, 23_860, 23_850),
    (exercises.diverging_rate, 10, 0.5),
    (exercises.symmetric_units, 1, 30),
    (exercises.sigmoid_slope_at_most, 0.25, 1.0),
    (exercises.mae_push_at, 0.02, 0.2),
    (exercises.adam_scaled_gradient, 1, 10),
    (exercises.steps_per_epoch, 391, 390),
    (exercises.parameter_count_deep, 52_650, 52_640),
]


def said(check: Callable[..., None], *answer: object) -> str:
    """The one line `check` prints on `answer` (and nothing else)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert check(*answer) is None
    lines = printed.getvalue().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(("check", "right", "wrong"), RIGHT_AND_WRONG)
def test_an_exercise_tells_a_right_answer_and_a_wrong_one_without_giving_it_away(
    check: Callable[..., None], right: object, wrong: object
) -> None:
    assert said(check, right).startswith("Right: ")
    line = said(check, wrong)
    assert line.startswith("Not yet: ") and f"{right:g}" not in line.replace(f"{wrong:g}", "")
    assert said(check, None).startswith("Not answered yet: expected ")
    assert said(check, "ten").startswith(("Not a number (str): expected ", "'ten' is not one of "))


def test_the_exercises_that_read_the_labs_own_results() -> None:
    accuracies = [0.5, 0.7, 0.8, 0.79, 0.78, 0.77, 0.9]
    assert said(exercises.early_stop_epoch, 6, accuracies, 3).startswith("Right")
    assert said(exercises.early_stop_epoch, 7, accuracies, 3).startswith("Not yet: 7 is too high")
    per_digit = [0.99, 0.99, 0.97, 0.97, 0.97, 0.97, 0.98, 0.97, 0.96, 0.95]
    assert said(exercises.worst_digit, 9, per_digit).startswith("Right")
    assert said(exercises.worst_digit, 8, per_digit).startswith("Not yet")
    assert said(exercises.worst_digit, 11, per_digit).startswith("11 is not one of")


def test_the_playground_exercise_reads_the_controls_as_they_were_left() -> None:
    check = exercises.playground_target
    assert said(check, None, 0.93, 0.1).startswith("Not answered yet: expected the playground's result")
    assert said(check, {"val_accuracy": [0.9, 0.94], "share": 0.2}, 0.93, 0.1).startswith(
        "Not yet: share 0.2"
    )
    assert said(check, {"val_accuracy": [0.9, 0.92], "share": 0.1}, 0.93, 0.1).startswith("Not yet: 0.9200")
    assert said(check, {"val_accuracy": [0.9, 0.9345], "share": 0.1}, 0.93, 0.1).startswith("Right: 0.9345")


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


def stops(z: np.ndarray) -> np.ndarray:
    raise KeyError("z")


@pytest.mark.parametrize(
    ("answer", "line"),
    [
        (sigmoid_derivative, "Right: your function is the sigmoid's derivative, f'(z) at all 49 points"),
        (lambda z: 1 / (1 + np.exp(-z)), "Not yet: at z = -6 your function gives 0.00247262; 49 of 49"),
        (lambda z: 0.25, "Your function returned shape () for an input of shape (49,)"),
        (lambda z: None, "Not answered yet: your function returns nothing"),
        (stops, "Your function stopped with KeyError: 'z'; expected the sigmoid's derivative"),
        (0.25, "Not a function (float): expected the sigmoid's derivative"),
    ],
)
def test_a_function_answer_is_checked_in_one_line_however_it_fails(answer: object, line: str) -> None:
    assert said(exercises.sigmoid_derivative, answer).startswith(line)


def test_the_numbers_a_lab_states_are_its_backquoted_name_value_pairs() -> None:
    stated = verify.claims(REPO / "labs" / "01_untrained.py")
    assert stated[0].startswith("initial cross-entropy = ") and len(stated) == 4
    assert all(" = " in claim for claim in stated)


@pytest.fixture
def labs_beside(trained_repo: Path, tmp_path: Path) -> Path:
    """A copy of labs/ in a folder with the trained copy's data, for labs this test writes."""
    shutil.copytree(REPO / "labs", tmp_path / "labs", ignore=shutil.ignore_patterns("figures", "[0-9]*.py"))
    (tmp_path / "data").symlink_to(trained_repo / "data")
    shutil.copy2(REPO / "dvc.yaml", tmp_path / "dvc.yaml")  # what marks the repository's root for labkit
    shutil.copy2(REPO / "labs" / "01_untrained.py", tmp_path / "labs" / "01_untrained.py")
    return tmp_path / "labs"


def run_verify(labs: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, str(labs / "verify.py")]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_stale_number_fails_the_check(labs_beside: Path) -> None:
    assert run_verify(labs_beside).stdout.startswith("01_untrained: 4 numbers as stated, ")
    lab = labs_beside / "01_untrained.py"
    lab.write_text(lab.read_text().replace("`initial MAE = 0.1797`", "`initial MAE = 0.1798`"))
    checked = run_verify(labs_beside)
    assert checked.returncode == 1
    assert checked.stdout == "01_untrained: states `initial MAE = 0.1798`, which it did not print\n"


@pytest.mark.slow
def test_a_lab_that_reaches_past_the_machine_fails_the_check(labs_beside: Path) -> None:
    # Refused before any lookup or packet: nothing leaves this machine.
    (labs_beside / "02_reaches_out.py").write_text(
        "import subprocess, sys\n"
        "lookup = 'import socket; socket.getaddrinfo(\"example.invalid\", 80)'\n"
        "subprocess.run([sys.executable, '-c', lookup])\n"
    )
    checked = run_verify(labs_beside)
    assert checked.returncode == 1
    assert "02_reaches_out: reached past the machine: " in checked.stdout
    assert "socket.getaddrinfo to example.invalid" in checked.stdout


# The labs whose controls differ in kind: initialisation, scale, loss, all of them. Lab 4's
# rate slider is lab 7's and 13's mechanism; its DVC experiments run from the command
# (docs/labs.md), which kept 90 s out of CI here.
CONTROL_LABS = ["05_symmetry", "06_initial_scale", "07_loss", "13_playground"]


@pytest.fixture(scope="module")
def learners_clone(trained_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone after `dvc repro`, where the labs run as a learner's would."""
    return clone_with_outputs(trained_repo, tmp_path_factory.mktemp("labs") / "clone")


def notebook_run(lab: Path) -> tuple[list[str], dict]:
    """The lab run top to bottom as a notebook in a real kernel, then its first control
    turned to its last value: what it printed, and what the control changed."""
    notebook = jupytext.read(lab)
    notebook.cells.append(jupytext.reads(
        "import json, time\n"
        "control = labkit.CONTROLS[0]\n"
        "before = json.dumps(control.result, default=lambda a: a.tolist())\n"
        "started = time.perf_counter()\n"
        "control.children[0].value = control.children[0].options[-1]\n"
        "seconds = time.perf_counter() - started\n"
        "after = json.dumps(control.result, default=lambda a: a.tolist())\n"
        "print('CONTROL ' + json.dumps({'changed': before != after, 'seconds': seconds}))\n",
        fmt="py:percent",
    ).cells[0])  # fmt: skip
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(lab.parent)}})  # fmt: skip
    client.execute()
    printed = [
        line
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("name") == "stdout"
        for line in output["text"].splitlines()
    ]
    control = next(json.loads(line[len("CONTROL ") :]) for line in printed if line.startswith("CONTROL "))
    return printed, control


@pytest.mark.slow
@pytest.mark.parametrize("name", CONTROL_LABS)
def test_a_lab_run_as_a_notebook_states_its_numbers_and_its_controls_redraw(
    learners_clone: Path, name: str
) -> None:
    lab = learners_clone / "labs" / f"{name}.py"
    started = time.perf_counter()
    printed, control = notebook_run(lab)
    missing = [claim for claim in verify.claims(lab) if claim not in printed]
    assert not missing, f"{name} in a notebook did not print {missing}"
    assert control["changed"], f"{name}: turning its first control left the plotted data as it was"
    seconds = time.perf_counter() - started
    print(f"{name}: {seconds:.1f} s as a notebook; a control's retrain {control['seconds']:.2f} s")
