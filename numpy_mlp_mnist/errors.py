"""How every stage and command ends: its result, or one line that says what is wrong."""

import signal
import sys
from collections.abc import Callable
from types import FrameType

from numpy_mlp_mnist import KERNELS
from numpy_mlp_mnist.kernels import check_chosen


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
