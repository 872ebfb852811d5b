"""mlp-search: a hyperparameter search whose every trial is a DVC experiment of this repository.

    mlp-search [--workers N] [--storage URL] [--space search.yaml] [--heartbeat SECONDS]

search.yaml says what to vary and what to optimise (numpy_mlp_mnist/commands/search_space.py). Optuna
keeps the study in a storage that every worker shares and hands each worker its next
configuration; the worker runs it as `dvc exp run -n STUDY-NUMBER -S key=value ...` in a
workspace of its own (a clone under .dvc/tmp/search/, sharing this repository's DVC
cache), reads the objective from metrics/validation.json, tells the study, and pushes the
experiment to this repository, and to its git remote `origin` and DVC remote where they
exist. So `dvc exp show` lists every trial, and `dvc exp apply` and `dvc pull` give any
trial's model, on this machine or any clone.

With no storage given (--storage, or the MLP_SEARCH_STORAGE variable, which keeps a
password out of shell history and `ps`), the study lives in an SQLite file under
.dvc/tmp/search/ and --workers N trials run side by side. Across machines, give every
clone the same PostgreSQL URL: workers join and leave at any time, and the study stops
at its number of completed trials across all of them. Each worker's trial beats a heart
in the storage; a worker that dies outright (SIGKILL, power loss) stops beating, and
the next worker to look fails its trial and runs the same configuration again. Optuna's
journal file, the other storage meant for several processes, keeps no heartbeats in
this release, so a dead worker's trial would never be handed on: hence SQLite here.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import optuna
import sqlalchemy
from optuna.trial import FrozenTrial, TrialState

from numpy_mlp_mnist.commands.search_space import SearchSpace, load_space
from numpy_mlp_mnist.errors import UserError, run_program

STORAGE_VARIABLE = "MLP_SEARCH_STORAGE"
WORKSPACES = Path(".dvc/tmp/search")
DEFAULT_STORAGE = WORKSPACES / "optuna.sqlite3"
FAILURES_IN_A_ROW = 3  # a worker whose trials keep failing stops: something is broken, not unlucky
POLL_SECONDS = 2.0
SCHEMA_ATTEMPTS = 4  # how often an idle worker looks whether a dead worker's trial needs it


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise UserError(f"git {' '.join(args)} in {cwd}: {last_line(result.stderr)}")
    return result.stdout.strip()


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith(("error", "fatal"))]
    return (errors or lines or ["(no output)"])[-1]


def repository_root(start: Path) -> Path:
    try:
        root = Path(git("rev-parse", "--show-toplevel", cwd=start))
    except UserError:
        root = None
    if root is None or not (root / "dvc.yaml").is_file():
        raise UserError(f"{start} is not inside a clone of the pipeline (no dvc.yaml); run mlp-search there")
    return root


def hide_password(url: str) -> str:
    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)


def open_storage(url: str, heartbeat: int) -> optuna.storages.RDBStorage:
    """The study storage at `url`, with heartbeats; one line naming what is wrong if it cannot be opened."""
    shown = hide_password(url)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    # Optuna beats hearts only inside Study.optimize; each worker here beats its own (Worker.heartbeat).
    warnings.filterwarnings(
        "ignore", message="Heartbeat of storage is supposed to be used with Study.optimize"
    )
    try:
        sqlalchemy.engine.make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise UserError(
            f"storage {shown!r} is not a database URL; expected e.g. "
            "postgresql+psycopg://user@host:5432/db or sqlite:///path/to/file"
        ) from None
    sqlite = url.startswith("sqlite")
    attempt = 0
    while True:
        try:
            return optuna.storages.RDBStorage(
                url,
                # Two workers on one SQLite file take turns; let one wait for the other's write.
                engine_kwargs={"connect_args": {"timeout": 60}} if sqlite else {"pool_pre_ping": True},
                heartbeat_interval=heartbeat,
                grace_period=3 * heartbeat,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(),
            )
        except (sqlalchemy.exc.NoSuchModuleError, ModuleNotFoundError) as error:
            raise UserError(
                f"storage {shown}: no driver for it ({error}); expected postgresql+psycopg:// or sqlite:///"
            ) from None
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError) as error:
            # Workers that start together on an empty database race to create Optuna's
            # tables; the losers find them made a moment later.
            attempt += 1
            if attempt == SCHEMA_ATTEMPTS:
                raise UserError(f"storage {shown}: {last_line(str(error.orig))}") from None
            time.sleep(attempt)
        except sqlalchemy.exc.SQLAlchemyError as error:
            reason = last_line(str(getattr(error, "orig", None) or error))
            raise UserError(f"cannot reach the storage {shown}: {reason}") from None


def open_study(storage: optuna.storages.RDBStorage, space: SearchSpace, root: Path) -> optuna.Study:
    """The study named in search.yaml: created on first use with this commit and space
    recorded; a later worker must bring the same ones."""
    baseline = git("rev-parse", "HEAD", cwd=root)
    if space.study not in optuna.get_all_study_names(storage):
        names = git("for-each-ref", "--format=%(refname:lstrip=-1)", "refs/exps", cwd=root).split()
        taken = [name for name in names if re.fullmatch(rf"{re.escape(space.study)}-\d+", name)]
        if taken:
            raise UserError(
                f"experiments of an earlier study {space.study!r} are in this repository ({taken[0]}, ...); "
                "name the new study differently in search.yaml"
            )
    study = optuna.create_study(
        storage=storage, study_name=space.study, direction=space.direction,
        sampler=space.make_sampler(), load_if_exists=True,
    )  # fmt: skip
    recorded = study.user_attrs
    if not recorded:
        study.set_user_attr("baseline", baseline)
        study.set_user_attr("space", space.as_json())
        study.set_user_attr("trials", space.trials)
        return study
    if recorded["baseline"] != baseline:
        theirs = recorded["baseline"][:7]
        raise UserError(
            f"study {space.study!r} runs on commit {theirs}, this clone is at {baseline[:7]}; "
            f"check out that commit (git checkout {theirs}) or name a new study in search.yaml"
        )
    if recorded["space"] != space.as_json() or recorded["trials"] != space.trials:
        raise UserError(
            f"study {space.study!r} was started with another search.yaml; "
            "give this one a study name of its own, or restore the one it was started with"
        )
    return study


def counts(study: optuna.Study) -> dict[TrialState, int]:
    trials = study.get_trials(deepcopy=False)
    return {state: sum(trial.state == state for trial in trials) for state in TrialState}


@dataclass
class Outcome:
    """What a finished trial measured, and where its time went."""

    value: float
    train_s: float
    trial_s: float
    push_s: float


@dataclass
class Worker:
    """One workspace and the trials it runs, one at a time."""

    index: int
    root: Path
    space: SearchSpace
    storage: optuna.storages.RDBStorage
    baseline: str
    stop: threading.Event
    say: "Printer"
    workspace: Path = field(init=False)
    process: subprocess.Popen | None = None
    upstream: bool = False  # this repository has a git remote `origin` to push experiments to
    dvc_remote: str = ""  # and this default DVC remote, for their outputs
    error: str | None = None
    requeued: list[int] = field(default_factory=list)  # trials whose configuration was queued again
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.workspace = self.root / WORKSPACES / f"worker-{self.index}"

    # --- the workspace -------------------------------------------------------------
    def prepare_workspace(self) -> None:
        """A clone of this repository at the baseline, sharing its DVC cache."""
        if (self.workspace / ".git").exists():
            git("fetch", "-q", "origin", cwd=self.workspace)
            # --force: the last trial's results are still applied here, and may stay behind.
            git("checkout", "-q", "--force", "--detach", self.baseline, cwd=self.workspace)
        else:
            self.workspace.parent.mkdir(parents=True, exist_ok=True)
            git("clone", "-q", str(self.root), str(self.workspace), cwd=self.root)
            git("checkout", "-q", "--detach", self.baseline, cwd=self.workspace)
        # Experiments of earlier runs were pushed to this repository; here their names would clash.
        for ref in git("for-each-ref", "--format=%(refname)", "refs/exps", cwd=self.workspace).split():
            git("update-ref", "-d", ref, cwd=self.workspace)
        for key, fallback in (("user.name", "mlp-search"), ("user.email", "mlp-search@localhost")):
            git("config", key, output(["git", "config", key], self.root) or fallback, cwd=self.workspace)
        upstream = output(["git", "remote", "get-url", "origin"], self.root)
        if upstream:
            subprocess.run(["git", "remote", "remove", "upstream"], cwd=self.workspace, capture_output=True)
            git("remote", "add", "upstream", upstream, cwd=self.workspace)
        self.upstream = bool(upstream)
        local_config = self.root / ".dvc" / "config.local"
        if local_config.exists():
            (self.workspace / ".dvc" / "config.local").write_text(local_config.read_text())
        cache = self.dvc("cache", "dir", cwd=self.root).strip()
        self.dvc("cache", "dir", "--local", cache)
        self.dvc("config", "--local", "cache.type", "reflink,hardlink,copy")
        self.dvc_remote = output(["dvc", "remote", "default"], self.workspace)

    def dvc(self, *args: str, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["dvc", *args], cwd=cwd or self.workspace, capture_output=True, text=True, env=environment()
        )
        if result.returncode != 0:
            raise UserError(f"dvc {' '.join(args)}: {last_line(result.stdout + result.stderr)}")
        return result.stdout

    # --- the trials ----------------------------------------------------------------
    def run(self) -> None:
        """Run trials until the study has its number of completed ones, or a stop."""
        try:
            self.prepare_workspace()
            study = optuna.load_study(
                study_name=self.space.study, storage=self.storage, sampler=self.space.make_sampler()
            )
            failures = 0
            while not self.stop.is_set():
                optuna.storages.fail_stale_trials(study)
                done = counts(study)
                if done[TrialState.COMPLETE] >= self.space.trials:
                    return
                if done[TrialState.COMPLETE] + done[TrialState.RUNNING] >= self.space.trials:
                    self.stop.wait(POLL_SECONDS)  # enough are running; one may yet die
                    continue
                failures = 0 if self.one_trial(study) else failures + 1
                if failures >= FAILURES_IN_A_ROW:
                    self.error = f"worker {self.index} stopped after {failures} failed trials in a row"
                    return
        except UserError as error:
            self.error = str(error)
        finally:
            self.done.set()

    def one_trial(self, study: optuna.Study) -> bool:
        """Ask, run, tell; False if the trial failed."""
        trial = study.ask()
        with self.heartbeat(trial):
            if self.is_surplus(study, trial):
                return True
            values = self.space.suggest(trial)
            name = f"{self.space.study}-{trial.number}"
            trial.set_user_attr("experiment", name)
            try:
                outcome = self.experiment(name, values)
            except UserError as error:
                study.tell(trial, state=TrialState.FAIL)
                if self.stop.is_set():
                    self.requeue(study, trial)
                    self.clean_workspace()
                    return True
                self.say(f"trial {trial.number} failed: {error}")
                return False
            for key, value in vars(outcome).items():
                if key != "value":
                    trial.set_user_attr(key, value)
            study.tell(trial, outcome.value)
            shown = ", ".join(f"{key}={format_value(value)}" for key, value in values.items())
            self.say(
                f"trial {trial.number}: {shown} -> {self.space.objective} {outcome.value:.5f} "
                f"[{name}, {outcome.trial_s:.1f} s]"
            )
            return True

    def is_surplus(self, study: optuna.Study, trial: optuna.Trial) -> bool:
        """Two workers may ask at the same moment for the study's last trial: the later one
        stands down (pruned, its configuration queued again if it was a retry)."""
        trials = study.get_trials(deepcopy=False)
        complete = sum(t.state == TrialState.COMPLETE for t in trials)
        earlier = sum(t.state == TrialState.RUNNING and t.number < trial.number for t in trials)
        if complete + earlier < self.space.trials:
            return False
        study.tell(trial, state=TrialState.PRUNED)
        frozen = study.get_trials(deepcopy=False)[trial.number]
        if "failed_trial" in frozen.system_attrs:
            self.requeue(study, trial)
        return True

    def requeue(self, study: optuna.Study, trial: optuna.Trial) -> None:
        """The trial's configuration queued to run again, as a dead worker's is."""
        frozen: FrozenTrial = study.get_trials(deepcopy=False)[trial.number]
        optuna.storages.RetryHeartbeatStaleTrialCallback()(study, frozen)
        self.requeued.append(trial.number)

    @contextmanager
    def heartbeat(self, trial: optuna.Trial) -> Iterator[None]:
        """Beat in the storage while the trial runs, so other workers know it is alive."""
        done = threading.Event()

        def beat() -> None:
            while True:
                with suppress(sqlalchemy.exc.SQLAlchemyError):  # a missed beat; the next may pass
                    # Optuna's own heartbeat thread beats with the same private id.
                    self.storage.record_heartbeat(trial._trial_id)
                if done.wait(self.storage.heartbeat_interval):
                    return

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def experiment(self, name: str, values: dict[str, object]) -> Outcome:
        """`dvc exp run` of one configuration in this worker's workspace, then its pushes."""
        settings = [f"-S{key}={format_value(value)}" for key, value in values.items()]
        command = ["dvc", "exp", "run", "-n", name, *settings]
        log = self.root / WORKSPACES / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        stages: dict[str, float] = {}
        start = time.perf_counter()
        with log.open("w", buffering=1) as written:  # line by line: `tail -f` shows the trial live
            self.process = subprocess.Popen(
                command, cwd=self.workspace, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                env=environment(), start_new_session=True,  # Ctrl-C reaches it through this worker
            )  # fmt: skip
            for line in self.process.stdout:
                written.write(line)
                if stage := re.match(r"Running stage '(\w+)'", line):
                    stages[stage[1]] = time.perf_counter()
            code = self.process.wait()
            self.process = None
        finished = time.perf_counter()
        if code != 0:
            why = "interrupted" if self.stop.is_set() else last_line(log.read_text())
            raise UserError(f"{why} (log: {log.relative_to(self.root)})")
        metrics = json.loads((self.workspace / "metrics" / "validation.json").read_text())
        self.dvc("exp", "push", "--no-cache", "origin", name)
        if self.upstream:
            self.dvc("exp", "push", *([] if self.dvc_remote else ["--no-cache"]), "upstream", name)
        pushed = time.perf_counter()
        train_start = stages.get("train", finished)
        train_end = min([t for t in stages.values() if t > train_start], default=finished)
        return Outcome(
            value=float(metrics[self.space.objective]), train_s=round(train_end - train_start, 2),
            trial_s=round(pushed - start, 2), push_s=round(pushed - finished, 2),
        )  # fmt: skip

    def interrupt(self) -> None:
        """Forward Ctrl-C to the experiment that is running, so DVC stops it cleanly."""
        process = self.process
        if process is not None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)

    def clean_workspace(self) -> None:
        """Nothing half-made left behind: the workspace back at the baseline."""
        with suppress(UserError):
            git("reset", "-q", "--hard", cwd=self.workspace)
            git("clean", "-q", "-fd", cwd=self.workspace)


