"""Weight initialisation that keeps signal variance steady through a layer.

He (Kaiming) suits the ReLU family, which zeroes half its inputs; Xavier (Glorot)
suits the symmetric sigmoid and tanh. Biases start at zero.
"""

import numpy as np

INITIALIZERS = ("auto", "he", "xavier")


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator, leaky_slope: float) -> np.ndarray:
    """N(0, 2 / ((1 + slope^2) fan_in)): He et al. 2015, eq. 15."""
    std = np.sqrt(2.0 / ((1.0 + leaky_slope**2) * fan_in))
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def xavier_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """N(0, 2 / (fan_in + fan_out)): Glorot and Bengio 2010."""
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def scheme_for(activation: str, init: str) -> str:
    """The scheme `init` names, or for "auto" the one suited to `activation`."""
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}; expected one of {', '.join(INITIALIZERS)}")
    if init != "auto":
        return init
    return "he" if activation in ("relu", "leaky_relu") else "xavier"
