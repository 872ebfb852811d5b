"""The static site's parts outside a browser: the preprocessing's JavaScript port run
under Node.js against numpy_mlp_mnist/images.py, the site stage's outputs and reruns,
the model it ships, and its bad inputs."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
from support.repos import REPO, environment, run, run_stage, snapshot
from support.varied_images import write_varied_images

from numpy_mlp_mnist.files import folder_replaced_on_success, read_npy
from numpy_mlp_mnist.images import read_image, to_mnist
from numpy_mlp_mnist.model_file import load_model

SOURCES = REPO / "numpy_mlp_mnist" / "site"


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mnist_input.js with its npm packages (sharp, to decode files), as `npm ci` installs them."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("no Node.js and npm: as root, `apt-get install nodejs npm` (.ci/run does so)")
    folder = tmp_path_factory.mktemp("site-sources")
    for name in ("package.json", "package-lock.json", "mnist_input.js"):
        shutil.copyfile(SOURCES / name, folder / name)
    subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=folder, check=True)
    return folder / "mnist_input.js"


def in_node(port: Path, *images: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(port), *map(str, images)], capture_output=True, text=True)


def test_the_port_gives_the_test_vectors_to_the_bit(port: Path) -> None:
    vectors = json.loads((REPO / "models" / "onnx_test_vectors.json").read_text())["images"]
    result = in_node(port, *(REPO / vector["image"] for vector in vectors))
    assert result.returncode == 0, result.stderr
    for vector, pixels in zip(vectors, json.loads(result.stdout), strict=True):
        expected = np.array(vector["pixels"], dtype=np.float32).reshape(-1)
        assert np.array_equal(np.float32(pixels), expected), vector["image"]


def test_the_port_matches_python_to_the_bit_on_varied_images(
    port: Path, trained_repo: Path, tmp_path: Path
) -> None:
    prepared = trained_repo / "data" / "prepared"
    images = read_npy(prepared / "test_images.npy")
    files = write_varied_images(images, read_npy(prepared / "test_labels.npy"), tmp_path, 60)
    result = in_node(port, *files)
    assert result.returncode == 0, result.stderr
    for path, pixels in zip(files, json.loads(result.stdout), strict=True):
        assert np.array_equal(np.float32(pixels), to_mnist(read_image(path), str(path))), path.name


def test_a_large_photo_with_much_ink_is_read_as_python_reads_it(port: Path, tmp_path: Path) -> None:
    """3000x3000 pixels, 600,000 of them ink: no list of the ink's rows and columns (a first
    version spread them into Math.min, beyond what a call takes)."""
    from PIL import Image

    sheet = np.full((3000, 3000), 255, np.uint8)
    sheet[500:2500, 1400:1700] = 20
    Image.fromarray(sheet).save(tmp_path / "large.png")
    result = in_node(port, tmp_path / "large.png")
    assert result.returncode == 0, result.stderr
    expected = to_mnist(read_image(tmp_path / "large.png"), "large.png")
    assert np.array_equal(np.float32(json.loads(result.stdout)), expected)


def test_one_image_prints_one_list_of_784(port: Path) -> None:
    result = in_node(port, REPO / "data" / "digits" / "seven.png")
    values = json.loads(result.stdout)
    assert len(values) == 784 and all(0 <= value <= 1 for value in values)


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"not an image", "not a PNG or JPEG image, or a damaged one; expected a whole PNG or JPEG"),
        (b"", "empty file; expected a PNG or JPEG image"),
        (None, "file not found"),
    ],
    ids=["not an image", "empty", "missing"],
)
def test_a_bad_file_is_one_line_under_node_too(
    port: Path, tmp_path: Path, content: bytes | None, line: str
) -> None:
    path = tmp_path / "digit.png"
    if content is not None:
        path.write_bytes(content)
    result = in_node(port, path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {path}: {line}\n")


def test_a_blank_image_is_one_line_under_node(port: Path, tmp_path: Path) -> None:
    from PIL import Image

    Image.new("L", (40, 40), 255).save(tmp_path / "blank.png")
    result = in_node(port, tmp_path / "blank.png")
    assert result.stderr == f"error: {tmp_path / 'blank.png'}: no digit found (the image is blank)\n"


def test_the_sites_model_gives_the_engines_hidden_activations_and_probabilities(trained_repo: Path) -> None:
    model = load_model(trained_repo / "models" / "model.npz")
    session = onnxruntime.InferenceSession(str(trained_repo / "models" / "site" / "model.onnx"))
    assert [output.name for output in session.get_outputs()] == ["probabilities", "a1"]
    X = read_npy(trained_repo / "data" / "prepared" / "test_images.npy")[:200]
    probabilities, hidden = session.run(None, {"pixels": X})
    assert np.abs(probabilities - model.predict_proba(X)).max() < 1e-5
    assert np.abs(hidden - model.hidden(X)[0]).max() < 1e-4


def test_the_site_holds_the_page_the_model_and_the_runtime(trained_repo: Path) -> None:
    site = trained_repo / "models" / "site"
    names = sorted(str(path.relative_to(site)) for path in site.rglob("*") if path.is_file())
    assert names == [
        "index.html", "mnist_input.js", "model.onnx", "ort/ort-wasm-simd-threaded.mjs",
        "ort/ort-wasm-simd-threaded.wasm", "ort/ort.wasm.min.mjs", "page.js", "reading.css", "reading.js",
        "units.json",
    ]  # fmt: skip
    units = json.loads((site / "units.json").read_text())
    assert units["widths"] == [30] and len(units["pictures"]) == 30


def test_the_site_stage_gives_the_same_bytes_and_reruns_only_for_its_sources(
    trained_repo: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(trained_repo, clone, symlinks=True)
    before = snapshot(clone / "models" / "site")
    result = run_stage(clone, "site")
    assert result.returncode == 0, result.stderr
    assert snapshot(clone / "models" / "site") == before
    assert "Stage 'site' didn't change" in run(clone, "dvc", "repro", "site")
    (clone / "numpy_mlp_mnist" / "site" / "page.js").write_text("// changed\n", encoding="utf-8")
    status = json.loads(run(clone, "dvc", "status", "--json"))
    assert sorted(status) == ["site"]


def test_no_runtime_is_one_line_and_keeps_the_site(trained_repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(trained_repo, clone, symlinks=True)
    before = snapshot(clone / "models" / "site")
    shutil.rmtree(clone / "models" / "onnxruntime-web")
    result = run_stage(clone, "site")
    assert result.returncode == 2
    assert result.stderr == (
        "error: models/onnxruntime-web/ort.wasm.min.mjs: not found; "
        "run `dvc repro site_runtime` to install it\n"
    )
    assert snapshot(clone / "models" / "site") == before


def test_no_npm_is_one_line_and_keeps_the_runtime(trained_repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(trained_repo, clone, symlinks=True)
    before = snapshot(clone / "models" / "onnxruntime-web")
    python_only = tmp_path / "bin"
    python_only.mkdir()
    (python_only / "python").symlink_to(shutil.which("python"))
    result = subprocess.run(
        [str(python_only / "python"), "-m", "stages.site_runtime"], cwd=clone, capture_output=True, text=True,
        env=environment(PATH=str(python_only), PYTHONPATH=str(REPO)),
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: npm: not found; the site's runtime (onnxruntime-web) is installed"
    )
    assert snapshot(clone / "models" / "onnxruntime-web") == before


def test_a_folder_is_replaced_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "index.html").write_text("old")
    with pytest.raises(KeyboardInterrupt), folder_replaced_on_success(target) as folder:
        (folder / "index.html").write_text("half")
        raise KeyboardInterrupt
    assert [path.name for path in tmp_path.iterdir()] == ["site"]
    assert (target / "index.html").read_text() == "old"
    with folder_replaced_on_success(target) as folder:
        (folder / "index.html").write_text("new")
    assert [path.name for path in tmp_path.iterdir()] == ["site"]
    assert (target / "index.html").read_text() == "new"
