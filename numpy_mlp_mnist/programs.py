"""How every stage, command and benchmark runs: the CPU kernels it asked for checked, SIGTERM
taken as Ctrl-C, a stage stopped with the DVC that started it, and its end, its result
or one line that says what is wrong (a UserError), never a traceback."""

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

from numpy_mlp_mnist import SELECTED_KERNELS
from numpy_mlp_mnist.errors import UserError
from numpy_mlp_mnist.kernels import check_chosen

PR_SET_PDEATHSIG = 1  # prctl(2)


def report_kernels() -> None:
    """For a stage whose outputs' bytes depend on the CPU kernels: say if they are not pinned."""
    if SELECTED_KERNELS.note:
        print(SELECTED_KERNELS.note, file=sys.stderr)


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
        problem = check_chosen(SELECTED_KERNELS)
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
