"""``python -m sim``: the same as the ``cohesion`` command."""

from sim.command import entry

raise SystemExit(entry())
