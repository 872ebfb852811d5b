"""Mini-batch training: shuffle, step through batches, score the validation set each epoch."""

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

    weight_decay shrinks the weights (not the biases) by lr * weight_decay each step,
    decoupled from the gradient as in AdamW (Loshchilov and Hutter 2019), so it acts
    the same whatever the optimizer. `augment`, if given, transforms each batch of
    images before it is used (see mlp.augment).

    patience > 0 stops early: once the validation accuracy has not improved for that
    many epochs, training ends and the model is left with the weights of the epoch that
    kept_epoch names, as Keras's EarlyStopping(restore_best_weights=True) does. The
    learning-rate schedule still spans all `epochs`, so a cosine schedule stopped early
    never reaches its smallest steps.
    """
    n = X.shape[0]
    steps_per_epoch = -(-n // batch_size)
    total_steps = epochs * steps_per_epoch
    history = []
    step = 0
    # Each batch is gathered into this one buffer: one copy of X in memory, and no fresh
    # 400 KB array per batch.
    batch = np.empty((batch_size, X.shape[1]), dtype=X.dtype)
    # Overflow is reported once, as TrainingDivergedError, rather than as a stream of warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n)
            loss_sum = 0.0
            for start in range(0, n, batch_size):
                rows = order[start : start + batch_size]
                xb = gather(X, rows, batch)
                yb = labels[rows]
                if augment is not None:
                    xb = augment(xb, rng)
                lr = schedule(learning_rate, step, total_steps)
                value, gradient = model.loss_and_gradient(xb, yb, loss)
                if not math.isfinite(value):
                    raise TrainingDivergedError(epoch, value)
                optimizer.step(model.theta, gradient, lr)
                if weight_decay:
                    for W in model.weights:
                        W *= W.dtype.type(1 - lr * weight_decay)
                loss_sum += value * xb.shape[0]
                step += 1
            train_loss = loss_sum / n
            val_loss, val_accuracy = evaluate(model, X_val, labels_val, loss)
            record = EpochRecord(epoch, lr, train_loss, val_loss, val_accuracy)
            history.append(record)
            on_epoch(record)
            if patience:
                kept = kept_epoch(history, patience)
                if kept == epoch:
                    kept_theta = model.theta.copy()
                elif epoch - kept >= patience:
                    break
    if patience and kept != epoch:
        model.theta[:] = kept_theta
    return history


def kept_epoch(history: list[EpochRecord], patience: int) -> int:
    """The epoch whose weights training leaves in the model: the last one run, or with
    early stopping (patience > 0) the first with the best validation accuracy."""
    if not patience:
        return history[-1].epoch
    return max(history, key=lambda record: record.val_accuracy).epoch
