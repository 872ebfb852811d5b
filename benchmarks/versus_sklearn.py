"""Our NumPy 784-H-10 network against scikit-learn's MLPClassifier, side by side in one process.

    python -m benchmarks.versus_sklearn [--epochs 20] [--runs 5] [--sweep-epochs 3]

Both train on data/prepared (run `dvc repro` first) with the same settings: ReLU hidden
layer, cross-entropy, Adam at lr 1e-3, batch 128, one BLAS thread. Each run trains each
network from scratch for --epochs epochs through its own training call (our `mlp.train`,
scikit-learn's `fit`), so each pays what a user would pay, one-off checks included; ours
also scores the validation set after every epoch, scikit-learn does not. Runs alternate
between the two networks and the bare matrix products every epoch needs (forward,
backward and the validation forward pass, on ready-made contiguous batches), so machine
noise hits all three alike. Times are seconds per epoch; times and the ratios taken
within each run are summarised by their median over the runs.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

import mlp
from stages import layout
from stages.datasets import N_CLASSES, PIXELS, read_split

BATCH = 128
LEARNING_RATE = 1e-3


def read_data(prepared_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(images, labels) of each split, as the prepare stage wrote them."""
    return {split: read_split(prepared_dir, split, np.float32) for split in ("train", "val", "test")}


def contiguous_batches(X: np.ndarray) -> list[np.ndarray]:
    """`X` cut into ready-made contiguous batches, for the bare products."""
    return [np.ascontiguousarray(X[i : i + BATCH]) for i in range(0, len(X), BATCH)]


def bare_products(batches: list[np.ndarray], X_val: np.ndarray, hidden: int) -> float:
    """Seconds for the matrix products of one epoch, with nothing else around them."""
    rng = np.random.default_rng(0)
    W1 = rng.normal(size=(X_val.shape[1], hidden)).astype(np.float32)
    W2 = rng.normal(size=(hidden, N_CLASSES)).astype(np.float32)
    start = time.perf_counter()
    for xb in batches:
        a1 = xb @ W1
        z2 = a1 @ W2
        _ = a1.T @ z2  # dW2
        dz1 = z2 @ W2.T  # back through W2
        _ = xb.T @ dz1  # dW1
    _ = (X_val @ W1) @ W2  # the validation pass
    return time.perf_counter() - start


