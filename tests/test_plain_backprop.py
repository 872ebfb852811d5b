"""The engine's backpropagation gives the gradients of the plain one that docs/learning.md
derives (assignment/backprop.py), for every activation and every loss; and the
plain one, broken as the page's exercises break it, does not.

Both compute in float64. They sum in other orders (the engine sums a bias's gradient as a
product with a row of ones, and folds 1/n into the output error), so the last bits may
differ: to 1e-10 relative, ten thousand times float64's rounding over these sums, and far
below what any mistake in an equation moves.
"""

import inspect
from pathlib import Path

import numpy as np
import pytest

import mlp
from assignment import backprop as plain_backprop

LOSSES = [("mae", 0.0), ("mae", 0.3), ("cross_entropy", 0.0), ("quadratic", 0.0)]
TOLERANCE = {"rtol": 1e-10, "atol": 1e-13}


def batch(seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.random((32, 20))
    labels = rng.integers(0, 10, 32)
    W1, b1 = rng.normal(0, 0.5, (20, 8)), rng.normal(0, 0.1, 8)
    W2, b2 = rng.normal(0, 0.5, (8, 10)), rng.normal(0, 0.1, 10)
    return x, labels, W1, b1, W2, b2


def engine_gradients(activation: str, loss: str, floor: float, slope: float) -> list[np.ndarray]:
    x, labels, W1, b1, W2, b2 = batch()
    model = mlp.MLP([W1, W2], [b1, b2], mlp.make_activation(activation, slope))
    _, gradient = model.loss_and_gradient(x, labels, mlp.make_loss(loss, floor))
    return model.unflatten(gradient.copy())


def plain_gradients(
    module: object, activation: str, loss: str, floor: float, slope: float
) -> list[np.ndarray]:
    x, labels, W1, b1, W2, b2 = batch()
    y = np.eye(10)[labels]
    return list(module.gradients(x, y, W1, b1, W2, b2, activation, loss, slope=slope, floor=floor))


def agree(engine: list[np.ndarray], plain: list[np.ndarray]) -> bool:
    return all(np.allclose(e, p, **TOLERANCE) for e, p in zip(engine, plain, strict=True))


@pytest.mark.parametrize(
    ("loss", "floor"), LOSSES, ids=["mae", "mae with a floor", "cross_entropy", "quadratic"]
)
@pytest.mark.parametrize("activation", list(plain_backprop.ACTIVATIONS))
def test_the_engine_gives_the_plain_passs_gradients(activation: str, loss: str, floor: float) -> None:
    engine = engine_gradients(activation, loss, floor, slope=0.1)
    plain = plain_gradients(plain_backprop, activation, loss, floor, slope=0.1)
    for name, e, p in zip(("dW1", "db1", "dW2", "db2"), engine, plain, strict=True):
        np.testing.assert_allclose(e, p, **TOLERANCE, err_msg=name)


# The page's exercises: each edit of the plain pass, and what it becomes.
BREAKS = {
    "flip the sign in BP2": ("return (delta2 @ W2.T)", "return -(delta2 @ W2.T)"),
    "drop the hidden layer's bias gradient": ("db1 = delta1.sum(axis=0) / n", "db1 = 0 * delta1.sum(axis=0)"),
    "forget f'(z1) in BP2": ("* f_prime(z1, slope)", "* 1"),
    "average BP4 twice": ("dW1 = x.T @ delta1 / n", "dW1 = x.T @ delta1 / n / n"),
}


def broken_by(edit: str) -> type:
    old, new = BREAKS[edit]
    source = inspect.getsource(plain_backprop)
    assert source.count(old) == 1, old
    broken: dict = {}
    exec(compile(source.replace(old, new), "broken_backprop", "exec"), broken)
    return type("Broken", (), {"gradients": staticmethod(broken["gradients"])})


@pytest.mark.parametrize("edit", list(BREAKS))
def test_each_exercises_break_is_caught(edit: str) -> None:
    module = broken_by(edit)
    for activation in plain_backprop.ACTIVATIONS:
        for loss, floor in LOSSES:
            engine = engine_gradients(activation, loss, floor, slope=0.1)
            assert not agree(engine, plain_gradients(module, activation, loss, floor, slope=0.1)), (
                activation,
                loss,
            )


@pytest.mark.parametrize("edit", list(BREAKS))
def test_the_page_shows_the_line_each_break_makes_the_check_print(edit: str) -> None:
    """The first failure of `pytest -q tests/test_plain_backprop.py -k engine`, for leaky
    ReLU and MAE: the gradient it names, and its largest relative difference."""
    engine = engine_gradients("leaky_relu", "mae", 0.0, slope=0.1)
    plain = plain_gradients(broken_by(edit), "leaky_relu", "mae", 0.0, slope=0.1)
    with pytest.raises(AssertionError) as failed:
        for name, e, q in zip(("dW1", "db1", "dW2", "db2"), engine, plain, strict=True):
            np.testing.assert_allclose(e, q, **TOLERANCE, err_msg=name)
    lines = [line.strip() for line in str(failed.value).splitlines()]
    name = next(line for line in lines if line in ("dW1", "db1", "dW2", "db2"))
    relative = next(line for line in lines if line.startswith("Max relative difference"))
    page = (Path(__file__).parents[1] / "docs" / "learning.md").read_text()
    assert f"`{name}`, `{relative}`" in page


def test_the_page_shows_the_plain_pass_as_it_is() -> None:
    page = (Path(__file__).parents[1] / "docs" / "learning.md").read_text()
    parts = [plain_backprop.forward, plain_backprop.hidden_error, plain_backprop.bias_gradients,
             plain_backprop.weight_gradients, plain_backprop.gradients]  # fmt: skip
    assert "```python\n" + "\n\n".join(map(inspect.getsource, parts)) + "```" in page


def test_a_floor_inside_the_batchs_p_y_takes_both_sides_of_it() -> None:
    """The floor at the batch's median p_y: half the images are weighed by their own p_y,
    half by the floor, and the engine and the plain pass agree on both."""
    x, labels, W1, b1, W2, b2 = batch()
    p = plain_backprop.softmax(plain_backprop.ACTIVATIONS["tanh"][0](x @ W1 + b1, 0.0) @ W2 + b2)
    p_y = p[np.arange(len(labels)), labels]
    floor = float(np.median(p_y))
    assert (p_y < floor).any() and (p_y > floor).any()
    engine = engine_gradients("tanh", "mae", floor, slope=0.0)
    plain = plain_gradients(plain_backprop, "tanh", "mae", floor, slope=0.0)
    assert agree(engine, plain)
    assert not agree(engine, plain_gradients(plain_backprop, "tanh", "mae", 0.0, slope=0.0))


@pytest.mark.parametrize("activation", ["leaky_relu", "relu"])
def test_the_derivative_at_exactly_zero_is_the_slope_in_both(activation: str) -> None:
    """z1 = 0 exactly (an image of zeros into a unit with no bias): f'(0) is the slope
    below 0, in the engine and in the plain pass alike."""
    x, labels, W1, b1, W2, b2 = batch()
    x[:4] = 0.0
    b1[:3] = 0.0
    z1 = x @ W1 + b1
    assert (z1 == 0).sum() == 12
    model = mlp.MLP([W1, W2], [b1, b2], mlp.make_activation(activation, 0.1))
    _, gradient = model.loss_and_gradient(x, labels, mlp.make_loss("cross_entropy", 0.0))
    plain = plain_backprop.gradients(x, np.eye(10)[labels], W1, b1, W2, b2, activation, "cross_entropy", 0.1)
    assert agree(model.unflatten(gradient.copy()), list(plain))
    f_prime = plain_backprop.ACTIVATIONS[activation][1]
    assert f_prime(np.zeros(1), 0.1)[0] == model.activation.derivative(np.zeros(1), np.zeros(1))[0]


@pytest.mark.parametrize("activation", list(plain_backprop.ACTIVATIONS))
def test_two_hidden_layers_give_the_plain_passs_gradients(activation: str) -> None:
    x, labels, W1, b1, _, _ = batch()
    rng = np.random.default_rng(1)
    W2, b2 = rng.normal(0, 0.5, (8, 6)), rng.normal(0, 0.1, 6)
    W3, b3 = rng.normal(0, 0.5, (6, 10)), rng.normal(0, 0.1, 10)
    for loss, floor in LOSSES:
        model = mlp.MLP([W1, W2, W3], [b1, b2, b3], mlp.make_activation(activation, 0.1))
        _, gradient = model.loss_and_gradient(x, labels, mlp.make_loss(loss, floor))
        plain = plain_backprop.gradients_two_hidden(
            x, np.eye(10)[labels], W1, b1, W2, b2, W3, b3, activation, loss, slope=0.1, floor=floor
        )
        assert agree(model.unflatten(gradient.copy()), list(plain)), (activation, loss, floor)
