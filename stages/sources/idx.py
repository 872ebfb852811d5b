"""MNIST from the four original IDX files: downloaded from mirrors, or read from a local folder.

IDX is a big-endian header (a magic number whose last byte is the number of
dimensions, then each dimension as uint32) followed by raw uint8 data.
"""

import gzip
import struct
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from numpy_mlp_mnist.datasets import PIXELS, SIDE
from numpy_mlp_mnist.errors import UserError
from stages.sources.download import Policy, download

# name in the canonical layout -> (file, md5 of the .gz as LeCun published it)
FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}
# Tried in order when params.yaml's idx_mirrors is [] (kept here so that `dvc exp show`
# has one short column for it, not a list of URLs).
PUBLIC_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801


def parse_idx(data: bytes, magic: int, origin: str) -> np.ndarray:
    """The uint8 array in IDX bytes `data`, whose header must start with `magic`."""
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise UserError(f"{origin}: {len(data)} bytes is too short for an IDX header")
    found = struct.unpack(">I", data[:4])[0]
    if found != magic:
        raise UserError(
            f"{origin}: magic number 0x{found:08x}, expected 0x{magic:08x}; not an MNIST IDX file"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    if len(data) - header != int(np.prod(shape)):
        raise UserError(
            f"{origin}: header promises {int(np.prod(shape))} bytes of data for shape {shape}, "
            f"found {len(data) - header}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_folder(folder: Path, names: dict[str, tuple[str, str]] = FILES) -> dict[str, np.ndarray]:
    """The four arrays from the .gz IDX files in `folder`."""
    arrays = {}
    for name, (file, _) in names.items():
        path = folder / file
        try:
            data = gzip.decompress(path.read_bytes())
        except FileNotFoundError:
            raise UserError(
                f"{path}: file not found; the folder must hold {', '.join(f for f, _ in names.values())}"
            ) from None
        except (OSError, EOFError, zlib.error) as error:
            raise UserError(f"{path}: not a readable gzip file ({error})") from None
        magic = IMAGES_MAGIC if name.endswith("images") else LABELS_MAGIC
        array = parse_idx(data, magic, str(path))
        if name.endswith("images"):
            if array.shape[1:] != (SIDE, SIDE):
                raise UserError(f"{path}: images of {array.shape[1:]} pixels, expected ({SIDE}, {SIDE})")
            array = array.reshape(len(array), PIXELS)
        arrays[name] = array
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if len(images) != len(labels):
            raise UserError(
                f"{folder}: {len(labels)} {split} labels for {len(images)} {split} images; "
                "the files do not belong together"
            )
    return arrays


def load(
    mirrors: Sequence[str], local_dir: str, policy: Policy, names: dict[str, tuple[str, str]] = FILES
) -> dict[str, np.ndarray]:
    """From `local_dir` if given, else downloaded from `mirrors` (each file's md5 checked)."""
    if local_dir:
        return read_folder(Path(local_dir), names)
    with tempfile.TemporaryDirectory(prefix="mnist-idx-") as directory:
        for file, md5 in names.values():
            download(file, mirrors, Path(directory) / file, md5, policy)
        return read_folder(Path(directory), names)
