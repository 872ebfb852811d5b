"""mlp-predict on real test digits written as image files, and on images it must refuse."""

import csv
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support.commands import by_hand, run_predict

N_DIGITS = 30


@pytest.fixture(scope="module")
def digits(
    trained_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, np.ndarray, list[int]]:
    """The first test digits as PNG files, and what the evaluate stage predicted for them."""
    folder = tmp_path_factory.mktemp("digits")
    images = np.load(trained_repo / "data" / "prepared" / "test_images.npy")[:N_DIGITS]
    pixels = np.round(images * 255).astype(np.uint8).reshape(-1, 28, 28)
    for index, digit in enumerate(pixels):
        Image.fromarray(digit).save(folder / f"digit{index:02}.png")
    with (trained_repo / "metrics" / "confusion.csv").open() as file:
        predicted = [int(row["predicted"]) for row in csv.DictReader(file)][:N_DIGITS]
    return folder, pixels, predicted


def predicted_digits(result: subprocess.CompletedProcess, check: bool = True) -> list[int]:
    assert result.returncode == 0 or not check, result.stderr
    return [int(line.split(": ")[1].split()[0]) for line in result.stdout.splitlines()]


def test_predictions_equal_the_evaluate_stage(trained_repo: Path, digits) -> None:
    folder, _, expected = digits
    result = run_predict(trained_repo, *sorted(folder.glob("digit*.png")))
    assert predicted_digits(result) == expected
    # Each probability is the network's own for that digit, from its weights by hand
    # (an image already in MNIST's form is used as it is).
    _, pixels, _ = digits
    with np.load(trained_repo / "models" / "model.npz", allow_pickle=False) as model:
        _, p = by_hand(model, pixels.reshape(-1, 784) / 255)
    printed = [float(re.search(r"probability (\S+)\)", line)[1]) for line in result.stdout.splitlines()]
    np.testing.assert_allclose(printed, p.max(axis=1), atol=0.0005 + 1e-6)


def test_inverted_and_off_centre_digits(trained_repo: Path, digits, tmp_path: Path) -> None:
    _, pixels, expected = digits
    inverted = tmp_path / "inverted.png"
    Image.fromarray(255 - pixels[0]).save(inverted)  # black on white, as a scan would be
    off_centre = tmp_path / "off_centre.jpg"
    canvas = np.full((150, 200), 235, np.uint8)  # light paper, digit large and near a corner
    digit = np.asarray(Image.fromarray(pixels[1]).resize((112, 112)), dtype=np.int32)
    canvas[5:117, 80:192] = 235 - digit * 235 // 255
    Image.fromarray(canvas).save(off_centre, quality=90)
    result = run_predict(trained_repo, inverted, off_centre)
    assert predicted_digits(result) == expected[:2]


TOO_LARGE = "is too large; expected at most 25000000 pixels"
OVER_20_MB = "is too large; expected an image of at most 20971520 bytes"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.write_text("not an image\n"), "not a PNG or JPEG image"),
        (lambda path: path.write_bytes(b""), "empty file; expected a PNG or JPEG image"),
        (lambda path: Image.new("L", (6000, 5000)).save(path), f"6000x5000 pixels {TOO_LARGE}"),
        (lambda path: Image.new("1", (15000, 15000)).save(path), f"225000000 pixels {TOO_LARGE}"),
        # 21 MB of zeros: were it decoded, it would be "not a PNG"; its size is refused first.
        (lambda path: os.truncate(path.write_bytes(b"") or path, 21 * 2**20), f"22020096 bytes {OVER_20_MB}"),
        (lambda path: Image.new("L", (40, 40), 255).save(path), "no digit found (the image is blank)"),
        (lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 50), "not a PNG or JPEG image"),
        (
            lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00IHDR"),
            "cannot be decoded (Truncated IHDR chunk); expected a PNG or JPEG image",
        ),
    ],
    ids=[
        "text file", "empty file", "oversized image", "decompression bomb", "over 20 MB", "blank image",
        "damaged PNG", "truncated PNG header",
    ],
)  # fmt: skip
def test_bad_images_end_in_one_line(trained_repo: Path, tmp_path: Path, make, message: str) -> None:
    path = tmp_path / "bad.png"
    make(path)
    result = run_predict(trained_repo, path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ") and message in lines[0]


def test_outside_a_repository_it_says_how_to_name_a_model(tmp_path: Path, digits) -> None:
    folder, _, _ = digits
    result = run_predict(tmp_path, folder / "digit00.png")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path} is not inside the pipeline's repository (no dvc.yaml here or above); "
        "run the command inside it, or name a model with --model PATH"
    ]


def test_from_any_folder_inside_the_repository_it_finds_the_pipelines_model(
    trained_repo: Path, digits
) -> None:
    folder, _, expected = digits
    result = run_predict(trained_repo / "metrics", folder / "digit00.png")
    assert predicted_digits(result) == expected[:1]


def test_every_readable_image_is_predicted_and_each_bad_one_gets_its_line(
    trained_repo: Path, digits, tmp_path: Path
) -> None:
    folder, _, expected = digits
    missing, a_folder = tmp_path / "missing.png", tmp_path / "a-folder.png"
    a_folder.mkdir()
    result = run_predict(trained_repo, folder / "digit00.png", missing, folder / "digit01.png", a_folder)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        str(folder / "digit00.png"),
        str(folder / "digit01.png"),
    ]
    assert predicted_digits(result, check=False) == expected[:2]
    assert result.stderr.splitlines() == [
        f"error: {missing}: file not found",
        f"error: {a_folder}: a folder, not an image",
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: Image.new("L", (28, 28)).save(path, "PNG"), "not an .npz archive (a zip of"),
        (lambda path: path.mkdir(), "a folder, not an .npz archive"),
        (lambda path: None, "file not found; run `dvc repro` to make it"),
    ],
    ids=["an image", "a folder", "missing"],
)  # fmt: skip
def test_a_model_that_is_not_one_ends_in_one_line(
    trained_repo: Path, digits, tmp_path: Path, make, message
) -> None:
    folder, _, _ = digits
    model = tmp_path / "some.png"
    make(model)
    result = run_predict(trained_repo, "--model", model, folder / "digit00.png")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {model}: {message}"), result.stderr
    assert "pickle" not in result.stderr
