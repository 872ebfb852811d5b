"""Gradient-descent updates, applied in place to a list of parameter arrays.

Every optimizer has one method, step(params, grads, lr), so the learning-rate
schedule stays outside and any optimizer can follow any schedule.
"""

from typing import Protocol

import numpy as np


class Optimizer(Protocol):
    name: str

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None: ...


class SGD:
    """w <- w - lr g"""

    name = "sgd"

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        for w, g in zip(params, grads, strict=True):
            w -= w.dtype.type(lr) * g


class Momentum:
    """v <- mu v - lr g;  w <- w + v  (Polyak's heavy ball)."""

    name = "momentum"

    def __init__(self, momentum: float = 0.9) -> None:
        self.momentum = momentum
        self.velocities: list[np.ndarray] = []

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        if not self.velocities:
            self.velocities = [np.zeros_like(w) for w in params]
        for w, g, v in zip(params, grads, self.velocities, strict=True):
            v *= v.dtype.type(self.momentum)
            v -= v.dtype.type(lr) * g
            w += v


class Adam:
    """Kingma and Ba 2015, with bias-corrected first and second moments.

    The bias corrections are folded into the step size, as in section 2 of the paper,
    so each step costs one pass over m, one over v and one over w.
    """

    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.first: list[np.ndarray] = []
        self.second: list[np.ndarray] = []

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        if not self.first:
            self.first = [np.zeros_like(w) for w in params]
            self.second = [np.zeros_like(w) for w in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step_size = lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        eps_hat = self.eps * np.sqrt(1 - b2**self.t)
        for w, g, m, v in zip(params, grads, self.first, self.second, strict=True):
            dtype = w.dtype.type
            m *= dtype(b1)
            m += dtype(1 - b1) * g
            v *= dtype(b2)
            v += dtype(1 - b2) * (g * g)
            w -= dtype(step_size) * m / (np.sqrt(v) + dtype(eps_hat))


OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(name: str, momentum: float = 0.9) -> Optimizer:
    """The optimizer called `name`; `momentum` is used by the momentum optimizer only."""
    if name == "sgd":
        return SGD()
    if name == "momentum":
        return Momentum(momentum)
    if name == "adam":
        return Adam()
    raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
