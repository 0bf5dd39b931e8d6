"""What a reader sees: figures (:mod:`sim.reporting.figures`) and Markdown reports
(:mod:`sim.reporting.reports`), drawn from stored tables only; reporting never runs the model.

:mod:`sim.reporting.style` holds the look every figure shares, :mod:`sim.reporting.text` the labels and
number formats of the comparison and sweep outputs, and :mod:`sim.reporting.folders` writes the output
folders of ``cohesion compare`` and ``cohesion analyze``."""
