"""How fast this network trains, beside scikit-learn's, PyTorch's and JAX's, in one process.

    python -m benchmarks.speed [--epochs 20] [--runs 5] [--sweep-epochs 3] [--whole-runs 3]

Every network trains on data/prepared (run `dvc repro` first) on one thread: BLAS
limited by threadpoolctl, and the process pinned to one CPU, the only way to keep JAX's
compiled code on one thread. In the common setting (ReLU, cross-entropy, Adam at lr
1e-3, batch 128) race this project's engine, scikit-learn's MLPClassifier and, where
installed (the `bench` extra), the same network in PyTorch and in JAX (compiled per
step, and per epoch with `lax.scan`); beside them, this project as shipped, with
params.yaml's loss, augmentation, decay and schedule: the epoch `dvc repro` waits for.
Each run trains each network from scratch for --epochs epochs through its own training
call, so each pays what its user would pay, one-off checks included; JAX's compilation
is timed apart and left out of its epochs. Ours, PyTorch's and JAX's loops also score
the validation set after every epoch, scikit-learn does not. Runs alternate between the
networks, the bare matrix products every epoch needs (forward, backward and the
validation forward pass, on ready-made contiguous batches) and a floor (those products
plus the batch gather and the Adam step, nothing else), so machine noise hits all
alike. Times are seconds per epoch; times and the ratios taken within each run are
summarised by their median over the runs.

Last, each contender's whole run as its user meets it, --whole-epochs epochs in a fresh
process (`python -m benchmarks.one_run NAME`: start-up, imports, data, compilation,
training, test score), timed from outside, --whole-runs times in turn; medians.
"""

import argparse
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import mlp
from benchmarks.networks import BATCH, CONTENDERS, LEARNING_RATE, Network, contender
from benchmarks.one_run import one_thread
from mlp.training import gather
from numpy_mlp_mnist import layout
from numpy_mlp_mnist.datasets import N_CLASSES, PIXELS, read_split

ROOT = Path(__file__).resolve().parents[1]  # where `python -m benchmarks...` finds this package


