"""Data augmentation: new training images from old ones, drawn afresh for every batch."""

import numpy as np


def random_shift(images: np.ndarray, rng: np.random.Generator, max_shift: int, side: int) -> np.ndarray:
    """Each row (a side x side image) moved by its own random offset in [-max_shift, max_shift]^2.

    Pixels moved in from outside the frame are zero (background). A digit shifted
    by a pixel or two is still the same digit, so the network learns shapes rather
    than positions.
    """
    n = images.shape[0]
    s = max_shift
    padded = np.pad(images.reshape(n, side, side), ((0, 0), (s, s), (s, s)))
    top, left = rng.integers(0, 2 * s + 1, size=(2, n))
    rows = top[:, None] + np.arange(side)
    cols = left[:, None] + np.arange(side)
    shifted = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return shifted.reshape(n, side * side)
