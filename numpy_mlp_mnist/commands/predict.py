"""mlp-predict: the digit in each image, read by the trained network.

    mlp-predict IMAGE [IMAGE ...]        (or: python -m numpy_mlp_mnist.commands.predict IMAGE ...)

It uses the pipeline's model, models/model.npz of the repository it is run in (from
any folder inside it), or the one --model names. Each image gets one line: its
prediction, or what is wrong with it; the exit status is 2 if any image failed.

Each image is first put into MNIST's form (numpy_mlp_mnist/images.py).
"""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.images import read_image, to_mnist
from numpy_mlp_mnist.model_file import find_model, load_model
from numpy_mlp_mnist.programs import run_program


@dataclass(frozen=True)
class Prediction:
    image: Path
    digit: int
    probability: float


def predict(model_path: Path, images: list[Path]) -> list[Prediction | UserError]:
    """For each image, in order, its prediction or what is wrong with it."""
    model = load_model(model_path)
    errors: dict[int, UserError] = {}
    readable: dict[int, np.ndarray] = {}
    for index, path in enumerate(images):
        try:
            readable[index] = to_mnist(read_image(path), str(path))
        except UserError as error:
            errors[index] = error
    predictions = {}
    if readable:
        probabilities = model.predict_proba(np.stack(list(readable.values())).astype(model.weights[0].dtype))
        predictions = {
            index: Prediction(images[index], int(p.argmax()), float(p.max()))
            for index, p in zip(readable, probabilities, strict=True)
        }
    return [predictions[index] if index in predictions else errors[index] for index in range(len(images))]


def main() -> None:
    parser = argparse.ArgumentParser(prog="mlp-predict", description="Predict the digit in each image.")
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="PNG or JPEG files")
    parser.add_argument(
        "--model", type=Path, help="an .npz model file (default: models/model.npz of this repository)"
    )
    args = parser.parse_args()

    def work() -> None:
        results = predict(args.model or find_model(Path.cwd()), args.images)
        for result in results:
            if isinstance(result, UserError):
                print(f"error: {result}", file=sys.stderr)
            else:
                print(f"{result.image}: {result.digit} (probability {result.probability:.3f})")
        if any(isinstance(result, UserError) for result in results):
            raise SystemExit(2)

    run_program(work)


if __name__ == "__main__":
    main()
