"""Data augmentation: new training images from old ones, drawn afresh for every batch."""

import numpy as np


def random_shift(images: np.ndarray, rng: np.random.Generator, max_shift: int, side: int) -> np.ndarray:
    """The batch of side x side images (one per row) moved by a random offset in [-max_shift, max_shift]^2.

    A digit shifted by a pixel is still the same digit, so the network learns shapes
    rather than positions. The whole batch moves together, which costs one slice copy
    instead of a gather per image; batches are reshuffled every epoch, so each image
    still meets a fresh offset each time it is seen. Pixels moved in from outside the
    frame are background (zero).
    """
    n = images.shape[0]
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
    source = images.reshape(n, side, side)
    shifted = np.zeros_like(source)
    shifted[:, max(dy, 0) : side + min(dy, 0), max(dx, 0) : side + min(dx, 0)] = source[
        :, max(-dy, 0) : side + min(-dy, 0), max(-dx, 0) : side + min(-dx, 0)
    ]
    return shifted.reshape(n, side * side)
