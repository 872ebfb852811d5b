"""Stage 5, export: the trained network as models/model.onnx, for any runtime that reads
ONNX, and models/onnx_test_vectors.json to check a port of the preprocessing against.

The ONNX model carries, as metadata, what a reader needs without this repository: the
input and output contracts (numpy_mlp_mnist/onnx_export.py), the params it was trained
with and its test accuracy. Nothing in it changes with the time, the folder or the
commit, so its bytes, and DVC's hash, depend on the network alone. The test vectors are
the sample digits (data/digits/), each as the 784 numbers the network receives and the
10 probabilities the NumPy engine gives; the values are float32, written to 9 significant
digits, which is enough to give back the same float32 exactly.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from numpy_mlp_mnist import layout
from numpy_mlp_mnist.data_params import MNIST_TRAIN_SIZE
from numpy_mlp_mnist.datasets import PIXELS, SIDE
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.files import replaced_on_success
from numpy_mlp_mnist.images import read_image, to_mnist
from numpy_mlp_mnist.model_file import load_model
from numpy_mlp_mnist.onnx_export import OPSET, not_float32, to_onnx
from numpy_mlp_mnist.params import Params, load_params
from numpy_mlp_mnist.programs import run_stage

# The params that decide the trained network, which the model records.
TRAINING_KEYS = (
    "hidden", "activation", "leaky_slope", "init", "init_scale", "loss", "mae_floor", "optimizer", "lr",
    "lr_schedule", "momentum", "weight_decay", "augment_shift", "epochs", "patience", "batch_size", "seed",
    "val_size",
)  # fmt: skip


@dataclass(frozen=True)
class Outputs:
    onnx: Path = layout.ONNX_PATH
    test_vectors: Path = layout.TEST_VECTORS_PATH


def test_accuracy_in(metrics_path: Path) -> float:
    try:
        metrics = json.loads(metrics_path.read_text())
        accuracy = metrics["accuracy"]
    except (OSError, ValueError, TypeError, KeyError):
        raise UserError(f"{metrics_path}: no accuracy to record; run `dvc repro` to remake it") from None
    if isinstance(accuracy, bool) or not isinstance(accuracy, int | float) or not 0 <= accuracy <= 1:
        raise UserError(f"{metrics_path}: accuracy {accuracy!r}; expected a number from 0 to 1")
    return accuracy


def as_float32_text(values: np.ndarray) -> list[float]:
    return [float(f"{value:.9g}") for value in values.astype(np.float32)]


def test_vectors_json(samples: list[Path], pixels: np.ndarray, probabilities: np.ndarray) -> str:
    """The vectors as JSON, each image's pixels as 28 rows of 28 numbers, one row a line,
    so that the digit shows in the file."""
    images = []
    for path, x, p in zip(samples, pixels, probabilities, strict=True):
        rows = ",\n".join(f"        {json.dumps(as_float32_text(row))}" for row in x.reshape(SIDE, SIDE))
        images.append(
            f'    {{\n      "image": {json.dumps(str(path))},\n      "digit": {int(p.argmax())},\n'
            f'      "pixels": [\n{rows}\n      ],\n'
            f'      "probabilities": {json.dumps(as_float32_text(p))}\n    }}'
        )
    about = (
        f"each image as the {PIXELS} float32 numbers that the model's input `pixels` takes, here as "
        f"{SIDE} rows of {SIDE} (the input is the rows one after another, from the top), and the "
        "probabilities of the digits 0 to 9 that the model gives"
    )
    return f'{{\n  "about": {json.dumps(about)},\n  "images": [\n' + ",\n".join(images) + "\n  ]\n}\n"


def export(
    params: Params, model_path: Path, metrics_path: Path, samples: list[Path], outputs: Outputs
) -> None:
    model = load_model(model_path)
    if problem := not_float32(model):
        raise UserError(f"{model_path}: {problem}")
    metadata = {
        "params": json.dumps({key: asdict(params)[key] for key in TRAINING_KEYS}),
        "test_accuracy": str(test_accuracy_in(metrics_path)),
        "dataset": "MNIST (Yann LeCun, Corinna Cortes, Christopher J.C. Burges; CC BY-SA 3.0): "
        f"{MNIST_TRAIN_SIZE - params.val_size} of its training images, "
        f"{params.val_size} held out for validation",
    }
    onnx_model = to_onnx(model, metadata)
    pixels = np.stack([to_mnist(read_image(path), str(path)) for path in samples]).astype(np.float32)
    probabilities = model.predict_proba(pixels)
    with replaced_on_success(outputs.onnx, outputs.test_vectors) as (onnx_tmp, vectors_tmp):
        onnx_tmp.write_bytes(onnx_model.SerializeToString())
        vectors_tmp.write_text(test_vectors_json(samples, pixels, probabilities))
    print(
        f"export: {outputs.onnx} (ONNX opset {OPSET}, {outputs.onnx.stat().st_size:,} bytes), "
        f"{len(samples)} test vectors in {outputs.test_vectors}"
    )


def main() -> None:
    run_stage(
        lambda: export(
            load_params(), layout.MODEL_PATH, layout.METRICS_PATH, list(layout.SAMPLE_DIGITS), Outputs()
        )
    )


if __name__ == "__main__":
    main()
