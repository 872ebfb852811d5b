"""mlp-search through the real command: trials that are real DVC experiments of a real git
clone, a study in SQLite on one machine and in a real PostgreSQL server across two clones
(one of them killed mid-trial), and every bad input in one line."""

import dataclasses
import hashlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import optuna
import pytest
import yaml
from support.postgres import binary, postgres_server
from support.repos import environment, experiments, run, snapshot
from support.search import (
    SPACE,
    finished,
    kill_everything_in,
    search,
    study_trials,
    write_space,
)
from support.signals import ctrl_c_ignored, ctrl_c_reaches_it

from numpy_mlp_mnist.commands.search.space import load_space
from numpy_mlp_mnist.commands.search.storage import Storage, hide_password, open_storage
from numpy_mlp_mnist.commands.search.worker import Search, Worker
from numpy_mlp_mnist.files import read_npz

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'


def test_one_machine_two_workers_every_trial_a_dvc_experiment(one_epoch_repo: Path) -> None:
    repo = one_epoch_repo
    out, err = finished(search(repo, "--workers", "2"))

    url = f"sqlite:///{repo}/.dvc/tmp/search/optuna.sqlite3"
    trials = study_trials(url, "quick")
    complete = [trial for trial in trials if trial.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 4
    # optuna-dashboard reads the objective's name here.
    assert optuna.load_study(study_name="quick", storage=url).metric_names == ["accuracy"]
    shown = experiments(repo)
    for trial in complete:
        name = trial.user_attrs["experiment"]
        assert name == f"quick-{trial.number}"
        # The study's value is the experiment's own validation accuracy, as dvc exp show has it.
        metrics = shown[name]["metrics"]["metrics/validation.json"]["data"]
        assert metrics["accuracy"] == trial.value
        params = shown[name]["params"]["params.yaml"]["data"]
        assert params["augment_shift"] == trial.params["augment_shift"]
        assert params["lr"] == pytest.approx(trial.params["lr"], rel=1e-5)
        assert re.search(rf"^trial {trial.number}: .* -> accuracy {trial.value:.5f} \[{name},", out, re.M)
    best = max(complete, key=lambda trial: trial.value)
    test = json.loads(
        run(repo, "git", "show", f"{exp_ref(repo, best.user_attrs['experiment'])}:metrics/test.json")
    )
    assert (
        f"best: quick-{best.number}, accuracy {best.value:.5f}; test accuracy {test['accuracy']:.4f}" in out
    )
    # The user's workspace is untouched: the trials ran in the workers' own clones.
    assert run(repo, "git", "status", "--porcelain") == ""
    assert "Traceback" not in err


def exp_ref(repo: Path, name: str) -> str:
    return run(repo, "git", "for-each-ref", "--format=%(refname)", f"refs/exps/**/{name}").split()[0]


def test_a_finished_study_runs_no_more_trials_and_reports_again(one_epoch_repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"  # a study of its own, whatever the other tests have run
    run(tmp_path, "git", "clone", "-q", str(one_epoch_repo), str(clone))
    write_space(clone, study="once", trials=1)
    run(clone, "git", "commit", "-qam", "a one-trial study")
    first, _ = finished(search(clone))
    assert "trial 0: " in first
    before = len(experiments(clone))
    again, _ = finished(search(clone))
    assert not re.search(r"^trial \d+:", again, re.M)
    assert "1 completed, 0 failed" in again
    assert len(experiments(clone)) == before == 1


def test_a_new_commit_starts_a_new_study_in_the_same_workspaces(one_epoch_repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "-q", str(one_epoch_repo), str(clone))
    write_space(clone, study="before", trials=1)
    run(clone, "git", "commit", "-qam", "a first study")
    finished(search(clone))
    write_space(clone, study="after", trials=1)
    # The new commit changes files that the first study's last trial left changed in its workspace.
    params = clone / "params.yaml"
    params.write_text(params.read_text().replace("weight_decay: 0.05", "weight_decay: 0.04"))
    run(clone, "git", "commit", "-qam", "a second study, on a new commit")
    out, _ = finished(search(clone))
    assert "after-0" in out and "1 completed, 0 failed" in out


def test_lists_of_widths_are_choices_like_any_other(tmp_path: Path) -> None:
    """Optuna's choices are numbers or text: a depth's list of widths must go through a
    grid and come back as the list params.yaml takes."""
    path = tmp_path / "search.yaml"
    path.write_text(
        yaml.safe_dump(
            SPACE | {"sampler": "grid", "trials": 3, "params": {"hidden": [30, [30, 30], [64, 32]]}}
        )
    )
    space = load_space(path)
    study = optuna.create_study()
    seen = []
    for _ in range(3):  # as a worker asks and tells
        trial = space.ask(study)
        seen.append(space.suggest(trial)["hidden"])
        study.tell(trial, 0.5)
    assert sorted(seen, key=str) == [30, [30, 30], [64, 32]]


@pytest.fixture
def bad_input_repo(one_epoch_repo: Path, tmp_path: Path) -> Path:
    """A clone of the one-epoch repository with no study yet."""
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "-q", str(one_epoch_repo), str(clone))
    return clone


BAD = {
    "unknown param": ({"params": {"hiden": [16, 32]}}, [], "search.yaml: params: unknown key 'hiden'; did you mean 'hidden'?"),
    "bound out of range": ({"params": {"lr": {"low": 0.001, "high": 20}}}, [], "search.yaml: params: lr: high: 20 is not allowed; expected a number above 0 and at most 10"),
    "whole-number key, float bound": ({"params": {"hidden": {"low": 8, "high": 64.5}}}, [], "search.yaml: params: hidden: high: 64.5 is not a whole number; expected a whole number from 1 to 65536, or a list of 1 to 8 of them, one per hidden layer"),
    "a layer of width 0 among the choices": ({"params": {"hidden": [30, [30, 0]]}}, [], "search.yaml: params: hidden: choice: [30, 0]: layer 2: 0 is not allowed; expected a whole number from 1 to 65536, or a list of 1 to 8 of them, one per hidden layer"),
    "a range of lists": ({"params": {"hidden": {"low": [8], "high": [64]}}}, [], "search.yaml: params: hidden: a range's bounds are single numbers; give lists of widths as choices"),
    "a range on a word": ({"params": {"loss": {"low": 0, "high": 1}}}, [], "search.yaml: params: loss: loss takes one of mae, cross_entropy, quadratic, not a range; give a list of choices"),
    "objective no metrics file holds": ({"objective": "acc"}, [], "search.yaml: objective: 'acc' is held by no metrics file; expected one of metrics/validation.json's: accuracy, mae, cross_entropy"),
    "objective by its former name": ({"objective": "val_accuracy"}, [], "search.yaml: objective: 'val_accuracy' is the former name of metrics/validation.json's 'accuracy'; did you mean 'accuracy'?"),
    "objective on the test set": ({"objective": "test_accuracy"}, [], "search.yaml: objective: 'test_accuracy' is a test figure, which must not choose among trials; expected one of"),
    "a seed out of range": ({"seed": -1}, [], "search.yaml: seed: -1 is not allowed; expected a whole number from 0 to 4294967295"),
    "an unknown key": ({"sampeler": "grid"}, [], "search.yaml: unknown key 'sampeler'; did you mean 'sampler'?"),
    "a study's name with a space": ({"study": "my study"}, [], "search.yaml: study: 'my study' is not allowed; expected a name of letters, digits, - and _"),
    "a sampler of no known kind": ({"sampler": "random"}, [], "search.yaml: sampler: 'random' is not allowed; expected one of tpe, grid"),
    "trials not a whole number": ({"trials": 2.5}, [], "search.yaml: trials: 2.5 is not a whole number; expected a whole number from 1 to 10000"),
    "grid with a range": ({"sampler": "grid", "params": {"lr": {"low": 0.001, "high": 0.01}}}, [], "search.yaml: params: lr: {'low': 0.001, 'high': 0.01}; expected a list of choices (a grid takes lists only)"),
    "storage not a URL": ({}, ["--storage", "not a url"], "storage 'not a url' is not a database URL; expected e.g. postgresql+psycopg://user@host:5432/db or sqlite:///path/to/file"),
    "storage unreachable": ({}, ["--storage", "postgresql+psycopg://me:s3cret@127.0.0.1:9/search"], "cannot reach the storage postgresql+psycopg://me:***@127.0.0.1:9/search: "),
    "storage of no known kind": ({}, ["--storage", "nosuchdb://host/x"], "storage nosuchdb://host/x: no driver for it"),
    "workers out of range": ({}, ["--workers", "0"], "--workers 0: expected a whole number from 1 to 64"),
    "a time limit that is no duration": ({}, ["--stop-after", "soon"], "--stop-after 'soon': expected a duration such as 3h50m, 90m or 5400 (seconds)"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_ends_in_one_line_and_writes_nothing(bad_input_repo: Path, case: str) -> None:
    changes, arguments, message = BAD[case]
    write_space(bad_input_repo, **changes)
    before = snapshot(bad_input_repo)
    process = search(bad_input_repo, *arguments)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2
    assert out == "" and len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {message}"), err
    assert "s3cret" not in err
    assert snapshot(bad_input_repo) == before


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda search: (search / "worker-1.lock").mkdir(parents=True),
         "{search}/worker-1.lock: cannot be opened to lock a workspace (Is a directory); expected a file "
         "mlp-search may write in {search}"),
        (lambda search: search.parent.mkdir(parents=True) or search.write_text("in the way"),
         "{search}: cannot be made (File exists); mlp-search keeps its workspaces there: expected a clone "
         "whose folder you may write in"),
    ],
    ids=["a lock that cannot be taken", "a clone folder that cannot be written"],
)  # fmt: skip
def test_a_workspace_that_cannot_be_had_ends_in_one_line_before_the_study_is_touched(
    bad_input_repo: Path, tmp_path: Path, spoil: Callable[[Path], object], message: str
) -> None:
    folder = bad_input_repo / ".dvc" / "tmp" / "search"
    spoil(folder)
    url = f"sqlite:///{tmp_path}/study.sqlite3"
    before = snapshot(bad_input_repo)
    process = search(bad_input_repo, "--storage", url)
    out, err = process.communicate(timeout=120)
    assert (process.returncode, out, err) == (2, "", f"error: {message.format(search=folder)}\n")
    assert snapshot(bad_input_repo) == before
    assert optuna.get_all_study_names(url) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="naming a host of its own (unshare --uts) takes root")