class Ours:
    def __init__(self, hidden: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.model = mlp.MLP.initialise(PIXELS, hidden, N_CLASSES, mlp.make_activation("relu"), self.rng)

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        mlp.train(
            self.model, X, y, X_val, y_val, loss=mlp.make_loss("cross_entropy"),
            optimizer=mlp.make_optimizer("adam"), epochs=epochs, batch_size=BATCH,
            learning_rate=LEARNING_RATE, schedule="constant", weight_decay=0.0, rng=self.rng,
        )  # fmt: skip

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float((self.model.predict(X) == y).mean())


class Sklearn:
    def __init__(self, hidden: int, seed: int) -> None:
        self.hidden, self.seed = hidden, seed

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        # n_iter_no_change above max_iter: exactly `epochs` epochs, never an early stop.
        self.model = MLPClassifier(
            hidden_layer_sizes=(self.hidden,), activation="relu", solver="adam", batch_size=BATCH,
            learning_rate_init=LEARNING_RATE, max_iter=epochs, n_iter_no_change=epochs + 1,
            random_state=self.seed,
        )  # fmt: skip
        with warnings.catch_warnings():
            # Reaching max_iter is the point here, not a sign of trouble.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(X, y)
        assert self.model.n_iter_ == epochs

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(self.model.score(X, y))


def race(hidden: int, epochs: int, runs: int, data: dict, batches: list[np.ndarray]) -> dict:
    """Alternate runs of both networks and of the bare products; per-epoch times and ratios.

    `batches` are the training images as `contiguous_batches`, for the bare products.
    Ratios are taken within each run, so a slow spell of the machine that hits all three
    alike cancels out, then summarised by their median and range.
    """
    X, y, X_val, y_val = data["train"] + data["val"]
    times: dict[str, list[float]] = {"ours": [], "sklearn": [], "products": []}
    for _ in range(runs):
        ours, theirs = Ours(hidden, seed=0), Sklearn(hidden, seed=0)
        for name, network in (("ours", ours), ("sklearn", theirs)):
            start = time.perf_counter()
            network.fit(X, y, X_val, y_val, epochs)
            times[name].append((time.perf_counter() - start) / epochs)
        times["products"].append(sum(bare_products(batches, X_val, hidden) for _ in range(epochs)) / epochs)
    ratios = {
        "speed_up": [s / o for s, o in zip(times["sklearn"], times["ours"], strict=True)],
        "ours_to_products": [o / p for o, p in zip(times["ours"], times["products"], strict=True)],
        "sklearn_to_products": [s / p for s, p in zip(times["sklearn"], times["products"], strict=True)],
    }
    X_test, y_test = data["test"]
    return {
        "hidden": hidden,
        "epochs": epochs,
        "runs": runs,
        **{f"{name}_s": statistics.median(t) for name, t in times.items()},
        **{name: statistics.median(r) for name, r in ratios.items()},
        **{f"{name}_range": (min(r), max(r)) for name, r in ratios.items()},
        "ours_test": ours.accuracy(X_test, y_test),
        "sklearn_test": theirs.accuracy(X_test, y_test),
        "n": len(y),
    }


def train_stage_peak_mb(params: Path) -> float:
    """Peak resident memory of `python -m stages.train` with `params`, in a scratch directory."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "data").mkdir()
        (root / "data" / "prepared").symlink_to(layout.PREPARED_DIR.resolve())
        (root / "params.yaml").write_text(params.read_text())
        # The stage reports its own peak (VmHWM, in kB). ru_maxrss would not do: Linux
        # carries it across exec, so it would count this process's memory, shared at fork.
        report = (
            "import re, runpy; runpy.run_module('stages.train', run_name='__main__'); "
            r"print(re.search(r'VmHWM:\s+(\d+)', open('/proc/self/status').read())[1])"
        )
        result = subprocess.run(
            [sys.executable, "-c", report], cwd=root, check=True, capture_output=True, text=True
        )
    return int(result.stdout.splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs per run of the 784-30-10 race")
    parser.add_argument("--runs", type=int, default=5, help="runs of each network, per width")
    parser.add_argument("--sweep-epochs", type=int, default=3, help="epochs per width in the sweep")
    parser.add_argument("--widths", type=int, nargs="*", default=[30, 64, 128, 256, 1024])
    args = parser.parse_args()

    data = read_data(layout.PREPARED_DIR)
    blas = ", ".join(
        f"{lib['internal_api']} {lib['version']} ({lib.get('architecture', '?')})"
        for lib in threadpool_info()
        if lib["user_api"] == "blas"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, scikit-learn {sklearn.__version__}; BLAS: {blas}; 1 BLAS thread\n"
    )
    with threadpool_limits(limits=1, user_api="blas"):
        batches = contiguous_batches(data["train"][0])
        main_race = race(30, args.epochs, args.runs, data, batches)
        sweep = [race(width, args.sweep_epochs, args.runs, data, batches) for width in args.widths]
    peak = train_stage_peak_mb(Path("params.yaml"))

    r = main_race
    print(f"784-30-10, batch {BATCH}, {r['runs']} runs of {r['epochs']} epochs; medians over the runs:\n")
    print("| network | s/epoch | samples/s | vs scikit-learn | epoch / bare products | test accuracy |")
    print("|---|---|---|---|---|---|")
    print(
        f"| this project (NumPy) | {r['ours_s']:.3f} | {r['n'] / r['ours_s']:,.0f} | {r['speed_up']:.2f}x | "
        f"{r['ours_to_products']:.2f} | {r['ours_test']:.4f} |"
    )
    print(
        f"| scikit-learn MLPClassifier | {r['sklearn_s']:.3f} | {r['n'] / r['sklearn_s']:,.0f} | 1.00x | "
        f"{r['sklearn_to_products']:.2f} | {r['sklearn_test']:.4f} |"
    )
    print(f"| bare matrix products | {r['products_s']:.3f} | | | 1.00 | |")
    (low, high), (low_p, high_p) = r["speed_up_range"], r["ours_to_products_range"]
    print(f"\nover the runs: {low:.2f}-{high:.2f}x scikit-learn, {low_p:.2f}-{high_p:.2f} the bare products")
    print(f"\npeak resident memory of `python -m stages.train` with params.yaml: {peak:.0f} MB\n")
    print(f"hidden-width sweep, {args.runs} runs of {args.sweep_epochs} epochs; medians over the runs:\n")
    print("| hidden | ours s/epoch | scikit-learn s/epoch | speed-up | ours / bare products |")
    print("|---|---|---|---|---|")
    for row in sweep:
        print(
            f"| {row['hidden']} | {row['ours_s']:.3f} | {row['sklearn_s']:.3f} | "
            f"{row['speed_up']:.2f}x | {row['ours_to_products']:.2f} |"
        )


if __name__ == "__main__":
    main()
