"""``python -m sim``: the same as the ``cohesion`` command."""

from sim.cli import entry

raise SystemExit(entry())
