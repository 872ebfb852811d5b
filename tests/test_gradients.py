"""Backpropagation against an independent reference: centred finite differences in float64."""

import itertools

import numpy as np
import pytest

from mlp import ACTIVATIONS, LOSSES, MLP, make_activation, make_loss


def numerical_gradient(model: MLP, X, labels, loss, array: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """d loss / d array by centred differences, one element at a time."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + h
        plus, _ = loss(model.logits(X), labels)
        array[index] = original - h
        minus, _ = loss(model.logits(X), labels)
        array[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


@pytest.mark.parametrize(
    ("depth", "activation", "loss_name"), list(itertools.product([1, 2, 3], ACTIVATIONS, LOSSES))
)
def test_backprop_matches_finite_differences(depth: int, activation: str, loss_name: str) -> None:
    rng = np.random.default_rng(7)
    n_samples, sizes = 6, [5, *[4, 3, 4][:depth], 3]  # inputs, `depth` hidden widths, outputs
    model = MLP(
        [rng.normal(0, 0.8, (fan_in, fan_out)) for fan_in, fan_out in itertools.pairwise(sizes)],
        [rng.normal(0, 0.3, fan_out) for fan_out in sizes[1:]],
        make_activation(activation, leaky_slope=0.1),
    )
    X = rng.normal(size=(n_samples, sizes[0]))
    labels = rng.integers(0, sizes[-1], n_samples)
    # Keep the kinks of the ReLU family out of reach of the +-h steps, in every hidden layer.
    a = X
    for W, b in zip(model.weights[:-1], model.biases[:-1], strict=True):
        z = a @ W + b
        assert np.abs(z).min() > 1e-3
        a = model.activation(z)

    loss = make_loss(loss_name)
    _, gradient = model.loss_and_gradient(X, labels, loss)
    assert len(model.parameters) == 2 * (depth + 1)
    for (name, array), grad in zip(model.parameters.items(), model.unflatten(gradient), strict=True):
        assert grad.shape == array.shape
        numeric = numerical_gradient(model, X, labels, loss, array)
        assert relative_error(grad, numeric) < 1e-6, (
            f"depth {depth}, {activation} x {loss_name}: d/d{name} is wrong"
        )


def test_quadratic_loss_is_half_the_squared_distance_from_one_hot_targets() -> None:
    """Checked against a written-out value and, independently of its own formula, a
    finite-difference gradient of that value."""
    rng = np.random.default_rng(5)
    n, k, h = 8, 10, 1e-6
    z = rng.normal(size=(n, k))
    labels = rng.integers(0, k, n)

    def quadratic(z: np.ndarray) -> float:
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return float(0.5 * np.square(p - np.eye(k)[labels]).sum() / n)

    value, gradient = make_loss("quadratic")(z, labels)
    assert value == pytest.approx(quadratic(z), rel=1e-12)
    numeric = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[index] = h
        numeric[index] = (quadratic(z + step) - quadratic(z - step)) / (2 * h)
    assert relative_error(gradient, numeric) < 1e-6


def test_mae_gradient_is_scaled_cross_entropy_gradient() -> None:
    """For one-hot targets the MAE gradient is 0.2 p_y (p - y) / n (numerics.md)."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=(8, 10))
    labels = rng.integers(0, 10, 8)
    _, mae_grad = make_loss("mae")(z, labels)
    _, ce_grad = make_loss("cross_entropy")(z, labels)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p_y = p[np.arange(8), labels][:, None]
    np.testing.assert_allclose(mae_grad, 0.2 * p_y * ce_grad, rtol=1e-10, atol=1e-15)


def test_mae_value_is_the_mean_absolute_difference_from_one_hot_targets() -> None:
    rng = np.random.default_rng(4)
    z = rng.normal(size=(8, 10))
    labels = rng.integers(0, 10, 8)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    value, _ = make_loss("mae")(z, labels)
    assert value == pytest.approx(np.abs(p - np.eye(10)[labels]).mean(), rel=1e-12)


def floored_mae(z: np.ndarray, labels: np.ndarray, floor: float) -> float:
    """The loss whose gradient MAE with a floor follows, written out independently:
    MAE where p_y >= floor, continued below by 2 floor log(floor / p_y) / k."""
    n, k = z.shape
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p_y = p[np.arange(n), labels]
    below = 1 - floor + floor * np.log(floor / p_y)
    return float(np.where(p_y >= floor, 1 - p_y, below).sum() * 2 / (k * n))


def test_mae_with_a_floor_follows_the_gradient_of_the_floored_loss() -> None:
    rng = np.random.default_rng(7)
    n, k, floor, h = 12, 10, 0.1, 1e-6
    z = rng.normal(0, 1, size=(n, k))
    labels = rng.integers(0, k, n)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p_y = p[np.arange(n), labels]
    # Samples on both sides of the floor, none within reach of the kink at the floor.
    assert (p_y < floor).sum() >= 3 and (p_y > floor).sum() >= 3
    assert np.abs(p_y - floor).min() > 1e-3

    value, gradient = make_loss("mae", mae_floor=floor)(z, labels)

    numeric = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[index] = h
        numeric[index] = (floored_mae(z + step, labels, floor) - floored_mae(z - step, labels, floor)) / (
            2 * h
        )
    assert relative_error(gradient, numeric) < 1e-6
    # The value stays the plain MAE, the figure runs are compared by.
    assert value == pytest.approx(np.abs(p - np.eye(k)[labels]).mean(), rel=1e-12)


def test_mae_floor_changes_only_the_samples_below_it() -> None:
    rng = np.random.default_rng(6)
    z = rng.normal(0, 3, size=(20, 10))
    labels = rng.integers(0, 10, 20)
    p_y = (np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))[np.arange(20), labels]
    _, plain = make_loss("mae")(z, labels)
    _, floored = make_loss("mae", mae_floor=0.1)(z, labels)
    above = p_y >= 0.1
    assert above.any() and not above.all()
    np.testing.assert_array_equal(floored[above], plain[above])
    np.testing.assert_allclose(floored[~above], plain[~above] * (0.1 / p_y[~above])[:, None], rtol=1e-10)
