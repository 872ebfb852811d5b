"""What a search ends with: the best trials by the objective, and the test accuracy of the
best one alone (the test set judges the trial chosen, never the choice)."""

import json
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.trial import TrialState

from numpy_mlp_mnist.commands.search.shell import answer_of, run
from numpy_mlp_mnist.commands.search.space import SearchSpace


def format_value(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def test_accuracy_of(root: Path, experiment: str, upstream: bool) -> float | None:
    """The test accuracy of one experiment, pulled from the team's repository if need be."""
    find_ref = ["git", "for-each-ref", "--format=%(refname)", f"refs/exps/**/{experiment}"]
    ref = run(find_ref, root)
    if not ref and upstream:
        answer_of(["dvc", "exp", "pull", "--no-cache", "origin", experiment], root)
        ref = run(find_ref, root)
    if not ref:
        return None
    return json.loads(run(["git", "show", f"{ref.splitlines()[0]}:metrics/test.json"], root))["accuracy"]


def report(
    trials: list[optuna.trial.FrozenTrial],
    space: SearchSpace,
    root: Path,
    say: Callable[[str], None],
    upstream: bool,
) -> None:
    complete = [trial for trial in trials if trial.state == TrialState.COMPLETE]
    if not complete:
        say(f"study {space.study!r}: no completed trials yet")
        return
    ranked = sorted(complete, key=lambda trial: trial.value, reverse=space.direction == "maximize")
    failed = sum(trial.state == TrialState.FAIL for trial in trials)
    summary = f"{len(complete)} completed, {failed} failed; best by {space.objective}"
    say(f"\nstudy {space.study!r}: {summary}:\n")
    say(f"| trial | {space.objective} | {' | '.join(space.params)} | experiment |")
    say("|" + "---|" * (len(space.params) + 3))
    for trial in ranked[:5]:
        values = " | ".join(format_value(trial.params[key]) for key in space.params)
        say(f"| {trial.number} | {trial.value:.5f} | {values} | {trial.user_attrs['experiment']} |")
    best = ranked[0]
    name = best.user_attrs["experiment"]
    accuracy = test_accuracy_of(root, name, upstream)
    test = (
        f"test accuracy {accuracy:.4f}"
        if accuracy is not None
        else f"test accuracy: `dvc exp pull origin {name}`"
    )
    say(f"\nbest: {name}, {space.objective} {best.value:.5f}; {test} (the test set, for this trial alone)")
    say(f"use it: dvc exp apply {name}" + (" && dvc pull" if upstream else ""))
