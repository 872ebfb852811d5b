"""mlp-search where clusters live: many processes in one clone (a home folder that every
node shares) and in clones of their own, one PostgreSQL study, a process killed and its
workspace taken over, a database that goes away and comes back (or does not), Slurm's
time limit, and the recipes of docs/search.md run as written.

Trials are one epoch. Where the test runs as root, processes that stand for other nodes
get host names of their own (`unshare --uts`), as on a real cluster.
"""

import json
import os
import re
import shlex
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.postgres import binary, postgres_server
from support.repos import REPO, environment, experiments, run
from support.search import (
    complete,
    finished,
    processes_in,
    search,
    study_trials,
    write_space,
)
from support.waiting import eventually

pytestmark = [
    pytest.mark.slow,  # left out by the fast subset: pytest -m 'not slow'
    pytest.mark.skipif(binary("initdb") is None, reason="PostgreSQL is not installed (.ci/run installs it)"),
]
AS_ROOT = os.geteuid() == 0


@dataclass
class Team:
    """The team's git repository, its DVC remote, and a folder for clones."""

    bare: Path
    store: Path
    folder: Path

    def clone(self, name: str) -> Path:
        clone = self.folder / name
        run(self.folder, "git", "clone", "-q", str(self.bare), str(clone))
        run(clone, "dvc", "remote", "add", "--local", "-d", "store", str(self.store))
        # What the README's set-up leaves, for the recipes' `. .venv/bin/activate`.
        activate = clone / ".venv" / "bin" / "activate"
        activate.parent.mkdir(parents=True)
        activate.write_text(f'export PATH="{environment()["PATH"]}"\n')
        return clone


@pytest.fixture
def team(one_epoch_repo: Path, tmp_path: Path) -> Callable[..., Team]:
    def make(**space: object) -> Team:
        bare = tmp_path / "team.git"
        run(tmp_path, "git", "clone", "-q", "--bare", str(one_epoch_repo), str(bare))
        made = Team(bare, tmp_path / "dvc-store", tmp_path)
        first = made.clone("first")
        write_space(first, **space)
        run(first, "git", "commit", "-qam", f"the study {space['study']}")
        run(first, "git", "push", "-q", "origin", "HEAD")
        return made

    return make


def training_in(folder: Path) -> list[int]:
    """Processes training a trial's network in a workspace under `folder`."""
    return processes_in(folder / ".dvc" / "tmp" / "search", "stages.train")


def workspace_of(clone: Path, pid: int) -> int:
    """The number of the workspace whose lock process `pid` holds (worker-N.lock says so)."""
    for lock in (clone / ".dvc" / "tmp" / "search").glob("worker-*.lock"):
        if lock.read_text().split()[1:] == [str(pid)]:
            return int(re.search(r"worker-(\d+)", lock.name)[1])
    raise AssertionError(f"process {pid} holds no workspace")


def pulled_everywhere(team: Team, trials: list) -> None:
    """A further clone pulls every completed trial as an experiment, with the study's metric."""
    elsewhere = team.clone("elsewhere")
    names = [trial.user_attrs["experiment"] for trial in trials]
    run(elsewhere, "dvc", "exp", "pull", "origin", *names)
    shown = experiments(elsewhere)
    for trial in trials:
        assert (
            shown[trial.user_attrs["experiment"]]["metrics"]["metrics/validation.json"]["data"]["accuracy"]
            == trial.value
        )


