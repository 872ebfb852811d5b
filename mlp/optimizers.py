"""Gradient-descent updates, applied in place to the flat parameter vector.

Every optimizer has one method, step(theta, gradient, lr), so the learning-rate
schedule stays outside and any optimizer can follow any schedule.
"""

from typing import Protocol

import numpy as np


class Optimizer(Protocol):
    name: str

    def step(self, theta: np.ndarray, gradient: np.ndarray, lr: float) -> None: ...


class SGD:
    """theta <- theta - lr g"""

    name = "sgd"

    def step(self, theta: np.ndarray, gradient: np.ndarray, lr: float) -> None:
        theta -= theta.dtype.type(lr) * gradient


class Momentum:
    """v <- mu v - lr g;  theta <- theta + v  (Polyak's heavy ball)."""

    name = "momentum"

    def __init__(self, momentum: float = 0.9) -> None:
        self.momentum = momentum
        self.velocity: np.ndarray | None = None

    def step(self, theta: np.ndarray, gradient: np.ndarray, lr: float) -> None:
        if self.velocity is None:
            self.velocity = np.zeros_like(theta)
        self.velocity *= theta.dtype.type(self.momentum)
        self.velocity -= theta.dtype.type(lr) * gradient
        theta += self.velocity


class Adam:
    """Kingma and Ba 2015, with bias-corrected first and second moments.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  theta <- theta - lr m_hat / (sqrt(v_hat) + eps)

    The bias corrections are folded into the step size and epsilon, as in section 2
    of the paper, so they cost nothing per element.
    """

    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m: np.ndarray | None = None
        self.v: np.ndarray | None = None

    def step(self, theta: np.ndarray, gradient: np.ndarray, lr: float) -> None:
        if self.m is None or self.v is None:
            self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        self.t += 1
        dtype = theta.dtype.type
        b1, b2 = self.beta1, self.beta2
        step_size = lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        eps_hat = self.eps * np.sqrt(1 - b2**self.t)
        self.m += dtype(1 - b1) * (gradient - self.m)
        self.v += dtype(1 - b2) * (gradient * gradient - self.v)
        theta -= dtype(step_size) * self.m / (np.sqrt(self.v) + dtype(eps_hat))


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
