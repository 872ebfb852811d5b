"""params.yaml is checked in full, and every problem is one line naming the key."""

from pathlib import Path

import pytest
from conftest import REPO, write_params

from stages.cli import StageError
from stages.params import load_params


def test_repository_params_are_valid_and_reproduce_the_original_network() -> None:
    params = load_params(REPO / "params.yaml")
    assert (params.hidden, params.activation, params.loss) == (30, "leaky_relu", "mae")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"activation": "softplus"}, "activation: 'softplus' is not allowed; expected one of leaky_relu"),
        ({"loss": "hinge"}, "loss: 'hinge' is not allowed; expected one of mae, cross_entropy"),
        ({"optimizer": "lbfgs"}, "optimizer: 'lbfgs' is not allowed"),
        ({"hidden": 0}, "hidden: 0 is not allowed; expected a whole number from 1"),
        ({"hidden": 30.5}, "hidden: 30.5 is not a whole number"),
        ({"hidden": True}, "hidden: True is not a whole number"),
        ({"hidden": "30"}, "hidden: '30' is not a whole number"),
        ({"lr": 0}, "lr: 0 is not allowed; expected a number above 0"),
        ({"lr": -0.1}, "lr: -0.1 is not allowed"),
        ({"lr": "fast"}, "lr: 'fast' is not a number"),
        ({"lr": "1e-3"}, "lr: '1e-3' is text, not a number"),
        ({"lr": None}, "lr: None is not a number"),
        ({"epochs": 0}, "epochs: 0 is not allowed"),
        ({"batch_size": -1}, "batch_size: -1 is not allowed"),
        ({"val_size": 60000}, "val_size: 60000 is not allowed; expected a whole number from 1 to 59999"),
        ({"leaky_slope": 1.5}, "leaky_slope: 1.5 is not allowed"),
        ({"source": "kaggle"}, "source: 'kaggle' is not allowed"),
        ({"threads": 0}, "threads: 0 is not allowed"),
        ({"hiden": 30}, "unknown key 'hiden'; did you mean 'hidden'?"),
        ({"colour": "red"}, "unknown key 'colour'; known keys: hidden, lr, loss"),
    ],
)
def test_bad_params_name_the_key_and_what_is_allowed(tmp_path: Path, overrides: dict, message: str) -> None:
    path = write_params(tmp_path / "params.yaml", **overrides)
    with pytest.raises(StageError) as raised:
        load_params(path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_key(tmp_path: Path) -> None:
    path = write_params(tmp_path / "params.yaml")
    path.write_text(
        "\n".join(line for line in path.read_text().splitlines() if not line.startswith("epochs"))
    )
    with pytest.raises(StageError, match="missing key 'epochs'; expected a whole number"):
        load_params(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "params.yaml: file not found"),
        ("hidden: [30\n", "params.yaml: not valid YAML at line 2"),
        ("- 1\n- 2\n", "expected a mapping of keys to values, found list"),
        ("", "expected a mapping of keys to values, found NoneType"),
        ("hidden: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ],
)
def test_unreadable_params_file(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "params.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(StageError, match=message):
        load_params(path)
