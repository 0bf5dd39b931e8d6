"""What a reader sees: figures (:mod:`sim.reporting.figures`) and Markdown reports
(:mod:`sim.reporting.reports`), drawn from stored tables only; reporting never runs the model."""
