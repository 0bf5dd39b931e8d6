"""Numbers about results: paired comparisons, sensitivity indices, scenario discovery, chance-only bands and
calibration. This layer never draws, writes Markdown or serves a command; :mod:`sim.reporting` draws and
writes, :mod:`sim.cli` parses.

- :mod:`sim.analysis.compare`: paired differences of scenarios run with the same seeds (common random
  numbers), with bootstrap intervals.
- :mod:`sim.analysis.sweeps`: reading a sweep folder (points in the design's order, outcomes at a date).
- :mod:`sim.analysis.sensitivity`: Sobol' and Morris indices (SALib).
- :mod:`sim.analysis.discovery`: which factor ranges lead to a bad outcome (a decision tree by default,
  PRIM with the EMA Workbench).
- :mod:`sim.analysis.ema`: a sweep in the EMA Workbench's experiments-and-outcomes form.
- :mod:`sim.analysis.analyze`: ``cohesion analyze``'s numbers for one sweep folder.
- :mod:`sim.analysis.chance`: the numbers of the chance-only and full bands of a posterior run.
- :mod:`sim.analysis.calibration`: targets, simulation, screening and ABC-SMC inference.
"""
