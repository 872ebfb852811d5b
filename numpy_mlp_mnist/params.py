"""params.yaml: read safely, checked in full, before any stage does any work.

Every key is top level: `dvc exp run -S KEY=VALUE` reaches nested keys too, as a dotted
path, but flat keys are what `dvc params diff` and `dvc exp show` print as bare names,
and what a reader types without knowing a hierarchy.
"""

from dataclasses import dataclass, fields
from pathlib import Path

from mlp import ACTIVATIONS, INIT_CHOICES, LOSSES, OPTIMIZERS, SCHEDULES
from numpy_mlp_mnist import kernels
from numpy_mlp_mnist.data_params import DATA_RULES, MNIST_TRAIN_SIZE, DataParams
from numpy_mlp_mnist.rules import (
    Rule,
    check_known,
    checked_keys,
    choice,
    number,
    read_mapping,
    whole,
    widths,
)


@dataclass(frozen=True)
class Params(DataParams):
    """Every key: the data's (DataParams) and the network's and its training's."""

    hidden: int | list[int]
    lr: float
    loss: str
    mae_floor: float
    activation: str
    epochs: int
    patience: int
    batch_size: int
    optimizer: str
    weight_decay: float
    augment_shift: int
    lr_schedule: str
    init: str
    init_scale: float
    leaky_slope: float
    momentum: float
    threads: int
    kernels: str


# In params.yaml's order, which the messages list keys in.
RULES: dict[str, Rule] = {
    "hidden": widths(65_536, 8),
    "lr": number(lambda v: 0 < v <= 10, "a number above 0 and at most 10"),
    "loss": choice(LOSSES),
    "mae_floor": number(lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "activation": choice(ACTIVATIONS),
    "epochs": whole(1, 10_000),
    "patience": whole(0, 10_000),
    "batch_size": whole(1, MNIST_TRAIN_SIZE),
    "optimizer": choice(OPTIMIZERS),
    "weight_decay": number(lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "augment_shift": whole(0, 4),
    "lr_schedule": choice(SCHEDULES),
    "seed": DATA_RULES["seed"],
    "init": choice(INIT_CHOICES),
    "init_scale": number(lambda v: 0 < v <= 1000, "a number above 0 and at most 1000"),
    "leaky_slope": number(lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "momentum": number(lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "threads": whole(1, 256),
    "kernels": choice(kernels.CHOICES),
    **{key: rule for key, rule in DATA_RULES.items() if key != "seed"},
}
assert set(RULES) == {field.name for field in fields(Params)}


def load_params(path: Path = Path("params.yaml")) -> Params:
    """The checked contents of `path`; any problem is a UserError naming the key."""
    document = read_mapping(path)
    for key in document:
        check_known(key, RULES, str(path))
    return Params(**checked_keys(document, RULES, path))
