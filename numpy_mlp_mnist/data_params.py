"""The keys of params.yaml that fetch and prepare read: where MNIST comes from and how
its training images are split.

Kept apart from the network's keys (params.py), whose rules need the engine's names, so
that fetch and prepare import nothing of the engine: dvc.yaml lists the code each stage
imports, and an edit of the engine must not download or split MNIST again. The check
stage checks these keys with all the others, and unknown ones, before any work.
"""

from dataclasses import dataclass, fields
from pathlib import Path

from numpy_mlp_mnist.rules import Rule, checked_keys, choice, number, read_mapping, url_list, whole

SOURCES = ("pypi", "openml", "idx")
MNIST_TRAIN_SIZE = 60_000


@dataclass(frozen=True)
class DataParams:
    seed: int
    val_size: int
    source: str
    idx_mirrors: list
    idx_dir: str
    download_timeout: float
    download_attempts: int


DATA_RULES: dict[str, Rule] = {
    "seed": whole(0, 2**32 - 1),
    "val_size": whole(1, MNIST_TRAIN_SIZE - 1),
    "source": choice(SOURCES),
    "idx_mirrors": url_list(),
    "idx_dir": Rule(str, lambda value: True, "a folder path, or '' to download"),
    "download_timeout": number(lambda v: 0 < v <= 600, "a number of seconds above 0 and at most 600"),
    "download_attempts": whole(1, 10),
}
assert list(DATA_RULES) == [field.name for field in fields(DataParams)]


def load_data_params(path: Path = Path("params.yaml")) -> DataParams:
    """These keys of `path`, checked; any problem is a UserError naming the key."""
    return DataParams(**checked_keys(read_mapping(path), DATA_RULES, path))
