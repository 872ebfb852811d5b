"""A worker's workspace: a clone of the repository under .dvc/tmp/search/worker-N, sharing
its DVC cache, held by one live process at a time however many share the clone's folder.

Each workspace has a lock file beside it, worker-N.lock, which a worker holds with a POSIX
record lock (fcntl) for as long as it lives. The kernel lets go of such a lock when its
process dies, however it dies, and on NFS (v4, or v3 with lockd) the server does when the
dead host's lease runs out; `flock`, by contrast, Linux emulates on NFS with these very
locks, and a pid or a host name written in a file would need someone to judge it stale.
A process takes the lowest-numbered workspace whose lock it can get: so several processes
in one clone, on one machine or on many nodes sharing the folder, never share a
workspace, and the workspace of a process that died is taken by the next one to start.

What a dead process left in its workspace is cleared when it is taken: DVC's own record
of the locks it held (.dvc/tmp/rwlock, which names a process id that means nothing on
another host), and the experiment's half-made changes. Its `dvc exp run` does not outlive
it: on Linux, `setpriv --pdeathsig` kills it with the worker (and the stage it ran stops
with it: run_stage in numpy_mlp_mnist/programs.py), so no orphan writes into a workspace another worker holds.
"""

import fcntl
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from numpy_mlp_mnist.commands.search.shell import answer_of, environment, last_error_line, run
from numpy_mlp_mnist.errors import UserError

WORKSPACES = Path(".dvc/tmp/search")
MOST_WORKSPACES = 1024
# A push may meet another process's lock on the same repository (git locks each ref it
# updates, and the files it packs refs into): retried after a growing, randomised pause.
PUSH_ATTEMPTS = 6
PUSH_PAUSE = 0.25

_held_here: set[Path] = set()  # POSIX locks are per process: this process's workers take turns here
_held_here_lock = threading.Lock()
_one_at_a_time_here = threading.Lock()


def repository_root(start: Path) -> Path:
    root = answer_of(["git", "rev-parse", "--show-toplevel"], start)
    if not root or not (Path(root) / "dvc.yaml").is_file():
        raise UserError(f"{start} is not inside a clone of the pipeline (no dvc.yaml); run mlp-search there")
    return Path(root)


def experiments_named_like(root: Path, study: str) -> list[str]:
    names = run(["git", "for-each-ref", "--format=%(refname:lstrip=-1)", "refs/exps"], root).split()
    return [
        name for name in names if name.startswith(f"{study}-") and name.removeprefix(f"{study}-").isdigit()
    ]


def take_free_workspace(root: Path) -> tuple[int, int]:
    """(N, the open lock file) of the lowest-numbered workspace no live worker holds."""
    folder = root / WORKSPACES
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(
            f"{folder}: cannot be made ({error.strerror}); mlp-search keeps its workspaces there: "
            "expected a clone whose folder you may write in"
        ) from None
    for number in range(1, MOST_WORKSPACES + 1):
        path = folder / f"worker-{number}.lock"
        with _held_here_lock:
            if path in _held_here:
                continue
            try:
                handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise UserError(
                    f"{path}: cannot be opened to lock a workspace ({error.strerror}); "
                    f"expected a file mlp-search may write in {folder}"
                ) from None
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: a live worker holds it
                os.close(handle)
                continue
            except OSError as error:
                os.close(handle)
                raise UserError(
                    f"{path}: cannot be locked ({error.strerror}); workers that share this folder need "
                    "POSIX locks: a local disk, NFSv4, or NFSv3 with lockd"
                ) from None
            _held_here.add(path)
        # For a person who looks; the lock itself is what decides.
        os.ftruncate(handle, 0)
        os.write(handle, f"{socket.gethostname()} {os.getpid()}\n".encode())
        return number, handle
    raise UserError(f"{folder}: all {MOST_WORKSPACES} workspaces are held by live workers")


@contextmanager
def one_at_a_time(path: Path) -> Iterator[None]:
    """Held by one worker of all the processes that share the clone at a time: a POSIX lock
    on `path`, as the workspaces' (and let go the same way when its holder dies), and a
    thread lock for the workers of this process, since POSIX locks are per process."""
    with _one_at_a_time_here:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)


def release_workspace(root: Path, number: int, handle: int) -> None:
    os.close(handle)  # which lets go of the lock
    with _held_here_lock:
        _held_here.discard(root / WORKSPACES / f"worker-{number}.lock")


