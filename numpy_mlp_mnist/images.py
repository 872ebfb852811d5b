"""Images of digits, put into the form MNIST's were made in: one implementation for
every way in (mlp-predict's files, mlp-draw's canvas).

Any PNG or JPEG of a single digit becomes greyscale, white digit on black (a
dark-on-light scan is inverted), the digit cropped, scaled into a 20x20 box and centred
by its centre of mass on a 28x28 canvas. An image already in that form is used as it is.
"""

import io
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from numpy_mlp_mnist.datasets import SIDE
from numpy_mlp_mnist.errors import UserError

BOX = 20  # MNIST scaled each digit to fit 20x20, then centred it on 28x28
MAX_BYTES = 20 * 2**20
MAX_PIXELS = 25_000_000  # e.g. 5000 x 5000; refused before any pixel is decoded
FORMATS = ("PNG", "JPEG")


class BlankImageError(UserError):
    """An image with no ink in it: well formed, but nothing to read (mlp-draw's 422)."""


def read_image(path: Path) -> np.ndarray:
    """The greyscale pixels of the PNG or JPEG file at `path`, as floats in [0, 1]."""
    if path.is_dir():
        raise UserError(f"{path}: a folder, not an image")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    if size > MAX_BYTES:
        raise UserError(f"{path}: {size} bytes is too large; expected an image of at most {MAX_BYTES} bytes")
    return decode_image(path.read_bytes(), str(path))


def decode_image(data: bytes, origin: str, side: tuple[int, int] = (1, 2**31)) -> np.ndarray:
    """The greyscale pixels of PNG or JPEG bytes, as floats in [0, 1]; both sides of the
    image must be within `side` (inclusive). The callers bound the bytes before they
    read them (read_image by the file's size, mlp-draw by the request's); the pixel
    count is checked here, before decoding."""
    if not data:
        raise UserError(f"{origin}: empty file; expected a PNG or JPEG image")
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 million pixels, which the check below refuses far sooner,
            # and of damaged files ("Invalid APNG"), which end below in one line or decode.
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                where = f"{origin}: {width}x{height} pixels"
                if width * height > MAX_PIXELS:
                    raise UserError(f"{where} is too large; expected at most {MAX_PIXELS} pixels")
                low, high = side
                if not (low <= width <= high and low <= height <= high):
                    raise UserError(f"{where}; expected {low} to {high} pixels a side")
                grey = np.asarray(image.convert("L"), dtype=np.float32) / 255
    except Image.DecompressionBombError as error:
        # Pillow refuses twice its own limit on opening, before the check above can see the size.
        pixels = re.search(r"\((\d+) pixels\)", str(error))
        size = f"{pixels[1]} pixels" if pixels else "the image"
        raise UserError(f"{origin}: {size} is too large; expected at most {MAX_PIXELS} pixels") from None
    except UnidentifiedImageError:
        raise UserError(
            f"{origin}: not a PNG or JPEG image, or a damaged one; expected a whole PNG or JPEG"
        ) from None
    except (OSError, ValueError) as error:
        # Pillow raises ValueError for some damaged chunks ("Truncated IHDR chunk"), OSError for others.
        raise UserError(f"{origin}: cannot be decoded ({error}); expected a PNG or JPEG image") from None
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
        raise BlankImageError(f"{origin}: no digit found (the image is blank)")
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    centred = np.subtract(centre_of_mass(ink), (SIDE - 1) / 2)
    if ink.shape == (SIDE, SIDE) and max(height, width) <= BOX and np.abs(centred).max() <= 1.5:
        return ink.reshape(-1)

    digit = Image.fromarray(
        np.round(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] * 255).astype(np.uint8)
    )
    scale = BOX / max(height, width)
    new_width, new_height = max(1, round(width * scale)), max(1, round(height * scale))
    # Across, then down, each pass rounded to 8 bits: stated so, because Pillow chooses the
    # order itself (from 13.0, down first for some shapes) and the passes' roundings differ.
    digit = digit.resize((new_width, height), Image.Resampling.LANCZOS)
    digit = digit.resize((new_width, new_height), Image.Resampling.LANCZOS)
    pixels = np.asarray(digit, dtype=np.float32) / 255
    canvas = np.zeros((SIDE, SIDE), dtype=np.float32)
    top = (SIDE - pixels.shape[0]) // 2
    left = (SIDE - pixels.shape[1]) // 2
    canvas[top : top + pixels.shape[0], left : left + pixels.shape[1]] = pixels
    # Move the centre of mass to the centre, as MNIST was made; the 20x20 box keeps it inside.
    dy, dx = np.round(np.subtract((SIDE - 1) / 2, centre_of_mass(canvas))).astype(int)
    canvas = np.roll(canvas, (dy, dx), axis=(0, 1))
    return canvas.reshape(-1)
