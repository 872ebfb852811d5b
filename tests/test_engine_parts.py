"""The engine's small promises that training-level tests cannot see: defaults, bounds,
messages, edge values. Each was found by mutation testing (docs/tests.md): a
version of the engine with that one detail wrong passed every other test."""

import numpy as np
import pytest

import mlp
from mlp.activations import LeakyReLU
from mlp.initializers import he_normal, initializer_for, xavier_normal
from mlp.losses import MeanAbsoluteError, softmax
from mlp.optimizers import FLUSH_BELOW, FLUSH_EVERY, Momentum, flush_negligible
from mlp.training import gather

UNKNOWN_NAMES = {
    "activation": (mlp.make_activation, "swish", "expected one of leaky_relu, relu, sigmoid, tanh"),
    "loss": (mlp.make_loss, "hinge", "expected one of mae, cross_entropy, quadratic"),
    "optimizer": (mlp.make_optimizer, "rmsprop", "expected one of sgd, momentum, adam"),
    "init": (
        lambda name: initializer_for(mlp.make_activation("relu"), name),
        "lecun",
        "expected one of auto, he, xavier, zeros",
    ),
    "schedule": (
        mlp.make_schedule,
        "step",
        "expected one of constant, cosine",
    ),
}


@pytest.mark.parametrize("kind", list(UNKNOWN_NAMES))
def test_an_unknown_name_is_refused_with_every_name_that_would_do(kind: str) -> None:
    make, name, accepted = UNKNOWN_NAMES[kind]
    with pytest.raises(ValueError) as refused:
        make(name)
    assert str(refused.value) == f"unknown {kind} {name!r}; {accepted}"


def test_leaky_slope_takes_0_to_1_and_defaults_to_0_01() -> None:
    assert LeakyReLU().slope == 0.01
    assert LeakyReLU(1.0)(np.array([-2.0]))[0] == -2.0
    for slope in (-0.1, 1.01):
        with pytest.raises(ValueError) as refused:
            LeakyReLU(slope)
        assert str(refused.value) == f"leaky slope {slope} must be from 0 to 1"


def test_the_leaky_relu_derivative_at_0_is_its_slope() -> None:
    """f'(0) is taken from the left, as the derivative's docstring says: 1 only where z > 0."""
    derivative = LeakyReLU(0.1).derivative(np.array([-1.0, 0.0, 1.0]), np.array([-0.1, 0.0, 1.0]))
    np.testing.assert_array_equal(derivative, [0.1, 0.1, 1.0])


def test_the_mae_floor_takes_0_up_to_1_and_defaults_to_plain_mae() -> None:
    assert MeanAbsoluteError().floor == 0.0
    MeanAbsoluteError(0.99)
    for floor in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError) as refused:
            MeanAbsoluteError(floor)
        assert str(refused.value) == f"MAE gradient floor {floor} must be from 0 up to (not including) 1"


def test_softmax_and_cross_entropy_shift_each_row_by_its_own_maximum() -> None:
    """Rows a thousand apart: shifted by the batch's one maximum, the lower row's
    exponentials would all underflow to 0, and its probabilities to 0/0."""
    z = np.array([[1000.0, 999.0], [-1000.0, -1001.0]])
    expected = [[0.7310585786300049, 0.2689414213699951]] * 2
    np.testing.assert_allclose(softmax(z), expected, rtol=1e-12)
    value, gradient = mlp.make_loss("cross_entropy")(z, np.array([0, 0]))
    assert value == pytest.approx(-np.log(expected[0][0]), rel=1e-12)
    assert np.isfinite(gradient).all()


@pytest.mark.parametrize("slope", [0.0, 0.5])
def test_he_initialisation_follows_eq_15_of_he_et_al(slope: float) -> None:
    weights = he_normal(2000, 500, np.random.default_rng(0), slope)
    assert weights.mean() == pytest.approx(0, abs=1e-3)
    assert weights.std() == pytest.approx(np.sqrt(2 / ((1 + slope**2) * 2000)), rel=0.01)


def test_xavier_initialisation_is_centred() -> None:
    weights = xavier_normal(2000, 500, np.random.default_rng(0), 0.5)
    assert weights.mean() == pytest.approx(0, abs=1e-3)
    assert weights.std() == pytest.approx(np.sqrt(2 / 2500), rel=0.01)


def test_a_leaky_network_is_initialised_for_its_own_slope() -> None:
    model = mlp.MLP.initialise(
        2000, 500, 10, mlp.make_activation("leaky_relu", 0.5), np.random.default_rng(0)
    )
    assert model.weights[0].std() == pytest.approx(np.sqrt(2 / (1.25 * 2000)), rel=0.01)


