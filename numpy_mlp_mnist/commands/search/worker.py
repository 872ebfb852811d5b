"""A worker: one workspace, and the trials it runs there one at a time.

Each trial is asked of the study, run as `dvc exp run -n STUDY-NUMBER -S key=value ...`,
its objective read from the experiment's metrics/validation.json and told to the study,
and the experiment pushed. While it runs, the worker beats a heart in the storage, so that
other workers know it is alive. Every call to the storage waits through an outage
(storage.Storage); a stop (Ctrl-C, SIGTERM, a time limit) hands the running trial back:
failed, its configuration queued to run again, the workspace clean.
"""

import enum
import json
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import optuna
import sqlalchemy
from optuna.trial import TrialState

from numpy_mlp_mnist.commands.search.report import format_value
from numpy_mlp_mnist.commands.search.shell import last_error_line
from numpy_mlp_mnist.commands.search.space import SearchSpace
from numpy_mlp_mnist.commands.search.storage import Storage
from numpy_mlp_mnist.commands.search.workspace import (
    WORKSPACES,
    Meter,
    Workspace,
    kill_if_alive,
    one_at_a_time,
    release_workspace,
    start_experiment,
    stop_gently,
)
from numpy_mlp_mnist.errors import UserError

FAILURES_IN_A_ROW = 3  # a worker whose trials keep failing stops: something is broken, not unlucky
POLL_SECONDS = 2.0
STOP_SECONDS = 15.0  # a stopped experiment that has not ended by then is killed


class DatabaseMeter:
    """Round trips to the database and their time, counted for each worker (its own thread
    and its heartbeat's) from SQLAlchemy's own events."""

    def __init__(self, engine: sqlalchemy.engine.Engine) -> None:
        self.local = threading.local()
        sqlalchemy.event.listen(engine, "before_cursor_execute", self.before)
        sqlalchemy.event.listen(engine, "after_cursor_execute", self.after)

    def count_for(self, tally: dict[str, float]) -> None:
        """Count this thread's round trips into `tally` from now on."""
        self.local.tally = tally

    def before(self, *args: object) -> None:
        self.local.started = time.perf_counter()

    def after(self, *args: object) -> None:
        tally = getattr(self.local, "tally", None)
        if tally is not None:
            tally["db_queries"] += 1
            tally["db_seconds"] += time.perf_counter() - self.local.started


@dataclass(frozen=True)
class Search:
    """What every worker of this process shares: `stop` ends them all, `deadline`
    (time.monotonic()) is when none may start another trial."""

    root: Path  # the repository
    space: SearchSpace
    storage: Storage
    meter: DatabaseMeter
    baseline: str  # the commit every trial runs on
    stop: threading.Event
    deadline: float
    say: Callable[[str], None]


class Outcome(enum.Enum):
    """How a worker's trial ended: only FAILED counts towards a worker's giving up."""

    COMPLETED = "its value told"
    FAILED = "its experiment failed"
    SURPLUS = "the study had its trials already; pruned"
    TAKEN_OVER = "another worker took it for dead and runs it again"
    HANDED_BACK = "stopped; its configuration queued to run again"


