"""Which part of a run's spread is chance and which is the parameters: the chance-only band beside the full band.

A run with ``uncertainty: posterior`` is run a second time with ``uncertainty: none`` (same seeds, the
registry defaults) when it is made (:func:`sim.api.run_behind`), and that model table is stored in its
folder (``chance_model/``): its band is chance alone; the posterior run's band is parameters and chance
together. The numbers of the two bands are here; the figure is drawn by :mod:`sim.reporting.figures.chance` and
the report's section by :func:`sim.reporting.reports.run.chance_section`. Nothing here runs the model.
"""

from __future__ import annotations

import pandas as pd

from sim.rules.outcomes import HEADLINE_OUTCOMES

LEVELS = (5, 95)


def bands(model: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per date: the 5th, 50th and 95th percentiles of ``outcome`` over the replications (index: date)."""
    grouped = model.groupby("date")[outcome]
    return pd.DataFrame(
        {
            "low": grouped.quantile(LEVELS[0] / 100),
            "median": grouped.median(),
            "high": grouped.quantile(LEVELS[1] / 100),
        }
    )


def outcomes_of(model: pd.DataFrame) -> list[str]:
    """The headline outcomes a model table holds, in the order of ``HEADLINE_OUTCOMES``."""
    return [o for o in HEADLINE_OUTCOMES if o in model.columns]
