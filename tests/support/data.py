"""Small, fake MNIST that a network can learn, and the files the stages read it from."""

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np

from numpy_mlp_mnist import layout
from stages.sources import canonical, idx


def synthetic_mnist(n_train: int = 300, n_test: int = 100, seed: int = 0) -> dict[str, np.ndarray]:
    """uint8 digits whose class is written in a block of bright pixels, so a network can learn it."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 784)).astype(np.uint8)
        for digit in range(10):
            images[labels == digit, digit * 70 : digit * 70 + 70] = 255
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
    return arrays


def expected_hashes(arrays: dict[str, np.ndarray]) -> dict[str, canonical.Expected]:
    return {name: canonical.Expected(a.shape, canonical.array_sha256(a)) for name, a in arrays.items()}


def write_raw(directory: Path, arrays: dict[str, np.ndarray]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(layout.array_path(directory, name), array)


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    shape = (len(array), 28, 28) if magic == idx.IMAGES_MAGIC else (len(array),)
    return struct.pack(f">I{len(shape)}I", magic, *shape) + array.astype(np.uint8).tobytes()


def idx_files(arrays: dict[str, np.ndarray]) -> tuple[dict[str, bytes], dict[str, tuple[str, str]]]:
    """Gzipped IDX files of `arrays`, and the names table (file, md5) that describes them."""
    files, names = {}, {}
    for name, (file, _) in idx.FILES.items():
        magic = idx.IMAGES_MAGIC if name.endswith("images") else idx.LABELS_MAGIC
        data = gzip.compress(idx_bytes(arrays[name], magic), mtime=0)
        files[f"mnist/{file}"] = data
        names[name] = (file, hashlib.md5(data).hexdigest())
    return files, names
