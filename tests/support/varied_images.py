"""Images of digits as people bring them, to check ports of numpy_mlp_mnist/images.py
against it: MNIST's test digits made into files of many sizes and shapes, light on dark
and dark on light, off-centre on a wider sheet, noisy, and as photographs of paper (a
colour cast, uneven light, blur, JPEG's loss), as PNG and as JPEG."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

KINDS = ("plain", "dark on light", "off-centre", "noisy", "photo of paper")


def photo_of_paper(ink: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Dark ink on off-white paper under light that falls off across the sheet."""
    height, width = ink.shape
    paper = 255 - 0.85 * ink
    light = np.linspace(rng.uniform(0.7, 0.85), 1.0, width)[None, :] * np.linspace(0.9, 1.0, height)[:, None]
    tint = rng.uniform(0.8, 1.0, 3)
    noise = rng.normal(0, 4, (height, width, 3))
    colour = np.clip(paper[..., None] * light[..., None] * tint + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(colour, "RGB").filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))


def varied_image(digit: np.ndarray, kind: str, rng: np.random.Generator) -> Image.Image:
    """One MNIST digit (28x28, values in [0, 1]) as an image of `kind`, at a random size."""
    side = int(rng.integers(32, 420))
    aspect = rng.uniform(0.7, 1.4)
    grey = Image.fromarray(np.round(digit * 255).astype(np.uint8), "L")
    ink = np.asarray(grey.resize((side, max(8, round(side * aspect))), Image.Resampling.BICUBIC), dtype=float)
    if kind == "dark on light":
        return Image.fromarray((255 - ink).astype(np.uint8), "L")
    if kind == "off-centre":
        sheet = np.zeros((ink.shape[0] + 60, ink.shape[1] * 2))
        top, left = int(rng.integers(0, 60)), int(rng.integers(0, ink.shape[1]))
        sheet[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
        return Image.fromarray(sheet.astype(np.uint8), "L")
    if kind == "noisy":
        return Image.fromarray(np.clip(ink + rng.normal(0, 25, ink.shape), 0, 255).astype(np.uint8), "L")
    if kind == "photo of paper":
        return photo_of_paper(ink, rng)
    return Image.fromarray(ink.astype(np.uint8), "L")


def write_varied_images(images: np.ndarray, labels: np.ndarray, folder: Path, count: int) -> dict[Path, int]:
    """`count` files in `folder` made from the first of `images`, each with its digit:
    every kind, and every other image as JPEG (every photo as JPEG, as cameras write them)."""
    rng = np.random.default_rng(2026)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        image = varied_image(images[index].reshape(28, 28), kind, rng)
        jpeg = kind == "photo of paper" or index % 2 == 1
        path = folder / f"{index:02d}-{kind.replace(' ', '-')}.{'jpg' if jpeg else 'png'}"
        if jpeg:
            image.save(path, quality=int(rng.integers(60, 95)))
        else:
            image.save(path)
        written[path] = int(labels[index])
    return written
