"""params.yaml is checked in full, and every problem is one line naming the key."""

from pathlib import Path

import pytest
from support.repos import REPO, write_params

from numpy_mlp_mnist.data_params import load_data_params
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.params import RULES, load_params


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
    with pytest.raises(UserError) as raised:
        load_params(path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_key(tmp_path: Path) -> None:
    path = write_params(tmp_path / "params.yaml")
    path.write_text(
        "\n".join(line for line in path.read_text().splitlines() if not line.startswith("epochs"))
    )
    with pytest.raises(UserError, match="missing key 'epochs'; expected a whole number"):
        load_params(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "file not found; run from the repository root"),
        (
            b"hidden: \xff\n",
            "cannot be read ('utf-8' codec can't decode byte 0xff in position 8: invalid start byte)",
        ),
        ("hidden: [30\n", "not valid YAML at line 2: expected ',' or ']', but got '<stream end>'"),
        ("a: b: c\n", "not valid YAML at line 1: mapping values are not allowed here"),
        (
            "hidden: \x07\n",
            "not valid YAML: unacceptable character #x0007: special characters are not allowed",
        ),
        ("- 1\n- 2\n", "expected a mapping of keys to values, found list"),
        ("", "expected a mapping of keys to values, found NoneType"),
        (
            "hidden: !!python/object/apply:os.system ['true']\n",
            "not valid YAML at line 1: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
    ],
)
def test_unreadable_params_file(tmp_path: Path, text: str | bytes | None, message: str) -> None:
    path = tmp_path / "params.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    with pytest.raises(UserError) as raised:
        load_params(path)
    assert str(raised.value) == f"{path}: {message}"


def test_an_unknown_key_is_named_with_the_closest_known_one(tmp_path: Path) -> None:
    path = write_params(tmp_path / "params.yaml", hiden=30)
    with pytest.raises(UserError) as raised:
        load_params(path)
    assert str(raised.value) == f"{path}: unknown key 'hiden'; did you mean 'hidden'?"


@pytest.mark.parametrize(
    ("hidden", "problem"),
    [
        ([], "[] has 0 layers"),
        ([8] * 9, "[8, 8, 8, 8, 8, 8, 8, 8, 8] has 9 layers"),
        ([64, 0], "[64, 0]: layer 2: 0 is not allowed"),
        ([0, 64], "[0, 64]: layer 1: 0 is not allowed"),
        ([64, 32.5], "[64, 32.5]: layer 2: 32.5 is not a whole number"),
    ],
)
def test_a_bad_list_of_widths_names_the_layer(tmp_path: Path, hidden: list, problem: str) -> None:
    path = write_params(tmp_path / "params.yaml", hidden=hidden)
    with pytest.raises(UserError) as raised:
        load_params(path)
    assert str(raised.value) == f"{path}: hidden: {problem}; expected {RULES['hidden'].expected}"


