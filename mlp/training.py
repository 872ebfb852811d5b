"""Mini-batch training: shuffle, step through batches, score the validation set each epoch.

`train` runs the epochs (and stops early if asked); an `Epoch` is one pass over the
training set, a mini-batch at a time; `update_mini_batch` is one step of gradient descent.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mlp.losses import Loss
from mlp.network import MLP
from mlp.optimizers import Optimizer
from mlp.schedules import Schedule


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    learning_rate: float
    train_loss: float
    val_loss: float
    val_accuracy: float


class TrainingDivergedError(ArithmeticError):
    """The loss stopped being a finite number; the weights are no longer usable."""

    def __init__(self, epoch: int, loss: float) -> None:
        super().__init__(f"the training loss became {loss} in epoch {epoch}")
        self.epoch = epoch
        self.loss = loss


def gather(X: np.ndarray, rows: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """The rows of X at `rows` (indices in range, such as a permutation's), copied into
    the start of `buffer`: one contiguous block for the products, and no fresh array."""
    # mode="clip" skips the extra copy that take makes to keep `out` intact on a bad index.
    return np.take(X, rows, axis=0, out=buffer[: len(rows)], mode="clip")


def evaluate(model: MLP, X: np.ndarray, labels: np.ndarray, loss: Loss) -> tuple[float, float]:
    """Mean loss and accuracy of `model` on (X, labels)."""
    z = model.logits(X)
    value, _ = loss(z, labels)
    return value, float((z.argmax(axis=1) == labels).mean())


def train(
    model: MLP,
    X: np.ndarray,
    labels: np.ndarray,
    X_val: np.ndarray,
    labels_val: np.ndarray,
    *,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    schedule: Schedule,
    weight_decay: float,
    rng: np.random.Generator,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    patience: int = 0,
    on_epoch: Callable[[EpochRecord], None] = lambda record: None,
) -> list[EpochRecord]:
    """Train `model` in place and return one record per epoch run.

    weight_decay shrinks the weights (not the biases) by lr_t * weight_decay after each
    step, decoupled from the gradient as in AdamW (Loshchilov and Hutter 2019), so it acts
    the same whatever the optimizer. `augment`, if given, transforms each batch first.
    patience > 0 stops early and keeps the best epoch's weights (EarlyStopping); the
    schedule still spans all `epochs`, so a cosine schedule stopped early never reaches
    its smallest steps.
    """
    steps_per_epoch = -(-X.shape[0] // batch_size)
    total_steps = epochs * steps_per_epoch

    def rate(step: int) -> float:
        return schedule(learning_rate, step, total_steps)

    one_epoch = Epoch(model, X, labels, loss, optimizer, rate, batch_size, weight_decay, rng, augment)
    stopping = EarlyStopping(model, patience)
    history = []
    # Overflow is reported once, as TrainingDivergedError, rather than as a stream of warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            train_loss, lr = one_epoch(epoch, first_step=(epoch - 1) * steps_per_epoch)
            val_loss, val_accuracy = evaluate(model, X_val, labels_val, loss)
            history.append(EpochRecord(epoch, lr, train_loss, val_loss, val_accuracy))
            on_epoch(history[-1])
            if stopping.should_stop(history):
                break
    stopping.restore(history)
    return history


@dataclass
class Epoch:
    """One pass over the training set in a fresh random order, a mini-batch at a time."""

    model: MLP
    X: np.ndarray
    labels: np.ndarray
    loss: Loss
    optimizer: Optimizer
    rate: Callable[[int], float]  # the learning rate at each step, counted over all epochs
    batch_size: int
    weight_decay: float
    rng: np.random.Generator
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None

    def __post_init__(self) -> None:
        # Each batch is gathered into this one buffer: one copy of X in memory, and no fresh
        # 400 KB array per batch.
        self.batch = np.empty((self.batch_size, self.X.shape[1]), dtype=self.X.dtype)

    def __call__(self, epoch: int, first_step: int) -> tuple[float, float]:
        """The epoch's mean training loss and the learning rate of its last step."""
        n = self.X.shape[0]
        order = self.rng.permutation(n)
        loss_sum = 0.0
        for step, start in enumerate(range(0, n, self.batch_size), start=first_step):
            rows = order[start : start + self.batch_size]
            xb = gather(self.X, rows, self.batch)
            if self.augment is not None:
                xb = self.augment(xb, self.rng)
            lr = self.rate(step)
            value = self.update_mini_batch(xb, self.labels[rows], lr)
            if not math.isfinite(value):
                raise TrainingDivergedError(epoch, value)
            loss_sum += value * xb.shape[0]
        return loss_sum / n, lr

    def update_mini_batch(self, xb: np.ndarray, yb: np.ndarray, lr: float) -> float:
        """One step of gradient descent on the batch (xb, yb); the batch's loss before it."""
        value, gradient = self.model.loss_and_gradient(xb, yb, self.loss)
        if math.isfinite(value):
            self.optimizer.step(self.model.theta, gradient, lr)
            if self.weight_decay:
                for W in self.model.weights:
                    W *= W.dtype.type(1 - lr * self.weight_decay)
        return value


class EarlyStopping:
    """With patience > 0: keeps a copy of the weights of the epoch kept_epoch names, says
    when patience has run out, and puts those weights back; with 0, does nothing."""

    def __init__(self, model: MLP, patience: int) -> None:
        self.model, self.patience = model, patience
        self.kept_theta: np.ndarray | None = None

    def should_stop(self, history: list[EpochRecord]) -> bool:
        if not self.patience:
            return False
        kept, epoch = kept_epoch(history, self.patience), history[-1].epoch
        if kept == epoch:
            self.kept_theta = self.model.theta.copy()
        return epoch - kept >= self.patience

    def restore(self, history: list[EpochRecord]) -> None:
        if self.patience and kept_epoch(history, self.patience) != history[-1].epoch:
            self.model.theta[:] = self.kept_theta


def kept_epoch(history: list[EpochRecord], patience: int) -> int:
    """The epoch whose weights training leaves in the model: the last one run, or with
    early stopping (patience > 0) the first with the best validation accuracy."""
    if not patience:
        return history[-1].epoch
    return max(history, key=lambda record: record.val_accuracy).epoch
