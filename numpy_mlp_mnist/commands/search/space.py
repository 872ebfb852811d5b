"""search.yaml: what mlp-search varies, how, and what it optimises; read safely and checked
in full before any trial, with the same rules and did-you-mean as params.yaml.

    study: optimiser          # the study's name; its trials' experiments are <study>-<number>
    trials: 20                # completed trials the study stops at, across all workers
    objective: accuracy       # a figure of metrics/validation.json: never a test figure
    sampler: tpe              # tpe (Optuna's default); grid runs every combination once
    seed: 0                   # each trial's proposal is drawn from this and the trial's number
    params:                   # keys of params.yaml
      lr: {low: 0.001, high: 0.02, log: true}   # a range: whole numbers or floats, as the key
      augment_shift: [0, 1, 2]                   # a list of choices

A range's kind follows its key in params.yaml (hidden takes whole numbers, lr floats);
its bounds must be values the key accepts. A choice may be any value the key accepts, so
`hidden: [30, [30, 30], [64, 32]]` compares depths. `grid` takes lists only, and its
trials default to the number of combinations.

TPE runs with `constant_liar`, as Optuna advises for many workers: a trial still running
counts as a poor result, so that no worker proposes its neighbourhood again meanwhile.
Each trial's proposal is drawn with a seed of its own, derived from `seed` and the
trial's number, which the storage hands out once: one worker alone proposes the same
configurations in the same order on every run, and no two trials share a stream of
random numbers (one seed shared by every worker would have them all propose the same
first configurations). With several workers the order in which trials finish, and so
what TPE has seen when it proposes, depends on timing: that is not reproducible. The grid
gives trial N its combination N, in an order `seed` shuffles: the same for every worker.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import optuna

from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.params import RULES
from numpy_mlp_mnist.rules import Rule, check_known, checked, choice, read_mapping, whole

# The validation figures the train stage writes to metrics/validation.json, and which way is better.
OBJECTIVES = {"accuracy": "maximize", "mae": "minimize", "cross_entropy": "minimize"}
# Their names before validation.json and test.json came to share them (studies started
# then recorded these): accepted in a stored study, and a did-you-mean in search.yaml.
FORMER_OBJECTIVES = {"val_accuracy": "accuracy", "val_mae": "mae", "val_cross_entropy": "cross_entropy"}
SAMPLERS = ("tpe", "grid")
KEYS = ("study", "trials", "objective", "sampler", "seed", "params")
SEED = whole(0, 2**32 - 1)
STUDY = Rule(
    str, lambda name: name.replace("-", "").replace("_", "").isalnum(), "a name of letters, digits, - and _"
)
SAMPLER = choice(SAMPLERS)
TRIALS = whole(1, 10_000)


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class SearchSpace:
    study: str
    trials: int
    objective: str
    sampler: str
    seed: int
    params: dict[str, Range | list] = field(hash=False)

    @property
    def direction(self) -> str:
        return OBJECTIVES[self.objective]

    def suggest(self, trial: optuna.Trial) -> dict[str, object]:
        """The trial's value of each param: drawn by the sampler, or a retried trial's own."""
        values = {}
        for key, space in self.params.items():
            if isinstance(space, list):
                values[key] = from_choice(trial.suggest_categorical(key, as_choices(space)))
            elif RULES[key].kind is int:
                values[key] = trial.suggest_int(key, int(space.low), int(space.high), log=space.log)
            else:
                values[key] = trial.suggest_float(key, space.low, space.high, log=space.log)
        return values

    def ask(self, study: optuna.Study) -> optuna.Trial:
        """The next trial. The grid sampler gives trial N the grid's combination N, in an
        order that `seed` shuffles, the same for every worker; TPE draws the trial's
        configuration with a seed of its own (trial_seed) as its params are suggested."""
        if self.sampler == "grid":
            grid = {key: as_choices(space) for key, space in self.params.items()}
            study.sampler = GridUntilCounted(grid, seed=self.seed)
            return study.ask()
        trial = study.ask()
        study.sampler = optuna.samplers.TPESampler(seed=self.trial_seed(trial.number), constant_liar=True)
        return trial

    def trial_seed(self, trial_number: int) -> int:
        """The seed of trial `trial_number`'s proposal, from search.yaml's seed and the
        number, which the storage hands out once."""
        return int(np.random.SeedSequence([self.seed, trial_number]).generate_state(1)[0])

    def as_json(self) -> str:
        """What the study records, so that every worker can be checked to search the same space."""
        params = {
            key: space if isinstance(space, list) else vars(space) for key, space in self.params.items()
        }
        return json.dumps(
            {"objective": self.objective, "sampler": self.sampler, "seed": self.seed, "params": params}
        )

    def is_recorded_as(self, recorded: str) -> bool:
        """Whether a study's record of its space (as_json) is this space, written by this
        release or an earlier one (a former objective name, no seed: seed 0)."""
        earlier = json.loads(recorded)
        earlier["objective"] = FORMER_OBJECTIVES.get(earlier["objective"], earlier["objective"])
        return {"seed": 0} | earlier == json.loads(self.as_json())


class GridUntilCounted(optuna.samplers.GridSampler):
    """Optuna's grid sampler, but for its stop of a Study.optimize loop once every
    combination has run, which raises outside such a loop (each trial here is told by a
    worker, not by optimize): the search stops at its number of completed trials instead."""

    def after_trial(self, *args: object) -> None:
        pass


# Optuna's choices are numbers or text, so a list (hidden's widths) travels as its JSON text.
def as_choices(values: list) -> list:
    return [json.dumps(value) if isinstance(value, list) else value for value in values]


def from_choice(choice: object) -> object:
    return json.loads(choice) if isinstance(choice, str) and choice.startswith("[") else choice


def check_range(key: str, spec: dict, where: str) -> Range:
    unknown = set(spec) - {"low", "high", "log"}
    if unknown or not {"low", "high"} <= set(spec):
        raise UserError(
            f"{where}: {spec!r}; expected a range {{low: L, high: H}} with an optional log: true, "
            "or a list of choices"
        )
    if RULES[key].kind not in (int, float):
        raise UserError(f"{where}: {key} takes {RULES[key].expected}, not a range; give a list of choices")
    low = checked(RULES[key], spec["low"], f"{where}: low")
    high = checked(RULES[key], spec["high"], f"{where}: high")
    if isinstance(low, list) or isinstance(high, list):
        raise UserError(f"{where}: a range's bounds are single numbers; give lists of widths as choices")
    if not low < high:
        raise UserError(f"{where}: low {low!r} is not below high {high!r}; expected low < high")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise UserError(f"{where}: log: {log!r}; expected true or false")
    if log and low <= 0:
        raise UserError(f"{where}: a log scale needs low above 0, not {low!r}")
    return Range(low, high, log)


def check_choices(key: str, choices: list, where: str) -> list:
    if not choices:
        raise UserError(f"{where}: an empty list; expected at least one choice")
    values = [checked(RULES[key], choice, f"{where}: choice") for choice in choices]
    if len(set(map(repr, values))) < len(values):
        raise UserError(f"{where}: {choices!r} names a choice twice; expected each once")
    return values


def checked_objective(objective: object, path: Path) -> str:
    """A figure of metrics/validation.json; a former name, a test figure or any other is a UserError."""
    if objective in OBJECTIVES:
        return objective
    if objective in FORMER_OBJECTIVES:
        raise UserError(
            f"{path}: objective: {objective!r} is the former name of metrics/validation.json's "
            f"{FORMER_OBJECTIVES[objective]!r}; did you mean {FORMER_OBJECTIVES[objective]!r}?"
        )
    test = isinstance(objective, str) and objective.startswith("test")
    why = "a test figure, which must not choose among trials" if test else "held by no metrics file"
    expected = "expected one of metrics/validation.json's: " + ", ".join(OBJECTIVES)
    raise UserError(f"{path}: objective: {objective!r} is {why}; {expected}")


def checked_params(params: object, sampler: str, path: Path) -> dict[str, Range | list]:
    """Each key of params.yaml to search, with its range or its list of choices."""
    if not isinstance(params, dict) or not params:
        raise UserError(f"{path}: params: expected a mapping of params.yaml keys to ranges or lists")
    space: dict[str, Range | list] = {}
    for key, spec in params.items():
        check_known(key, RULES, f"{path}: params")
        where = f"{path}: params: {key}"
        if isinstance(spec, list):
            space[key] = check_choices(key, spec, where)
        elif isinstance(spec, dict) and sampler != "grid":
            space[key] = check_range(key, spec, where)
        else:
            wanted = (
                "a list of choices (a grid takes lists only)" if sampler == "grid" else "a range or a list"
            )
            raise UserError(f"{where}: {spec!r}; expected {wanted}")
    return space


def load_space(path: Path = Path("search.yaml")) -> SearchSpace:
    """The checked contents of `path`; any problem is a UserError that names it. The keys
    with a value of one kind are checked by the rules params.yaml's keys are (rules.py)."""
    document = read_mapping(path)
    for key in document:
        check_known(key, KEYS, str(path))
    study = checked(STUDY, document.get("study"), f"{path}: study")
    objective = checked_objective(document.get("objective"), path)
    sampler = checked(SAMPLER, document.get("sampler", "tpe"), f"{path}: sampler")
    seed = checked(SEED, document.get("seed", 0), f"{path}: seed")
    space = checked_params(document.get("params"), sampler, path)
    combinations = math.prod(len(choices) for choices in space.values()) if sampler == "grid" else None
    trials = checked(TRIALS, document.get("trials", combinations), f"{path}: trials")
    if combinations is not None and trials != combinations:
        raise UserError(
            f"{path}: trials: {trials} for a grid of {combinations} combinations; expected {combinations}"
        )
    return SearchSpace(study, trials, objective, sampler, seed, space)
