"""A deeper network through the real commands: `dvc exp run -S 'hidden=[64,32]'`, the
model it writes checked from its own weights, and mlp-predict and mlp-draw reading with it."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from support.commands import address_of, by_hand, drawing, post, run_predict, start_draw
from support.repos import clone_with_outputs, run, stages_run

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

DIGITS = Path(__file__).resolve().parents[1] / "data" / "digits"


@pytest.fixture(scope="module")
def deep_repo(trained_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of the trained repository whose workspace holds the [64, 32] experiment."""
    clone = clone_with_outputs(trained_repo, tmp_path_factory.mktemp("depth") / "clone")
    output = run(clone, "dvc", "exp", "run", "-n", "two-layers", "-S", "hidden=[64,32]")
    assert stages_run(output) == ["check", "train", "evaluate", "export", "site"]
    return clone


def test_a_two_layer_experiment_writes_a_784_64_32_10_network_whose_accuracy_is_its_own(
    deep_repo: Path,
) -> None:
    assert yaml.safe_load((deep_repo / "params.yaml").read_text())["hidden"] == [64, 32]
    images = np.load(deep_repo / "data" / "prepared" / "test_images.npy")
    labels = np.load(deep_repo / "data" / "prepared" / "test_labels.npy")
    with np.load(deep_repo / "models" / "model.npz", allow_pickle=False) as model:
        shapes = [model[f"{kind}{layer}"].shape for layer in (1, 2, 3) for kind in "Wb"]
        assert shapes == [(784, 64), (64,), (64, 32), (32,), (32, 10), (10,)]
        assert model["hidden"].tolist() == [64, 32]
        _, probabilities = by_hand(model, images)
        accuracy = (probabilities.argmax(axis=1) == labels).mean()
    metrics = json.loads((deep_repo / "metrics" / "test.json").read_text())
    assert metrics["accuracy"] == pytest.approx(accuracy, abs=1e-6)
    assert accuracy > 0.9  # two epochs
    shown = json.loads(run(deep_repo, "dvc", "exp", "show", "--json"))
    [experiment] = [
        e for commit in shown for e in commit.get("experiments") or [] if e["name"] == "two-layers"
    ]
    assert experiment["revs"][0]["data"]["params"]["params.yaml"]["data"]["hidden"] == [64, 32]


def test_mlp_predict_reads_the_sample_digits_with_the_deeper_network(deep_repo: Path) -> None:
    images = sorted(DIGITS.iterdir())
    result = run_predict(deep_repo, *images)
    assert result.returncode == 0, result.stderr
    digits = {line.split(": ")[0]: int(line.split(": ")[1].split()[0]) for line in result.stdout.splitlines()}
    assert {Path(name).name: digit for name, digit in digits.items()} == {
        "four.jpg": 4,
        "one.png": 1,
        "seven.png": 7,
    }


def test_mlp_draw_shows_every_hidden_layer(deep_repo: Path) -> None:
    server = start_draw("--port", "0", "--model", str(deep_repo / "models" / "model.npz"))
    try:
        url = address_of(server)
        status, answer = post(url, drawing((DIGITS / "seven.png").read_bytes()))
        assert status == 200, answer
        assert [len(layer) for layer in answer["hidden"]] == [64, 32]
        with np.load(deep_repo / "models" / "model.npz", allow_pickle=False) as model:
            X = np.array([answer["pixels"]], dtype=np.float32)
            (a1, a2), probabilities = by_hand(model, X)
        # The answer's pixels are rounded to 3 decimals, so the recomputation is near, not exact.
        np.testing.assert_allclose(answer["hidden"][0], a1[0], rtol=1e-3, atol=0.01)
        np.testing.assert_allclose(answer["hidden"][1], a2[0], rtol=1e-3, atol=0.01)
        np.testing.assert_allclose(answer["probabilities"], probabilities[0], atol=1e-3)
    finally:
        server.terminate()
        server.communicate(timeout=30)
