"""Waiting for what another process does: a condition polled until it holds, or a failure
that says what never happened."""

import time
from collections.abc import Callable


def eventually(condition: Callable[[], object], what: str, seconds: float = 300) -> object:
    """What `condition` returns once it is truthy; an AssertionError naming `what` if it
    is not within `seconds`."""
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)
    return found
