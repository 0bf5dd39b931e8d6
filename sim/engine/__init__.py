"""The batched engine: R runs advanced together as (R, N) arrays.

- :mod:`sim.engine.state`: every field of a batch, declared with its shape and ODD section.
- :mod:`sim.engine.derived`: the batch read through the pure rules; geography and pledge path derived from it.
- :mod:`sim.engine.hooks`: the scenario hooks that change one row (what events call).
- :mod:`sim.engine.setup`: initial state and fixed points, for all rows.
- :mod:`sim.engine.step`: one month for all rows (ODD section 3, one line per process).
- :mod:`sim.engine.decisions`: agenda, votes and decision rules over rows; elections.
- :mod:`sim.engine.rowops`: compiled per-row loops (matrix-vector, bounded confidence, cohesion and blocs).
- :mod:`sim.engine.outputs`: history to tables.

``run_batch(specs)`` is the entry point: it builds, runs and returns a finished batch.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy, so that sim.dynamics can import the compiled loops without importing the whole engine.
    if name in ("Batch", "RunSpec", "build_batch", "run_batch"):
        from sim.engine import setup

        return getattr(setup, name)
    raise AttributeError(name)
