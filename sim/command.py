"""The ``cohesion`` command's first instructions: Ctrl-C or SIGTERM gives one line from the very start.

Importing the command (:mod:`sim.cli` and what it needs) takes a while; a
signal in that time would otherwise end it with a KeyboardInterrupt
traceback. :func:`entry` installs a handler that ends the command with the
line ``interrupted`` and exit code 1 before it imports anything else; the
command replaces it with its own once it runs (:mod:`sim.processes`). Only
Python's own start-up comes before it. This module imports nothing heavy.
"""

from __future__ import annotations

import signal
import sys
from typing import Any


def _interrupted(signum: int, frame: Any) -> None:
    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, signal.SIG_IGN)  # a second signal cannot cut the line in half
    print("interrupted", file=sys.stderr)
    raise SystemExit(1)


def entry() -> int:
    """The ``cohesion`` command and ``python -m sim``: a one-line handler first, then :func:`sim.cli.entry`."""
    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, _interrupted)
    from sim.cli import entry as command

    return command()
