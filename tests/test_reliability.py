"""Interruption and reruns: nothing half-written, nothing lost, the same bytes every time."""

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from support.http_server import FaultyServer, serve
from support.repos import (
    REPO,
    clone_with_outputs,
    environment,
    lock_outputs,
    make_copy,
    run,
    run_stage,
    snapshot,
    update_params,
)
from support.signals import ctrl_c_reaches_it
from threadpoolctl import threadpool_limits

import mlp

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'


def start(command: list[str], root: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`command` in its own session, like a job started at a terminal."""
    return subprocess.Popen(
        command, cwd=root, env=environment() | (env or {}), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True, preexec_fn=ctrl_c_reaches_it,
    )  # fmt: skip


def wait_for_line(process: subprocess.Popen, pattern: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if re.search(pattern, line):
            return
        if not line and process.poll() is not None:
            break
    process.kill()
    pytest.fail(f"never saw {pattern!r}: {process.stderr.read()}")


def partial_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if ".partial-" in path.name]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_training_keeps_the_previous_model(workspace: Path, signum: int) -> None:
    update_params(workspace / "params.yaml", epochs=10_000)
    before = snapshot(workspace)
    process = start([sys.executable, "-m", "stages.train"], workspace, env={"PYTHONPATH": str(REPO)})
    wait_for_line(process, r"^epoch +3/")
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.strip().splitlines() == ["interrupted: no output was written"]
    assert snapshot(workspace) == before
    assert partial_files(workspace) == []

    update_params(workspace / "params.yaml", epochs=2)
    assert run_stage(workspace, "train").returncode == 0


@pytest.mark.parametrize("fault", ["stall", "stall-body"], ids=["before the headers", "mid-body"])
def test_interrupted_download_leaves_nothing(workspace: Path, tmp_path: Path, fault: str) -> None:
    server = FaultyServer({"mnist/train-images-idx3-ubyte.gz": b"x" * 400_000}, stall_seconds=30)
    server.faults["mnist/train-images-idx3-ubyte.gz"] = [fault]
    with serve(server) as url:
        update_params(workspace / "params.yaml", source="idx", idx_mirrors=[url], download_timeout=60)
        before = snapshot(workspace)
        # The download goes to a temporary folder, made here to be watched.
        downloads = tmp_path / "tmp"
        downloads.mkdir()
        stage_env = {"TMPDIR": str(downloads), "PYTHONPATH": str(REPO)}
        process = start([sys.executable, "-m", "stages.fetch"], workspace, env=stage_env)
        deadline = time.monotonic() + 60
        # Mid-body, the download's temporary file exists when the signal lands.
        while not (partial_files(downloads) if fault == "stall-body" else server.requests):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert snapshot(workspace) == before
    assert partial_files(workspace) == [] and list(downloads.iterdir()) == []


@pytest.fixture(scope="module")
def two_clones(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two fresh copies of the repository, each with a completed `dvc repro`."""
    copies = []
    for name in ("first", "second"):
        repo = make_copy(tmp_path_factory.mktemp(name), epochs=2)
        run(repo, "dvc", "repro")
        copies.append(repo)
    return copies[0], copies[1]


def test_two_clean_runs_give_identical_hashes(two_clones: tuple[Path, Path]) -> None:
    first, second = two_clones
    outputs = lock_outputs(first)
    assert set(outputs) >= {"models/model.npz", "data/prepared/train_images.npy", "metrics/test.json"}
    assert outputs == lock_outputs(second)
    assert (first / "dvc.lock").read_text() == (second / "dvc.lock").read_text()


def test_interrupted_repro_then_checkout_and_rerun(two_clones: tuple[Path, Path], tmp_path: Path) -> None:
    repo = clone_with_outputs(two_clones[0], tmp_path / "clone")  # the shared copies stay as they are
    model = repo / "models" / "model.npz"
    locked = lock_outputs(repo)["models/model.npz"]
    update_params(repo / "params.yaml", epochs=500)
    process = start(["dvc", "repro"], repo)
    wait_for_line(process, r"^epoch +2/500")
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C at a terminal: DVC and its stage both get it
    process.communicate(timeout=120)
    assert process.returncode != 0
    # DVC removed the old output before running train; train wrote nothing half-done.
    assert not model.exists()
    assert partial_files(repo) == []

    run(repo, "dvc", "checkout", "models/model.npz")
    assert hashlib.md5(model.read_bytes()).hexdigest() == locked

    update_params(repo / "params.yaml", epochs=3)
    output = run(repo, "dvc", "repro")
    assert re.findall(r"Running stage '(\w+)'", output) == ["check", "train", "evaluate", "export", "site"]
    assert "epoch 3/3" in output


def short_training(threads: int) -> bytes:
    rng = np.random.default_rng(0)
    X = rng.random((2000, 784), dtype=np.float32)
    labels = rng.integers(0, 10, 2000)
    model = mlp.MLP.initialise(784, 30, 10, mlp.make_activation("leaky_relu"), rng)
    with threadpool_limits(limits=threads, user_api="blas"):
        mlp.train(
            model, X, labels, X[:200], labels[:200], loss=mlp.make_loss("mae"),
            optimizer=mlp.make_optimizer("adam"), epochs=2, batch_size=128, learning_rate=0.01,
            schedule=mlp.make_schedule("cosine"), weight_decay=0.05, rng=rng,
        )  # fmt: skip
    return model.theta.tobytes()


def test_weights_are_bit_exact_for_a_fixed_thread_count() -> None:
    """1 thread twice, 2 threads twice: identical. 1 against 2 may differ in the last bits."""
    one, two = short_training(1), short_training(2)
    assert short_training(1) == one
    assert short_training(2) == two
    np.testing.assert_allclose(np.frombuffer(one, np.float32), np.frombuffer(two, np.float32), atol=1e-4)
