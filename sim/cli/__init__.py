"""The ``cohesion`` command: its entry point, with a one-line Ctrl-C from the very start.

The command itself (parser, subcommands, exit codes and the one error handler) is :mod:`sim.cli.command`;
the subcommands live beside it (:mod:`sim.cli.analysis`, :mod:`sim.cli.calibrate`) or with the layer they
drive. Importing the command takes a while; a signal in that time would otherwise end it with a
KeyboardInterrupt traceback. :func:`entry` installs a handler that ends the command with the line
``interrupted`` and exit code 1 before it imports anything else; the command replaces it with its own
once it runs (:mod:`sim.util.processes`). Only Python's own start-up comes before it. This module imports
nothing heavy; ``main`` and ``build_parser`` are loaded on first use.
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
    """The ``cohesion`` command and ``python -m sim``: a one-line handler first, then :func:`sim.cli.command.entry`."""
    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, _interrupted)
    from sim.cli.command import entry as command

    return command()


def __getattr__(name: str) -> Any:
    """``main``, ``build_parser`` and the exit codes of :mod:`sim.cli.command`, imported on first use."""
    if name in ("main", "build_parser", "EXIT_OK", "EXIT_FAILURE", "EXIT_BAD_INPUT"):
        from sim.cli import command

        return getattr(command, name)
    raise AttributeError(f"module 'sim.cli' has no attribute {name!r}")
