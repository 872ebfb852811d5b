"""Test accuracy and the worst-recognised digit, for each hidden width and seed.

    python -m benchmarks.widths [--widths 8 16 32 64 128 256] [--seeds 0 1 2] [--jobs 2]
                                [--set KEY=VALUE ...]

Queues one DVC experiment per (hidden, seed), every other param as params.yaml has
it or as --set changes it (`--set mae_floor=0` is plain MAE), runs the queue with
--jobs workers, and prints a markdown table from `dvc exp show --json`. The
experiments start from the last commit and stay in the repository's experiment list
afterwards, as any `dvc exp run` does.
"""

import argparse
import json
import re
import subprocess
import time


def dvc(*args: str) -> str:
    return subprocess.run(["dvc", *args], check=True, capture_output=True, text=True).stdout


def run_sweep(widths: list[int], seeds: list[int], jobs: int, changes: list[str]) -> list[str]:
    """The names of the experiments queued, once the queue has run them all."""
    sweep = [f"hidden={','.join(map(str, widths))}", f"seed={','.join(map(str, seeds))}", *changes]
    queued = dvc("exp", "run", "--queue", *(argument for change in sweep for argument in ("-S", change)))
    names = re.findall(r"Queued experiment '([^']+)'", queued)
    dvc("queue", "start", "-j", str(jobs))
    while re.search(r"\b(Queued|Running)\b", dvc("queue", "status")):
        time.sleep(5)
    return names


def results(names: list[str]) -> dict[tuple[int, int], dict]:
    """(hidden, seed) -> the test metrics of each named experiment."""
    found = {}
    for commit in json.loads(dvc("exp", "show", "--json")):
        for experiment in commit.get("experiments") or []:
            if experiment.get("name") not in names:
                continue
            data = experiment["revs"][0]["data"]
            params = data["params"]["params.yaml"]["data"]
            found[params["hidden"], params["seed"]] = data["metrics"]["metrics/test.json"]["data"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=2, help="queue workers (at most the cores)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="another param")
    args = parser.parse_args()

    start = time.monotonic()
    table = results(run_sweep(args.widths, args.seeds, args.jobs, args.set))
    minutes = (time.monotonic() - start) / 60
    settings = f" with {', '.join(args.set)}" if args.set else ""
    print(f"{len(table)} experiments{settings} in {minutes:.1f} min with {args.jobs} workers")
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
