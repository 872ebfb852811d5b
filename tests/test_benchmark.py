"""The speed benchmarks run end to end (on a small synthetic set; its timings are for docs/speed.md)."""

import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pytest
from support.data import synthetic_mnist, write_raw
from support.repos import write_params

from benchmarks import kernels
from benchmarks.networks import Network
from benchmarks.speed import OPTIONAL, contenders, contiguous_batches, race, read_data, whole_runs
from numpy_mlp_mnist import kernels as pinned_kernels
from stages.prepare import prepare

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    """data/prepared of 2,000 training images under tmp_path, which the test runs in."""
    write_raw(tmp_path / "raw", synthetic_mnist(n_train=2100, n_test=200))
    prepare(tmp_path / "raw", tmp_path / "data" / "prepared", val_size=100, seed=0)
    return tmp_path


def test_the_race_trains_every_network_and_scores_it_on_the_test_set(small_data: Path) -> None:
    data = read_data(small_data / "data" / "prepared")
    networks = contenders()

    result = race(
        16, epochs=3, runs=2, data=data, batches=contiguous_batches(data["train"][0]), networks=networks
    )

    assert result["n"] == 2000
    assert {"ours", "shipped", "sklearn"} <= set(networks)
    # The digits' classes are written in bright blocks: every network must have learnt them.
    for name in networks:
        assert result[f"{name}_test"] > 0.9, name
        # Only JAX compiles, and its compilation is timed apart from its epochs.
        assert (result[f"{name}_compile_s"] > 0) == name.startswith("jax"), name


def test_pytorch_and_jax_race_where_the_bench_extra_is_installed() -> None:
    for module in ("torch", "jax", "optax"):
        pytest.importorskip(
            module, reason='PyTorch and JAX are the bench extra: pip install -c constraints.txt -e ".[bench]"'
        )
    assert set(OPTIONAL) <= set(contenders())


class Steady(Network):
    """A stand-in network whose epochs take a known time: `epoch_s` each, after a
    compilation of `compile_s` counted apart, as JAX's is."""

    epoch_s, setup_s = 0.04, 0.0

    def __init__(self, hidden: int, seed: int) -> None:
        pass

    def fit(self, X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, epochs: int) -> None:
        time.sleep(self.setup_s)
        self.compile_s = self.setup_s
        time.sleep(self.epoch_s * epochs)

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return 1.0


class SteadyCompiled(Steady):
    epoch_s, setup_s = 0.02, 0.5


def test_epoch_times_leave_compilation_out_and_ratios_compare_with_scikit_learn(small_data: Path) -> None:
    data = read_data(small_data / "data" / "prepared")
    networks = {"sklearn": Steady, "compiled": SteadyCompiled}

    result = race(
        16, epochs=3, runs=3, data=data, batches=contiguous_batches(data["train"][0]), networks=networks
    )

    # sleep() never wakes early and this machine may wake it late: bounds above are loose.
    assert 0.04 <= result["sklearn_s"] < 0.07
    assert 0.02 <= result["compiled_s"] < 0.05, "the compilation (0.5 s) was counted in the epochs"
    assert result["compiled_compile_s"] == pytest.approx(0.5, abs=0.1)
    assert 1.2 < result["compiled_speed_up"] < 2.5 and result["sklearn_speed_up"] == 1.0


def test_a_whole_run_is_timed_in_a_fresh_process_for_each_network(
    small_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(small_data)
    names = ["ours", *(["jax_epoch"] if "jax_epoch" in contenders() else [])]

    seconds = whole_runs(names, epochs=1, repeats=1)

    assert set(seconds) == set(names)
    # A fresh Python that imports NumPy and trains takes more than a few milliseconds.
    assert all(0.05 < value < 120 for value in seconds.values()), seconds
    if "jax_epoch" in seconds:  # importing JAX and compiling cost more than our whole run
        assert seconds["jax_epoch"] > seconds["ours"]


def test_the_kernels_race_times_a_pinned_and_a_native_worker_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_raw(tmp_path / "raw", synthetic_mnist(n_train=600, n_test=50))
    prepare(tmp_path / "raw", tmp_path / "data" / "prepared", val_size=100, seed=0)
    write_params(tmp_path / "params.yaml", hidden=16)
    monkeypatch.chdir(tmp_path)

    result = kernels.race(rounds=3)

    rounds = result["rounds"]
    assert len(rounds["pinned"]) == len(rounds["native"]) == 3
    assert result["ratio"] == statistics.median(p / n for p, n in zip(*rounds.values(), strict=True))
    if pinned_kernels.why_not_pinnable(platform.machine(), Path("/proc/cpuinfo")) is None:
        assert result["kernels"]["pinned"] == "Haswell X86_V3"


def test_xla_computes_the_same_products_as_the_bare_products_row() -> None:
    pytest.importorskip("jax", reason='JAX is the bench extra: pip install -c constraints.txt -e ".[bench]"')
    from benchmarks.xla_products import xla_products

    rng = np.random.default_rng(0)
    batches = rng.random((3, 8, 784), dtype=np.float32)
    X_val = rng.random((5, 784), dtype=np.float32)
    W1, W2 = (
        rng.normal(0, 0.05, (784, 30)).astype(np.float32),
        rng.normal(0, 0.3, (30, 10)).astype(np.float32),
    )
    expected = (
        sum((xb.T @ ((xb @ W1) @ W2 @ W2.T)).sum() + ((xb @ W1).T @ ((xb @ W1) @ W2)).sum() for xb in batches)
        + ((X_val @ W1) @ W2).sum()
    )
    assert float(xla_products(W1, W2, batches, X_val)) == pytest.approx(expected, rel=1e-4)