def test_eight_processes_in_a_shared_clone_and_their_own_one_killed_and_its_workspace_taken_over(
    team: Callable[..., Team],
) -> None:
    made = team(study="many", trials=16)
    shared = made.clone("shared")
    own = [made.clone(f"own-{index}") for index in range(3)]
    with postgres_server() as server:
        env = {"MLP_SEARCH_STORAGE": server.url}
        in_shared = [search(shared, "--heartbeat", "1", env=env) for _ in range(5)]
        in_own = [search(clone, "--heartbeat", "1", env=env) for clone in own]

        # Killed mid-trial, it alone (not the experiment it started): the first process of the
        # shared clone to train, so that trials are left for the one started in its place.
        def first_to_train() -> subprocess.Popen | None:
            trainers = {parent for pid in training_in(shared) for parent in parents_of(pid)}
            return next((process for process in in_shared if process.pid in trainers), None)

        victim = eventually(first_to_train, "a process of the shared clone training")
        number = workspace_of(shared, victim.pid)
        victim.kill()
        victim.wait()
        # Its experiment dies with it: nothing is left at work in its workspace.
        eventually(
            lambda: not processes_in(shared / ".dvc/tmp/search" / f"worker-{number}"), "orphans gone", 30
        )
        replacement = search(shared, "--heartbeat", "1", env=env)
        survivors = [process for process in in_shared if process is not victim]
        outputs = [finished(process) for process in [*survivors, *in_own, replacement]]
        trials = study_trials(server.url, "many")

    done = complete(trials)
    assert len(done) == 16
    failed = [trial for trial in trials if trial.state.name == "FAIL"]
    # Nine processes on two cores may miss a live trial's heartbeats for longer than the
    # grace period: another worker then fails it as stale and runs it again, and the worker
    # that ran it says so. Any other failed trial is the killed one's, and there is one.
    taken_for_dead = {
        int(number)
        for out, _ in outputs
        for number in re.findall(r"trial (\d+): another worker took it for dead meanwhile", out)
    }
    killed = [trial.number for trial in failed if trial.number not in taken_for_dead]
    assert len(killed) == 1, (killed, taken_for_dead)
    assert taken_for_dead <= {trial.number for trial in failed}
    # Every failed trial was retried, once, and its configuration completed; every other
    # configuration ran once; every experiment name once.
    for trial in failed:
        [retry] = [
            other for other in trials if other.system_attrs.get("retry_history", [None])[-1] == trial.number
        ]
        assert retry.params == trial.params
    ran = [json.dumps(trial.params, sort_keys=True) for trial in done]
    assert len(set(ran)) == 16
    assert {json.dumps(trial.params, sort_keys=True) for trial in failed} <= set(ran)
    assert len({trial.user_attrs["experiment"] for trial in done}) == 16
    # The data's stages ran once per clone, before any trial, one workspace at a time: no
    # trial made fetch's or prepare's outputs again beside another in the shared cache.
    for clone in (shared, *own):
        for log in (clone / ".dvc/tmp/search/logs").glob("many-*.log"):
            assert not re.search(r"Running stage '(fetch|prepare)'", log.read_text()), log
    # The replacement took the dead process's workspace, the lowest free one.
    assert re.search(rf"\[many-\d+, worker {number}, ", outputs[-1][0]), outputs[-1][0]
    assert not any("Traceback" in err for _, err in outputs)
    pulled_everywhere(made, done)


def parents_of(pid: int) -> list[int]:
    parents = []
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            break
        parents.append(pid)
    return parents


def test_the_database_goes_away_twice_until_every_worker_waits_and_every_worker_goes_on(
    team: Callable[..., Team], tmp_path: Path
) -> None:
    """Stopped `fast` (sessions ended cleanly), then `immediate` (as a power cut), each time
    until every worker has found it away (a worker in a trial finds it when the trial ends,
    so it is away for longer than a trial) and then for longer than the heartbeat's grace
    period (3 s): every running trial is finished and told, and none is failed as stale
    when the database returns."""
    made = team(study="outage", trials=8)
    shared = made.clone("shared")
    logs = [(tmp_path / f"worker-{index}.out", tmp_path / f"worker-{index}.err") for index in range(2)]

    def waits_said(log: Path) -> list[str]:
        return re.findall(
            r"^worker \d+: the storage cannot be reached \(.*\); waiting up to 600 s$", log.read_text(), re.M
        )

    with postgres_server() as server:
        env = {"MLP_SEARCH_STORAGE": server.url}
        workers = []
        for out, err in logs:
            with out.open("w") as stdout, err.open("w") as stderr:
                workers.append(search(shared, "--heartbeat", "1", env=env, stdout=stdout, stderr=stderr))
        for outage, mode in enumerate(("fast", "immediate"), start=1):
            eventually(lambda: training_in(shared) or any(w.poll() is not None for w in workers), "a trial")
            assert all(worker.poll() is None for worker in workers), "a worker ended before the outage"
            server.stop(mode)
            eventually(
                lambda outage=outage: all(len(waits_said(out)) == outage for out, _ in logs),
                "every worker waiting",
                120,
            )
            time.sleep(5)
            server.start()
        assert [worker.wait(timeout=900) for worker in workers] == [0, 0]
        trials = study_trials(server.url, "outage")
    assert [trial.state.name for trial in trials].count("COMPLETE") == 8
    assert all(trial.state.name == "COMPLETE" for trial in trials), [trial.state.name for trial in trials]
    for out, err in logs:
        backs = re.findall(r"^worker \d+: the storage is back after \d+ s; going on$", out.read_text(), re.M)
        assert len(waits_said(out)) == len(backs) == 2, out.read_text()
        assert err.read_text() == ""


def test_a_database_gone_for_good_ends_the_worker_in_one_line_and_its_trial_is_retried(
    team: Callable[..., Team],
) -> None:
    made = team(study="gone", trials=2)
    clone = made.clone("alone")
    with postgres_server() as server:
        env = {"MLP_SEARCH_STORAGE": server.url}
        worker = search(clone, "--heartbeat", "1", "--storage-patience", "5", env=env)
        eventually(lambda: training_in(clone), "a trial training")
        server.stop("immediate")
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 2
        assert re.fullmatch(
            r"error: worker 1: the storage postgresql\+psycopg://postgres@127\.0\.0\.1:\d+/search "
            r"could not be reached for 5 s \(.*\); stopped, and any trial it ran is left to another "
            r"worker's retry\n",
            err,
        ), err  # fmt: skip
        assert "worker 1: the storage cannot be reached" in out and "Traceback" not in out + err
        # Nothing is lost: when it is back, the next worker retries the trial left running.
        server.start()
        finished(search(made.clone("next"), "--heartbeat", "1", env=env))
        trials = study_trials(server.url, "gone")
    assert len(complete(trials)) == 2
    [left] = [trial for trial in trials if trial.state.name == "FAIL"]
    assert any(trial.system_attrs.get("failed_trial") == left.number for trial in complete(trials))


