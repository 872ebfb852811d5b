"""The speed benchmarks run end to end (on a small synthetic set; its timings are for the README)."""

from pathlib import Path

import pytest
from conftest import synthetic_mnist, write_params, write_raw
from test_kernels import PINNABLE

from benchmarks import kernels
from benchmarks.speed import contenders, contiguous_batches, race, read_data
from stages.prepare import prepare


def test_the_race_trains_every_network_and_scores_it_on_the_test_set(tmp_path: Path) -> None:
    write_raw(tmp_path / "raw", synthetic_mnist(n_train=2100, n_test=200))
    prepare(tmp_path / "raw", tmp_path / "prepared", val_size=100, seed=0)
    data = read_data(tmp_path / "prepared")
    networks = contenders()

    result = race(
        16, epochs=3, runs=2, data=data, batches=contiguous_batches(data["train"][0]), networks=networks
    )

    assert result["n"] == 2000
    assert {"ours", "shipped", "sklearn"} <= set(networks)
    assert min(result[f"{name}_s"] for name in [*networks, "products"]) > 0
    # The floor is its training plus a validation pass, which takes some time.
    assert 0 < result["floor_training_s"] < result["floor_s"]
    # The digits' classes are written in bright blocks: every network must have learnt them.
    for name in networks:
        assert result[f"{name}_test"] > 0.9, name


def test_pytorch_races_where_the_bench_extra_is_installed() -> None:
    pytest.importorskip(
        "torch", reason='PyTorch is the bench extra: pip install -c constraints.txt -e ".[bench]"'
    )
    assert "torch" in contenders()


def test_the_kernels_race_times_a_pinned_and_a_native_worker_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_raw(tmp_path / "raw", synthetic_mnist(n_train=600, n_test=50))
    prepare(tmp_path / "raw", tmp_path / "data" / "prepared", val_size=100, seed=0)
    write_params(tmp_path / "params.yaml", hidden=16)
    monkeypatch.chdir(tmp_path)

    result = kernels.race(rounds=3)

    assert min(result["seconds"].values()) > 0
    assert result["ratio_range"][0] <= result["ratio"] <= result["ratio_range"][1]
    if PINNABLE:
        assert result["kernels"]["pinned"] == "Haswell X86_V3"
