"""The real pipeline under the real DVC commands, in a temporary git copy of this repository."""

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from support.repos import clone_with_outputs, environment, make_copy, run, stages_run

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

STAGES = ("check", "fetch", "prepare", "train", "evaluate", "export", "site_runtime", "site")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    repo = make_copy(tmp_path_factory.mktemp("pipeline"), epochs=2)
    return repo, run(repo, "dvc", "repro")


def test_repro_runs_every_stage_and_prints_each_epoch(pipeline: tuple[Path, str]) -> None:
    repo, output = pipeline
    assert stages_run(output) == list(STAGES)
    assert re.search(r"epoch 1/2 .* train_loss \S+ .* val_loss \S+ .* val_acc 0\.\d+", output)
    assert re.search(r"epoch 2/2 ", output)
    for stage in STAGES:
        assert f"  {stage}:" in (repo / "dvc.lock").read_text()


def test_second_repro_runs_nothing(pipeline: tuple[Path, str]) -> None:
    repo, _ = pipeline
    output = run(repo, "dvc", "repro")
    assert stages_run(output) == []
    assert "Data and pipelines are up to date" in output


def test_metrics_show_prints_the_test_metrics(pipeline: tuple[Path, str]) -> None:
    repo, _ = pipeline
    output = run(repo, "dvc", "metrics", "show")
    assert "metrics/test.json" in output and "metrics/validation.json" in output
    header = output.splitlines()[0].split()
    # Sorted by name, as DVC does; each figure named for what it measures, whatever the loss.
    assert header == [
        "Path", "accuracy", "cross_entropy", "epoch", "lowest_digit_accuracy", "mae",
    ]  # fmt: skip
    # The two files share their names, so each row fills the same columns: an ordinary terminal.
    assert max(map(len, output.splitlines())) <= 100


def test_exp_show_at_120_columns_shows_the_test_accuracy_a_loss_and_the_width(
    pipeline: tuple[Path, str], tmp_path: Path
) -> None:
    repo = clone_with_outputs(pipeline[0], tmp_path / "clone")
    run(repo, "git", "commit", "-qam", "first run")
    run(repo, "dvc", "exp", "run", "-n", "wider", "-S", "hidden=40")
    result = subprocess.run(
        ["dvc", "exp", "show", "--only-changed", "--no-pager"], cwd=repo, capture_output=True, text=True,
        env=environment() | {"COLUMNS": "120"},
    )  # fmt: skip
    header = next(line for line in result.stdout.splitlines() if "Experiment" in line)
    assert "metrics/test.json:accuracy" in header and "metrics/test.json:mae" in header and "hidden" in header
    [row] = [line for line in result.stdout.splitlines() if "[wider]" in line]
    # The width's column, wherever the folded ones (`…`) fall around it.
    assert row[header.index("hidden") :].split()[0] == "40" and len(row) <= 120


def test_exp_run_with_a_new_width_reruns_only_the_check_train_and_evaluate(
    pipeline: tuple[Path, str], tmp_path: Path
) -> None:
    # In a clone of its own, so that its commit and experiment leave the shared pipeline as it was.
    repo = clone_with_outputs(pipeline[0], tmp_path / "clone")
    run(repo, "git", "commit", "-qam", "first run")
    output = run(repo, "dvc", "exp", "run", "-S", "hidden=64")
    assert stages_run(output) == ["check", "train", "evaluate", "export", "site"]
    with np.load(repo / "models" / "model.npz", allow_pickle=False) as model:
        assert model["W1"].shape == (784, 64)

    diff = run(repo, "dvc", "params", "diff")
    assert re.search(r"params\.yaml\s+hidden\s+30\s+64", diff), diff
    metrics = run(repo, "dvc", "metrics", "diff")
    assert "accuracy" in metrics


@pytest.mark.parametrize("command", [["dvc", "repro"], ["dvc", "exp", "run"]])
def test_a_misspelt_key_stops_the_pipeline_before_any_other_stage(
    pipeline: tuple[Path, str], command: list[str]
) -> None:
    repo, _ = pipeline
    params = repo / "params.yaml"
    original = params.read_text()
    # A real change (hidden) beside the typo: train would run, were it not for the check.
    params.write_text(re.sub(r"(?m)^hidden: \d+", "hidden: 20", original) + "\nhiden: 64\n")
    try:
        result = subprocess.run(command, cwd=repo, env=environment(), capture_output=True, text=True)
    finally:
        params.write_text(original)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "error: params.yaml: unknown key 'hiden'; did you mean 'hidden'?" in output
    assert stages_run(output) == ["check"]
