"""Predict the digit in each image with the trained network.

    mlp-predict IMAGE [IMAGE ...]        (or: python -m stages.predict IMAGE ...)

It uses the pipeline's model, models/model.npz of the repository it is run in (from
any folder inside it), or the one --model names. Each image gets one line: its
prediction, or what is wrong with it; the exit status is 2 if any image failed.

Any PNG or JPEG of a single digit is first put into MNIST's form: greyscale, white
digit on black, the digit scaled into a 20x20 box and centred by its centre of mass
on a 28x28 canvas. An image that is already in that form is used as it is.
"""

import argparse
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from stages import layout
from stages.cli import StageError, run_stage
from stages.datasets import SIDE
from stages.model_file import load_model

BOX = 20  # MNIST scaled each digit to fit 20x20, then centred it on 28x28
MAX_BYTES = 20 * 2**20
MAX_PIXELS = 25_000_000  # e.g. 5000 x 5000; refused before any pixel is decoded
FORMATS = ("PNG", "JPEG")


def read_image(path: Path) -> np.ndarray:
    """The greyscale pixels of the PNG or JPEG at `path`, as floats in [0, 1]."""
    if path.is_dir():
        raise StageError(f"{path}: a folder, not an image")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise StageError(f"{path}: file not found") from None
    if size == 0:
        raise StageError(f"{path}: empty file; expected a PNG or JPEG image")
    if size > MAX_BYTES:
        raise StageError(f"{path}: {size} bytes is too large; expected an image of at most {MAX_BYTES} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise StageError(
                        f"{path}: {width}x{height} pixels is too large; expected at most {MAX_PIXELS} pixels"
                    )
                grey = np.asarray(image.convert("L"), dtype=np.float32) / 255
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise StageError(f"{path}: not a PNG or JPEG image (or a damaged one)") from None
    except OSError as error:
        raise StageError(f"{path}: cannot be decoded ({error}); expected a PNG or JPEG image") from None
    return grey


def centre_of_mass(pixels: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(pixels.shape)
    total = pixels.sum()
    return float((rows * pixels).sum() / total), float((cols * pixels).sum() / total)


def to_mnist(grey: np.ndarray, origin: str) -> np.ndarray:
    """`grey` as a 784-vector in MNIST's form (see the module docstring)."""
    paper = float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
    # MNIST is white on black, so dark-on-light is inverted, paper level and all.
    ink, background = (1 - grey, 1 - paper) if paper > 0.5 else (grey, paper)
    # Paper is rarely pure white: measure ink from the background's level, not from 0.
    ink = np.clip((ink - background) / max(1 - background, 1e-6), 0, 1)
    rows = np.flatnonzero(ink.max(axis=1) > 0.2)
    cols = np.flatnonzero(ink.max(axis=0) > 0.2)
    if rows.size == 0:
        raise StageError(f"{origin}: no digit found (the image is blank)")
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    centred = np.subtract(centre_of_mass(ink), (SIDE - 1) / 2)
    if ink.shape == (SIDE, SIDE) and max(height, width) <= BOX and np.abs(centred).max() <= 1.5:
        return ink.reshape(-1)

    digit = Image.fromarray(
        np.round(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] * 255).astype(np.uint8)
    )
    scale = BOX / max(height, width)
    digit = digit.resize(
        (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS
    )
    pixels = np.asarray(digit, dtype=np.float32) / 255
    canvas = np.zeros((SIDE, SIDE), dtype=np.float32)
    top = (SIDE - pixels.shape[0]) // 2
    left = (SIDE - pixels.shape[1]) // 2
    canvas[top : top + pixels.shape[0], left : left + pixels.shape[1]] = pixels
    # Move the centre of mass to the centre, as MNIST was made; the 20x20 box keeps it inside.
    dy, dx = np.round(np.subtract((SIDE - 1) / 2, centre_of_mass(canvas))).astype(int)
    canvas = np.roll(canvas, (dy, dx), axis=(0, 1))
    return canvas.reshape(-1)


def find_model(folder: Path) -> Path:
    """models/model.npz of the repository holding `folder`: the nearest one up with a dvc.yaml."""
    for candidate in (folder, *folder.parents):
        if (candidate / "dvc.yaml").is_file():
            return candidate / layout.MODEL_PATH
    raise StageError(
        f"{folder} is not inside the pipeline's repository (no dvc.yaml here or above); "
        "run mlp-predict inside it, or name a model with --model PATH"
    )


@dataclass(frozen=True)
class Prediction:
    image: Path
    digit: int
    probability: float


def predict(model_path: Path, images: list[Path]) -> list[Prediction | StageError]:
    """For each image, in order, its prediction or what is wrong with it."""
    model = load_model(model_path)
    errors: dict[int, StageError] = {}
    readable: dict[int, np.ndarray] = {}
    for index, path in enumerate(images):
        try:
            readable[index] = to_mnist(read_image(path), str(path))
        except StageError as error:
            errors[index] = error
    predictions = {}
    if readable:
        probabilities = model.predict_proba(np.stack(list(readable.values())).astype(model.W1.dtype))
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
            if isinstance(result, StageError):
                print(f"error: {result}", file=sys.stderr)
            else:
                print(f"{result.image}: {result.digit} (probability {result.probability:.3f})")
        if any(isinstance(result, StageError) for result in results):
            raise SystemExit(2)

    run_stage(work)


if __name__ == "__main__":
    main()
