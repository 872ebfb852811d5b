"""Losses on a softmax output layer.

Each loss takes the output layer's logits z and the integer labels y of a batch and
returns the mean loss over the batch, C, and its gradient with respect to z (one-hot
labels are Y; the symbols are docs/learning.md's). Working
from logits lets each loss use the numerically stable form of softmax it needs.

A batch's logits are n rows of only k = 10 classes. NumPy reduces across such short
rows slowly (about 10 us for a max over 128 x 10), but quickly when each class is
one contiguous column (Fortran order, about 1.5 us), so the losses switch to that
layout first; the arithmetic is unchanged.
"""

from typing import Protocol

import numpy as np

from mlp.registry import by_name, lookup


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracting the row maximum keeps exp from overflowing."""
    z = np.asfortranarray(z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Loss(Protocol):
    name: str

    def __call__(self, z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]: ...


class CrossEntropy:
    """C = -mean_i log p_i[y_i];  dC/dz = (p - Y) / n."""

    name = "cross_entropy"

    def __call__(self, z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        n = z.shape[0]
        rows = np.arange(n)
        z = np.asfortranarray(z)
        # log p_y = z_y - max - log(sum(exp(z - max))), sharing one exp with p itself.
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1)
        value = (np.log(total) - shifted[rows, labels]).sum() / n
        grad = e / total[:, None]
        grad[rows, labels] -= 1
        grad /= n
        return float(value), grad


class MeanAbsoluteError:
    """C = mean over samples and classes of |p - Y|, with p = softmax(z) and one-hot Y.

    With one-hot targets every |p_j - Y_j| has a known sign: p_j for j != y, 1 - p_y
    for j = y. So each sample's mean over k classes is 2 (1 - p_y) / k, and through
    the softmax Jacobian dC/dz = (2 / k) p_y (p - Y) / n: the cross-entropy gradient
    scaled by 2 p_y / k, which is why MAE learns slowly from confident mistakes.

    It can also leave a whole digit c unlearned. Once p_c is near 0 everywhere, the
    digit's own images push z_c up with weight p_y = p_c, near 0, while every other
    image, already right (p_y near 1), pushes z_c down with weight near 1 times p_c: the
    pushes down win, and the network stays where it is.

    `floor` weights each sample by max(p_y, floor) instead of p_y: a confident mistake
    is pushed as hard as a sample at p_y = floor, and the others exactly as before.
    That is the gradient of a loss equal to MAE wherever p_y >= floor and continued
    below it, with the same value and slope at the floor, by 2 floor log(floor / p_y) / k:
        C_x(p_y) = 2 (1 - p_y) / k                            p_y >= floor
        C_x(p_y) = 2 (1 - floor + floor log(floor / p_y)) / k   p_y < floor
    The value returned is always the plain MAE, the figure runs are compared by.
    floor = 0 is MAE's own gradient.
    """

    name = "mae"

    def __init__(self, floor: float = 0.0) -> None:
        if not 0 <= floor < 1:
            raise ValueError(f"MAE gradient floor {floor} must be from 0 up to (not including) 1")
        self.floor = floor

    def __call__(self, z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        n, k = z.shape
        rows = np.arange(n)
        p = softmax(z)
        p_y = p[rows, labels]
        value = 2 * (n - p_y.sum()) / (k * n)
        weight = np.maximum(p_y, p.dtype.type(self.floor))
        grad = p
        grad[rows, labels] -= 1
        grad *= (2 / (k * n)) * weight[:, None]
        return float(value), grad


class Quadratic:
    """C = mean over samples of (1/2) ||p - Y||^2, with p = softmax(z) and one-hot Y: the
    quadratic cost Nielsen's book starts from (there on sigmoid outputs), LeCun et al.'s "MSE".

    With g = p - Y, dC/dp = g / n, and through the softmax Jacobian dp_j/dz_m = p_j (1[j = m] - p_m):
        dC/dz = p * (g - sum_j p_j g_j) / n
    Like MAE's, this gradient fades as p_y nears 0, so it too learns slowly from confident mistakes.
    """

    name = "quadratic"

    def __call__(self, z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        n = z.shape[0]
        p = softmax(z)
        g = p.copy()
        g[np.arange(n), labels] -= 1
        value = 0.5 * np.square(g).sum() / n
        grad = p * (g - (p * g).sum(axis=1, keepdims=True))
        grad /= n
        return float(value), grad


LOSSES = by_name(MeanAbsoluteError, CrossEntropy, Quadratic)


def make_loss(name: str, mae_floor: float = 0.0) -> Loss:
    """The loss called `name`; `mae_floor` is used by mae only (see MeanAbsoluteError)."""
    kind = lookup(LOSSES, name, "loss")
    return kind(mae_floor) if kind is MeanAbsoluteError else kind()