def test_an_sqlite_study_shared_by_two_hosts_is_refused_in_one_line(bad_input_repo: Path) -> None:
    write_space(bad_input_repo, study="hosts", trials=1)
    run(bad_input_repo, "git", "commit", "-qam", "a study of its own")
    command = [sys.executable, "-m", "numpy_mlp_mnist.commands.search"]

    def on_host(name: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["unshare", "--uts", "bash", "-c", f'hostname {name} && exec "$@"', "-", *command],
            cwd=bad_input_repo, capture_output=True, text=True, env=environment(),
        )  # fmt: skip

    assert on_host("node-a").returncode == 0
    refused = on_host("node-b")
    database = bad_input_repo / ".dvc/tmp/search/optuna.sqlite3"
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"error: {database} is the study of host 'node-a', and this is 'node-b': SQLite's locks do not hold "
        "across hosts that share a folder, and the file would corrupt; give every host the same PostgreSQL "
        f"URL (--storage postgresql+psycopg://...), or remove {database}.host if node-a searches here no more\n"
    )


def test_one_worker_proposes_the_same_configurations_in_the_same_order_from_its_seed(tmp_path: Path) -> None:
    """What `seed` in search.yaml reproduces, through the asking workers use: one worker,
    whose trials finish in the order they start. Other seeds propose otherwise, and no two
    trial numbers share a stream of random numbers."""
    path = tmp_path / "search.yaml"

    def proposals(seed: int, sampler: str = "tpe") -> list[dict]:
        grid = {
            "sampler": "grid",
            "trials": 12,
            "params": {"lr": [0.002, 0.004, 0.006, 0.008], "augment_shift": [0, 1, 2]},
        }
        path.write_text(yaml.safe_dump(SPACE | {"seed": seed} | (grid if sampler == "grid" else {})))
        space = load_space(path)
        study = optuna.create_study(direction=space.direction)
        found = []
        for _ in range(12 if sampler == "grid" else 15):  # past TPE's 10 random start-up trials
            trial = space.ask(study)
            found.append(space.suggest(trial))
            study.tell(trial, 1 - abs(found[-1]["lr"] - 0.006) - 0.001 * found[-1]["augment_shift"])
        return found

    for sampler in ("tpe", "grid"):
        first = proposals(7, sampler)
        assert proposals(7, sampler) == first
        assert proposals(8, sampler) != first
    path.write_text(yaml.safe_dump(SPACE))
    assert len({load_space(path).trial_seed(number) for number in range(1000)}) == 1000


