"""The pinned CPU kernels against this CPU's native ones: seconds per training epoch.

    python -m benchmarks.kernels [--rounds 9]

NumPy and OpenBLAS fix their kernels when they load, so one process cannot hold both.
Two worker processes, one with `kernels: pinned` and one with `kernels: native`, each
load data/prepared once and then train one epoch at a time, in turn, the order
swapped every round, so a slow spell of the machine hits both alike. Each epoch is the
pipeline's own: params.yaml's network, loss, optimizer, schedule and augmentation, and
its validation pass. The ratio is taken within each round and summarised by its median.
"""

import argparse
import dataclasses
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from numpy._core._multiarray_umath import __cpu_features__
from threadpoolctl import threadpool_info

from numpy_mlp_mnist import kernels, layout
from numpy_mlp_mnist.datasets import read_split
from numpy_mlp_mnist.fit import fit
from numpy_mlp_mnist.params import load_params

REPO = Path(__file__).resolve().parent.parent
NUMPY_LEVELS = ("X86_V4", "X86_V3", "X86_V2")


def kernels_in_use() -> str:
    """OpenBLAS's kernel and NumPy's highest enabled SIMD level in this process (NumPy
    keeps the latter in __cpu_features__, which np.show_runtime() prints)."""
    blas = next(lib for lib in threadpool_info() if lib["user_api"] == "blas")
    level = next((name for name in NUMPY_LEVELS if __cpu_features__.get(name)), "baseline")
    return f"{blas.get('architecture', '?')} {level}"


def worker() -> None:
    """Answer each line on stdin with the seconds one epoch took, after a first line
    naming the kernels in use."""
    params = dataclasses.replace(load_params(), epochs=1)
    X, labels = read_split(layout.PREPARED_DIR, "train", np.float32)
    X_val, labels_val = read_split(layout.PREPARED_DIR, "val", np.float32)
    print(kernels_in_use(), flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        fit(params, X, labels, X_val, labels_val, on_epoch=lambda record: None)
        print(time.perf_counter() - start, flush=True)


class Worker:
    """A worker process in a scratch folder whose params.yaml asks for `choice`."""

    def __init__(self, choice: str, scratch: Path) -> None:
        root = scratch / choice
        (root / "data").mkdir(parents=True)
        (root / "data" / "prepared").symlink_to(layout.PREPARED_DIR.resolve())
        params = yaml.safe_load(Path("params.yaml").read_text()) | {"kernels": choice}
        (root / "params.yaml").write_text(yaml.safe_dump(params))
        # This process's own pin is in its environment: the native worker must not inherit it.
        environ = {
            name: value for name, value in os.environ.items() if name not in kernels.PINNED_ENVIRONMENT
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.kernels", "--worker"], cwd=root, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environ | {"PYTHONPATH": str(REPO)},
        )  # fmt: skip
        self.kernels = self.process.stdout.readline().strip()

    def epoch(self) -> float:
        self.process.stdin.write("epoch\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def race(rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        pinned, native = Worker("pinned", Path(scratch)), Worker("native", Path(scratch))
        times: dict[str, list[float]] = {"pinned": [], "native": []}
        try:
            for index in range(rounds):
                order = [("pinned", pinned), ("native", native)]
                for name, worker_ in order if index % 2 == 0 else order[::-1]:
                    times[name].append(worker_.epoch())
        finally:
            pinned.close()
            native.close()
    ratios = [p / n for p, n in zip(times["pinned"], times["native"], strict=True)]
    return {
        "kernels": {"pinned": pinned.kernels, "native": native.kernels},
        "rounds": times,
        "seconds": {name: statistics.median(t) for name, t in times.items()},
        "ratio": statistics.median(ratios),
        "ratio_range": (min(ratios), max(ratios)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="epochs of each, alternating")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return

    result = race(args.rounds)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"NumPy {np.__version__}; params.yaml's training, 1 BLAS thread\n"
    )
    print(f"one epoch, {args.rounds} rounds alternating; medians over the rounds:\n")
    print("| kernels | OpenBLAS, NumPy level | s/epoch | vs native |")
    print("|---|---|---|---|")
    for name in ("pinned", "native"):
        ratio = result["ratio"] if name == "pinned" else 1.0
        print(f"| {name} | {result['kernels'][name]} | {result['seconds'][name]:.3f} | {ratio:.2f}x |")
    low, high = result["ratio_range"]
    print(f"\npinned / native over the rounds: {low:.2f}-{high:.2f}")


if __name__ == "__main__":
    main()
