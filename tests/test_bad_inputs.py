"""The catalogue of bad inputs: each stage command, fed one bad thing, must end in one line.

Every case runs the real stage (`python -m stages.NAME`) in a scratch workspace holding a
complete set of small, valid files, spoils one of them, and checks that the command
exits non-zero with a single line naming the culprit and what would be accepted, prints
no traceback, and leaves every file in the workspace exactly as it was.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from support.repos import run_stage, snapshot, update_params

from numpy_mlp_mnist.files import write_npz

Spoil = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    stage: str
    spoil: Spoil
    message: str  # must appear in the one line of stderr


def set_params(**changes: object) -> Spoil:
    return lambda root: update_params(root / "params.yaml", **changes)


def write_text(name: str, text: str) -> Spoil:
    return lambda root: (root / name).write_text(text)


def remove(name: str) -> Spoil:
    return lambda root: (root / name).unlink()


def folder_instead(name: str) -> Spoil:
    def spoil(root: Path) -> None:
        (root / name).unlink()
        (root / name).mkdir()

    return spoil


def save_array(name: str, array: np.ndarray) -> Spoil:
    def spoil(root: Path) -> None:
        with open(root / name, "wb") as file:
            np.save(file, array, allow_pickle=True)

    return spoil


def truncate(name: str) -> Spoil:
    return lambda root: (root / name).write_bytes((root / name).read_bytes()[:200])


def edit_model(**changes: np.ndarray | None) -> Spoil:
    """Rewrite models/model.npz with arrays replaced (or removed, for None)."""

    def spoil(root: Path) -> None:
        path = root / "models" / "model.npz"
        with np.load(path) as model:
            arrays = {name: model[name] for name in model.files}
        for name, value in changes.items():
            if value is None:
                del arrays[name]
            else:
                arrays[name] = value
        write_npz(path, arrays)

    return spoil


def write_npz_of(**arrays: np.ndarray) -> Spoil:
    """models/model.npz replaced by an archive of other arrays: another project's model."""
    return lambda root: write_npz(root / "models" / "model.npz", arrays)


class Payload:
    """Unpickling this runs code: it creates a marker file. It must never happen."""

    def __reduce__(self) -> tuple:
        return (os.mkdir, ("UNPICKLED",))


def pickled_model(root: Path) -> None:
    path = root / "models" / "model.npz"
    with np.load(path) as model:
        arrays = {name: model[name] for name in model.files}
    arrays["W1"] = np.array([Payload()], dtype=object)
    np.savez(path, **arrays)


