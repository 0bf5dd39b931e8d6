"""Figures: of a run folder (:mod:`sim.reporting.figures.run`) and of comparisons and sweeps
(:mod:`sim.reporting.figures.analysis`)."""
