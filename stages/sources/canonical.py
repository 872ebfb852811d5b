"""The canonical MNIST arrays, known by their hashes, so no source can slip in other data."""

import hashlib
from dataclasses import dataclass

import numpy as np

from numpy_mlp_mnist.errors import UserError


@dataclass(frozen=True)
class Expected:
    shape: tuple[int, ...]
    sha256: str


# sha256 of arr.tobytes() for C-contiguous uint8 arrays in the original IDX order.
CANONICAL: dict[str, Expected] = {
    "train_images": Expected(
        (60000, 784), "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757"
    ),
    "train_labels": Expected((60000,), "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13"),
    "test_images": Expected((10000, 784), "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"),
    "test_labels": Expected((10000,), "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"),
}


def array_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def verify(arrays: dict[str, np.ndarray], origin: str, expected: dict[str, Expected] = CANONICAL) -> None:
    """Raise a UserError unless `arrays` are exactly the `expected` arrays."""
    for name, want in expected.items():
        array = arrays.get(name)
        if array is None:
            raise UserError(f"{origin}: no {name} found")
        if array.dtype != np.uint8 or array.shape != want.shape:
            raise UserError(f"{origin}: {name} is {array.dtype} {array.shape}, expected uint8 {want.shape}")
        if array_sha256(array) != want.sha256:
            raise UserError(
                f"{origin}: {name} differs from canonical MNIST (sha256 mismatch); "
                "the download is corrupt or not MNIST: try again or choose another source"
            )