def test_he_initialisation_of_an_activation_without_a_slope_uses_slope_0() -> None:
    model = mlp.MLP.initialise(
        2000, 500, 10, mlp.make_activation("tanh"), np.random.default_rng(0), init="he"
    )
    assert model.weights[0].std() == pytest.approx(np.sqrt(2 / 2000), rel=0.01)


def test_flushing_zeroes_moments_below_the_bound_and_nothing_else() -> None:
    moment = np.array([1e-31, -1e-31, FLUSH_BELOW, -2e-30, 0.5])
    flush_negligible(moment)
    np.testing.assert_array_equal(moment, [0.0, 0.0, FLUSH_BELOW, -2e-30, 0.5])


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_the_optimizers_flush_every_hundredth_step_and_no_other(name: str) -> None:
    """In float64, where 1e-31 is an ordinary number: a moment that decays from it lives
    through steps 1 to 99 and is flushed at step 100."""
    theta = np.zeros(1)
    optimizer = mlp.make_optimizer(name)
    optimizer.step(theta, np.array([-1e-31]), lr=1.0)

    def moment() -> float:
        return optimizer.velocity[0] if name == "momentum" else optimizer.M[0]

    for _ in range(FLUSH_EVERY - 2):
        optimizer.step(theta, np.zeros(1), lr=1.0)
        assert moment() != 0
    optimizer.step(theta, np.zeros(1), lr=1.0)
    assert moment() == 0
    assert Momentum().momentum == 0.9


def test_a_batch_is_gathered_into_the_buffer_given() -> None:
    X = np.arange(20.0).reshape(10, 2)
    buffer = np.empty((4, 2))
    batch = gather(X, np.array([7, 2, 9]), buffer)
    np.testing.assert_array_equal(batch, X[[7, 2, 9]])
    assert np.shares_memory(batch, buffer)


def test_divergence_reports_the_loss_it_reached() -> None:
    error = mlp.TrainingDivergedError(3, float("inf"))
    assert (error.epoch, error.loss, str(error)) == (
        3,
        float("inf"),
        "the training loss became inf in epoch 3",
    )


def test_each_maker_passes_its_option_to_the_part_that_takes_one() -> None:
    """Found by mutation testing: make_optimizer ignoring `momentum` (0.9 always) passed
    every other test."""
    assert mlp.make_optimizer("momentum", momentum=0.5).momentum == 0.5
    assert mlp.make_loss("mae", mae_floor=0.3).floor == 0.3
    assert mlp.make_activation("leaky_relu", leaky_slope=0.2).slope == 0.2
    assert mlp.make_activation("relu", leaky_slope=0.2).slope == 0.0


def test_zeros_starts_every_layer_at_0_and_keeps_the_hidden_units_identical() -> None:
    X = np.random.default_rng(0).random((8, 6))
    sigmoid, rng = mlp.make_activation("sigmoid"), np.random.default_rng(0)
    model = mlp.MLP.initialise(6, 4, 3, sigmoid, rng, "zeros", np.float64)
    assert all((W == 0).all() for W in model.weights) and all((b == 0).all() for b in model.biases)
    labels, loss = np.array([0, 1, 2, 0, 1, 2, 0, 1]), mlp.make_loss("cross_entropy")
    for _ in range(2):  # the first step moves only W2 and the biases: W2 = 0 passes no gradient back
        _, gradient = model.loss_and_gradient(X, labels, loss)
        model.theta -= gradient
    W1 = model.weights[0]
    assert np.abs(W1).max() > 0 and np.array_equal(W1, np.repeat(W1[:, :1], 4, axis=1))


def test_the_initial_scale_multiplies_the_hidden_layers_weights_only() -> None:
    def started(scale: float) -> mlp.MLP:
        activation = mlp.make_activation("tanh")
        return mlp.MLP.initialise(5, [4, 3], 2, activation, np.random.default_rng(7), scale=scale)

    plain, tenfold = started(1.0), started(10.0)
    assert np.allclose(tenfold.weights[0], 10 * plain.weights[0])
    assert np.allclose(tenfold.weights[1], 10 * plain.weights[1])
    assert np.array_equal(tenfold.weights[2], plain.weights[2])
    assert plain.theta.tobytes() == started(1.0).theta.tobytes()


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan")])
def test_an_initial_scale_not_above_0_is_refused(scale: float) -> None:
    with pytest.raises(ValueError, match=f"initial scale {scale} must be above 0"):
        mlp.MLP.initialise(5, 4, 2, mlp.make_activation("relu"), np.random.default_rng(0), scale=scale)