def read_data(prepared_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(images, labels) of each split, as the prepare stage wrote them."""
    return {split: read_split(prepared_dir, split, np.float32) for split in ("train", "val", "test")}


def contiguous_batches(X: np.ndarray) -> list[np.ndarray]:
    """`X` cut into ready-made contiguous batches, for the bare products."""
    return [np.ascontiguousarray(X[i : i + BATCH]) for i in range(0, len(X), BATCH)]


def step_products(xb: np.ndarray, W1: np.ndarray, W2: np.ndarray, dW1: np.ndarray, dW2: np.ndarray) -> None:
    """The matrix products of one training step (forward, dW2, back through W2, dW1), on
    stand-in numbers: no biases, activation or loss between them."""
    a1 = xb @ W1
    z2 = a1 @ W2
    np.matmul(a1.T, z2, out=dW2)
    dz1 = z2 @ W2.T
    np.matmul(xb.T, dz1, out=dW1)


def stand_in_model(hidden: int) -> mlp.MLP:
    """A fresh 784-hidden-10 network: its weights and gradient buffer serve the products."""
    relu = mlp.make_activation("relu")
    return mlp.MLP.initialise(PIXELS, hidden, N_CLASSES, relu, np.random.default_rng(0))


def bare_products(batches: list[np.ndarray], X_val: np.ndarray, hidden: int) -> float:
    """Seconds for the matrix products of one epoch, with nothing else around them."""
    model = stand_in_model(hidden)
    start = time.perf_counter()
    for xb in batches:
        step_products(xb, *model.weights, *model.weight_gradients)
    _ = (X_val @ model.weights[0]) @ model.weights[1]  # the validation pass
    return time.perf_counter() - start


def floor_epoch(
    X: np.ndarray, X_val: np.ndarray, hidden: int, rng: np.random.Generator
) -> tuple[float, float]:
    """Seconds for one epoch of the least that a loop like ours does, as (training,
    validation pass): gather each batch of a fresh shuffle with `mlp.train`'s own
    `gather`, the bare products, one Adam step; then the validation pass's products.

    The rest of our epoch (biases, activation and its derivative, softmax and loss) is
    what the network itself adds; this floor is what any per-batch NumPy loop with
    per-epoch shuffling and Adam pays before it.
    """
    model = stand_in_model(hidden)
    adam = mlp.make_optimizer("adam")
    # Adam steps a copy, so the products see the same stand-in weights all epoch.
    stepped = model.theta.copy()
    model.gradient.fill(0)  # its bias parts, which no product here writes
    buffer = np.empty((BATCH, X.shape[1]), dtype=X.dtype)
    start = time.perf_counter()
    order = rng.permutation(len(X))
    for first in range(0, len(X), BATCH):
        rows = order[first : first + BATCH]
        xb = gather(X, rows, buffer)
        step_products(xb, *model.weights, *model.weight_gradients)
        adam.step(stepped, model.gradient, LEARNING_RATE)
    trained = time.perf_counter()
    _ = (X_val @ model.weights[0]) @ model.weights[1]
    return trained - start, time.perf_counter() - trained


ROWS = {
    "ours": "this project (NumPy), common setting",
    "jax_epoch": "JAX, epoch compiled (lax.scan), common setting",
    "jax_step": "JAX, step compiled, common setting",
    "torch": "PyTorch (CPU), common setting",
    "sklearn": "scikit-learn MLPClassifier, common setting",
    "shipped": "this project as shipped (params.yaml)",
    "floor": "floor: gather, products, Adam",
    "products": "bare matrix products",
}


OPTIONAL = ("torch", "jax_step", "jax_epoch")  # the `bench` extra


def contenders() -> dict[str, type[Network]]:
    """The networks raced, by name; PyTorch's and JAX's only where they are installed."""
    found = {}
    for name in CONTENDERS:
        try:
            found[name] = contender(name)
        except ImportError:
            if name not in OPTIONAL:
                raise
    return found


def ratios_within_runs(times: dict[str, list[float]]) -> dict[str, list[float]]:
    """Each network's time against scikit-learn's, the bare products' and ours, run by run."""

    def over(numerators: list[float], denominators: list[float]) -> list[float]:
        return [a / b for a, b in zip(numerators, denominators, strict=True)]

    return {
        **{f"{name}_speed_up": over(times["sklearn"], times[name]) for name in times},
        **{f"{name}_to_products": over(times[name], times["products"]) for name in times},
        **{f"{name}_to_ours": over(times[name], times["ours"]) for name in times if "ours" in times},
    }


def race(hidden: int, epochs: int, runs: int, data: dict, batches: list[np.ndarray], networks: dict) -> dict:
    """Alternate runs of each network, the bare products and the floor; per-epoch times and ratios.

    `networks` maps names to network classes (see benchmarks.networks); "sklearn" is the
    one the others are compared with. `batches` are the training images as
    `contiguous_batches`, for the bare products. Ratios are taken within each run, so a
    slow spell of the machine that hits all alike cancels out, then summarised by their
    median and range.
    """
    X, y, X_val, y_val = data["train"] + data["val"]
    shuffles = np.random.default_rng(0)
    names = [*networks, "products", "floor", "floor_training"]
    times: dict[str, list[float]] = {name: [] for name in names}
    compile_times: dict[str, list[float]] = {name: [] for name in networks}
    for _ in range(runs):
        trained = {name: network(hidden, seed=0) for name, network in networks.items()}
        for name, network in trained.items():
            start = time.perf_counter()
            network.fit(X, y, X_val, y_val, epochs)
            times[name].append((time.perf_counter() - start - network.compile_s) / epochs)
            compile_times[name].append(network.compile_s)
        times["products"].append(sum(bare_products(batches, X_val, hidden) for _ in range(epochs)) / epochs)
        floor = [floor_epoch(X, X_val, hidden, shuffles) for _ in range(epochs)]
        times["floor"].append(sum(map(sum, floor)) / epochs)
        times["floor_training"].append(sum(training for training, _ in floor) / epochs)
    ratios = ratios_within_runs(times)
    X_test, y_test = data["test"]
    return {
        "hidden": hidden,
        "epochs": epochs,
        "runs": runs,
        **{f"{name}_s": statistics.median(t) for name, t in times.items()},
        **{f"{name}_compile_s": statistics.median(t) for name, t in compile_times.items()},
        **{name: statistics.median(r) for name, r in ratios.items()},
        **{f"{name}_range": (min(r), max(r)) for name, r in ratios.items()},
        **{f"{name}_test": network.accuracy(X_test, y_test) for name, network in trained.items()},
        "n": len(y),
    }


def whole_runs(names: list[str], epochs: int, repeats: int) -> dict[str, float]:
    """Median seconds of `python -m benchmarks.one_run NAME --epochs EPOCHS`, timed from
    outside, for each name, the processes taking turns `repeats` times."""
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "benchmarks.one_run", name, "--epochs", str(epochs)],
                check=True, capture_output=True, env=os.environ | {"PYTHONPATH": str(ROOT)},
            )  # fmt: skip
            seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in seconds.items()}


LIBRARIES = {"numpy": "NumPy", "scikit-learn": "scikit-learn", "torch": "PyTorch", "jax": "JAX"}


def versions() -> str:
    """The release of each library raced, or that it is not installed."""
    found = []
    for package, label in LIBRARIES.items():
        try:
            found.append(f"{label} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{label} not installed")
    return ", ".join(found)


