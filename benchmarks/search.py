"""What each mlp-search trial costs the parts every worker shares, with 1, 2, 4 and 8
processes at once: the database, the git repositories, the DVC remote.

    python -m benchmarks.search [--processes 1 2 4 8] [--trials-per-process 2]   # after dvc repro

A machine of 2 cores running 8 processes measures their contention for the CPU, not how
they coordinate, so throughput is not the figure here: every trial records what it cost
the shared parts (numpy_mlp_mnist/commands/search/worker.py): its round trips to the
database and their time (its heartbeats' included), its pushes of git refs and DVC
objects and their time, and the pushes that met another process's lock and were tried
again. A scratch team stands for a cluster: a bare git repository as `origin`, a folder
as the DVC remote, one PostgreSQL server (tests/support/postgres.py, the tests' own, which needs Debian's
PostgreSQL, and root to run it as `postgres`), and one clone that every process shares,
as nodes share a home folder. Trials train the committed network for 1 epoch, so that
the shared parts weigh as much as they can against the work. Each number of processes
runs a study of its own; the medians are over its trials.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
import yaml

from tests.support.postgres import postgres_server

ROOT = Path(__file__).resolve().parents[1]
COSTS = {
    "db_queries": "database round trips",
    "db_seconds": "their time, ms",
    "git_pushes": "git pushes",
    "git_seconds": "their time, s",
    "lock_waits": "pushes retried",
    "lock_seconds": "time lost to locks, s",
    "dvc_pushes": "pushes with DVC data",
    "dvc_seconds": "their time, s",
    "trial_s": "trial, s",
}


def run(command: list[str], cwd: Path) -> str:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "DVC_NO_ANALYTICS": "1", "HOME": str(cwd)}
    return subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def team(folder: Path) -> Path:
    """A bare repository of this one's last commit, a DVC remote, and a shared clone at 1 epoch."""
    bare, clone, store = folder / "team.git", folder / "shared", folder / "dvc-store"
    run(["git", "clone", "-q", "--bare", str(ROOT), str(bare)], folder)
    run(["git", "clone", "-q", str(bare), str(clone)], folder)
    for key, value in (("user.name", "benchmark"), ("user.email", "benchmark@localhost")):
        run(["git", "config", key, value], clone)
    run(["dvc", "cache", "dir", "--local", run(["dvc", "cache", "dir"], ROOT).strip()], clone)
    # -f: the clone may bring a remote of that name from the team's config (docs/workflow.md adds one).
    run(["dvc", "remote", "add", "-f", "-d", "store", str(store)], clone)
    params = clone / "params.yaml"
    params.write_text(params.read_text().replace("\nepochs: 30", "\nepochs: 1"))
    run(["dvc", "repro", "-q"], clone)
    run(["git", "commit", "-qam", "1 epoch"], clone)
    run(["git", "push", "-q", "origin", "HEAD"], clone)
    run(["dvc", "push", "-q"], clone)
    return clone


def one_study(clone: Path, url: str, processes: int, trials: int) -> list[optuna.trial.FrozenTrial]:
    name = f"p{processes}"
    space = {"study": name, "trials": trials, "objective": "accuracy",
             "params": {"lr": {"low": 0.003, "high": 0.008}}}  # fmt: skip
    (clone / "search.yaml").write_text(yaml.safe_dump(space, sort_keys=False))
    run(["git", "commit", "-qam", f"study {name}"], clone)
    run(["git", "push", "-q", "origin", "HEAD"], clone)
    command = [sys.executable, "-m", "numpy_mlp_mnist.commands.search", "--storage", url]
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "DVC_NO_ANALYTICS": "1",
        "HOME": str(clone),
    }
    started = [
        subprocess.Popen(command, cwd=clone, env=env, stdout=subprocess.DEVNULL) for _ in range(processes)
    ]
    for process in started:
        if process.wait() != 0:
            raise SystemExit(f"an mlp-search process of study {name} failed")
    study = optuna.load_study(study_name=name, storage=url)
    return [trial for trial in study.get_trials() if trial.state.name == "COMPLETE"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--trials-per-process", type=int, default=2)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    rows = {}
    with tempfile.TemporaryDirectory() as scratch, postgres_server() as server:
        clone = team(Path(scratch))
        for processes in args.processes:
            trials = one_study(clone, server.url, processes, processes * args.trials_per_process)
            rows[processes] = {
                key: statistics.median(trial.user_attrs[key] for trial in trials) for key in COSTS
            } | {
                "trials": len(trials),
                "lock_waits_all": sum(trial.user_attrs["lock_waits"] for trial in trials),
            }

    print(f"{cpu_name()}; one PostgreSQL study per row, 1-epoch trials, medians per trial\n")
    print("| processes | trials | " + " | ".join(COSTS.values()) + " |")
    print("|---:|---:|" + "---:|" * len(COSTS))
    for processes, row in rows.items():
        cells = [f"{row[key] * 1000:.0f}" if key == "db_seconds" else f"{row[key]:.2f}" for key in COSTS]
        print(f"| {processes} | {row['trials']} | " + " | ".join(cells) + " |")
    print(
        "\npushes retried in all, by row: "
        + ", ".join(f"{p}: {r['lock_waits_all']}" for p, r in rows.items())
    )


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    return "unknown CPU"


if __name__ == "__main__":
    main()