# Every key's bounds: values just inside are accepted, values just outside refused with
# the whole message, what would be accepted included.
BOUNDS = {
    "hidden": ([1, 65536, [1], [65536] * 8], [0, 65537], "a whole number from 1 to 65536, or a list of 1 to 8 of them, one per hidden layer"),
    "lr": ([1e-9, 10], [0, 10.001], "a number above 0 and at most 10"),
    "loss": (["mae", "cross_entropy", "quadratic"], ["hinge"], "one of mae, cross_entropy, quadratic"),
    "mae_floor": ([0, 0.999], [-0.001, 1], "a number from 0 up to (not including) 1"),
    "activation": (["leaky_relu", "relu", "sigmoid", "tanh"], ["swish"], "one of leaky_relu, relu, sigmoid, tanh"),
    "epochs": ([1, 10000], [0, 10001], "a whole number from 1 to 10000"),
    "patience": ([0, 10000], [-1, 10001], "a whole number from 0 to 10000"),
    "batch_size": ([1, 60000], [0, 60001], "a whole number from 1 to 60000"),
    "optimizer": (["sgd", "momentum", "adam"], ["lbfgs"], "one of sgd, momentum, adam"),
    "weight_decay": ([0, 0.999], [-0.001, 1], "a number from 0 up to (not including) 1"),
    "augment_shift": ([0, 4], [-1, 5], "a whole number from 0 to 4"),
    "lr_schedule": (["constant", "cosine"], ["step"], "one of constant, cosine"),
    "seed": ([0, 2**32 - 1], [-1, 2**32], "a whole number from 0 to 4294967295"),
    "init": (["auto", "he", "xavier", "zeros"], ["lecun"], "one of auto, he, xavier, zeros"),
    "init_scale": ([1e-9, 1000], [0, 1000.5], "a number above 0 and at most 1000"),
    "leaky_slope": ([0, 0.999], [-0.001, 1], "a number from 0 up to (not including) 1"),
    "momentum": ([0, 0.999], [-0.001, 1], "a number from 0 up to (not including) 1"),
    "threads": ([1, 256], [0, 257], "a whole number from 1 to 256"),
    "kernels": (["pinned", "native"], ["fast"], "one of pinned, native"),
    "val_size": ([1, 59999], [0, 60000], "a whole number from 1 to 59999"),
    "source": (["pypi", "openml", "idx"], ["kaggle"], "one of pypi, openml, idx"),
    "idx_mirrors": ([[], ["http://a.example/", "https://b.example/"]], [["http://a.example/", "ftp://b.example/"]], "a list of http:// or https:// base URLs, or [] for the public mirrors"),
    "idx_dir": (["", "some/folder"], [], "a folder path, or '' to download"),
    "download_timeout": ([0.001, 600], [0, 600.5], "a number of seconds above 0 and at most 600"),
    "download_attempts": ([1, 10], [0, 11], "a whole number from 1 to 10"),
}  # fmt: skip


def test_every_key_has_its_bounds_checked_here() -> None:
    assert list(BOUNDS) == list(RULES)


@pytest.mark.parametrize("key", list(BOUNDS))
def test_each_key_accepts_its_bounds_and_refuses_just_beyond_them(tmp_path: Path, key: str) -> None:
    accepted, refused, expected = BOUNDS[key]
    for value in accepted:
        params = load_params(write_params(tmp_path / "params.yaml", **{key: value}))
        assert getattr(params, key) == value
    for value in refused:
        path = write_params(tmp_path / "params.yaml", **{key: value})
        with pytest.raises(UserError) as raised:
            load_params(path)
        assert str(raised.value) == f"{path}: {key}: {value!r} is not allowed; expected {expected}"


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("epochs", 3.0, "is not a whole number"),
        ("epochs", True, "is not a whole number"),
        ("lr", False, "is not a number"),
        ("lr", [0.1], "is not a number"),
        ("loss", 3, "is not text"),
        ("idx_mirrors", "http://a.example/", "is not a list of text"),
        ("idx_mirrors", [3], "is not a list of text"),
        ("hidden", "64,32", "is not a whole number"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_with_what_is_accepted(
    tmp_path: Path, key: str, value: object, problem: str
) -> None:
    path = write_params(tmp_path / "params.yaml", **{key: value})
    with pytest.raises(UserError) as raised:
        load_params(path)
    assert str(raised.value) == f"{path}: {key}: {value!r} {problem}; expected {RULES[key].expected}"


def test_an_integer_learning_rate_is_read_as_a_float(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path / "params.yaml", lr=1))
    assert params.lr == 1.0 and isinstance(params.lr, float)


def test_fetch_and_prepare_read_their_own_keys_only(tmp_path: Path) -> None:
    """The data's keys are checked by load_data_params, which needs nothing of the engine;
    a wrong engine key is not theirs to refuse (the check stage does)."""
    path = write_params(tmp_path / "params.yaml", hidden=0)
    data = load_data_params(path)
    assert (data.seed, data.val_size, data.source, data.idx_mirrors) == (0, 10_000, "pypi", [])
    assert data.download_timeout == 30.0 and isinstance(data.download_timeout, float)
    write_params(path, val_size=0)
    with pytest.raises(
        UserError,
        match=r"^.*params.yaml: val_size: 0 is not allowed; expected a whole number from 1 to 59999$",
    ):
        load_data_params(path)
    path.write_text("seed: 0\n")
    with pytest.raises(
        UserError, match=r"params.yaml: missing key 'val_size'; expected a whole number from 1 to 59999$"
    ):
        load_data_params(path)
