"""Ctrl-C in tests that send it.

A shell that starts a job in the background of a script (`nohup`, `cron`, many CI agents
and job schedulers) starts it with SIGINT ignored, and an ignored signal stays ignored
through every fork and exec: pytest, and every process a test starts, would then never
see the SIGINT a test sends, and a Ctrl-C test would fail however right the code is. So
a process that a test will interrupt is started with SIGINT at its default, as a
terminal gives it; nothing else about the suite's own signals changes.
"""

import signal


def ctrl_c_reaches_it() -> None:
    """For Popen's preexec_fn: SIGINT back at its default in the child, before it execs."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ctrl_c_ignored() -> None:
    """For Popen's preexec_fn: the child starts with SIGINT ignored, as `command &` in a script."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