@dataclass
class Worker:
    """One of this process's workers."""

    number: int  # of its workspace, whose lock it holds
    lock: int  # the workspace's open lock file
    search: Search
    process: object = None  # the running `dvc exp run`, a subprocess.Popen
    error: str | None = None
    requeued: list[int] = field(default_factory=list)  # trials whose configuration was queued again
    done: threading.Event = field(default_factory=threading.Event)
    trial_seconds: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"worker {self.number}"

    def call(self, operation: Callable[[], object]) -> object:
        return self.search.storage.call(operation, self.name)

    def run(self) -> None:
        """Run trials until the study has its number of completed ones, or a stop."""
        try:
            workspace = Workspace(self.search.root, self.number, self.search.baseline)
            workspace.prepare()
            self.fill_cache(workspace)
            study = self.call(
                lambda: optuna.load_study(study_name=self.search.space.study, storage=self.search.storage.rdb)
            )
            failures = 0
            while not self.search.stop.is_set():
                if self.search.storage.may_fail_stale_trials():
                    self.call(lambda: optuna.storages.fail_stale_trials(study))
                trials = self.call(lambda: study.get_trials(deepcopy=False))
                complete = sum(trial.state == TrialState.COMPLETE for trial in trials)
                running = sum(trial.state == TrialState.RUNNING for trial in trials)
                if complete >= self.search.space.trials or not self.time_for_a_trial():
                    return
                if complete + running >= self.search.space.trials:
                    self.search.stop.wait(POLL_SECONDS)  # enough are running; one may yet die
                    continue
                failed = self.one_trial(study, workspace) is Outcome.FAILED
                failures = failures + 1 if failed else 0
                if failures >= FAILURES_IN_A_ROW:
                    self.error = f"{self.name} stopped after {failures} failed trials in a row"
                    return
        except UserError as error:
            self.error = str(error)
        finally:
            release_workspace(self.search.root, self.number, self.lock)
            self.done.set()

    def time_for_a_trial(self) -> bool:
        """Whether a trial as long as this worker's usual one ends before the deadline."""
        usual = statistics.median(self.trial_seconds) if self.trial_seconds else 0.0
        return time.monotonic() + usual < self.search.deadline

    def one_trial(self, study: optuna.Study, workspace: Workspace) -> Outcome:
        """Ask, run, tell."""
        tally = {"db_queries": 0, "db_seconds": 0.0}
        self.search.meter.count_for(tally)
        trial = self.call(lambda: self.search.space.ask(study))
        with self.heartbeat(trial, tally):
            if self.is_surplus(study, trial):
                return Outcome.SURPLUS
            values = self.call(lambda: self.search.space.suggest(trial))
            name = f"{self.search.space.study}-{trial.number}"
            self.call(lambda: trial.set_user_attr("experiment", name))
            pushes = Meter()
            start = time.perf_counter()
            try:
                value, train_s = self.experiment(workspace, name, values)
                pushed = time.perf_counter()
                workspace.push(name, pushes)
            except UserError as error:
                if not self.told(study, trial, {}, state=TrialState.FAIL):
                    return Outcome.TAKEN_OVER
                if self.search.stop.is_set():
                    self.requeue(study, trial.number)
                    workspace.clean()
                    return Outcome.HANDED_BACK
                self.search.say(f"trial {trial.number} failed: {error}")
                return Outcome.FAILED
            trial_s = time.perf_counter() - start
            self.trial_seconds.append(trial_s)
            times = {"train_s": train_s, "trial_s": trial_s, "push_s": time.perf_counter() - pushed}
            costs = {key: round(cost, 4) for key, cost in (asdict(pushes) | tally | times).items()}
            if not self.told(study, trial, costs, value=value):
                return Outcome.TAKEN_OVER
            shown = ", ".join(f"{key}={format_value(value)}" for key, value in values.items())
            self.search.say(
                f"trial {trial.number}: {shown} -> {self.search.space.objective} {value:.5f} "
                f"[{name}, {self.name}, {trial_s:.1f} s]"
            )
            return Outcome.COMPLETED

    def told(
        self,
        study: optuna.Study,
        trial: optuna.Trial,
        attributes: dict[str, float],
        value: float | None = None,
        state: TrialState | None = None,
    ) -> bool:
        """The study told the trial's attributes and its value (or its state); False if it
        had been failed meanwhile (its heartbeat lapsed while this worker was cut off, and
        another worker queued its configuration again)."""
        try:
            for key, attribute in attributes.items():
                self.call(lambda key=key, attribute=attribute: trial.set_user_attr(key, attribute))
            # Skipped if finished: by this worker's own tell, whose answer the storage lost,
            # or by another worker's stale check.
            frozen = self.call(lambda: study.tell(trial, value, state=state, skip_if_finished=True))
        except optuna.exceptions.UpdateFinishedTrialError:  # finished between the read and the write
            frozen = self.call(lambda: study.get_trials(deepcopy=False)[trial.number])
        if frozen.state in (TrialState.COMPLETE, state):
            return True
        self.search.say(f"trial {trial.number}: another worker took it for dead meanwhile, and runs it again")
        return False

    def is_surplus(self, study: optuna.Study, trial: optuna.Trial) -> bool:
        """Two workers may ask at the same moment for the study's last trial: the later one
        stands down (pruned, its configuration queued again if it was a retry)."""
        trials = self.call(lambda: study.get_trials(deepcopy=False))
        complete = sum(t.state == TrialState.COMPLETE for t in trials)
        earlier = sum(t.state == TrialState.RUNNING and t.number < trial.number for t in trials)
        if complete + earlier < self.search.space.trials:
            return False
        self.call(lambda: study.tell(trial, state=TrialState.PRUNED))
        if "failed_trial" in trials[trial.number].system_attrs:
            self.requeue(study, trial.number)
        return True

    def requeue(self, study: optuna.Study, number: int) -> None:
        """The trial's configuration queued to run again, as a dead worker's is: once, though
        another worker may have queued it already (it failed the trial as stale)."""
        trials = self.call(lambda: study.get_trials(deepcopy=False))
        # Optuna's retries carry the numbers they retry, the last one being theirs.
        if not any(trial.system_attrs.get("retry_history", [None])[-1] == number for trial in trials):
            self.call(lambda: optuna.storages.RetryHeartbeatStaleTrialCallback()(study, trials[number]))
        self.requeued.append(number)

    @contextmanager
    def heartbeat(self, trial: optuna.Trial, tally: dict[str, float]) -> Iterator[None]:
        """Beat in the storage while the trial runs, so other workers know it is alive; a
        beat the storage misses marks it away, and the next one tries again."""
        done = threading.Event()

        def beat() -> None:
            self.search.meter.count_for(tally)
            while True:
                try:
                    # Optuna's own heartbeat thread beats with the same private id.
                    self.search.storage.rdb.record_heartbeat(trial._trial_id)
                except Exception:  # a missed beat, whatever the storage said; the next may pass
                    self.search.storage.mark_away()
                if done.wait(self.search.storage.rdb.heartbeat_interval):
                    return

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def fill_cache(self, workspace: Workspace) -> None:
        """The data's stages (fetch and prepare) run at the baseline by one workspace of the
        clone at a time, before any trial: their outputs, the same for every trial that does
        not vary the data's params, are then in the shared DVC cache, and no trial makes
        them again. Two DVC processes that commit the same object to one cache at once can
        fail ("No such file or directory"): the first trials of workers starting together
        on an empty cache did."""
        with one_at_a_time(self.search.root / WORKSPACES / "cache.lock"):
            if self.search.stop.is_set():
                return
            self.process = start_experiment(["dvc", "repro", "prepare"], workspace.path)
            if self.search.stop.is_set():  # a stop that came while it started
                self.interrupt()
            output, _ = self.process.communicate()
            code, self.process = self.process.returncode, None
        if code != 0 and not self.search.stop.is_set():
            raise UserError(f"dvc repro prepare in {workspace.path}: {last_error_line(output)}")

    def experiment(self, workspace: Workspace, name: str, values: dict[str, object]) -> tuple[float, float]:
        """`dvc exp run` of the trial in the workspace: its objective, and its train stage's seconds."""
        settings = [f"-S{key}={format_value(value)}" for key, value in values.items()]
        log = self.search.root / WORKSPACES / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        stages: dict[str, float] = {}
        with log.open("w", buffering=1) as written:  # line by line: `tail -f` shows the trial live
            self.process = start_experiment(["dvc", "exp", "run", "-n", name, *settings], workspace.path)
            if self.search.stop.is_set():  # a stop that came while it started
                self.interrupt()
            for line in self.process.stdout:
                written.write(line)
                if stage := re.match(r"Running stage '(\w+)'", line):
                    stages[stage[1]] = time.perf_counter()
            code = self.process.wait()
            self.process = None
        finished = time.perf_counter()
        if code != 0:
            why = "interrupted" if self.search.stop.is_set() else last_error_line(log.read_text())
            raise UserError(f"{why} (log: {log.relative_to(self.search.root)})")
        metrics = json.loads((workspace.path / "metrics" / "validation.json").read_text())
        train_start = stages.get("train", finished)
        train_end = min([t for t in stages.values() if t > train_start], default=finished)
        return float(metrics[self.search.space.objective]), train_end - train_start

    def interrupt(self) -> None:
        """Forward Ctrl-C to the experiment that is running, so DVC stops it cleanly; kill it
        if it has not stopped in STOP_SECONDS (a time limit's SIGKILL follows soon)."""
        process = self.process
        if process is None:
            return
        stop_gently(process)
        threading.Thread(target=kill_if_alive, args=(process, STOP_SECONDS), daemon=True).start()