def without_death_signal(command: list[str]) -> list[str]:
    """`command`, killed when the thread that starts it ends (Linux's parent-death signal),
    where util-linux's setpriv is there to ask for it."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", *command] if setpriv and sys.platform == "linux" else command


@dataclass
class Meter:
    """What one trial's pushes cost: git's and DVC's, and the time lost to other processes' locks."""

    git_pushes: int = 0
    git_seconds: float = 0.0
    lock_waits: int = 0  # pushes refused while another process held a lock, then retried
    lock_seconds: float = 0.0
    dvc_pushes: int = 0
    dvc_seconds: float = 0.0


@dataclass
class Workspace:
    """Worker N's clone, at the study's baseline, with this repository as `origin` and its
    own git remote, if any, as `upstream`."""

    root: Path
    number: int
    baseline: str
    path: Path = field(init=False)
    upstream: bool = False  # this repository has a git remote `origin` to push experiments to
    dvc_remote: str = ""  # and this default DVC remote, for their outputs

    def __post_init__(self) -> None:
        self.path = self.root / WORKSPACES / f"worker-{self.number}"

    def git(self, *args: str) -> str:
        return run(["git", *args], self.path)

    def dvc(self, *args: str, cwd: Path | None = None) -> str:
        return run(["dvc", *args], cwd or self.path)

    def prepare(self) -> None:
        """A clone of this repository at the baseline, sharing its DVC cache; what a worker
        that died here left behind cleared first."""
        if (self.path / ".git").exists():
            # Held by us, so no live DVC works here: its record of locks is a dead one's.
            (self.path / ".dvc" / "tmp" / "rwlock").unlink(missing_ok=True)
            self.git("fetch", "-q", "origin")
            # --force: the last trial's results are still applied here, and may stay behind.
            self.git("checkout", "-q", "--force", "--detach", self.baseline)
            self.git("clean", "-q", "-fd")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(self.path, ignore_errors=True)  # a clone cut short
            run(["git", "clone", "-q", str(self.root), str(self.path)], self.root)
            self.git("checkout", "-q", "--detach", self.baseline)
        # Experiments of earlier runs were pushed to this repository; here their names would clash.
        for ref in self.git("for-each-ref", "--format=%(refname)", "refs/exps").split():
            self.git("update-ref", "-d", ref)
        for key, fallback in (("user.name", "mlp-search"), ("user.email", "mlp-search@localhost")):
            self.git("config", key, answer_of(["git", "config", key], self.root) or fallback)
        upstream = answer_of(["git", "remote", "get-url", "origin"], self.root)
        if upstream:
            subprocess.run(["git", "remote", "remove", "upstream"], cwd=self.path, capture_output=True)
            self.git("remote", "add", "upstream", upstream)
        self.upstream = bool(upstream)
        local_config = self.root / ".dvc" / "config.local"
        if local_config.exists():
            (self.path / ".dvc" / "config.local").write_text(local_config.read_text())
        cache = self.dvc("cache", "dir", cwd=self.root).strip()
        self.dvc("cache", "dir", "--local", cache)
        self.dvc("config", "--local", "cache.type", "reflink,hardlink,copy")
        self.dvc_remote = answer_of(["dvc", "remote", "default"], self.path)

    def push(self, experiment: str, meter: Meter) -> None:
        """The experiment into this repository, and to its git and DVC remotes where they
        exist; a push that meets another process's lock is tried again."""
        self.retried(["dvc", "exp", "push", "--no-cache", "origin", experiment], meter, to_dvc_remote=False)
        if self.upstream:
            with_data = [] if self.dvc_remote else ["--no-cache"]
            command = ["dvc", "exp", "push", *with_data, "upstream", experiment]
            self.retried(command, meter, to_dvc_remote=bool(self.dvc_remote))

    def retried(self, command: list[str], meter: Meter, to_dvc_remote: bool) -> None:
        start = time.perf_counter()
        for attempt in itertools.count(1):
            tried = time.perf_counter()
            result = subprocess.run(command, cwd=self.path, capture_output=True, text=True, env=environment())
            if result.returncode == 0:
                break
            if attempt == PUSH_ATTEMPTS:
                why = last_error_line(result.stdout + result.stderr)
                raise UserError(f"{' '.join(command[:3])} {command[-1]}: {why}")
            pause = PUSH_PAUSE * 2 ** (attempt - 1) * (1 + random.random())
            time.sleep(pause)
            meter.lock_waits += 1
            meter.lock_seconds += time.perf_counter() - tried
        seconds = time.perf_counter() - start
        if to_dvc_remote:
            meter.dvc_pushes += 1
            meter.dvc_seconds += seconds
        else:
            meter.git_pushes += 1
            meter.git_seconds += seconds

    def clean(self) -> None:
        """Nothing half-made left behind: the workspace back at the baseline."""
        for args in (("reset", "-q", "--hard"), ("clean", "-q", "-fd")):
            subprocess.run(["git", *args], cwd=self.path, capture_output=True)


def stop_gently(process: subprocess.Popen) -> None:
    """Ctrl-C to the experiment's process group: DVC and the stage it runs."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)


def kill_if_alive(process: subprocess.Popen, seconds: float) -> None:
    """SIGKILL to the experiment's process group if it has not ended within `seconds`."""
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def start_experiment(command: list[str], workspace: Path) -> subprocess.Popen:
    """`command` in a session of its own (Ctrl-C reaches it through its worker), dying with it."""
    return subprocess.Popen(
        without_death_signal(command), cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=environment(), start_new_session=True,
    )  # fmt: skip
