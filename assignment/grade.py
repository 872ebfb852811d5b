"""Grade a student's assignment/backprop.py: each part against the reference, for every
activation and loss, and the gradients a student's parts make together against centred
differences of the loss. One line a part; exit 0 if all are right, 1 otherwise.

    python -m assignment.grade STUDENT.py

A student's file that does not compile, lacks a part or fails in one is graded as far as
it goes, each problem in the part's one line: no traceback.
"""

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import numpy as np

from assignment import backprop as reference
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.programs import run_program

SECONDS_A_PART = 20
LOSSES = [("cross_entropy", 0.0), ("mae", 0.0), ("mae", 0.12), ("quadratic", 0.0)]


class WrongPartError(Exception):
    """What is wrong with a part, in the words of its one line."""


def batch(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.random((16, 12)), "y": np.eye(10)[rng.integers(0, 10, 16)],
        "W1": rng.normal(0, 0.5, (12, 7)), "b1": rng.normal(0, 0.1, 7),
        "W2": rng.normal(0, 0.5, (7, 10)), "b2": rng.normal(0, 0.1, 10),
    }  # fmt: skip


def same(name: str, got: object, expected: np.ndarray, case: str, rtol: float = 1e-8) -> None:
    got = np.asarray(got, dtype=np.float64) if got is not None else None
    if got is None:
        raise WrongPartError(f"{name} is None ({case}); expected an array of shape {expected.shape}")
    if got.shape != expected.shape:
        raise WrongPartError(f"{name} has shape {got.shape} ({case}); expected {expected.shape}")
    if not np.allclose(got, expected, rtol=rtol, atol=rtol * 1e-3):
        worst = np.max(np.abs(got - expected) / (np.abs(expected) + 1e-12))
        raise WrongPartError(f"{name} is wrong ({case}): largest relative difference {worst:.3g}")


def check_forward(student: object) -> None:
    b = batch()
    for activation in reference.ACTIVATIONS:
        got = student.forward(b["x"], b["W1"], b["b1"], b["W2"], b["b2"], activation, 0.1)
        expected = reference.forward(b["x"], b["W1"], b["b1"], b["W2"], b["b2"], activation, 0.1)
        for name, g, e in zip(("z1", "a1", "p"), got, expected, strict=True):
            same(name, g, e, activation)


def check_output_errors(student: object) -> None:
    b = batch()
    _, _, p = reference.forward(b["x"], b["W1"], b["b1"], b["W2"], b["b2"], "tanh")
    for loss, floor in LOSSES:
        function = f"{loss}_error"
        got = getattr(student, function)(p, b["y"], floor)
        same(function, got, getattr(reference, function)(p, b["y"], floor), f"floor {floor}")


def check_hidden_error(student: object) -> None:
    b = batch()
    for activation in reference.ACTIVATIONS:
        z1, _, p = reference.forward(b["x"], b["W1"], b["b1"], b["W2"], b["b2"], activation, 0.1)
        delta2 = p - b["y"]
        expected = reference.hidden_error(delta2, b["W2"], z1, activation, 0.1)
        same("delta1", student.hidden_error(delta2, b["W2"], z1, activation, 0.1), expected, activation)


def check_bias_gradients(student: object) -> None:
    b = batch()
    z1, _, p = reference.forward(b["x"], b["W1"], b["b1"], b["W2"], b["b2"], "sigmoid")
    delta2 = p - b["y"]
    delta1 = reference.hidden_error(delta2, b["W2"], z1, "sigmoid")
    for name, g, e in zip(("db1", "db2"), student.bias_gradients(delta1, delta2),
                          reference.bias_gradients(delta1, delta2), strict=True):  # fmt: skip
        same(name, g, e, "sigmoid")


def check_weight_gradients(student: object) -> None:
    b = batch()
    z1, a1, p = reference.forward(b["x"], b["W1"], b["b1"], b["W2"], b["b2"], "sigmoid")
    delta2 = p - b["y"]
    delta1 = reference.hidden_error(delta2, b["W2"], z1, "sigmoid")
    for name, g, e in zip(("dW1", "dW2"), student.weight_gradients(b["x"], a1, delta1, delta2),
                          reference.weight_gradients(b["x"], a1, delta1, delta2), strict=True):  # fmt: skip
        same(name, g, e, "sigmoid")


