"""Pictures for learners: the learned first-layer filters and the test digits the network got wrong."""

import base64
import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from numpy_mlp_mnist.datasets import SIDE


def _grid(tiles: list[Image.Image], columns: int, gap: int = 2, background: int = 128) -> Image.Image:
    width, height = tiles[0].size
    rows = math.ceil(len(tiles) / columns)
    size = (columns * (width + gap) + gap, rows * (height + gap) + gap)
    # A grey level: for colour tiles, the same level in each channel (a bare 200 would be dark red).
    sheet = Image.new(tiles[0].mode, size, background if tiles[0].mode == "L" else (background,) * 3)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        sheet.paste(tile, (gap + column * (width + gap), gap + row * (height + gap)))
    return sheet


def unit_picture(weights: np.ndarray, scale: int = 3) -> Image.Image:
    """One hidden unit's 784 input weights as a 28x28 tile: mid-grey is 0, white positive,
    black negative, scaled by the unit's own largest absolute weight so its pattern shows."""
    limit = float(np.abs(weights).max()) or 1.0
    pixels = np.round(127.5 + 127.5 * weights / limit).astype(np.uint8).reshape(SIDE, SIDE)
    return Image.fromarray(pixels, "L").resize((SIDE * scale, SIDE * scale), Image.Resampling.NEAREST)


def unit_picture_urls(W1: np.ndarray) -> list[str]:
    """Each first-layer unit's picture (unit_picture, twice the size) as a PNG data URL:
    what mlp-draw's page and the static site light up as the network reads."""
    urls = []
    for weights in W1.T:
        buffer = io.BytesIO()
        unit_picture(weights, scale=2).save(buffer, format="PNG")
        urls.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
    return urls


def weights_image(W1: np.ndarray, scale: int = 3, max_units: int = 256) -> Image.Image:
    """Every hidden unit's picture (unit_picture), ten to a row: the strokes each unit looks for."""
    tiles = [unit_picture(unit, scale) for unit in W1.T[:max_units]]
    return _grid(tiles, columns=min(10, len(tiles)))


def misclassified_image(
    images: np.ndarray, labels: np.ndarray, predicted: np.ndarray, limit: int = 40, scale: int = 3
) -> Image.Image:
    """Up to `limit` test digits the network got wrong, each captioned "true -> predicted"."""
    wrong = np.flatnonzero(predicted != labels)[:limit]
    font = ImageFont.load_default()
    tiles = []
    for index in wrong:
        digit = Image.fromarray(np.round(images[index] * 255).astype(np.uint8).reshape(SIDE, SIDE), "L")
        tile = Image.new("RGB", (SIDE * scale, SIDE * scale + 14), "white")
        tile.paste(
            digit.resize((SIDE * scale, SIDE * scale), Image.Resampling.NEAREST).convert("RGB"), (0, 14)
        )
        ImageDraw.Draw(tile).text(
            (2, 1), f"{labels[index]} -> {predicted[index]}", fill="firebrick", font=font
        )
        tiles.append(tile)
    if not tiles:
        tiles = [Image.new("RGB", (SIDE * scale, SIDE * scale + 14), "white")]
    return _grid(tiles, columns=10, background=200)
