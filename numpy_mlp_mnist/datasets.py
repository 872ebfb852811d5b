"""Loading image and label arrays with every check a stage relies on."""

from pathlib import Path

import numpy as np

from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.files import read_npy
from numpy_mlp_mnist.layout import array_path

SIDE = 28
PIXELS = SIDE * SIDE
N_CLASSES = 10


def read_images(path: Path, dtype: type) -> np.ndarray:
    """An (n, 784) array of `dtype`; float pixels must be finite and within [0, 1]."""
    images = read_npy(path)
    if images.ndim != 2 or images.shape[1] != PIXELS or images.shape[0] == 0:
        raise UserError(
            f"{path}: shape {images.shape}; expected (n, {PIXELS}) with n >= 1 images of {SIDE}x{SIDE} pixels"
        )
    if images.dtype != dtype:
        raise UserError(f"{path}: dtype {images.dtype}; expected {np.dtype(dtype)}")
    if np.issubdtype(images.dtype, np.floating):
        # min and max are NaN if any pixel is, and then neither comparison holds.
        low, high = images.min(), images.max()
        if not (low >= 0 and high <= 1):
            raise UserError(f"{path}: pixels range from {low} to {high}; expected finite values in [0, 1]")
    return images


def read_labels(path: Path, n_images: int) -> np.ndarray:
    """A uint8 array of `n_images` digits 0-9."""
    labels = read_npy(path)
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise UserError(f"{path}: {labels.dtype} array of shape {labels.shape}; expected a 1-d uint8 array")
    if labels.shape[0] != n_images:
        raise UserError(
            f"{path}: {labels.shape[0]} labels for {n_images} images; expected one label per image"
        )
    if labels.max(initial=0) >= N_CLASSES:
        raise UserError(f"{path}: holds label {labels.max()}; expected digits 0 to 9")
    return labels


def read_split(directory: Path, split: str, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of `split` ("train", "val" or "test") from `directory`."""
    images = read_images(array_path(directory, f"{split}_images"), dtype)
    labels = read_labels(array_path(directory, f"{split}_labels"), images.shape[0])
    return images, labels
