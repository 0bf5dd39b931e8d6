"""Figures: of a run folder (:mod:`sim.reporting.figures.run`, and :mod:`sim.reporting.figures.chance` for a
posterior run's chance-only band) and of comparisons and sweeps (:mod:`sim.reporting.figures.analysis`)."""
