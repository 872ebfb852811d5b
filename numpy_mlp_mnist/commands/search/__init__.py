"""mlp-search: a hyperparameter search whose every trial is a DVC experiment of this repository.

    mlp-search [--workers N] [--storage URL] [--space search.yaml] [--heartbeat SECONDS]
               [--storage-patience SECONDS] [--stop-after DURATION]

search.yaml says what to vary and what to optimise (space.py). Optuna keeps the study in
a storage that every worker shares and hands each worker its next configuration; the
worker runs it as `dvc exp run -n STUDY-NUMBER -S key=value ...` in a workspace of its
own (a clone under .dvc/tmp/search/, sharing this repository's DVC cache), reads the
objective from metrics/validation.json, tells the study, and pushes the experiment to
this repository, and to its git remote `origin` and DVC remote where they exist
(worker.py). So `dvc exp show` lists every trial, and `dvc exp apply` and `dvc pull`
give any trial's model, on this machine or any clone.

Any number of mlp-search processes may share one clone, on one machine or on many nodes
that share its folder: each takes workspaces no live process holds (workspace.py). With
no storage given (--storage, or the MLP_SEARCH_STORAGE variable, which keeps a password
out of shell history and `ps`), the study lives in an SQLite file under .dvc/tmp/search/,
for the processes of one host. Across hosts, give every one the same PostgreSQL URL:
workers join and leave at any time, the study stops at its number of completed trials
across all of them, and an outage of the database is waited through (storage.py). Each
trial beats a heart in the storage; a worker that dies outright (SIGKILL, power loss)
stops beating, and the next worker to look fails its trial and runs the same
configuration again. Optuna's journal file, the other storage meant for several
processes, keeps no heartbeats in this release, so a dead worker's trial would never be
handed on: hence SQLite here.
"""

import argparse
import os
import re
import signal
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

import optuna

from numpy_mlp_mnist.commands.search.report import report
from numpy_mlp_mnist.commands.search.shell import answer_of, run
from numpy_mlp_mnist.commands.search.space import load_space
from numpy_mlp_mnist.commands.search.storage import (
    STORAGE_VARIABLE,
    Storage,
    claim_sqlite_for_this_host,
    hide_password,
    open_storage,
    open_study,
    sqlite_file,
)
from numpy_mlp_mnist.commands.search.worker import DatabaseMeter, Search, Worker
from numpy_mlp_mnist.commands.search.workspace import (
    WORKSPACES,
    experiments_named_like,
    repository_root,
    take_free_workspace,
)
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.programs import run_program

DEFAULT_STORAGE = WORKSPACES / "optuna.sqlite3"
DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?")


class Printer:
    """One line at a time from every worker."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self.lock:
            print(line, flush=True)


def seconds_in(duration: str) -> float:
    """Seconds in a duration such as 5400, 90m or 3h50m; a UserError for anything else."""
    parts = DURATION.fullmatch(duration)
    if not duration or parts is None:
        raise UserError(
            f"--stop-after {duration!r}: expected a duration such as 3h50m, 90m or 5400 (seconds)"
        )
    hours, minutes, seconds = (int(part or 0) for part in parts.groups())
    return 3600 * hours + 60 * minutes + seconds


def checked(args: argparse.Namespace) -> None:
    if not 1 <= args.workers <= 64:
        raise UserError(f"--workers {args.workers}: expected a whole number from 1 to 64")
    if not 1 <= args.heartbeat <= 600:
        raise UserError(f"--heartbeat {args.heartbeat}: expected seconds from 1 to 600")
    if not 0 <= args.storage_patience <= 7 * 24 * 3600:
        raise UserError(f"--storage-patience {args.storage_patience}: expected seconds from 0 to 604800")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="mlp-search", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="trials run side by side here (default: 1)")
    parser.add_argument(
        "--storage", help=f"the study's database URL (default: ${STORAGE_VARIABLE}, else {DEFAULT_STORAGE})"
    )
    parser.add_argument("--space", type=Path, default=Path("search.yaml"), help="default: %(default)s")
    parser.add_argument(
        "--heartbeat", type=int, default=10, help="seconds between a trial's heartbeats; dead after 3 missed"
    )
    parser.add_argument(
        "--storage-patience", type=float, default=600,
        help="seconds to wait for a storage that went away before a worker stops (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--stop-after", metavar="DURATION",
        help="take no trial that would not end by then, e.g. 3h50m in a job of 4 hours (default: no limit)",
    )  # fmt: skip
    return parser.parse_args()


def storage_for(args: argparse.Namespace, root: Path, say: Printer) -> tuple[Storage, str]:
    """The study's storage as the arguments name it, and its URL; an SQLite file is made
    here and claimed for this host."""
    url = args.storage or os.environ.get(STORAGE_VARIABLE) or f"sqlite:///{root / DEFAULT_STORAGE}"
    database = sqlite_file(url)
    if database is not None:
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(
                f"{database.parent}: cannot be made ({error.strerror}); expected a folder to write in"
            ) from None
        claim_sqlite_for_this_host(database)
    return Storage(open_storage(url, args.heartbeat), url, args.storage_patience, say), url


def trials_stay_stoppable() -> None:
    """A trial is stopped by the SIGINT this process sends it. Started with SIGINT ignored
    (`mlp-search &` in a script), this process would pass the ignoring on to every trial
    through exec, and none could be stopped; a handler of its own is reset to the default
    at exec instead. Ctrl-C itself stays ignored here, as the shell asked; SIGTERM still
    stops the search."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda signum, frame: None)