def recipe(name: str) -> str:
    """A command of docs/search.md's cluster recipes, as written."""
    text = (REPO / "docs" / "search.md").read_text()
    block = re.search(r"```sh\n(# On a cluster.*?)```", text, re.S)[1]
    lines = [line for line in block.splitlines() if line.startswith(name)]
    assert len(lines) == 1, block
    return lines[0]


@pytest.fixture
def fake_ssh(tmp_path: Path) -> Path:
    """`ssh HOST COMMAND` run here, in a login shell's manner, as host HOST where we may
    name it (as root): the loop over hosts' local stand-in."""
    folder = tmp_path / "bin"
    folder.mkdir()
    ssh = folder / "ssh"
    rename = 'hostname "$host" && ' if AS_ROOT else ""
    ssh.write_text(
        "#!/bin/bash\nhost=$1; shift\n"
        f'exec {"unshare --uts " if AS_ROOT else ""}bash -c "{rename}cd ~ && $*"\n'
    )
    ssh.chmod(ssh.stat().st_mode | stat.S_IXUSR)
    return folder


def as_node(command: str, node: str) -> list[str]:
    return (
        ["unshare", "--uts", "bash", "-c", f"hostname {node} && {command}"]
        if AS_ROOT
        else ["bash", "-c", command]
    )


def test_the_slurm_array_and_the_loop_over_hosts_run_as_written_and_a_time_limit_hands_a_trial_back(
    team: Callable[..., Team], fake_ssh: Path, tmp_path: Path
) -> None:
    made = team(study="recipes", trials=6)
    home = tmp_path / "home"
    home.mkdir()
    clone = made.clone("shared")
    clone.rename(home / "numpy-mlp-mnist")  # where the recipes find it: ~/numpy-mlp-mnist
    clone = home / "numpy-mlp-mnist"
    sbatch = recipe("sbatch")
    wrap = shlex.split(sbatch)[shlex.split(sbatch).index("--wrap") + 1]
    loop = recipe("for host in")
    with postgres_server() as server:
        env = environment(HOME=str(home), MLP_SEARCH_STORAGE=server.url)
        tasks = []
        for task in (1, 2, 3):  # Slurm starts the array's tasks, each on a node, in the shared home
            slurm = {"SLURM_JOB_ID": "7", "SLURM_ARRAY_JOB_ID": "7", "SLURM_ARRAY_TASK_ID": str(task),
                     "SLURM_PROCID": "0", "SLURMD_NODENAME": f"node{task}"}  # fmt: skip
            tasks.append(subprocess.Popen(as_node(wrap, f"node{task}"), cwd=home, env=env | slurm,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                          start_new_session=True))  # fmt: skip
        subprocess.run(
            ["bash", "-c", loop], cwd=home, env=env | {"PATH": f"{fake_ssh}:{env['PATH']}"}, check=True
        )
        # Slurm's time limit: SIGTERM to the task, SIGKILL once KillWait (here 10 s) is up.
        eventually(
            lambda: any(tasks[0].pid in parents_of(pid) for pid in training_in(clone)), "task 1 training"
        )
        os.killpg(tasks[0].pid, signal.SIGTERM)
        try:  # its output ends when mlp-search does, whatever the shell around it did
            handed_back = tasks[0].communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(tasks[0].pid, signal.SIGKILL)
            raise AssertionError("the worker did not hand its trial back before KillWait") from None
        outputs = [task.communicate(timeout=600) for task in tasks[1:]]
        eventually(lambda: not processes_in(clone, "numpy_mlp_mnist.commands.search") and not processes_in(
            clone, "mlp-search"), "the hosts' searches ending", 600)  # fmt: skip
        trials = study_trials(server.url, "recipes")
    assert re.fullmatch(
        r"mlp-search: stopped: trial \d+ marked failed and queued to run again; the workspace is as it was\n",
        handed_back[1],
    )
    assert len(complete(trials)) == 6
    [stopped] = [trial for trial in trials if trial.state.name == "FAIL"]
    assert any(trial.system_attrs.get("failed_trial") == stopped.number for trial in complete(trials))
    logs = sorted(path.name for path in clone.glob("search-*.log"))
    hosts = ["node1", "node2", "node3"] if AS_ROOT else [os.uname().nodename]
    assert logs == [f"search-{host}.log" for host in hosts]
    printed = [out + err for out, err in outputs] + [path.read_text() for path in clone.glob("search-*.log")]
    assert not any("Traceback" in text or "error" in text for text in printed), printed