REPOSITORY = Path(__file__).resolve().parents[1]


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
        # Run from the scratch folder, the stage comes from this repository: `stages` is not
        # installed, so the repository goes on the path, as `python -m` from its root puts it.
        path = os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))
        result = subprocess.run(
            [sys.executable, "-c", report], cwd=root, check=True, capture_output=True, text=True,
            env=os.environ | {"PYTHONPATH": path},
        )  # fmt: skip
    return int(result.stdout.splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs per run of the 784-30-10 race")
    parser.add_argument("--runs", type=int, default=5, help="runs of each network, per width")
    parser.add_argument("--sweep-epochs", type=int, default=3, help="epochs per width in the sweep")
    parser.add_argument("--widths", type=int, nargs="*", default=[30, 64, 128, 256, 1024])
    parser.add_argument("--whole-epochs", type=int, default=30, help="epochs of each whole run")
    parser.add_argument("--whole-runs", type=int, default=3, help="whole runs of each network")
    args = parser.parse_args()

    one_thread()
    data = read_data(layout.PREPARED_DIR)
    networks = contenders()  # first: scikit-learn's SciPy brings a BLAS of its own
    blas = ", ".join(
        f"{lib['internal_api']} {lib['version']} ({lib.get('architecture', '?')})"
        for lib in threadpool_info()
        if lib["user_api"] == "blas"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"{versions()}; BLAS: {blas}; 1 thread (pinned to one CPU)\n"
    )
    with threadpool_limits(limits=1, user_api="blas"):
        batches = contiguous_batches(data["train"][0])
        main_race = race(30, args.epochs, args.runs, data, batches, networks)
        like_for_like = {name: networks[name] for name in ("ours", "sklearn")}
        sweep = [
            race(width, args.sweep_epochs, args.runs, data, batches, like_for_like) for width in args.widths
        ]
    peak = train_stage_peak_mb(Path("params.yaml"))
    whole = whole_runs(list(networks), args.whole_epochs, args.whole_runs)

    print_report(main_race, peak, whole, sweep, args)


def print_race(main_race: dict) -> None:
    """The 784-30-10 race's table, its ranges and its ratios."""
    r = main_race
    print(f"784-30-10, batch {BATCH}, {r['runs']} runs of {r['epochs']} epochs; medians over the runs:\n")
    print(
        "| network | s/epoch | samples/s | vs scikit-learn | epoch / bare products | compile s "
        "| test accuracy |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, label in ROWS.items():
        if f"{name}_s" in r:
            accuracy = f"{r[name + '_test']:.4f}" if f"{name}_test" in r else ""
            compiled = f"{r[name + '_compile_s']:.2f}" if r.get(f"{name}_compile_s") else ""
            print(
                f"| {label} | {r[name + '_s']:.3f} | {r['n'] / r[name + '_s']:,.0f} | "
                f"{r[name + '_speed_up']:.2f}x | {r[name + '_to_products']:.2f} | {compiled} | {accuracy} |"
            )
    print("\nover the runs, against scikit-learn and the bare products:")
    for name in ("ours", "shipped", "jax_epoch", "jax_step", "torch", "floor"):
        if f"{name}_s" in r:
            (low, high), (low_p, high_p) = r[f"{name}_speed_up_range"], r[f"{name}_to_products_range"]
            print(f"  {ROWS[name]}: {low:.2f}-{high:.2f}x and {low_p:.2f}-{high_p:.2f}")
    print("\nthe epoch of each peer over this project's common-setting epoch, median (range) over the runs:")
    for name in ("jax_epoch", "jax_step", "torch", "sklearn"):
        if f"{name}_s" in r:
            low, high = r[f"{name}_to_ours_range"]
            print(f"  {ROWS[name]}: {r[name + '_to_ours']:.2f} ({low:.2f}-{high:.2f})")
    print(
        f"the floor's training alone, without the validation pass (scikit-learn's fit has none): "
        f"{r['floor_training_s']:.3f} s/epoch, {r['floor_training_speed_up']:.2f}x scikit-learn"
    )


def print_report(
    main_race: dict, peak: float, whole: dict[str, float], sweep: list[dict], args: argparse.Namespace
) -> None:
    """The tables and lines that docs/speed.md quotes."""
    print_race(main_race)
    print(f"\npeak resident memory of `python -m stages.train` with params.yaml: {peak:.0f} MB\n")
    print(
        f"a whole run of {args.whole_epochs} epochs in a fresh process, everything included "
        f"(`python -m benchmarks.one_run NAME`), median of {args.whole_runs}:\n"
    )
    print("| network | seconds | vs this project |")
    print("|---|---|---|")
    for name, label in ROWS.items():
        if name in whole:
            print(f"| {label} | {whole[name]:.1f} | {whole[name] / whole['ours']:.2f}x |")
    print()
    print(f"hidden-width sweep, {args.runs} runs of {args.sweep_epochs} epochs; medians over the runs:\n")
    print(
        "| hidden | ours s/epoch | scikit-learn s/epoch | speed-up | floor's speed-up "
        "| ours / bare products |"
    )
    print("|---|---|---|---|---|---|")
    for row in sweep:
        print(
            f"| {row['hidden']} | {row['ours_s']:.3f} | {row['sklearn_s']:.3f} | "
            f"{row['ours_speed_up']:.2f}x | {row['floor_speed_up']:.2f}x | {row['ours_to_products']:.2f} |"
        )


if __name__ == "__main__":
    main()
