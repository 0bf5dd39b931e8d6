"""Figures: of a run folder (:mod:`sim.reporting.figures.run`, and :mod:`sim.reporting.figures.chance` for a
posterior run's chance-only band), of a comparison (:mod:`sim.reporting.figures.comparison`), of a sweep
analysis (:mod:`sim.reporting.figures.sweep`) and of a calibration (:mod:`sim.reporting.figures.calibration`)."""