def check_update(student: object) -> None:
    b = batch()
    parameters, gradients = [b["W1"], b["b1"]], [np.ones_like(b["W1"]), 2 * b["b1"]]
    got = student.update([p.copy() for p in parameters], gradients, 0.1)
    for name, g, e in zip(("W1", "b1"), got, reference.update(parameters, gradients, 0.1), strict=True):
        same(name, g, e, "lr 0.1")


def loss_of(b: dict[str, np.ndarray], activation: str, loss: str) -> float:
    """The batch's mean loss, as the pages define each one, from the reference's forward pass."""
    _, _, p = reference.forward(b["x"], b["W1"], b["b1"], b["W2"], b["b2"], activation, 0.1)
    p_y = (p * b["y"]).sum(axis=1)
    per_image = {
        "cross_entropy": -np.log(p_y),
        "mae": np.abs(p - b["y"]).mean(axis=1),
        "quadratic": 0.5 * ((p - b["y"]) ** 2).sum(axis=1),
    }
    return float(per_image[loss].mean())


def check_gradients(student: object, h: float = 1e-6) -> None:
    """The student's gradients() against centred differences of the loss, for every
    activation and loss (MAE without a floor: with one, it is not the loss's gradient)."""
    b = batch()
    for activation in reference.ACTIVATIONS:
        for loss in ("cross_entropy", "mae", "quadratic"):
            got = student.gradients(b["x"], b["y"], b["W1"], b["b1"], b["W2"], b["b2"], activation, loss, 0.1)
            for name, gradient in zip(("W1", "b1", "W2", "b2"), got, strict=True):
                numeric = np.zeros_like(b[name])
                for index in np.ndindex(*b[name].shape):
                    saved = b[name][index]
                    b[name][index] = saved + h
                    up = loss_of(b, activation, loss)
                    b[name][index] = saved - h
                    numeric[index] = (up - loss_of(b, activation, loss)) / (2 * h)
                    b[name][index] = saved
                # Centred differences in float64 agree to about 1e-7 relative: a mistake moves far more.
                same(
                    f"d{name}", gradient, numeric, f"{activation}, {loss}, against centred differences", 1e-4
                )


PARTS: dict[str, tuple[tuple[str, ...], Callable[[object], None]]] = {
    "forward pass": (("forward",), check_forward),
    "BP1, the output error": (("cross_entropy_error", "mae_error", "quadratic_error"), check_output_errors),
    "BP2, the error one layer down": (("hidden_error",), check_hidden_error),
    "BP3, the biases' gradients": (("bias_gradients",), check_bias_gradients),
    "BP4, the weights' gradients": (("weight_gradients",), check_weight_gradients),
    "the update": (("update",), check_update),
    "the gradient check": (("gradients",), check_gradients),
}


def too_long(signum: int, frame: FrameType | None) -> None:
    raise WrongPartError(f"took more than {SECONDS_A_PART} s")


def verdict(student: object, functions: tuple[str, ...], check: Callable[[object], None]) -> str:
    missing = [name for name in functions if not callable(getattr(student, name, None))]
    if missing:
        return f"missing: no function {missing[0]}; expected it as in the assignment"
    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(SECONDS_A_PART)
    try:
        check(student)
    except WrongPartError as problem:
        return str(problem)
    except NotImplementedError:
        return "not written yet"
    except Exception as error:  # a student's code may fail in any way: say how, in the part's line
        return f"stopped with {type(error).__name__}: {error}"
    finally:
        signal.alarm(0)
    return "right"


def load(path: Path) -> object:
    """The student's module, or a UserError naming what keeps it from loading."""
    try:
        source = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read ({error}); expected the student's Python file") from None
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as error:
        raise UserError(f"{path}: line {error.lineno}: {error.msg}; nothing graded") from None
    namespace: dict = {"__name__": "student"}
    try:
        exec(code, namespace)
    except Exception as error:  # a student's file may fail as it loads: say how, in one line
        raise UserError(f"{path}: stopped as it loaded, with {type(error).__name__}: {error}") from None
    return type("Student", (), {name: staticmethod(value) if callable(value) else value
                                for name, value in namespace.items()})  # fmt: skip


def grade(path: Path) -> None:
    student = load(path)
    verdicts = {part: verdict(student, functions, check) for part, (functions, check) in PARTS.items()}
    for part, said in verdicts.items():
        print(f"{part}: {said}")
    right = sum(said == "right" for said in verdicts.values())
    print(f"{path}: {right} of {len(PARTS)} parts right")
    if right < len(PARTS):
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("student", type=Path)
    args = parser.parse_args()
    run_program(lambda: grade(args.student))


if __name__ == "__main__":
    sys.exit(main())
