"""The train stage's epoch time at another commit and at this work tree, side by side:

    python -m benchmarks.engine_change [--before REV] [--rounds 5] [--epochs 4]

What a change to the engine costs in speed. The other commit is checked out into a
temporary git worktree that reads this tree's data/prepared; each round runs one
process per side, alternately, each training `--epochs` epochs with its own tree's
params.yaml through the train stage's own `fit`, on one thread. The first epoch of each
process is left out (caches warm up), the median of the rest is each side's epoch time.
The change is the median of the rounds' ratios (each round's after / before, side by
side, so that the machine's drift cancels), with their range.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Run inside each tree: the same code for both, so only the engine and stages differ.
EPOCHS_TIMED = """
import dataclasses, sys, time
from pathlib import Path
import numpy as np
from benchmarks.one_run import one_thread
from numpy_mlp_mnist.datasets import read_split
from numpy_mlp_mnist.params import load_params
from numpy_mlp_mnist.fit import fit
one_thread()
params = dataclasses.replace(load_params(), epochs=int(sys.argv[1]))
data = [a for split in ("train", "val") for a in read_split(Path("data/prepared"), split, np.float32)]
stamps = [time.perf_counter()]
fit(params, *data, on_epoch=lambda record: stamps.append(time.perf_counter()))
print(" ".join(f"{b - a:.6f}" for a, b in zip(stamps, stamps[1:])))
"""


def epoch_times(tree: Path, epochs: int) -> list[float]:
    result = subprocess.run(
        [sys.executable, "-c", EPOCHS_TIMED, str(epochs)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(seconds) for seconds in result.stdout.split()][1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="HEAD", help="the commit to compare with (default HEAD)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        before = Path(scratch) / "before"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(before), args.before], cwd=REPO, check=True
        )
        try:
            shutil.rmtree(before / "data" / "prepared", ignore_errors=True)
            (before / "data" / "prepared").symlink_to(REPO / "data" / "prepared")
            times: dict[str, list[float]] = {"before": [], "after": []}
            ratios = []
            for _ in range(args.rounds):
                round_before = epoch_times(before, args.epochs)
                round_after = epoch_times(REPO, args.epochs)
                ratios.append(statistics.median(round_after) / statistics.median(round_before))
                times["before"] += round_before
                times["after"] += round_after
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=REPO, check=True)
    medians = {side: statistics.median(seconds) for side, seconds in times.items()}
    count = len(times["after"])
    print(f"epoch of the train stage, median of {count} ({args.rounds} rounds, alternating), one thread:")
    print(f"  {args.before}: {medians['before']:.4f} s")
    print(f"  work tree: {medians['after']:.4f} s")
    print(
        f"  work tree / {args.before}: {statistics.median(ratios):.3f} "
        f"(median of the rounds' ratios; {min(ratios):.3f}-{max(ratios):.3f})"
    )


if __name__ == "__main__":
    main()