PREPARED = "data/prepared"
CASES: dict[str, Case] = {
    # params.yaml
    "params: width 0": Case("train", set_params(hidden=0), "hidden: 0 is not allowed; expected a whole number from 1 to 65536, or a list of 1 to 8 of them, one per hidden layer"),
    "params: width as text": Case("train", set_params(hidden="wide"), "hidden: 'wide' is not a whole number; expected a whole number from 1 to 65536, or a list of 1 to 8 of them, one per hidden layer"),
    "params: fractional width": Case("train", set_params(hidden=30.5), "hidden: 30.5 is not a whole number; expected a whole number from 1 to 65536, or a list of 1 to 8 of them, one per hidden layer"),
    "params: no hidden layers": Case("train", set_params(hidden=[]), "hidden: [] has 0 layers; expected a whole number from 1 to 65536, or a list of 1 to 8 of them, one per hidden layer"),
    "params: a layer of width 0": Case("train", set_params(hidden=[64, 0]), "hidden: [64, 0]: layer 2: 0 is not allowed; expected a whole number from 1 to 65536, or a list of 1 to 8 of them, one per hidden layer"),
    "params: a fractional layer width": Case("train", set_params(hidden=[64, 32.5]), "hidden: [64, 32.5]: layer 2: 32.5 is not a whole number; expected a whole number from 1 to 65536, or a list"),
    "params: layer widths as text": Case("train", set_params(hidden="64,32"), "hidden: '64,32' is not a whole number; expected a whole number from 1 to 65536, or a list of 1 to 8 of them, one per hidden layer"),
    "params: too many layers": Case("train", set_params(hidden=[8] * 9), "hidden: [8, 8, 8, 8, 8, 8, 8, 8, 8] has 9 layers; expected a whole number from 1 to 65536, or a list of 1 to 8 of them"),
    "params: negative patience": Case("train", set_params(patience=-1), "patience: -1 is not allowed; expected a whole number from 0 to 10000"),
    "params: yes/no as a number": Case("train", set_params(epochs=True), "epochs: True is not a whole number; expected a whole number from 1 to 10000"),
    "params: negative learning rate": Case("train", set_params(lr=-0.1), "lr: -0.1 is not allowed; expected a number above 0 and at most 10"),
    "params: learning rate as 1e-3": Case("train", set_params(lr="1e-3"), "lr: '1e-3' is text, not a number (YAML reads 1e-3 as text; write 0.001 or 1.0e-3); expected a number above 0 and at most 10"),
    "params: unknown activation": Case("train", set_params(activation="softmax"), "activation: 'softmax' is not allowed; expected one of leaky_relu, relu, sigmoid, tanh"),
    "params: unknown loss": Case("evaluate", set_params(loss="hinge"), "loss: 'hinge' is not allowed; expected one of mae, cross_entropy, quadratic"),
    "params: unknown optimizer": Case("train", set_params(optimizer="rmsprop"), "optimizer: 'rmsprop' is not allowed; expected one of sgd, momentum, adam"),
    "params: zero epochs": Case("train", set_params(epochs=0), "epochs: 0 is not allowed; expected a whole number from 1 to 10000"),
    "params: leaky slope of 1.5": Case("train", set_params(leaky_slope=1.5), "leaky_slope: 1.5 is not allowed; expected a number from 0 up to (not including) 1"),
    "params: typo in a key": Case("train", set_params(hiden=64), "unknown key 'hiden'; did you mean 'hidden'?"),
    "params: unknown source": Case("fetch", set_params(source="kaggle"), "source: 'kaggle' is not allowed; expected one of pypi, openml, idx"),
    "params: mirror that is not a URL": Case("fetch", set_params(idx_mirrors=["ftp://example.invalid/"]), "idx_mirrors: ['ftp://example.invalid/'] is not allowed; expected a list of http:// or https:// base URLs, or [] for the public mirrors"),
    "params: missing file": Case("train", remove("params.yaml"), "params.yaml: file not found"),
    "params: unparseable YAML": Case("prepare", write_text("params.yaml", "seed: [0\n"), "params.yaml: not valid YAML at line 2"),
    "params: not a mapping": Case("prepare", write_text("params.yaml", "- seed\n"), "expected a mapping of keys to values, found list"),
    "params: a missing key": Case("train", write_text("params.yaml", "seed: 0\n"), "missing key 'hidden'; expected a whole number from 1 to 65536"),
    "params: batch larger than the data": Case("train", set_params(batch_size=5000), "batch_size: 5000 is larger than the 250 training images"),
    "params: validation set as large as the data": Case("prepare", set_params(val_size=300), "val_size: 300 leaves no training images"),
    # data files
    "data: raw images missing": Case("prepare", remove("data/raw/train_images.npy"), "data/raw/train_images.npy: file not found"),
    "data: raw images truncated": Case("prepare", truncate("data/raw/train_images.npy"), "data/raw/train_images.npy: not a readable .npy array"),
    "data: raw images of the wrong dtype": Case("prepare", save_array("data/raw/test_images.npy", np.zeros((100, 784), np.int16)), "data/raw/test_images.npy: dtype int16; expected uint8"),
    "data: labels outside 0-9": Case("prepare", save_array("data/raw/train_labels.npy", np.full(300, 10, np.uint8)), "data/raw/train_labels.npy: holds label 10; expected digits 0 to 9"),
    "data: fewer labels than images": Case("train", save_array(f"{PREPARED}/val_labels.npy", np.zeros(49, np.uint8)), "val_labels.npy: 49 labels for 50 images"),
    "data: NaN pixels": Case("train", save_array(f"{PREPARED}/train_images.npy", np.full((250, 784), np.nan, np.float32)), "train_images.npy: pixels range from nan to nan; expected finite values in [0, 1]"),
    "data: pixels out of range": Case("train", save_array(f"{PREPARED}/val_images.npy", np.full((50, 784), 255.0, np.float32)), "val_images.npy: pixels range from 255.0 to 255.0"),
    "data: validation narrower than train": Case("train", save_array(f"{PREPARED}/val_images.npy", np.zeros((50, 783), np.float32)), "val_images.npy: shape (50, 783); expected (n, 784)"),
    "data: test images of the wrong shape": Case("evaluate", save_array(f"{PREPARED}/test_images.npy", np.zeros((100, 28, 28), np.float32)), "test_images.npy: shape (100, 28, 28)"),
    "data: a folder in place of an array": Case("train", folder_instead(f"{PREPARED}/val_images.npy"), "val_images.npy: a folder, not a .npy array"),
    "data: a pickled array": Case("train", save_array(f"{PREPARED}/train_labels.npy", np.array([Payload()], dtype=object)), "train_labels.npy: holds Python objects, which are never loaded; expected plain numeric arrays"),
    # model files
    "model: missing": Case("evaluate", remove("models/model.npz"), "models/model.npz: file not found"),
    "model: not an archive": Case("evaluate", write_text("models/model.npz", "W1,b1\n"), "models/model.npz: not an .npz archive (a zip of .npy arrays)"),
    "model: a PNG image": Case("evaluate", write_text("models/model.npz", "\x89PNG\r\n\x1a\n"), "models/model.npz: not an .npz archive (a zip of .npy arrays)"),
    "model: a folder": Case("evaluate", folder_instead("models/model.npz"), "models/model.npz: a folder, not an .npz archive"),
    "model: W2 missing": Case("evaluate", edit_model(W2=None), "models/model.npz: no array 'W2'"),
    "model: W1 of the wrong shape": Case("evaluate", edit_model(W1=np.zeros((784, 12), np.float32)), "W1 has shape (784, 12); the model's hidden width 16 needs (784, 16)"),
    "model: width disagrees with its metadata": Case("evaluate", edit_model(hidden=np.array(64)), "W1 has shape (784, 16); the model's hidden width 64 needs (784, 64)"),
    "model: unknown activation": Case("evaluate", edit_model(activation=np.array("swish")), "models/model.npz: activation 'swish'; expected one of leaky_relu, relu, sigmoid, tanh"),
    "model: activation not a name": Case("evaluate", edit_model(activation=np.zeros(3)), "models/model.npz: activation is a float64 array of shape (3,), not a name; expected one of leaky_relu, relu, sigmoid, tanh"),
    "model: leaky slope out of range": Case("evaluate", edit_model(leaky_slope=np.array(5.0)), "models/model.npz: leaky_slope 5.0; expected a number from 0 to 1"),
    "model: NaN weights": Case("evaluate", edit_model(b2=np.full(10, np.nan, np.float32)), "b2 must be finite float32 or float64 numbers"),
    "model: pickled objects": Case("evaluate", pickled_model, "models/model.npz: holds Python objects, which are never loaded; expected plain numeric arrays"),
    # the export to ONNX
    "export: a damaged model": Case("export", truncate("models/model.npz"), "models/model.npz: not an .npz archive (a zip of .npy arrays)"),
    "export: a foreign model, other keys": Case("export", write_npz_of(weights=np.zeros((784, 10), np.float32)), "models/model.npz: no array 'activation'; expected W1, b1, ..., activation, leaky_slope, hidden"),
    "export: layers that do not chain": Case("export", edit_model(W2=np.zeros((15, 10), np.float32)), "models/model.npz: W2 has shape (15, 10); the model's hidden width 16 needs (16, 10)"),
    "export: float64 weights": Case("export", edit_model(W1=np.zeros((784, 16)), b1=np.zeros(16)), "models/model.npz: W1 and b1 are float64 and float64; expected float32, as the train stage writes"),
    "export: integer weights": Case("export", edit_model(W2=np.zeros((16, 10), np.int32)), "models/model.npz: W2 must be finite float32 or float64 numbers, found int32"),
    "export: no test accuracy": Case("export", write_text("metrics/test.json", "{}"), "metrics/test.json: no accuracy to record; run `dvc repro` to remake it"),
    "export: a folder where the ONNX model goes": Case("export", folder_instead("models/model.onnx"), "models/model.onnx: a folder is in the way; expected to write a file there"),
    "export: a sample digit missing": Case("export", remove("data/digits/four.jpg"), "data/digits/four.jpg: file not found"),
    # divergence
    "training: loss diverges": Case("train", set_params(lr=10.0, loss="cross_entropy", optimizer="momentum", momentum=0.99, lr_schedule="constant", epochs=50), "no model was written: try a lower learning rate than lr: 10.0"),
}  # fmt: skip


def test_the_catalogue_reaches_every_stage_that_reads_a_file() -> None:
    assert {case.stage for case in CASES.values()} == {"fetch", "prepare", "train", "evaluate", "export"}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_ends_in_one_line_and_changes_nothing(workspace: Path, name: str) -> None:
    case = CASES[name]
    case.spoil(workspace)
    before = snapshot(workspace)
    result = run_stage(workspace, case.stage)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert case.message in lines[0]
    assert snapshot(workspace) == before
    assert not (workspace / "UNPICKLED").exists()
