"""Markdown reports: of a run folder (:mod:`sim.reporting.reports.run`) and of comparisons and sweeps
(:mod:`sim.reporting.reports.analysis`)."""
