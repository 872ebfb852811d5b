"""Test accuracy and the worst-recognised digit, for each hidden width and seed.

    python -m benchmarks.widths [--widths 8 16 32 64 128 256] [--seeds 0 1 2] [--workers 2]
                                [--set KEY=VALUE ...]

A grid search through mlp-search, the project's one mechanism for sweeps: one DVC
experiment per (hidden, seed), every other param as params.yaml has it or as --set
changes it (`--set mae_floor=0` is plain MAE), run by --workers workers, then a markdown
table of every run's test figures. The table reports every cell, so it reads the test
set of each; a search that chooses among them goes by validation (search.yaml). The
study is named after what it runs (the commit and the grid), so running the same grid
on the same commit again only prints it, and
its experiments stay in the repository's experiment list, as any `dvc exp run`'s do.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def grid_space(widths: list[int], seeds: list[int], changes: list[str]) -> dict:
    """search.yaml's form of the grid: every width with every seed, and --set as one-choice lists."""
    params: dict[str, list] = {"hidden": widths, "seed": seeds}
    for change in changes:
        key, _, value = change.partition("=")
        params[key] = [yaml.safe_load(value)]
    commit = subprocess.run(
        ["git", "rev-parse", "--short=7", "HEAD"], check=True, capture_output=True, text=True
    )
    grid = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:6]
    study = f"widths-{commit.stdout.strip()}-{grid}"
    return {"study": study, "objective": "val_accuracy", "sampler": "grid", "params": params}


def run_grid(space: dict, workers: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "widths.yaml"
        path.write_text(yaml.safe_dump(space, sort_keys=False))
        command = [sys.executable, "-m", "commands.search", "--space", str(path), "--workers", str(workers)]
        result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr.strip())


def results(study: str) -> dict[tuple[int, int], dict]:
    """(hidden, seed) -> the test metrics of each experiment of the study."""
    shown = subprocess.run(["dvc", "exp", "show", "--json"], check=True, capture_output=True, text=True)
    found = {}
    for commit in json.loads(shown.stdout):
        for experiment in commit.get("experiments") or []:
            if not (experiment.get("name") or "").startswith(f"{study}-"):
                continue
            data = experiment["revs"][0]["data"]
            params = data["params"]["params.yaml"]["data"]
            found[params["hidden"], params["seed"]] = data["metrics"]["metrics/test.json"]["data"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--workers", type=int, default=2, help="trials side by side (at most the cores)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="another param")
    args = parser.parse_args()

    start = time.monotonic()
    space = grid_space(args.widths, args.seeds, args.set)
    run_grid(space, args.workers)
    table = results(space["study"])
    minutes = (time.monotonic() - start) / 60
    settings = f" with {', '.join(args.set)}" if args.set else ""
    print(f"{len(table)} experiments{settings} in {minutes:.1f} min with {args.workers} workers")
    print("test accuracy, and in brackets the lowest accuracy of any one digit:\n")
    print("| hidden | " + " | ".join(f"seed {seed}" for seed in args.seeds) + " |")
    print("|---|" + "---|" * len(args.seeds))
    for width in args.widths:
        cells = []
        for seed in args.seeds:
            metrics = table.get((width, seed))
            cells.append(
                f"{metrics['test_accuracy']:.2%} ({metrics['test_lowest_digit_accuracy']:.1%})"
                if metrics
                else "failed"
            )
        print(f"| {width} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
