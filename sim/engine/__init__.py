"""The batched engine: R runs advanced together as (R, N) arrays.

- :mod:`sim.engine.state`: the arrays of a batch and their shapes.
- :mod:`sim.engine.hooks`: the scenario hooks that change one row (what events call).
- :mod:`sim.engine.setup`: initial state and fixed points, for all rows.
- :mod:`sim.engine.step`: one month for all rows (ODD section 3, one line per process).
- :mod:`sim.engine.decisions`: agenda, votes and decision rules over rows; elections.
- :mod:`sim.engine.outputs`: history to tables.

The compiled per-row loops are :mod:`sim.compiled`; the rules they apply are :mod:`sim.rules`.
``run_batch(specs)`` is the entry point: it builds, runs and returns a finished batch.
"""

from sim.engine.setup import Batch, RunSpec, build_batch, run_batch

__all__ = ["Batch", "RunSpec", "build_batch", "run_batch"]
