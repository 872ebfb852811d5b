"""Learning rate as a function of training progress: a schedule maps the base rate, the
update's step (0-based) and the number of steps in all to that update's rate."""

import math
from collections.abc import Callable

from mlp.registry import lookup

Schedule = Callable[[float, int, int], float]


def constant(base_lr: float, step: int, total_steps: int) -> float:
    return base_lr


def cosine(base_lr: float, step: int, total_steps: int) -> float:
    """base_lr * (1 + cos(pi t / T)) / 2, from base_lr down to 0 by the last step
    (Loshchilov and Hutter 2017, without restarts)."""
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))


SCHEDULES: dict[str, Schedule] = {"constant": constant, "cosine": cosine}


def make_schedule(name: str) -> Schedule:
    return lookup(SCHEDULES, name, "schedule")
