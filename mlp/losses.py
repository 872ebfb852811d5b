"""Losses on a softmax output layer.

Each loss takes the output layer's logits z and the integer labels y of a batch and
returns the mean loss over the batch and its gradient with respect to z. Working
from logits lets each loss use the numerically stable form of softmax it needs.
"""

from typing import Protocol

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracting the row maximum keeps exp from overflowing."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log softmax: z - max - log(sum(exp(z - max)))."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def one_hot(labels: np.ndarray, n_classes: int, dtype: np.dtype) -> np.ndarray:
    encoded = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    encoded[np.arange(labels.shape[0]), labels] = 1
    return encoded


class Loss(Protocol):
    name: str

    def __call__(self, z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]: ...


class CrossEntropy:
    """L = -mean_i log p_i[y_i];  dL/dz = (p - Y) / n."""

    name = "cross_entropy"

    def __call__(self, z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        n = z.shape[0]
        rows = np.arange(n)
        value = -log_softmax(z)[rows, labels].mean()
        grad = softmax(z)
        grad[rows, labels] -= 1
        grad /= n
        return float(value), grad


class MeanAbsoluteError:
    """L = mean over samples and classes of |p - Y|, with p = softmax(z).

    dL/dp = sign(p - Y) / (n k); the softmax Jacobian then gives
    dL/dz = p * (dL/dp - sum_j p_j dL/dp_j).
    """

    name = "mae"

    def __call__(self, z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        n, k = z.shape
        p = softmax(z)
        diff = p - one_hot(labels, k, p.dtype)
        value = np.abs(diff).mean()
        grad_p = np.sign(diff) / (n * k)
        grad = p * (grad_p - (p * grad_p).sum(axis=1, keepdims=True))
        return float(value), grad


LOSSES = ("mae", "cross_entropy")


def make_loss(name: str) -> Loss:
    if name == "mae":
        return MeanAbsoluteError()
    if name == "cross_entropy":
        return CrossEntropy()
    raise ValueError(f"unknown loss {name!r}; expected one of {', '.join(LOSSES)}")
