"""The NumPy engine: forward pass by hand, losses, optimizers, schedules, initialisation, training."""

import math
import warnings

import numpy as np
import pytest

import mlp
from mlp import MLP, make_activation, make_loss, make_optimizer
from mlp.initializers import he_normal, initializer_for, xavier_normal
from mlp.losses import softmax


def tiny_network() -> MLP:
    """2-2-2 with leaky slope 0.1, small enough to work through by hand."""
    return MLP(
        weights=[np.array([[1.0, -1.0], [0.5, -0.5]]), np.array([[1.0, 0.0], [0.0, 1.0]])],
        biases=[np.array([0.5, 0.0]), np.array([0.0, 0.3])],
        activation=make_activation("leaky_relu", leaky_slope=0.1),
    )


def test_forward_pass_equals_hand_worked_values() -> None:
    # z1 = [1*1 + 2*0.5 + 0.5, 1*-1 + 2*-0.5 + 0] = [2.5, -2]
    # a1 = [2.5, 0.1 * -2] = [2.5, -0.2]
    # z2 = [2.5, -0.2 + 0.3] = [2.5, 0.1]
    # p  = [e^2.5, e^0.1] / (e^2.5 + e^0.1)
    model = tiny_network()
    X = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(model.logits(X), [[2.5, 0.1]], rtol=1e-15)
    np.testing.assert_allclose(
        model.predict_proba(X), [[0.9168273035060776, 0.08317269649392237]], rtol=1e-12
    )
    assert model.predict(X).tolist() == [0]


def test_losses_equal_hand_worked_values() -> None:
    z = np.array([[2.5, 0.1]])
    label = np.array([1])
    ce, _ = make_loss("cross_entropy")(z, label)
    mae, _ = make_loss("mae")(z, label)
    assert ce == pytest.approx(2.4868361521539497, rel=1e-12)  # -log p_1
    assert mae == pytest.approx(0.9168273035060777, rel=1e-12)  # (|p_0 - 0| + |p_1 - 1|) / 2


def test_softmax_is_stable_for_huge_logits() -> None:
    p = softmax(np.array([[1000.0, 999.0, -1000.0]], dtype=np.float32))
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(), 1, rtol=1e-6)
    ce, grad = make_loss("cross_entropy")(np.array([[1000.0, -1000.0]]), np.array([1]))
    assert ce == pytest.approx(2000.0)
    assert np.isfinite(grad).all()


@pytest.mark.parametrize(
    ("name", "z", "expected"),
    [
        ("leaky_relu", [-2.0, 3.0], [-0.02, 3.0]),
        ("relu", [-2.0, 3.0], [0.0, 3.0]),
        ("sigmoid", [0.0, 800.0, -800.0], [0.5, 1.0, 0.0]),
        ("tanh", [0.0, 1.0, -2.0, 30.0], [0.0, 0.7615941559557649, -0.9640275800758169, 1.0]),
    ],
)
def test_activation_values(name: str, z: list[float], expected: list[float]) -> None:
    np.testing.assert_allclose(make_activation(name)(np.array(z)), expected, atol=1e-12)


def test_sgd_and_momentum_steps() -> None:
    w, g = np.array([1.0]), np.array([0.5])
    make_optimizer("sgd").step(w, g, lr=0.1)
    assert w[0] == pytest.approx(0.95)

    w = np.array([1.0])
    momentum = make_optimizer("momentum", momentum=0.9)
    momentum.step(w, g, lr=0.1)  # v = -0.05
    momentum.step(w, g, lr=0.1)  # v = 0.9 * -0.05 - 0.05 = -0.095
    assert w[0] == pytest.approx(1 - 0.05 - 0.095)


def test_adam_first_step_moves_each_weight_by_lr() -> None:
    """With bias correction, Adam's first step is lr * g / |g| whatever the gradient's scale."""
    w = np.array([1.0, 1.0, 1.0])
    make_optimizer("adam").step(w, np.array([1e-3, -50.0, 2.0]), lr=0.01)
    np.testing.assert_allclose(w, [0.99, 1.01, 0.99], rtol=1e-6)


