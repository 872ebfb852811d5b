"""params.yaml: read safely, checked in full, before any stage does any work.

Every key is top level so that `dvc exp run -S KEY=VALUE` works as written.
"""

import difflib
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from mlp import ACTIVATIONS, INITIALIZERS, LOSSES, OPTIMIZERS, SCHEDULES
from stages.cli import StageError
from stages.kernels import CHOICES as KERNELS

SOURCES = ("pypi", "openml", "idx")
MNIST_TRAIN_SIZE = 60_000


@dataclass(frozen=True)
class Params:
    hidden: int | list[int]
    lr: float
    loss: str
    mae_floor: float
    activation: str
    epochs: int
    patience: int
    batch_size: int
    optimizer: str
    weight_decay: float
    augment_shift: int
    lr_schedule: str
    seed: int
    init: str
    leaky_slope: float
    momentum: float
    threads: int
    kernels: str
    val_size: int
    source: str
    idx_mirrors: list
    idx_dir: str
    download_timeout: float
    download_attempts: int


@dataclass(frozen=True)
class Rule:
    kind: type  # int, float, str or list (of str)
    accepts: Callable[[object], bool]
    expected: str  # what would be accepted, in words
    # A key that takes one value per hidden layer also takes a list of up to this many.
    most_layers: int = 0


def choice(options: tuple[str, ...]) -> Rule:
    return Rule(str, lambda value: value in options, "one of " + ", ".join(options))


def whole(low: int, high: int) -> Rule:
    return Rule(int, lambda value: low <= value <= high, f"a whole number from {low} to {high}")


def widths(widest: int, most_layers: int) -> Rule:
    expected = (
        f"a whole number from 1 to {widest}, or a list of 1 to {most_layers} of them, one per hidden layer"
    )
    return Rule(int, lambda value: 1 <= value <= widest, expected, most_layers)


def number(accepts: Callable[[float], bool], expected: str) -> Rule:
    return Rule(float, accepts, expected)


def url_list() -> Rule:
    def accepts(urls: list) -> bool:
        return all(str(url).startswith(("http://", "https://")) for url in urls)

    return Rule(list, accepts, "a list of http:// or https:// base URLs, or [] for the public mirrors")


RULES: dict[str, Rule] = {
    "hidden": widths(65_536, 8),
    "lr": number(lambda v: 0 < v <= 10, "a number above 0 and at most 10"),
    "loss": choice(LOSSES),
    "mae_floor": number(lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "activation": choice(ACTIVATIONS),
    "epochs": whole(1, 10_000),
    "patience": whole(0, 10_000),
    "batch_size": whole(1, MNIST_TRAIN_SIZE),
    "optimizer": choice(OPTIMIZERS),
    "weight_decay": number(lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "augment_shift": whole(0, 4),
    "lr_schedule": choice(SCHEDULES),
    "seed": whole(0, 2**32 - 1),
    "init": choice(INITIALIZERS),
    "leaky_slope": number(lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "momentum": number(lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "threads": whole(1, 256),
    "kernels": choice(KERNELS),
    "val_size": whole(1, MNIST_TRAIN_SIZE - 1),
    "source": choice(SOURCES),
    "idx_mirrors": url_list(),
    "idx_dir": Rule(str, lambda value: True, "a folder path, or '' to download"),
    "download_timeout": number(lambda v: 0 < v <= 600, "a number of seconds above 0 and at most 600"),
    "download_attempts": whole(1, 10),
}
assert list(RULES) == [field.name for field in fields(Params)]


def check_value(key: str, value: object, where: str) -> object:
    """`value` as `key` takes it (an int as a float where a float is wanted), or a
    StageError that starts with `where` and says what would be accepted."""
    rule = RULES[key]
    if rule.most_layers and isinstance(value, list):
        if not 1 <= len(value) <= rule.most_layers:
            raise StageError(f"{where}: {value!r} has {len(value)} layers; expected {rule.expected}")
        return [check_value(key, item, f"{where}: {value!r}: layer {i}") for i, item in enumerate(value, 1)]
    where = f"{where}: {value!r}"
    if rule.kind is int:
        # YAML's true/false are Python bools, which are ints: refuse them explicitly.
        if not isinstance(value, int) or isinstance(value, bool):
            raise StageError(f"{where} is not a whole number; expected {rule.expected}")
    elif rule.kind is float:
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                pass
            else:
                raise StageError(
                    f"{where} is text, not a number (YAML reads 1e-3 as text; write 0.001 or 1.0e-3); "
                    f"expected {rule.expected}"
                )
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise StageError(f"{where} is not a number; expected {rule.expected}")
        value = float(value)
    elif rule.kind is list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise StageError(f"{where} is not a list of text; expected {rule.expected}")
    elif not isinstance(value, str):
        raise StageError(f"{where} is not text; expected {rule.expected}")
    if not rule.accepts(value):
        raise StageError(f"{where} is not allowed; expected {rule.expected}")
    return value


def load_params(path: Path = Path("params.yaml")) -> Params:
    """The checked contents of `path`; any problem is a StageError naming the key."""
    document = read_mapping(path)
    for key in document:
        check_known(key, str(path))
    missing = [key for key in RULES if key not in document]
    if missing:
        raise StageError(f"{path}: missing key {missing[0]!r}; expected {RULES[missing[0]].expected}")
    return Params(**{key: check_value(key, document[key], f"{path}: {key}") for key in RULES})


def check_known(key: object, where: str) -> None:
    """A StageError, starting with `where`, if `key` is not a key of params.yaml."""
    if key not in RULES:
        close = difflib.get_close_matches(str(key), RULES, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(RULES)}"
        raise StageError(f"{where}: unknown key {key!r}; {hint}")


def read_mapping(path: Path) -> dict:
    """The YAML mapping in `path`, read with yaml.safe_load; any problem is a StageError
    naming the file (and the line, for bad YAML)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StageError(f"{path}: file not found; run from the repository root") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StageError(f"{path}: cannot be read ({error})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        # A scanner's or parser's error has a problem and a mark; a reader's (a control
        # character) says what it is in its first line.
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise StageError(f"{path}: not valid YAML{line}: {problem}") from None
    if not isinstance(document, dict):
        raise StageError(f"{path}: expected a mapping of keys to values, found {type(document).__name__}")
    return document
