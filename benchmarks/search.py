"""How mlp-search scales here: completed trials per minute with 1 worker and with 2, side by side.

    python -m benchmarks.search [--trials 6] [--rounds 2]      # after dvc repro

In a scratch clone of this repository's last commit (sharing its DVC cache, so no trial
fetches MNIST), each round runs a study of --trials trials of the committed network
(params.yaml as it is, the learning rate varied) with 1 worker and with 2, in turn, each
a fresh `mlp-search` process with a fresh SQLite study, timed from outside: start-up,
workspaces, every `dvc exp run`, the pushes and the report. Then, from the studies'
records, where a trial's time goes: the train stage against everything else (DVC, the
other stages' Python start-up, the push).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import yaml

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str, cwd: Path) -> str:
    bin_dir = str(Path(sys.executable).parent)
    env = os.environ | {"PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    return subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def scratch_clone(folder: Path) -> Path:
    clone = folder / "clone"
    run("git", "clone", "-q", str(ROOT), str(clone), cwd=folder)
    run("dvc", "cache", "dir", "--local", run("dvc", "cache", "dir", cwd=ROOT).strip(), cwd=clone)
    run("dvc", "checkout", "-q", cwd=clone)
    return clone


def one_study(clone: Path, name: str, trials: int, workers: int) -> tuple[float, list]:
    """Seconds of one mlp-search run from outside, and its completed trials."""
    space = {"study": name, "trials": trials, "objective": "val_accuracy",
             "params": {"lr": {"low": 0.003, "high": 0.008}}}  # fmt: skip
    (clone / "search.yaml").write_text(yaml.safe_dump(space, sort_keys=False))
    run("git", "commit", "-qam", f"study {name}", cwd=clone)
    storage = f"sqlite:///{clone.parent / name}.sqlite3"
    start = time.perf_counter()
    run(
        sys.executable,
        "-m",
        "numpy_mlp_mnist.commands.search",
        "--workers",
        str(workers),
        "--storage",
        storage,
        cwd=clone,
    )
    seconds = time.perf_counter() - start
    study = optuna.load_study(study_name=name, storage=storage)
    return seconds, [trial for trial in study.get_trials() if trial.state.name == "COMPLETE"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6, help="completed trials per study")
    parser.add_argument("--rounds", type=int, default=2, help="studies with each number of workers, in turn")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    per_minute: dict[int, list[float]] = {1: [], 2: []}
    completed: list = []
    with tempfile.TemporaryDirectory() as scratch:
        clone = scratch_clone(Path(scratch))
        for round_ in range(args.rounds):
            for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
                seconds, trials = one_study(clone, f"w{workers}-r{round_}", args.trials, workers)
                per_minute[workers].append(len(trials) / seconds * 60)
                completed += trials
    ratios = [two / one for one, two in zip(per_minute[1], per_minute[2], strict=True)]
    print(f"{cpu_name()}, {os.cpu_count()} cores; studies of {args.trials} trials, {args.rounds} rounds\n")
    print("| workers | completed trials per minute (median) | rounds |")
    print("|---|---|---|")
    for workers, rates in per_minute.items():
        print(f"| {workers} | {statistics.median(rates):.2f} | {', '.join(f'{r:.2f}' for r in rates)} |")
    rounds = ", ".join(f"{ratio:.2f}" for ratio in ratios)
    print(f"\n2 workers / 1 worker: {statistics.median(ratios):.2f}x (rounds: {rounds})")
    train = statistics.median(trial.user_attrs["train_s"] for trial in completed)
    whole = statistics.median(trial.user_attrs["trial_s"] for trial in completed)
    push = statistics.median(trial.user_attrs["push_s"] for trial in completed)
    print(
        f"a trial, median of {len(completed)}: {whole:.1f} s, of which the train stage {train:.1f} s and "
        f"the rest {whole - train:.1f} s ({(whole - train) / whole:.0%}: DVC, the check and evaluate "
        f"stages, Python start-ups; the push alone {push:.1f} s)"
    )


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    main()
