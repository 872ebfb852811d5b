"""Backpropagation against an independent reference: centred finite differences in float64."""

import itertools

import numpy as np
import pytest

from mlp import ACTIVATIONS, LOSSES, MLP, make_activation, make_loss

PARAMETER_NAMES = ("W1", "b1", "W2", "b2")


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


@pytest.mark.parametrize(("activation", "loss_name"), list(itertools.product(ACTIVATIONS, LOSSES)))
def test_backprop_matches_finite_differences(activation: str, loss_name: str) -> None:
    rng = np.random.default_rng(7)
    n_samples, n_in, n_hidden, n_out = 6, 5, 4, 3
    model = MLP(
        rng.normal(0, 0.8, (n_in, n_hidden)),
        rng.normal(0, 0.3, n_hidden),
        rng.normal(0, 0.8, (n_hidden, n_out)),
        rng.normal(0, 0.3, n_out),
        make_activation(activation, leaky_slope=0.1),
    )
    X = rng.normal(size=(n_samples, n_in))
    labels = rng.integers(0, n_out, n_samples)
    # Keep the kinks of the ReLU family out of reach of the +-h steps.
    z1 = X @ model.W1 + model.b1
    assert np.abs(z1).min() > 1e-3

    loss = make_loss(loss_name)
    _, gradient = model.loss_and_gradient(X, labels, loss)
    for name, array, grad in zip(PARAMETER_NAMES, model.parameters, model.unflatten(gradient), strict=True):
        assert grad.shape == array.shape
        numeric = numerical_gradient(model, X, labels, loss, array)
        assert relative_error(grad, numeric) < 1e-6, f"{activation} x {loss_name}: d/d{name} is wrong"


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
