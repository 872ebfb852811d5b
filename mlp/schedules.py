"""Learning rate as a function of training progress."""

import math

SCHEDULES = ("constant", "cosine")


def learning_rate_at(schedule: str, base_lr: float, step: int, total_steps: int) -> float:
    """The learning rate for update `step` (0-based) of `total_steps`.

    cosine: base_lr * (1 + cos(pi t / T)) / 2, from base_lr down to 0 by the last
    step (Loshchilov and Hutter 2017, without restarts).
    """
    if schedule == "constant":
        return base_lr
    if schedule == "cosine":
        return base_lr * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))
    raise ValueError(f"unknown schedule {schedule!r}; expected one of {', '.join(SCHEDULES)}")
