"""The study's storage: opened with heartbeats, checked against this clone, and waited for
while it is away.

A database that goes away (a restart, a failover, the network) does not end the search:
every call to it is retried until it answers again, each worker says so in one line when
it starts to wait and when it goes on, and only a storage away for longer than the
patience given ends the worker, in one line, its running trial left to the heartbeat's
retry by another worker. The trap is the heartbeat itself: while the storage is away no
worker can beat, so when it comes back every running trial looks dead. A worker that saw
the storage away therefore fails no stale trial until a grace period after its return,
by when every live worker has beaten again: otherwise a live trial would be failed, and
its configuration run twice.
"""

import re
import socket
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import optuna
import psycopg
import sqlalchemy

from numpy_mlp_mnist.commands.search.shell import last_error_line
from numpy_mlp_mnist.commands.search.space import SearchSpace
from numpy_mlp_mnist.errors import UserError

STORAGE_VARIABLE = "MLP_SEARCH_STORAGE"
# How often a worker that lost the race to create Optuna's tables in an empty database
# looks again for the tables the winner made.
SCHEMA_ATTEMPTS = 4
RETRY_SECONDS = 2.0  # between two calls to a storage that is away

Result = TypeVar("Result")


def hide_password(url: str) -> str:
    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)


def sqlite_file(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def claim_sqlite_for_this_host(database: Path) -> None:
    """SQLite's file locks do not hold across hosts that share a folder: a study file used
    from two hosts at once can corrupt (SQLite's own FAQ). The first host to use the file
    writes its name beside it; any other host is refused in one line."""
    marker = database.with_name(database.name + ".host")
    host = socket.gethostname()
    try:
        with marker.open("x") as claim:
            claim.write(host + "\n")
        return
    except FileExistsError:
        owner = marker.read_text().strip()
    except OSError as error:
        raise UserError(
            f"{marker}: cannot be written ({error.strerror}); expected a writable folder"
        ) from None
    if owner != host:
        raise UserError(
            f"{database} is the study of host {owner!r}, and this is {host!r}: SQLite's locks do not hold "
            "across hosts that share a folder, and the file would corrupt; give every host the same "
            "PostgreSQL URL (--storage postgresql+psycopg://...), or remove "
            f"{marker} if {owner} searches here no more"
        )


def unreachable(error: BaseException) -> str | None:
    """The reason, if `error` (or what it wraps) says the storage cannot be reached."""
    while error is not None:
        if isinstance(error, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
            return last_error_line(str(error.orig))
        if isinstance(error, psycopg.OperationalError | ConnectionError):
            return last_error_line(str(error))
        error = error.__cause__ or error.__context__
    return None


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
    sqlite = sqlite_file(url) is not None
    attempt = 0
    while True:
        try:
            return optuna.storages.RDBStorage(
                url,
                # Processes on one SQLite file take turns; let one wait for another's write.
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
            attempt += 1
            if attempt == SCHEMA_ATTEMPTS:
                raise UserError(f"storage {shown}: {last_error_line(str(error.orig))}") from None
            time.sleep(attempt)
        except sqlalchemy.exc.SQLAlchemyError as error:
            reason = last_error_line(str(getattr(error, "orig", None) or error))
            raise UserError(f"cannot reach the storage {shown}: {reason}") from None


@dataclass
class Storage:
    """The study's storage as the workers of one process share it: each call waited for
    while the storage is away, and the time it was last seen away."""

    rdb: optuna.storages.RDBStorage
    url: str
    patience: float  # seconds a call waits for the storage before its worker gives up
    say: Callable[[str], None]
    last_away: float = float("-inf")  # time.monotonic() of the last call that failed to reach it
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def shown(self) -> str:
        return hide_password(self.url)

    def call(self, operation: Callable[[], Result], who: str, patience: float | None = None) -> Result:
        """operation(), called again while the storage is away, for up to `patience` seconds
        (this storage's own if None)."""
        patience = self.patience if patience is None else patience
        away_since = None
        while True:
            try:
                result = operation()
            except Exception as error:
                reason = unreachable(error)
                if reason is None:
                    raise
                self.mark_away()
                if away_since is None and patience:
                    self.say(
                        f"{who}: the storage cannot be reached ({reason}); waiting up to {patience:.0f} s"
                    )
                away_since = away_since or time.monotonic()
                if time.monotonic() - away_since >= patience:
                    raise UserError(
                        f"{who}: the storage {self.shown} could not be reached for {patience:.0f} s "
                        f"({reason}); stopped, and any trial it ran is left to another worker's retry"
                    ) from None
                time.sleep(RETRY_SECONDS)
                continue
            if away_since is not None:
                self.say(f"{who}: the storage is back after {time.monotonic() - away_since:.0f} s; going on")
            return result

    def mark_away(self) -> None:
        with self.lock:
            self.last_away = time.monotonic()

    def may_fail_stale_trials(self) -> bool:
        """Not until a grace period after the storage was last seen away: while it was,
        nobody could beat, and every live trial would look dead."""
        with self.lock:
            return time.monotonic() - self.last_away > self.rdb.grace_period


def recorded_search(study: optuna.Study) -> dict | None:
    """What the study records of the search it runs (its commit, search.yaml and trials),
    or None before the first worker records it; studies of earlier releases kept each in
    an attribute of its own."""
    attributes = study.user_attrs
    if "search" in attributes:
        return attributes["search"]
    if "baseline" in attributes:
        return {key: attributes.get(key) for key in ("baseline", "space", "trials")}
    return None


def open_study(storage: Storage, space: SearchSpace, baseline: str, taken: list[str]) -> optuna.Study:
    """The study named in search.yaml, which runs on commit `baseline`: created on first use with
    this commit and space recorded (as one attribute, so that a worker starting at the same
    moment sees all of it or nothing); a later worker must bring the same ones. `taken`
    lists the experiments of this repository named like the study's, which a new study
    must not reuse."""
    names = storage.call(lambda: optuna.get_all_study_names(storage.rdb), "mlp-search")
    if space.study not in names and taken:
        raise UserError(
            f"experiments of an earlier study {space.study!r} are in this repository ({taken[0]}, ...); "
            "name the new study differently in search.yaml"
        )
    study = storage.call(
        lambda: optuna.create_study(
            storage=storage.rdb, study_name=space.study, direction=space.direction, load_if_exists=True
        ),
        "mlp-search",
    )
    # The objective's name, which optuna-dashboard shows beside each value.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage.call(lambda: study.set_metric_names([space.objective]), "mlp-search")
    record = storage.call(lambda: recorded_search(study), "mlp-search")
    if record is None:
        ours = {"baseline": baseline, "space": space.as_json(), "trials": space.trials}
        storage.call(lambda: study.set_user_attr("search", ours), "mlp-search")
        record = storage.call(lambda: recorded_search(study), "mlp-search")  # ours, or a faster worker's
    if record["baseline"] != baseline:
        theirs = record["baseline"][:7]
        raise UserError(
            f"study {space.study!r} runs on commit {theirs}, this clone is at {baseline[:7]}; "
            f"check out that commit (git checkout {theirs}) or name a new study in search.yaml"
        )
    if (
        record["space"] is None
        or not space.is_recorded_as(record["space"])
        or record["trials"] != space.trials
    ):
        raise UserError(
            f"study {space.study!r} was started with another search.yaml; "
            "give this one a study name of its own, or restore the one it was started with"
        )
    return study
