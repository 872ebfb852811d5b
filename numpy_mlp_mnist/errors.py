"""How every stage and command ends: its result, or one line that says what is wrong."""

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

from numpy_mlp_mnist import KERNELS
from numpy_mlp_mnist.kernels import check_chosen

PR_SET_PDEATHSIG = 1  # prctl(2)


class UserError(Exception):
    """A failure the user can act on: a bad value, file, image, address or server. Its
    message is the whole report, naming the culprit and what would be accepted: no traceback."""


def report_kernels() -> None:
    """For a stage whose outputs' bytes depend on the CPU kernels: say if they are not pinned."""
    if KERNELS.note:
        print(KERNELS.note, file=sys.stderr)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_program(work: Callable[[], None]) -> None:
    """Run a stage's or a command's `work`; a UserError or an interruption ends the
    process in one line and a non-zero exit.

    SIGTERM (what `kill`, Slurm and DVC's own cancellation send) is treated like Ctrl-C,
    so the same clean-up of half-written files runs for both.
    """
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        problem = check_chosen(KERNELS)
        if problem:
            raise UserError(problem)
        work()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("interrupted: no output was written", file=sys.stderr)
        raise SystemExit(130) from None


def run_stage(work: Callable[[], None]) -> None:
    """run_program for a stage, which also stops (SIGTERM, so as Ctrl-C) when the DVC process
    that started it dies: a stage never outlives its run of the pipeline, to write into a
    workspace that someone else has taken meanwhile (an mlp-search worker's, say). Linux
    only (prctl's parent-death signal); elsewhere, as run_program."""
    parent = os.getppid()
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    def unless_orphaned() -> None:
        if os.getppid() != parent:  # it died before the request was made
            raise KeyboardInterrupt
        work()

    run_program(unless_orphaned)