def wait_for(workers: list[Worker], stop: threading.Event) -> None:
    """Until every worker is done; at a Ctrl-C, stop them all and say which trials go back."""
    # Waited for by polling: a Ctrl-C that lands in Thread.join() can leave Python (up
    # to 3.12) taking a running thread for a finished one.
    try:
        while not all(worker.done.is_set() for worker in workers):
            time.sleep(0.2)
    except KeyboardInterrupt:
        stop.set()
        for worker in workers:
            worker.interrupt()
        while not all(worker.done.is_set() for worker in workers):
            time.sleep(0.2)
        stopped = sorted(number for worker in workers for number in worker.requeued)
        which = (
            f"trial {', '.join(map(str, stopped))} marked failed and queued to run again"
            if stopped
            else "no trial was interrupted"
        )
        print(f"mlp-search: stopped: {which}; the workspace is as it was", file=sys.stderr)
        raise SystemExit(130) from None


def finish(workers: list[Worker], search: Search, study: optuna.Study) -> None:
    """The report of the study; then the workers' errors, the first as the UserError that ends it."""
    errors = [worker.error for worker in workers if worker.error]
    upstream = bool(answer_of(["git", "remote", "get-url", "origin"], search.root))
    if not errors:
        trials = search.storage.call(lambda: study.get_trials(deepcopy=False), "mlp-search")
        report(trials, search.space, search.root, search.say, upstream)
        return
    # Ending on errors, the report waits for no storage: it may be what went away.
    with suppress(UserError):
        trials = search.storage.call(lambda: study.get_trials(deepcopy=False), "mlp-search", patience=0)
        report(trials, search.space, search.root, search.say, upstream)
    for error in errors[1:]:
        print(f"error: {error}", file=sys.stderr)
    raise UserError(errors[0])


def search_with(args: argparse.Namespace) -> None:
    checked(args)
    deadline = time.monotonic() + (seconds_in(args.stop_after) if args.stop_after else float("inf"))
    root = repository_root(Path.cwd())
    # Found at the repository's top from any folder inside it, and named as the user would.
    space = load_space(Path(os.path.relpath(args.space if args.space.exists() else root / args.space)))
    say = Printer()
    storage, url = storage_for(args, root, say)
    meter = DatabaseMeter(storage.rdb.engine)
    # Before the study is written to: a folder or a lock that fails ends it with nothing written.
    workspaces = [take_free_workspace(root) for _ in range(args.workers)]
    baseline = run(["git", "rev-parse", "HEAD"], root)
    study = open_study(storage, space, baseline, experiments_named_like(root, space.study))
    here = ", ".join(str(number) for number, _ in workspaces)
    say(
        f"mlp-search: study {space.study!r} in {hide_password(url)}: {space.trials} trials by "
        f"{space.objective} ({space.direction}), commit {baseline[:7]}, "
        f"{'workers' if len(workspaces) > 1 else 'worker'} {here} here"
    )
    search = Search(root, space, storage, meter, baseline, threading.Event(), deadline, say)
    trials_stay_stoppable()
    workers = [Worker(number, lock, search) for number, lock in workspaces]
    for worker in workers:
        threading.Thread(target=worker.run).start()
    wait_for(workers, search.stop)
    finish(workers, search, study)


def main() -> None:
    args = arguments()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    run_program(lambda: search_with(args))