def test_adam_follows_the_paper_step_by_step(rng: np.random.Generator) -> None:
    """Against Algorithm 1 of Kingma and Ba, written out plainly, over 300 steps."""
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    theta = rng.normal(size=50)
    reference = theta.copy()
    m, v = np.zeros(50), np.zeros(50)
    adam = make_optimizer("adam")
    for t in range(1, 301):
        g = rng.normal(size=50) * rng.choice([1e-4, 1.0, 100.0])
        adam.step(theta, g, lr)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        reference = reference - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(theta, reference, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["adam", "momentum"])
def test_optimizer_state_never_becomes_subnormal(name: str) -> None:
    """A weight whose gradient is zero after one kick (a pixel inked once): its moments
    shrink by a constant factor each step and, unflushed, would pass through the
    subnormal floats (below 1.2e-38 in float32), where arithmetic is ~100x slower."""
    theta = np.ones(4, dtype=np.float32)
    optimizer = make_optimizer(name)
    optimizer.step(theta, np.array([1e-3, 1.0, 0.0, -1e-6], dtype=np.float32), lr=1e-3)
    tiny = np.finfo(np.float32).tiny
    zero = np.zeros(4, dtype=np.float32)
    for _ in range(3000):
        optimizer.step(theta, zero, lr=1e-3)
        state = (optimizer.M, optimizer.V) if name == "adam" else (optimizer.velocity,)
        for moment in state:
            assert not ((moment != 0) & (np.abs(moment) < tiny)).any()
    assert np.isfinite(theta).all()


def test_cosine_schedule_runs_from_base_to_zero() -> None:
    cosine, constant = mlp.make_schedule("cosine"), mlp.make_schedule("constant")
    assert cosine(0.1, 0, 100) == pytest.approx(0.1)
    assert cosine(0.1, 50, 100) == pytest.approx(0.05)
    assert cosine(0.1, 100, 100) == pytest.approx(0.0)
    assert constant(0.1, 99, 100) == 0.1


def test_initialisation_suits_the_activation(rng: np.random.Generator) -> None:
    assert initializer_for(make_activation("leaky_relu"), "auto") is he_normal
    assert initializer_for(make_activation("relu"), "auto") is he_normal
    assert initializer_for(make_activation("tanh"), "auto") is xavier_normal
    assert initializer_for(make_activation("sigmoid"), "auto") is xavier_normal
    assert initializer_for(make_activation("tanh"), "he") is he_normal
    model = MLP.initialise(784, 500, 10, make_activation("relu"), rng)
    W1, b1, W2 = model.weights[0], model.biases[0], model.weights[1]
    assert W1.dtype == np.float32
    assert W1.std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)
    assert not b1.any()
    # The output layer feeds a softmax: Xavier whatever the hidden activation.
    assert W2.std() == pytest.approx(np.sqrt(2 / (500 + 10)), rel=0.05)
    model = MLP.initialise(784, 500, 10, make_activation("tanh"), rng)
    assert model.weights[0].std() == pytest.approx(np.sqrt(2 / (784 + 500)), rel=0.02)


def test_deeper_layers_are_initialised_for_their_own_fan_in(rng: np.random.Generator) -> None:
    model = MLP.initialise(784, [400, 300], 10, make_activation("relu"), rng)
    assert [W.shape for W in model.weights] == [(784, 400), (400, 300), (300, 10)]
    assert [b.shape for b in model.biases] == [(400,), (300,), (10,)]
    assert model.widths == [400, 300]
    assert model.weights[1].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert model.weights[2].std() == pytest.approx(np.sqrt(2 / (300 + 10)), rel=0.05)
    assert list(model.parameters) == ["W1", "b1", "W2", "b2", "W3", "b3"]


def test_one_hidden_layer_given_as_a_list_is_the_same_network() -> None:
    as_int = MLP.initialise(784, 30, 10, make_activation("leaky_relu"), np.random.default_rng(3))
    as_list = MLP.initialise(784, [30], 10, make_activation("leaky_relu"), np.random.default_rng(3))
    assert as_int.theta.tobytes() == as_list.theta.tobytes()


@pytest.mark.parametrize(
    ("weights", "biases", "culprit"),
    [
        ([(5, 4), (3, 2)], [(4,), (2,)], r"W2 \(3, 2\) and b2 \(2,\) do not chain from 4 inputs"),
        ([(5, 4), (4, 2)], [(4,), (3,)], r"W2 \(4, 2\) and b2 \(3,\) do not chain from 4 inputs"),
        ([(5, 4)], [], "1 weight matrices and 0 bias vectors"),
    ],
)
def test_layers_that_do_not_chain_are_refused(weights: list, biases: list, culprit: str) -> None:
    with pytest.raises(ValueError, match=culprit):
        MLP(
            [np.zeros(shape) for shape in weights],
            [np.zeros(shape) for shape in biases],
            make_activation("relu"),
        )


