"""Markdown reports: of a run folder (:mod:`sim.reporting.reports.run`), of a comparison
(:mod:`sim.reporting.reports.comparison`), of a sweep analysis (:mod:`sim.reporting.reports.sweep`) and of a
calibration (:mod:`sim.reporting.reports.calibration`)."""
