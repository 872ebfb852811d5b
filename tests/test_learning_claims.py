"""What docs/learning.md tells a student they will see when they break the engine: each
edit made in a copy of the engine, the train stage run from the committed params for
2 epochs on the real data, and every figure the page quotes found in the page as the
run printed it (a stale figure fails)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.repos import REPO

pytestmark = pytest.mark.slow  # left out by the fast subset: pytest -m 'not slow'

PAGE = (REPO / "docs" / "learning.md").read_text()
SIGN_FLIPPED = ("dz = dz @ self.weights[i].T", "dz = -(dz @ self.weights[i].T)")
AVERAGED_TWICE = (
    "np.matmul(activations[i].T, dz, out=self.weight_gradients[i])",
    "np.matmul(activations[i].T, dz, out=self.weight_gradients[i])\n"
    "            if i == 0:\n"
    "                self.weight_gradients[i] /= X.shape[0]",
)
SGD = {"optimizer": "sgd", "lr": 0.1, "loss": "cross_entropy"}


def trained(trained_repo: Path, folder: Path, edit: tuple[str, str] | None, **params: object) -> dict:
    """The train stage, 2 epochs from the committed params (and `params`), on a copy of the
    engine with `edit` made in mlp/network.py: the validation figures and the epoch lines."""
    for name in ("mlp", "numpy_mlp_mnist", "stages"):
        shutil.copytree(REPO / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    committed = yaml.safe_load((REPO / "params.yaml").read_text())
    (folder / "params.yaml").write_text(yaml.safe_dump(committed | {"epochs": 2} | params))
    (folder / "data").mkdir()
    (folder / "data" / "prepared").symlink_to(trained_repo / "data" / "prepared")
    if edit:
        network = folder / "mlp" / "network.py"
        assert edit[0] in network.read_text()
        network.write_text(network.read_text().replace(edit[0], edit[1]))
    run = subprocess.run(
        [sys.executable, "-m", "stages.train"], cwd=folder, capture_output=True, text=True, check=True,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(folder)},
    )  # fmt: skip
    validation = json.loads((folder / "metrics" / "validation.json").read_text())
    epochs = [line.split() for line in run.stdout.splitlines() if line.startswith("epoch")]
    return {"accuracy": f"{validation['accuracy']:.2%}", "train_loss": [line[5] for line in epochs]}


def test_the_sign_flipped_in_bp2_is_what_the_page_says(trained_repo: Path, tmp_path: Path) -> None:
    right = trained(trained_repo, tmp_path / "right", None)
    flipped = trained(trained_repo, tmp_path / "flipped", SIGN_FLIPPED)
    assert f"{flipped['accuracy']} instead of {right['accuracy']}" in PAGE
    first, second = flipped["train_loss"]
    assert float(second) < float(first) and f"({first}, then {second})" in PAGE


def test_bp4_averaged_twice_is_what_the_page_says_under_adam_and_under_sgd(
    trained_repo: Path, tmp_path: Path
) -> None:
    adam = trained(trained_repo, tmp_path / "adam", None)
    adam_twice = trained(trained_repo, tmp_path / "adam-twice", AVERAGED_TWICE)
    assert f"({adam_twice['accuracy']} instead of {adam['accuracy']})" in PAGE
    sgd = trained(trained_repo, tmp_path / "sgd", None, **SGD)
    sgd_twice = trained(trained_repo, tmp_path / "sgd-twice", AVERAGED_TWICE, **SGD)
    assert f"{sgd_twice['accuracy']} instead of {sgd['accuracy']}" in PAGE