def test_a_deeper_forward_pass_equals_hand_worked_values() -> None:
    """2-2-1-2: the tiny network with a one-unit layer between its two."""
    model = MLP(
        weights=[np.array([[1.0, -1.0], [0.5, -0.5]]), np.array([[1.0], [2.0]]), np.array([[1.0, -1.0]])],
        biases=[np.array([0.5, 0.0]), np.array([-1.0]), np.array([0.0, 0.3])],
        activation=make_activation("leaky_relu", leaky_slope=0.1),
    )
    # a1 = [2.5, -0.2] (as in the tiny network); z2 = 2.5 - 0.4 - 1 = 1.1 = a2
    # z3 = [1.1, -1.1 + 0.3] = [1.1, -0.8]
    X = np.array([[1.0, 2.0]])
    a1, a2 = model.hidden(X)
    np.testing.assert_allclose(a1, [[2.5, -0.2]], rtol=1e-15)
    np.testing.assert_allclose(a2, [[1.1]], rtol=1e-15)
    np.testing.assert_allclose(model.logits(X), [[1.1, -0.8]], rtol=1e-15)


def blobs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated Gaussian clusters in 20 dimensions."""
    centres = rng.normal(0, 3, (3, 20)).astype(np.float32)
    labels = rng.integers(0, 3, n)
    return centres[labels] + rng.normal(0, 1, (n, 20)).astype(np.float32), labels


def train_on_blobs(seed: int, loss: str = "cross_entropy", lr: float = 0.01, **options) -> tuple[MLP, list]:
    rng = np.random.default_rng(seed)
    X, y = blobs(np.random.default_rng(0), 600)
    model = MLP.initialise(20, 8, 3, make_activation("leaky_relu"), rng)
    history = mlp.train(
        model, X[:500], y[:500], X[500:], y[500:],
        loss=make_loss(loss), optimizer=make_optimizer("adam"), epochs=5, batch_size=32,
        learning_rate=lr, schedule=mlp.make_schedule("cosine"), weight_decay=options.get("weight_decay", 0.0),
        rng=rng,
    )  # fmt: skip
    return model, history


@pytest.mark.parametrize("loss", ["mae", "cross_entropy"])
def test_training_learns_a_separable_problem(loss: str) -> None:
    _, history = train_on_blobs(0, loss=loss, lr=0.03)
    assert [record.epoch for record in history] == [1, 2, 3, 4, 5]
    assert history[-1].train_loss < history[0].train_loss
    assert history[-1].val_accuracy > 0.95


def test_same_seed_gives_identical_weights() -> None:
    first, _ = train_on_blobs(5, weight_decay=0.01)
    second, _ = train_on_blobs(5, weight_decay=0.01)
    other, _ = train_on_blobs(6, weight_decay=0.01)
    for a, b, c in zip(first.weights, second.weights, other.weights, strict=True):
        assert a.tobytes() == b.tobytes()
        assert a.tobytes() != c.tobytes()


def test_training_visits_each_sample_once_per_epoch_as_a_plain_loop_would() -> None:
    """train() gathers batches into one reused buffer; a plain X[rows] loop must agree to the bit."""
    X, y = blobs(np.random.default_rng(0), 500)  # 500 = 15 batches of 32 and one of 20
    trained = MLP.initialise(20, 8, 3, make_activation("relu"), np.random.default_rng(1))
    plain = MLP.initialise(20, 8, 3, make_activation("relu"), np.random.default_rng(1))
    loss, sgd = make_loss("cross_entropy"), make_optimizer("sgd")
    mlp.train(
        trained, X, y, X, y, loss=loss, optimizer=sgd, epochs=2, batch_size=32,
        learning_rate=0.1, schedule=mlp.make_schedule("constant"), weight_decay=0.0,
        rng=np.random.default_rng(2),
    )  # fmt: skip
    rng = np.random.default_rng(2)
    for _ in range(2):
        order = rng.permutation(500)
        for start in range(0, 500, 32):
            rows = order[start : start + 32]
            _, gradient = plain.loss_and_gradient(X[rows], y[rows], loss)
            sgd.step(plain.theta, gradient, 0.1)
    assert trained.theta.tobytes() == plain.theta.tobytes()


def test_divergence_is_reported_with_its_epoch_once_and_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would surface as an error here
        with pytest.raises(mlp.TrainingDivergedError, match="epoch 1") as raised:
            train_on_blobs(0, lr=1e30)
    assert raised.value.epoch == 1
    assert not math.isfinite(raised.value.loss)


def test_training_equals_the_loop_its_docstring_describes_written_out_plainly() -> None:
    """Each epoch a fresh permutation; each batch augmented, then one step at the cosine
    schedule's rate, then every weight matrix (not the biases) shrunk by lr * weight_decay.
    The history holds each epoch's mean training loss, the rate of its last step and the
    validation figures, and on_epoch receives each record as it is made."""
    X, y = blobs(np.random.default_rng(0), 600)
    X, y, X_val, y_val = X[:500], y[:500], X[500:], y[500:]  # 500 = 15 batches of 32 and one of 20

    def jitter(xb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return xb + rng.normal(0, 0.1, xb.shape).astype(xb.dtype)

    def network() -> MLP:
        return MLP.initialise(20, [8, 6], 3, make_activation("relu"), np.random.default_rng(1))

    loss, trained, seen = make_loss("cross_entropy"), network(), []
    history = mlp.train(
        trained, X, y, X_val, y_val, loss=loss, optimizer=make_optimizer("adam"), epochs=3, batch_size=32,
        learning_rate=0.01, schedule=mlp.make_schedule("cosine"), weight_decay=0.1,
        rng=np.random.default_rng(2),
        augment=jitter, on_epoch=seen.append,
    )  # fmt: skip

    plain, adam, rng = network(), make_optimizer("adam"), np.random.default_rng(2)
    total_steps, step, expected = 3 * 16, 0, []
    for epoch in (1, 2, 3):
        order, loss_sum = rng.permutation(500), 0.0
        for start in range(0, 500, 32):
            rows = order[start : start + 32]
            xb = jitter(X[rows], rng)
            lr = 0.01 * 0.5 * (1 + math.cos(math.pi * step / total_steps))
            value, gradient = plain.loss_and_gradient(xb, y[rows], loss)
            adam.step(plain.theta, gradient, lr)
            for W in plain.weights:
                W *= np.float32(1 - lr * 0.1)
            loss_sum += value * len(rows)
            step += 1
        val_loss, _ = loss(plain.logits(X_val), y_val)
        val_accuracy = (plain.predict(X_val) == y_val).mean()
        expected.append((epoch, lr, loss_sum / 500, val_loss, val_accuracy))
    assert trained.theta.tobytes() == plain.theta.tobytes()
    assert seen == history
    for record, figures in zip(history, expected, strict=True):
        assert (record.epoch, record.learning_rate, record.train_loss, record.val_loss) == figures[:4]
        assert record.val_accuracy == pytest.approx(figures[4], abs=1e-12)


def test_random_shift_moves_the_batch_by_one_offset_within_bounds() -> None:
    images = np.zeros((3, 16), dtype=np.float32)
    images[:, 5] = [1.0, 2.0, 3.0]  # one bright pixel at row 1, column 1 of each 4x4 image
    rng = np.random.default_rng(0)
    positions = set()
    for _ in range(200):
        shifted = mlp.random_shift(images, rng, max_shift=1, side=4)
        assert shifted.shape == images.shape and shifted.dtype == images.dtype
        np.testing.assert_array_equal(shifted.sum(axis=1), [1.0, 2.0, 3.0])  # nothing lost off the edge
        position = {int(i) for i in shifted.argmax(axis=1)}
        assert len(position) == 1  # the three images moved together
        positions.add(divmod(position.pop(), 4))
    assert positions == {(r, c) for r in (0, 1, 2) for c in (0, 1, 2)}


class FixedOffset:
    """A stand-in generator whose integers() is the offset (dy, dx) asked for."""

    def __init__(self, dy: int, dx: int) -> None:
        self.offset = np.array([dy, dx])

    def integers(self, low: int, high: int, size: int) -> np.ndarray:
        assert low <= self.offset.min() and self.offset.max() < high and size == 2
        return self.offset


@pytest.mark.parametrize(("dy", "dx"), [(0, 1), (0, -1), (1, 0), (-1, 0), (2, -2), (-2, 1)])
def test_random_shift_fills_what_comes_in_from_outside_with_zeros(dy: int, dx: int) -> None:
    """Each shift against an independent reference: np.roll, with the wrapped-round
    rows and columns zeroed. A shift that wraps pixels round (np.roll itself) fails."""
    image = np.arange(1, 26, dtype=np.float32).reshape(5, 5)  # no zero anywhere
    shifted = mlp.random_shift(image.reshape(1, 25), FixedOffset(dy, dx), max_shift=2, side=5)
    expected = np.roll(image, (dy, dx), axis=(0, 1))
    if dy > 0:
        expected[:dy] = 0
    if dy < 0:
        expected[dy:] = 0
    if dx > 0:
        expected[:, :dx] = 0
    if dx < 0:
        expected[:, dx:] = 0
    np.testing.assert_array_equal(shifted.reshape(5, 5), expected)
    # What left the frame is gone: exactly the pixels of |dy| rows and |dx| columns.
    assert np.count_nonzero(shifted) == (5 - abs(dy)) * (5 - abs(dx))


@pytest.mark.parametrize(("mae_floor", "learns_it"), [(0.0, False), (0.1, True)])
def test_mae_with_a_floor_brings_back_a_class_the_network_had_given_up_on(
    mae_floor: float, learns_it: bool
) -> None:
    """Class 2 starts with p_2 near 0 everywhere (a bias of -12): plain MAE's gradient
    keeps it there (MeanAbsoluteError's docstring says why); the floor gets it learned."""
    rng = np.random.default_rng(0)
    X, y = blobs(np.random.default_rng(0), 600)
    model = MLP.initialise(20, 8, 3, make_activation("leaky_relu"), rng)
    model.biases[-1][2] = -12
    mlp.train(
        model, X[:500], y[:500], X[500:], y[500:],
        loss=make_loss("mae", mae_floor=mae_floor), optimizer=make_optimizer("adam"), epochs=5,
        batch_size=32, learning_rate=0.01, schedule=mlp.make_schedule("cosine"), weight_decay=0.0, rng=rng,
    )  # fmt: skip
    recall = (model.predict(X[500:][y[500:] == 2]) == 2).mean()
    assert (recall > 0.9) == learns_it, f"recall of class 2: {recall}"


def noisy_run(epochs: int, patience: int) -> tuple[MLP, list]:
    """Overlapping clusters, so the validation accuracy rises, falls and ties."""
    data_rng = np.random.default_rng(0)
    centres = data_rng.normal(0, 1, (3, 20)).astype(np.float32)
    y = data_rng.integers(0, 3, 600)
    X = centres[y] + data_rng.normal(0, 3.0, (600, 20)).astype(np.float32)
    rng = np.random.default_rng(1)
    model = MLP.initialise(20, 8, 3, make_activation("leaky_relu"), rng)
    history = mlp.train(
        model, X[:400], y[:400], X[400:], y[400:],
        loss=make_loss("cross_entropy"), optimizer=make_optimizer("adam"), epochs=epochs, batch_size=32,
        learning_rate=0.03, schedule=mlp.make_schedule("constant"), weight_decay=0.0, rng=rng,
        patience=patience,
    )  # fmt: skip
    return model, history


def test_early_stopping_ends_after_patience_and_keeps_the_best_epochs_weights() -> None:
    stopped, history = noisy_run(epochs=30, patience=3)
    accuracies = [record.val_accuracy for record in history]
    best = accuracies.index(max(accuracies)) + 1
    # Epoch 7 only ties the best (epoch 4): a tie is no improvement.
    assert accuracies[6] == accuracies[3] == max(accuracies)
    assert mlp.kept_epoch(history, patience=3) == best == 4
    assert [record.epoch for record in history] == list(range(1, best + 3 + 1))
    # A constant learning rate makes the first 4 epochs of any run the same: so a run of
    # exactly 4 epochs must end with the very weights early stopping kept.
    four_epochs, _ = noisy_run(epochs=best, patience=0)
    assert stopped.theta.tobytes() == four_epochs.theta.tobytes()


def test_patience_0_runs_every_epoch_and_keeps_the_last() -> None:
    _, history = noisy_run(epochs=9, patience=0)
    assert len(history) == 9 and mlp.kept_epoch(history, patience=0) == 9
