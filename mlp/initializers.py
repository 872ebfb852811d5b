"""Weight initialisation that keeps signal variance steady through a layer.

He (Kaiming) suits the ReLU family, which zeroes half its inputs; Xavier (Glorot)
suits the symmetric sigmoid and tanh. Biases start at zero. Every initialiser is called
alike, with the activation's leaky slope, which only He's formula uses. `zeros` is there to
be seen failing: every hidden unit starts the same, gets the same gradient, and stays the
same (the labs' symmetry lab).
"""

from collections.abc import Callable

import numpy as np

from mlp.activations import Activation, LeakyReLU

Initializer = Callable[[int, int, np.random.Generator, float], np.ndarray]


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator, slope: float) -> np.ndarray:
    """N(0, 2 / ((1 + slope^2) fan_in)): He et al. 2015, eq. 15."""
    std = np.sqrt(2.0 / ((1.0 + slope**2) * fan_in))
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def xavier_normal(fan_in: int, fan_out: int, rng: np.random.Generator, slope: float) -> np.ndarray:
    """N(0, 2 / (fan_in + fan_out)): Glorot and Bengio 2010, for a symmetric activation
    (so the slope plays no part)."""
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def zeros(fan_in: int, fan_out: int, rng: np.random.Generator, slope: float) -> np.ndarray:
    """All weights 0: symmetric, so no hidden unit can become different from another."""
    return np.zeros((fan_in, fan_out))


INITIALIZERS: dict[str, Initializer] = {"he": he_normal, "xavier": xavier_normal, "zeros": zeros}
# What params.yaml's `init` takes: a scheme by name, or "auto", the one that suits the activation.
INIT_CHOICES = ("auto", *INITIALIZERS)


def initializer_for(activation: Activation, init: str) -> Initializer:
    """The scheme `init` names, or for "auto" the one suited to `activation`."""
    if init not in INIT_CHOICES:
        raise ValueError(f"unknown init {init!r}; expected one of {', '.join(INIT_CHOICES)}")
    if init == "auto":
        return he_normal if isinstance(activation, LeakyReLU) else xavier_normal
    return INITIALIZERS[init]
