"""Rules for values read from YAML files (params.yaml, search.yaml): what each key
accepts, checked so that a wrong value ends in one line naming the key and what would be
accepted. Read with yaml.safe_load only."""

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from numpy_mlp_mnist.errors import UserError


@dataclass(frozen=True)
class Rule:
    kind: type  # int, float, str or list (of str)
    accepts: Callable[[object], bool]
    expected: str  # what would be accepted, in words
    # A key that takes one value per hidden layer also takes a list of up to this many.
    most_layers: int = 0


def choice(options: Iterable[str]) -> Rule:
    options = tuple(options)
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


def checked(rule: Rule, value: object, where: str) -> object:
    """`value` as `rule` takes it (an int as a float where a float is wanted), or a
    UserError that starts with `where` and says what would be accepted."""
    if rule.most_layers and isinstance(value, list):
        if not 1 <= len(value) <= rule.most_layers:
            raise UserError(f"{where}: {value!r} has {len(value)} layers; expected {rule.expected}")
        return [checked(rule, item, f"{where}: {value!r}: layer {i}") for i, item in enumerate(value, 1)]
    where = f"{where}: {value!r}"
    if rule.kind is int:
        # YAML's true/false are Python bools, which are ints: refuse them explicitly.
        if not isinstance(value, int) or isinstance(value, bool):
            raise UserError(f"{where} is not a whole number; expected {rule.expected}")
    elif rule.kind is float:
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                pass
            else:
                raise UserError(
                    f"{where} is text, not a number (YAML reads 1e-3 as text; write 0.001 or 1.0e-3); "
                    f"expected {rule.expected}"
                )
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise UserError(f"{where} is not a number; expected {rule.expected}")
        value = float(value)
    elif rule.kind is list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise UserError(f"{where} is not a list of text; expected {rule.expected}")
    elif not isinstance(value, str):
        raise UserError(f"{where} is not text; expected {rule.expected}")
    if not rule.accepts(value):
        raise UserError(f"{where} is not allowed; expected {rule.expected}")
    return value


def checked_keys(document: dict, rules: Mapping[str, Rule], path: Path) -> dict[str, object]:
    """Each key of `rules`, as its rule takes it from `document`; a UserError for the first
    key missing (in the rules' order), else for the first value not accepted."""
    missing = [key for key in rules if key not in document]
    if missing:
        raise UserError(f"{path}: missing key {missing[0]!r}; expected {rules[missing[0]].expected}")
    return {key: checked(rule, document[key], f"{path}: {key}") for key, rule in rules.items()}


def check_known(key: object, known: Iterable[str], where: str) -> None:
    """A UserError, starting with `where`, if `key` is not one of `known`."""
    known = list(known)
    if key not in known:
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        raise UserError(f"{where}: unknown key {key!r}; {hint}")


def read_mapping(path: Path) -> dict:
    """The YAML mapping in `path`, read with yaml.safe_load; any problem is a UserError
    naming the file (and the line, for bad YAML)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise UserError(f"{path}: file not found; run from the repository root") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read ({error})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        # A scanner's or parser's error has a problem and a mark; a reader's (a control
        # character) says what it is in its first line.
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise UserError(f"{path}: not valid YAML{line}: {problem}") from None
    if not isinstance(document, dict):
        raise UserError(f"{path}: expected a mapping of keys to values, found {type(document).__name__}")
    return document