def test_a_study_recorded_by_an_earlier_release_goes_on(tmp_path: Path) -> None:
    """Studies started before the metrics files shared their names recorded the objective
    by its former name, and no seed: they are the same search."""
    path = tmp_path / "search.yaml"
    path.write_text(yaml.safe_dump(SPACE))
    space = load_space(path)
    earlier = json.loads(space.as_json()) | {"objective": "val_accuracy"}
    del earlier["seed"]
    assert space.is_recorded_as(json.dumps(earlier))
    assert not space.is_recorded_as(json.dumps(earlier | {"objective": "val_mae"}))
    assert not space.is_recorded_as(json.dumps(earlier | {"seed": 3}))


def test_a_trial_failed_as_stale_meanwhile_is_neither_told_nor_queued_twice(tmp_path: Path) -> None:
    """A worker cut off from the storage past the grace period comes back to find its trial
    failed and queued again by another worker: its result is not told (it says so), and
    handing the trial back queues no second copy."""
    url = f"sqlite:///{tmp_path / 'study.sqlite3'}"
    storage = Storage(open_storage(url, heartbeat=60), url, patience=5, say=print)
    study = optuna.create_study(storage=storage.rdb, study_name="cut-off")
    trial = study.ask({"hidden": optuna.distributions.CategoricalDistribution([30, 64])})
    other = optuna.load_study(study_name="cut-off", storage=open_storage(url, heartbeat=60))
    other.tell(trial.number, state=optuna.trial.TrialState.FAIL)  # what fail_stale_trials does, and then:
    optuna.storages.RetryHeartbeatStaleTrialCallback()(other, other.trials[trial.number])
    said: list[str] = []
    worker = Worker(1, 0, Search(tmp_path, None, storage, None, "", threading.Event(), math.inf, said.append))

    assert not worker.told(study, trial, {"train_s": 1.5}, value=0.9)
    assert said == ["trial 0: another worker took it for dead meanwhile, and runs it again"]
    assert worker.told(study, trial, {}, state=optuna.trial.TrialState.FAIL)  # failed, as this worker meant
    worker.requeue(study, trial.number)
    failed, retry = study.get_trials()
    assert (failed.state, retry.state) == (optuna.trial.TrialState.FAIL, optuna.trial.TrialState.WAITING)
    assert retry.params == failed.params and failed.user_attrs == {}  # no cost told
    assert worker.requeued == [trial.number]


