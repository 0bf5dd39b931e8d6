"""Running and storing: the pool (:mod:`sim.runs.executors`), one scenario's replications
(:mod:`sim.runs.replications`), results folders (:mod:`sim.runs.folder`) and sweeps (:mod:`sim.runs.sweep`)."""
