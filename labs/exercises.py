"""The labs' exercises: call one on your answer and it prints, in one line, whether it is
right, or what kind of answer it expected, without giving the answer away."""

import math
from collections.abc import Callable

import numpy as np

RIGHT = "Right"


def verdict(line: str) -> None:
    """Print the one line: a notebook shows it once, with nothing echoed after it."""
    print(line)


def number(answer: object, expected: float, what: str, rel: float = 0.01) -> None:
    """A number within `rel` of `expected`."""
    if answer is None:
        return verdict(f"Not answered yet: expected {what}")
    if isinstance(answer, bool) or not isinstance(answer, int | float | np.number):
        return verdict(f"Not a number ({type(answer).__name__}): expected {what}")
    if not math.isfinite(answer):
        return verdict(f"{answer} is not a finite number: expected {what}")
    if math.isclose(answer, expected, rel_tol=rel, abs_tol=1e-12):
        return verdict(f"{RIGHT}: {answer:g} is {what}")
    side = "high" if answer > expected else "low"
    return verdict(f"Not yet: {answer:g} is too {side} for {what}")


def one_of(answer: object, expected: object, options: list, what: str) -> None:
    """One of `options`, the one that is `expected`."""
    if answer is None:
        return verdict(f"Not answered yet: expected {what}, one of {options}")
    if answer not in options:
        return verdict(f"{answer!r} is not one of {options}: expected {what}")
    if answer == expected:
        return verdict(f"{RIGHT}: {answer!r} is {what}")
    return verdict(f"Not yet: {answer!r} is not {what}; look at the plot again")


def function(answer: object, reference: Callable[[np.ndarray], np.ndarray], what: str) -> None:
    """A function of a NumPy array that returns what `reference` does, elementwise."""
    if answer is None:
        return verdict(f"Not answered yet: expected {what}, a function of a NumPy array")
    if not callable(answer):
        return verdict(f"Not a function ({type(answer).__name__}): expected {what}")
    z = np.linspace(-6, 6, 49)
    try:
        returned = answer(z.copy())
        if returned is None:
            return verdict(f"Not answered yet: your function returns nothing; expected {what}")
        got = np.asarray(returned, dtype=np.float64)
    except Exception as error:  # a learner's function may fail in any way: say how, in one line
        return verdict(f"Your function stopped with {type(error).__name__}: {error}; expected {what}")
    if got.shape != z.shape:
        return verdict(
            f"Your function returned shape {got.shape} for an input of shape {z.shape}: "
            f"expected {what}, one value per input"
        )
    wrong = ~np.isclose(got, reference(z), rtol=1e-6, atol=1e-9)
    if wrong.any():
        return verdict(
            f"Not yet: at z = {z[wrong][0]:g} your function gives {got[wrong][0]:.6g}; "
            f"{wrong.sum()} of {z.size} points are off for {what}"
        )
    return verdict(f"{RIGHT}: your function is {what} at all {z.size} points")


# Lab 1
def chance_cross_entropy_100(answer: object) -> None:
    return number(
        answer, math.log(100), "the cross-entropy of a guess spread evenly over 100 classes, in nats"
    )


def chance_mae_100(answer: object) -> None:
    return number(answer, 2 * 99 / 100**2, "the MAE of a guess spread evenly over 100 classes")


# Lab 2
def sigmoid_derivative(answer: object) -> None:
    def reference(z: np.ndarray) -> np.ndarray:
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)

    return function(answer, reference, "the sigmoid's derivative, f'(z)")


# Lab 3
def parameter_count(answer: object) -> None:
    if isinstance(answer, float) and not answer.is_integer():
        return verdict("Not a whole number: expected how many weights and biases 784-30-10 has")
    return number(answer, 784 * 30 + 30 + 30 * 10 + 10, "how many weights and biases 784-30-10 has", rel=0)


# Lab 4
def diverging_rate(answer: object) -> None:
    return one_of(answer, 10, [0.005, 0.5, 10], "the learning rate whose loss blew up")


# Lab 5
def symmetric_units(answer: object) -> None:
    return number(
        answer,
        1,
        "how many different hidden units a zero start keeps in exact arithmetic (a whole number)",
        rel=0,
    )


# Lab 6
def sigmoid_slope_at_most(answer: object) -> None:
    return number(answer, 0.25, "the largest value of the sigmoid's derivative")


# Lab 7
def mae_push_at(answer: object) -> None:
    return number(answer, 2 * 0.1 / 10, "the factor MAE's gradient has beside cross-entropy's at p_y = 0.1")


# Lab 8
def early_stop_epoch(answer: object, val_accuracies: list[float], patience: int) -> None:
    best, stop = 0, len(val_accuracies)
    for epoch, value in enumerate(val_accuracies, 1):
        if value > val_accuracies[best - 1] or best == 0:
            best = epoch
        elif epoch - best >= patience:
            stop = epoch
            break
    return number(answer, stop, f"the epoch after which patience {patience} stops training", rel=0)


# Lab 9
def adam_scaled_gradient(answer: object) -> None:
    return number(answer, 1, "how many times larger Adam's step is when every gradient is 10 times larger")


# Lab 10
def steps_per_epoch(answer: object) -> None:
    return number(
        answer, math.ceil(50_000 / 128), "the steps in one epoch of 50,000 images in batches of 128", rel=0
    )


# Lab 11
def parameter_count_deep(answer: object) -> None:
    expected = 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10
    return number(answer, expected, "how many weights and biases 784-64-32-10 has", rel=0)


# Lab 13
def playground_target(result: object, target: float, most_share: float) -> None:
    """The playground's controls as the learner left them: `result` is what they drew."""
    if not isinstance(result, dict) or "val_accuracy" not in result:
        return verdict("Not answered yet: expected the playground's result (playground.result), run above")
    if result["share"] > most_share:
        return verdict(
            f"Not yet: share {result['share']:g} is above {most_share:g}; expected settings that use less"
        )
    reached = result["val_accuracy"][-1] if result["val_accuracy"] else float("nan")
    if reached >= target:
        return verdict(f"{RIGHT}: {reached:.4f} after 3 epochs, on {result['share']:g} of the data")
    return verdict(
        f"Not yet: {reached:.4f} after 3 epochs; expected {target:g} or more. Try the rate and the width"
    )


# Lab 12
def worst_digit(answer: object, per_digit: list[float]) -> None:
    return one_of(
        answer, int(np.argmin(per_digit)), list(range(10)), "the digit the network gets wrong most often"
    )