def test_stop_after_takes_no_trial_that_would_not_end_in_time(one_epoch_repo: Path, tmp_path: Path) -> None:
    """Past the limit before its first trial (its workspace alone takes longer than 1 s):
    the worker takes none, and the search ends as a finished one does."""
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "-q", str(one_epoch_repo), str(clone))
    write_space(clone, study="limited", trials=3)
    run(clone, "git", "commit", "-qam", "a study of its own")
    out, _ = finished(search(clone, "--stop-after", "1s"))
    assert not re.search(r"^trial \d+:", out, re.M) and "study 'limited': no completed trials yet" in out
    # And by its usual trial (the median of its own): one of 12 s is not started 11 s before the limit.
    worker = Worker(1, 0, Search(clone, None, None, None, "", None, time.monotonic() + 11, print))
    worker.trial_seconds = [10.0, 12.0, 30.0]
    assert not worker.time_for_a_trial()
    worker.search = dataclasses.replace(worker.search, deadline=time.monotonic() + 13)
    assert worker.time_for_a_trial()


def test_a_worker_on_another_commit_refuses_in_one_line(bad_input_repo: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/study.sqlite3"
    optuna.create_study(study_name="quick", storage=url).set_user_attr("baseline", "0" * 40)
    process = search(bad_input_repo, env={"MLP_SEARCH_STORAGE": url})
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2
    assert err == (
        "error: study 'quick' runs on commit 0000000, this clone is at "
        f"{run(bad_input_repo, 'git', 'rev-parse', 'HEAD')[:7]}; check out that commit "
        "(git checkout 0000000) or name a new study in search.yaml\n"
    )


def test_passwords_are_hidden_wherever_a_url_is_shown() -> None:
    assert hide_password("postgresql+psycopg://ann:pa:ss@db.example:5432/s") == (
        "postgresql+psycopg://ann:***@db.example:5432/s"
    )
    assert hide_password("sqlite:///a/b.sqlite3") == "sqlite:///a/b.sqlite3"


@pytest.mark.parametrize(
    ("signum", "started"),
    [(signal.SIGINT, ctrl_c_reaches_it), (signal.SIGTERM, ctrl_c_ignored)],
    ids=["Ctrl-C", "SIGTERM, started with SIGINT ignored"],
)
def test_ctrl_c_marks_the_trial_failed_queues_it_again_and_leaves_the_workspace_clean(
    one_epoch_repo: Path, tmp_path: Path, signum: int, started: Callable[[], None]
) -> None:
    """Also started as `mlp-search &` from a script starts it, with SIGINT ignored: it then
    keeps ignoring Ctrl-C, but SIGTERM still stops the trial it forwards SIGINT to."""
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "-q", str(one_epoch_repo), str(clone))
    write_space(clone, study="interrupted", trials=2)
    run(clone, "git", "commit", "-qam", "a study of its own")
    url = f"sqlite:///{tmp_path}/study.sqlite3"
    process = search(clone, "--storage", url, preexec_fn=started)
    # Ctrl-C once DVC runs the trial's stages: one that lands while `dvc exp run` is still
    # importing can be swallowed by Python ("Exception ignored in ... _get_module_lock"),
    # and the trial then runs to its end (seen under load, 2 s after the log appeared).
    log = clone / ".dvc/tmp/search/logs/interrupted-0.log"
    deadline = time.monotonic() + 120
    while not (log.exists() and "Running stage" in log.read_text()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.2)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert (
        err
        == "mlp-search: stopped: trial 0 marked failed and queued to run again; the workspace is as it was\n"
    )
    states = [trial.state for trial in study_trials(url, "interrupted")]
    assert states == [optuna.trial.TrialState.FAIL, optuna.trial.TrialState.WAITING]
    assert run(clone, "git", "status", "--porcelain") == ""
    assert (
        run(clone / ".dvc/tmp/search/worker-1", "git", "status", "--porcelain", "--untracked-files=no") == ""
    )


