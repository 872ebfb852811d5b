"""How every stage ends: its result, or one line that says what is wrong."""

import signal
import sys
from collections.abc import Callable
from types import FrameType

from stages import KERNELS_NOTE


class StageError(Exception):
    """A failure the user can act on. Its message is the whole report: no traceback."""


def report_kernels() -> None:
    """For a stage whose outputs' bytes depend on the CPU kernels: say if they are not pinned."""
    if KERNELS_NOTE:
        print(KERNELS_NOTE, file=sys.stderr)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_stage(work: Callable[[], None]) -> None:
    """Run `work`; turn a StageError or an interruption into one line and a non-zero exit.

    SIGTERM (what `kill` and DVC's own cancellation send) is treated like Ctrl-C, so
    the same clean-up of half-written files runs for both.
    """
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        work()
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("interrupted: no output was written", file=sys.stderr)
        raise SystemExit(130) from None
