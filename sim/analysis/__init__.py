"""Analysis of results: paired scenario comparisons, sensitivity indices and scenario discovery.

- :mod:`sim.analysis.compare`: ``cohesion compare``, paired differences of
  scenarios run with the same seeds (common random numbers), with bootstrap
  intervals.
- :mod:`sim.analysis.sweeps`: reading a sweep folder (points in the
  design's order, outcomes at a date).
- :mod:`sim.analysis.sensitivity`: Sobol' and Morris indices (SALib).
- :mod:`sim.analysis.discovery`: which factor ranges lead to a bad outcome
  (a decision tree by default, PRIM with the EMA Workbench).
- :mod:`sim.analysis.ema`: a sweep in the EMA Workbench's
  experiments-and-outcomes form.
- :mod:`sim.analysis.analyze`: ``cohesion analyze``, all of the above for
  one sweep folder, with a report.
- :mod:`sim.analysis.figures` and :mod:`sim.analysis.reports`: what the
  commands draw and write.

This module imports only the command-line glue, so that registering the
commands costs nothing until one of them runs.
"""

from sim.analysis.commands import (
    ANALYZE_DESCRIPTION,
    ANALYZE_HELP,
    COMPARE_DESCRIPTION,
    COMPARE_HELP,
    add_analyze_arguments,
    add_compare_arguments,
    analyze_main,
    compare_main,
)

__all__ = [
    "ANALYZE_DESCRIPTION",
    "ANALYZE_HELP",
    "COMPARE_DESCRIPTION",
    "COMPARE_HELP",
    "add_analyze_arguments",
    "add_compare_arguments",
    "analyze_main",
    "compare_main",
]
