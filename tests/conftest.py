from pathlib import Path

import numpy as np
import pytest
import yaml


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


REPO = Path(__file__).resolve().parent.parent


def write_params(path: Path, **overrides: object) -> Path:
    """The repository's params.yaml with `overrides` applied, written to `path`."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params.update(overrides)
    path.write_text(yaml.safe_dump(params))
    return path
