"""models/model.npz: the trained W1, b1, W2, b2 and what is needed to run them.

Plain arrays only: the activation's name is stored as a string array and the leaky
slope as a 0-d float array, so the file loads with allow_pickle=False.
"""

from pathlib import Path

import numpy as np

from mlp import ACTIVATIONS, MLP, make_activation
from stages import layout
from stages.cli import StageError
from stages.datasets import N_CLASSES, PIXELS
from stages.files import read_npz, write_npz

WEIGHTS = ("W1", "b1", "W2", "b2")
FIELDS = (*WEIGHTS, "activation", "leaky_slope", "hidden")


def save_model(path: Path, model: MLP) -> None:
    write_npz(
        path,
        {
            "W1": model.W1,
            "b1": model.b1,
            "W2": model.W2,
            "b2": model.b2,
            "activation": np.array(model.activation.name),
            "leaky_slope": np.array(getattr(model.activation, "slope", 0.0), dtype=np.float64),
            "hidden": np.array(model.W1.shape[1], dtype=np.int64),
        },
    )


def load_model(path: Path) -> MLP:
    """The network in `path`, after checking every array's presence, shape and values."""
    arrays = read_npz(path)
    missing = [name for name in FIELDS if name not in arrays]
    if missing:
        raise StageError(f"{path}: no array {missing[0]!r}; expected {', '.join(FIELDS)}")
    activation = arrays["activation"]
    expected = f"expected one of {', '.join(ACTIVATIONS)}"
    if activation.dtype.kind != "U" or activation.ndim != 0:
        what = f"a {activation.dtype} array of shape {activation.shape}"
        raise StageError(f"{path}: activation is {what}, not a name; {expected}")
    if str(activation) not in ACTIVATIONS:
        raise StageError(f"{path}: activation {str(activation)!r}; {expected}")
    for name, kinds in (("hidden", "iu"), ("leaky_slope", "f")):
        if arrays[name].ndim != 0 or arrays[name].dtype.kind not in kinds:
            raise StageError(
                f"{path}: {name} is a {arrays[name].dtype} array of shape {arrays[name].shape}; "
                "expected a single number"
            )
    hidden = int(arrays["hidden"])
    expected = {"W1": (PIXELS, hidden), "b1": (hidden,), "W2": (hidden, N_CLASSES), "b2": (N_CLASSES,)}
    for name, shape in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise StageError(
                f"{path}: {name} has shape {array.shape}; the model's hidden width {hidden} needs {shape}"
            )
        if array.dtype not in (np.float32, np.float64) or not np.isfinite(array).all():
            raise StageError(f"{path}: {name} must be finite float32 or float64 numbers, found {array.dtype}")
    slope = float(arrays["leaky_slope"])
    if not 0 <= slope <= 1:
        raise StageError(f"{path}: leaky_slope {slope}; expected a number from 0 to 1")
    return MLP(*(arrays[name] for name in WEIGHTS), make_activation(str(activation), slope))


def find_model(folder: Path) -> Path:
    """models/model.npz of the repository holding `folder`: the nearest one up with a dvc.yaml."""
    for candidate in (folder, *folder.parents):
        if (candidate / "dvc.yaml").is_file():
            return candidate / layout.MODEL_PATH
    raise StageError(
        f"{folder} is not inside the pipeline's repository (no dvc.yaml here or above); "
        "run the command inside it, or name a model with --model PATH"
    )
