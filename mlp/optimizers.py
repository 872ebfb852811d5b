"""Gradient-descent updates, applied in place to the flat parameter vector.

Every optimizer has one method, step(theta, gradient, lr), so the learning-rate
schedule stays outside and any optimizer can follow any schedule.
"""

import math
from typing import Protocol

import numpy as np

from mlp.registry import by_name, lookup

# The moments of a weight whose gradient is almost always zero (a pixel that is almost
# never inked) shrink by a constant factor each step and would end in subnormal
# numbers, on which x86 arithmetic is about 100x slower: a few hundred of them double
# the cost of an Adam step. So every FLUSH_EVERY steps, moments below FLUSH_BELOW, far
# too small to move a float32 weight, become exactly zero. In between, a moment
# shrinking by 0.9 a step (Adam's b1, the default momentum) or more slowly cannot get
# from FLUSH_BELOW down to the subnormal range (below 1.2e-38).
FLUSH_EVERY = 100
FLUSH_BELOW = 1e-30


def flush_negligible(moment: np.ndarray) -> None:
    np.copyto(moment, 0, where=np.abs(moment) < FLUSH_BELOW)


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
        self.t = 0
        self.velocity: np.ndarray | None = None

    def step(self, theta: np.ndarray, gradient: np.ndarray, lr: float) -> None:
        if self.velocity is None:
            self.velocity = np.zeros_like(theta)
        self.t += 1
        self.velocity *= theta.dtype.type(self.momentum)
        self.velocity -= theta.dtype.type(lr) * gradient
        theta += self.velocity
        if self.t % FLUSH_EVERY == 0:
            flush_negligible(self.velocity)


class Adam:
    """Kingma and Ba 2015, with bias-corrected first and second moments.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  theta <- theta - lr m_hat / (sqrt(v_hat) + eps)

    The bias corrections and the factors (1 - b) are folded into the step size and
    epsilon, as section 2 of the paper does for the former, so they cost nothing per
    element: the moments are kept as the discounted sums M = m / (1 - b1) and
    V = v / (1 - b2).
    """

    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.M: np.ndarray | None = None
        self.V: np.ndarray | None = None

    def step(self, theta: np.ndarray, gradient: np.ndarray, lr: float) -> None:
        if self.M is None or self.V is None:
            self.M, self.V = np.zeros_like(theta), np.zeros_like(theta)
        self.t += 1
        dtype = theta.dtype.type
        b1, b2 = self.beta1, self.beta2
        # m_hat / (sqrt(v_hat) + eps) = (1 - b1) / (1 - b1^t) * r * M / (sqrt(V) + r eps)
        r = math.sqrt((1 - b2**self.t) / (1 - b2))
        step_size = lr * (1 - b1) / (1 - b1**self.t) * r
        eps_V = self.eps * r
        # In place, with one temporary: each whole-vector pass over the 24,000 parameters
        # costs several microseconds, a fresh array for every intermediate more.
        self.M *= dtype(b1)
        self.M += gradient
        update = np.square(gradient)
        self.V *= dtype(b2)
        self.V += update
        np.sqrt(self.V, out=update)
        update += dtype(eps_V)
        np.divide(self.M, update, out=update)
        update *= dtype(step_size)
        theta -= update
        if self.t % FLUSH_EVERY == 0:
            flush_negligible(self.M)
            flush_negligible(self.V)


OPTIMIZERS = by_name(SGD, Momentum, Adam)


def make_optimizer(name: str, momentum: float = 0.9) -> Optimizer:
    """The optimizer called `name`; `momentum` is used by the momentum optimizer only."""
    kind = lookup(OPTIMIZERS, name, "optimizer")
    return kind(momentum) if kind is Momentum else kind()