@pytest.mark.skipif(binary("initdb") is None, reason="PostgreSQL is not installed (.ci/run installs it)")
def test_two_machines_share_a_study_in_postgresql_and_survive_one_being_killed(
    one_epoch_repo: Path, tmp_path: Path
) -> None:
    # The team's git repository with the study's search.yaml, a DVC remote every machine
    # reaches, and a clone on each machine.
    bare, store = tmp_path / "team.git", tmp_path / "dvc-store"
    run(tmp_path, "git", "clone", "-q", "--bare", str(one_epoch_repo), str(bare))
    clones = {machine: tmp_path / machine for machine in ("a", "b", "c")}
    run(tmp_path, "git", "clone", "-q", str(bare), str(clones["a"]))
    write_space(clones["a"], study="shared", trials=6)
    run(clones["a"], "git", "commit", "-qam", "the shared study")
    run(clones["a"], "git", "push", "-q", "origin", "HEAD")
    for machine in ("b", "c"):
        run(tmp_path, "git", "clone", "-q", str(bare), str(clones[machine]))
    for clone in clones.values():
        run(clone, "dvc", "remote", "add", "--local", "-d", "store", str(store))

    with postgres_server() as server:
        url = server.url
        env = {"MLP_SEARCH_STORAGE": url}
        a = search(clones["a"], "--heartbeat", "1", env=env)
        b = search(clones["b"], "--heartbeat", "1", env=env)
        logs = clones["a"] / ".dvc/tmp/search/logs"
        deadline = time.monotonic() + 300
        while not any("Running stage 'train'" in log.read_text() for log in logs.glob("*.log")):
            assert time.monotonic() < deadline and a.poll() is None, a.stderr.read() if a.poll() else ""
            time.sleep(0.1)
        kill_everything_in(clones["a"])  # machine a dies mid-trial, its experiment with it
        a.wait()
        _, err = finished(b)
        trials = study_trials(url, "shared")

    complete = [trial for trial in trials if trial.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 6, [trial.state for trial in trials]
    # The killed trial was failed by its missing heartbeat and its configuration run again.
    [killed] = [trial for trial in trials if trial.state == optuna.trial.TrialState.FAIL]
    [rerun] = [trial for trial in complete if trial.system_attrs.get("failed_trial") == killed.number]
    assert rerun.params == killed.params

    # A third machine pulls every trial as a DVC experiment with the study's figure.
    c = clones["c"]
    run(c, "dvc", "exp", "pull", "origin", *(trial.user_attrs["experiment"] for trial in complete))
    shown = experiments(c)
    for trial in complete:
        data = shown[trial.user_attrs["experiment"]]["metrics"]["metrics/validation.json"]["data"]
        assert data["accuracy"] == trial.value
    best = max(complete, key=lambda trial: trial.value)
    run(c, "dvc", "exp", "apply", best.user_attrs["experiment"])
    run(c, "dvc", "pull")
    lock = yaml.safe_load(run(c, "git", "show", f"{exp_ref(c, best.user_attrs['experiment'])}:dvc.lock"))
    [model] = [out for out in lock["stages"]["train"]["outs"] if out["path"] == "models/model.npz"]
    assert md5(c / "models" / "model.npz") == model["md5"]
    assert set(read_npz(c / "models" / "model.npz")) >= {"W1", "b1", "W2", "b2"}
    assert "Traceback" not in err


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()
