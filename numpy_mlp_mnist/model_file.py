"""models/model.npz: the trained W1, b1, ..., WL, bL and what is needed to run them.

Plain arrays only: the activation's name is stored as a string array, the leaky slope
as a 0-d float array and the hidden widths as integers (a 0-d array for one hidden
layer, as every file written before depth existed has it; a list for more), so the
file loads with allow_pickle=False.
"""

import itertools
from pathlib import Path

import numpy as np

from mlp import ACTIVATIONS, MLP, make_activation
from numpy_mlp_mnist import layout
from numpy_mlp_mnist.datasets import N_CLASSES, PIXELS
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.files import read_npz, write_npz

SETTINGS = ("activation", "leaky_slope", "hidden")


def save_model(path: Path, model: MLP) -> None:
    widths = model.widths
    write_npz(
        path,
        {
            **model.parameters,
            "activation": np.array(model.activation.name),
            "leaky_slope": np.array(model.activation.slope, dtype=np.float64),
            "hidden": np.array(widths[0] if len(widths) == 1 else widths, dtype=np.int64),
        },
    )


def load_model(path: Path) -> MLP:
    """The network in `path`, after checking every array's presence, shape and values."""
    arrays = read_npz(path)
    missing = [name for name in SETTINGS if name not in arrays]
    if missing:
        raise UserError(f"{path}: no array {missing[0]!r}; expected W1, b1, ..., {', '.join(SETTINGS)}")
    activation = arrays["activation"]
    expected = f"expected one of {', '.join(ACTIVATIONS)}"
    if activation.dtype.kind != "U" or activation.ndim != 0:
        what = f"a {activation.dtype} array of shape {activation.shape}"
        raise UserError(f"{path}: activation is {what}, not a name; {expected}")
    if str(activation) not in ACTIVATIONS:
        raise UserError(f"{path}: activation {str(activation)!r}; {expected}")
    leaky_slope, hidden = arrays["leaky_slope"], arrays["hidden"]
    if leaky_slope.ndim != 0 or leaky_slope.dtype.kind != "f":
        raise UserError(
            f"{path}: leaky_slope is a {leaky_slope.dtype} array of shape {leaky_slope.shape}; "
            "expected a single number"
        )
    if hidden.ndim > 1 or hidden.size == 0 or hidden.dtype.kind not in "iu" or (hidden < 1).any():
        raise UserError(
            f"{path}: hidden is a {hidden.dtype} array of shape {hidden.shape}; "
            "expected a width of at least 1, or a list of them"
        )
    sizes = [PIXELS, *np.atleast_1d(hidden).tolist(), N_CLASSES]
    widths = f"width {sizes[1]} needs" if hidden.ndim == 0 else f"widths {sizes[1:-1]} need"
    weights, biases = [], []
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
        for name, shape in ((f"W{layer}", (fan_in, fan_out)), (f"b{layer}", (fan_out,))):
            if name not in arrays:
                raise UserError(f"{path}: no array {name!r}; the model's hidden {widths} it")
            array = arrays[name]
            if array.shape != shape:
                raise UserError(
                    f"{path}: {name} has shape {array.shape}; the model's hidden {widths} {shape}"
                )
            if array.dtype not in (np.float32, np.float64) or not np.isfinite(array).all():
                raise UserError(
                    f"{path}: {name} must be finite float32 or float64 numbers, found {array.dtype}"
                )
        weights.append(arrays[f"W{layer}"])
        biases.append(arrays[f"b{layer}"])
    slope = float(leaky_slope)
    if not 0 <= slope <= 1:
        raise UserError(f"{path}: leaky_slope {slope}; expected a number from 0 to 1")
    return MLP(weights, biases, make_activation(str(activation), slope))


def find_model(folder: Path) -> Path:
    """models/model.npz of the repository holding `folder`: the nearest one up with a dvc.yaml."""
    for candidate in (folder, *folder.parents):
        if (candidate / "dvc.yaml").is_file():
            return candidate / layout.MODEL_PATH
    raise UserError(
        f"{folder} is not inside the pipeline's repository (no dvc.yaml here or above); "
        "run the command inside it, or name a model with --model PATH"
    )
