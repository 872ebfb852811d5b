"""Test accuracy and the worst-recognised digit, for each hidden layout and seed, with each
layout's parameter count and epoch time.

    python -m benchmarks.widths [--hidden 8 16 32 64 128 256] [--seeds 0 1 2] [--workers 2]
                                [--set KEY=VALUE ...]

--hidden takes widths of one hidden layer (64) or of several, comma-separated (64,32 is
784-64-32-10). A grid search through mlp-search, the project's one mechanism for sweeps:
one DVC experiment per (hidden, seed), every other param as params.yaml has it or as
--set changes it (`--set mae_floor=0` is plain MAE), run by --workers workers, then a
markdown table of every run's test figures. The table reports every cell, so it reads
the test set of each; a search that chooses among them goes by validation (search.yaml).
The study is named after what it runs (the commit and the grid), so running the same
grid on the same commit again only prints it, and its experiments stay in the
repository's experiment list, as any `dvc exp run`'s do. The epoch time is measured
after the grid, in this process, by the train stage's own `fit` on one thread: the
median of three epochs after a first, untimed one.
"""

import argparse
import dataclasses
import hashlib
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from threadpoolctl import threadpool_limits

from benchmarks.one_run import one_thread
from numpy_mlp_mnist import layout
from numpy_mlp_mnist.datasets import N_CLASSES, PIXELS, read_split
from numpy_mlp_mnist.fit import fit
from numpy_mlp_mnist.params import load_params


def grid_space(layouts: list[int | list[int]], seeds: list[int], changes: list[str]) -> dict:
    """search.yaml's form of the grid: every layout with every seed, and --set as one-choice lists."""
    params: dict[str, list] = {"hidden": layouts, "seed": seeds}
    for change in changes:
        key, _, value = change.partition("=")
        params[key] = [yaml.safe_load(value)]
    commit = subprocess.run(
        ["git", "rev-parse", "--short=7", "HEAD"], check=True, capture_output=True, text=True
    )
    grid = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:6]
    study = f"widths-{commit.stdout.strip()}-{grid}"
    return {"study": study, "objective": "accuracy", "sampler": "grid", "params": params}


def run_grid(space: dict, workers: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "widths.yaml"
        path.write_text(yaml.safe_dump(space, sort_keys=False))
        command = [
            sys.executable,
            "-m",
            "numpy_mlp_mnist.commands.search",
            "--space",
            str(path),
            "--workers",
            str(workers),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr.strip())


def results(study: str) -> dict[tuple[str, int], dict]:
    """(hidden as text, seed) -> the test metrics of each experiment of the study."""
    shown = subprocess.run(["dvc", "exp", "show", "--json"], check=True, capture_output=True, text=True)
    found = {}
    for commit in json.loads(shown.stdout):
        for experiment in commit.get("experiments") or []:
            if not (experiment.get("name") or "").startswith(f"{study}-"):
                continue
            data = experiment["revs"][0]["data"]
            params = data["params"]["params.yaml"]["data"]
            found[str(params["hidden"]), params["seed"]] = data["metrics"]["metrics/test.json"]["data"]
    return found


def hidden_layers(text: str) -> int | list[int]:
    """'64' -> 64, '64,32' -> [64, 32]: as params.yaml's hidden takes them."""
    widths = [int(width) for width in text.split(",")]
    return widths[0] if len(widths) == 1 else widths


def parameter_count(hidden: int | list[int]) -> int:
    sizes = [PIXELS, *([hidden] if isinstance(hidden, int) else hidden), N_CLASSES]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(sizes))


def seconds_per_epoch(hidden: int | list[int], changes: list[str]) -> float:
    """The median of three epochs of the train stage's `fit`, on one thread."""
    settings = {key: yaml.safe_load(value) for key, _, value in (change.partition("=") for change in changes)}
    # Timed over 4 epochs whatever --set says of epochs (it sets the grid's runs).
    params = dataclasses.replace(load_params(), **(settings | {"hidden": hidden, "epochs": 4}))
    data = [
        array for split in ("train", "val") for array in read_split(layout.PREPARED_DIR, split, np.float32)
    ]
    stamps = [time.perf_counter()]
    fit(params, *data, on_epoch=lambda record: stamps.append(time.perf_counter()))
    return statistics.median(b - a for a, b in itertools.pairwise(stamps[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=hidden_layers, nargs="+", default=[8, 16, 32, 64, 128, 256])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, default=2, help="trials side by side (at most the cores)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="another param")
    args = parser.parse_args()

    start = time.monotonic()
    space = grid_space(args.hidden, args.seeds, args.set)
    run_grid(space, args.workers)
    table = results(space["study"])
    minutes = (time.monotonic() - start) / 60
    settings = f" with {', '.join(args.set)}" if args.set else ""
    print(f"{len(table)} experiments{settings} in {minutes:.1f} min with {args.workers} workers")
    one_thread()
    with threadpool_limits(limits=1, user_api="blas"):
        epochs = {str(hidden): seconds_per_epoch(hidden, args.set) for hidden in args.hidden}
    print("test accuracy, and in brackets the lowest accuracy of any one digit:\n")
    # s/epoch last: the one column that differs from run to run.
    print("| hidden | parameters | " + " | ".join(f"seed {seed}" for seed in args.seeds) + " | s/epoch |")
    print("|---|---:|" + "---|" * len(args.seeds) + "---:|")
    for hidden in args.hidden:
        cells = []
        for seed in args.seeds:
            metrics = table.get((str(hidden), seed))
            cells.append(
                f"{metrics['accuracy']:.2%} ({metrics['lowest_digit_accuracy']:.1%})" if metrics else "failed"
            )
        print(
            f"| {hidden} | {parameter_count(hidden):,} | "
            + " | ".join(cells)
            + f" | {epochs[str(hidden)]:.2f} |"
        )


if __name__ == "__main__":
    main()