def output(command: list[str], cwd: Path) -> str:
    """What `command` prints, or "" if it fails: for questions whose answer may be "none"."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environment())
    return result.stdout.strip() if result.returncode == 0 else ""


def environment() -> dict[str, str]:
    """This interpreter's bin first on PATH, so that `dvc` and dvc.yaml's `python` are this environment's."""
    return os.environ | {"PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}


def format_value(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


class Printer:
    """One line at a time from every worker."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self.lock:
            print(line, flush=True)


def test_accuracy(root: Path, experiment: str, upstream: bool) -> float | None:
    """The test accuracy of one experiment: the test set, looked at for the chosen trial only."""
    find_ref = ("for-each-ref", "--format=%(refname)", f"refs/exps/**/{experiment}")
    ref = git(*find_ref, cwd=root)
    if not ref and upstream:
        output(["dvc", "exp", "pull", "--no-cache", "origin", experiment], root)
        ref = git(*find_ref, cwd=root)
    if not ref:
        return None
    return json.loads(git("show", f"{ref.splitlines()[0]}:metrics/test.json", cwd=root))["test_accuracy"]


def report(study: optuna.Study, space: SearchSpace, root: Path, say: Printer, upstream: bool) -> None:
    """The best trials by the objective, and the test accuracy of the best one alone."""
    complete = [trial for trial in study.get_trials(deepcopy=False) if trial.state == TrialState.COMPLETE]
    if not complete:
        say(f"study {space.study!r}: no completed trials yet")
        return
    ranked = sorted(complete, key=lambda trial: trial.value, reverse=space.direction == "maximize")
    failed = sum(trial.state == TrialState.FAIL for trial in study.get_trials(deepcopy=False))
    summary = f"{len(complete)} completed, {failed} failed; best by {space.objective}"
    say(f"\nstudy {space.study!r}: {summary}:\n")
    say(f"| trial | {space.objective} | {' | '.join(space.params)} | experiment |")
    say("|" + "---|" * (len(space.params) + 3))
    for trial in ranked[:5]:
        values = " | ".join(format_value(trial.params[key]) for key in space.params)
        say(f"| {trial.number} | {trial.value:.5f} | {values} | {trial.user_attrs['experiment']} |")
    best = ranked[0]
    name = best.user_attrs["experiment"]
    accuracy = test_accuracy(root, name, upstream)
    test = (
        f"test accuracy {accuracy:.4f}"
        if accuracy is not None
        else f"test accuracy: `dvc exp pull origin {name}`"
    )
    say(f"\nbest: {name}, {space.objective} {best.value:.5f}; {test} (the test set, for this trial alone)")
    say(f"use it: dvc exp apply {name}" + (" && dvc pull" if upstream else ""))


def main() -> None:
    parser = argparse.ArgumentParser(prog="mlp-search", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="trials run side by side here (default: 1)")
    parser.add_argument(
        "--storage", help=f"the study's database URL (default: ${STORAGE_VARIABLE}, else {DEFAULT_STORAGE})"
    )
    parser.add_argument("--space", type=Path, default=Path("search.yaml"), help="default: %(default)s")
    parser.add_argument(
        "--heartbeat", type=int, default=10, help="seconds between a trial's heartbeats; dead after 3 missed"
    )
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def work() -> None:
        if not 1 <= args.workers <= 64:
            raise UserError(f"--workers {args.workers}: expected a whole number from 1 to 64")
        if not 1 <= args.heartbeat <= 600:
            raise UserError(f"--heartbeat {args.heartbeat}: expected seconds from 1 to 600")
        root = repository_root(Path.cwd())
        # Found at the repository's top from any folder inside it, and named as the user would.
        space = load_space(Path(os.path.relpath(args.space if args.space.exists() else root / args.space)))
        url = args.storage or os.environ.get(STORAGE_VARIABLE) or f"sqlite:///{root / DEFAULT_STORAGE}"
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        storage = open_storage(url, args.heartbeat)
        study = open_study(storage, space, root)
        baseline = study.user_attrs["baseline"]
        say = Printer()
        say(
            f"mlp-search: study {space.study!r} in {hide_password(url)}: {space.trials} trials by "
            f"{space.objective} ({space.direction}), commit {baseline[:7]}, {args.workers} worker(s) here"
        )
        stop = threading.Event()
        # A trial is stopped by the SIGINT this process sends it. Started with SIGINT
        # ignored (`mlp-search &` in a script), this process would pass the ignoring on
        # to every trial through exec, and none could be stopped; a handler of its own
        # is reset to the default at exec instead. Ctrl-C itself stays ignored here, as
        # the shell asked; SIGTERM still stops the search.
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            signal.signal(signal.SIGINT, lambda signum, frame: None)
        workers = [Worker(i, root, space, storage, baseline, stop, say) for i in range(1, args.workers + 1)]
        for worker in workers:
            threading.Thread(target=worker.run).start()
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
        errors = [worker.error for worker in workers if worker.error]
        report(study, space, root, say, workers[0].upstream)
        if errors:
            raise UserError(errors[0])

    run_program(work)


if __name__ == "__main__":
    main()
