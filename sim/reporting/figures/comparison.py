"""Figures of a comparison (``cohesion compare``, :meth:`sim.api.Comparison.plot`): the paired differences over
time with their intervals, and each scenario's outcomes.

The frame, title strip and footer with :data:`sim.DISCLAIMER` come from :mod:`sim.reporting.style`, so that
these figures look like those of a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.reporting import style
from sim.reporting.text import label, percent
from sim.rules import outcomes as registry

if TYPE_CHECKING:
    from sim.analysis.compare import Comparison

REFERENCE_COLOUR = "#5d6d7e"
COLOURS = ("#c0392b", "#2471a3", "#7d3c98", "#d68910", "#1e8449", "#a04000")
# Smallest y range shown for a difference, so that a difference in the fourth decimal does not look large.
DIFFERENCE_SPAN = {"spending_pct_gdp": 0.05, "blocs": 0.5, "us_troops_europe": 2.0}


def _comparison_context(comparison: Comparison) -> style.Context:
    others = ", ".join(a.label for a in comparison.others)
    return style.Context(
        f"{others} vs {comparison.reference.label}", comparison.reference.seed, min(comparison.pairs.values())
    )


def comparison_differences(comparison: Comparison, path: Path) -> Path:
    """Mean paired difference over time with its 90 % interval; dotted: the interval without pairing."""
    figure, axes = style.panels(len(comparison.outcomes))
    level = percent(comparison.level)
    for ax, outcome in zip(axes, comparison.outcomes, strict=True):
        rows = comparison.differences[comparison.differences["outcome"] == outcome]
        for other, colour in zip(comparison.others, COLOURS, strict=False):
            mine = rows[rows["scenario"] == other.label]
            x = style.years(mine["date"])
            ax.fill_between(x, mine["difference_low"], mine["difference_high"], color=colour, alpha=0.25, linewidth=0)
            ax.plot(x, mine["difference"], color=colour, linewidth=2)
            ax.plot(x, mine["unpaired_low"], color=colour, linewidth=1, linestyle=":")
            ax.plot(x, mine["unpaired_high"], color=colour, linewidth=1, linestyle=":")
        ax.axhline(0.0, color="#222222", linewidth=0.9)
        ax.set_title(label(outcome, one_line=False), fontsize=12)
        style.year_axis(ax, style.years(rows["date"].unique()))
        style.minimum_span(ax, DIFFERENCE_SPAN.get(outcome, 0.02))
        if registry.is_count(outcome):
            ax.yaxis.get_major_locator().set_params(integer=True)
    for ax in axes[-3:]:
        ax.set_xlabel("year", fontsize=11)
    for ax in axes[::3]:
        ax.set_ylabel(f"difference from {comparison.reference.label}", fontsize=11)
    handles = [
        Line2D([], [], color=c, linewidth=2, label=f"{a.label} - {comparison.reference.label}")
        for a, c in zip(comparison.others, COLOURS, strict=False)
    ]
    handles += [
        Patch(color="#777777", alpha=0.3, label=f"{level} interval, pairs resampled"),
        Line2D([], [], color="#777777", linestyle=":", label=f"{level} interval ignoring the pairing"),
    ]
    style.legend(figure, handles)
    return style.finish(figure, _comparison_context(comparison), "Paired differences (mean over replications)", path)


def comparison_levels(comparison: Comparison, path: Path) -> Path:
    """Each scenario's outcomes over time (median and the middle 50 % of replications), reference in grey.

    Outcomes on a 0-1 scale (their ``scale`` in ``sim.rules.outcomes.OUTCOMES``) are drawn on a fixed 0-1 axis, as
    in a run's headline figure, so that small gaps do not look large; the differences figure is where gaps are
    zoomed.
    """
    figure, axes = style.panels(len(comparison.outcomes))
    colours = [REFERENCE_COLOUR, *COLOURS]
    # The reference is drawn wide and solid, the others narrower and dashed on top: where two medians are
    # the same, both stay visible.
    widths = [3.6, *([1.8] * len(COLOURS))]
    styles = ["-", *(["--"] * len(COLOURS))]
    for ax, outcome in zip(axes, comparison.outcomes, strict=True):
        for arm, colour, width, dash in zip(comparison.arms, colours, widths, styles, strict=False):
            replications = comparison.pairs.get(arm.label, max(comparison.pairs.values()))
            model = arm.model[arm.model["replication"] < replications]
            q = style.quantiles(model, outcome)
            x = style.years(model.drop_duplicates("step").sort_values("step")["date"])
            ax.fill_between(x, q["q25"], q["q75"], color=colour, alpha=0.2, linewidth=0)
            ax.plot(x, q["q50"], color=colour, linewidth=width, linestyle=dash)
        ax.set_title(label(outcome, one_line=False), fontsize=12)
        style.year_axis(ax, x)
        if registry.is_count(outcome):
            ax.yaxis.get_major_locator().set_params(integer=True)
        if registry.zero_one(outcome):
            ax.set_ylim(0, 1)  # as in a run's headline figure: gaps are read on the outcome's whole scale
    handles = [
        Line2D([], [], color=c, linewidth=w, linestyle=st, label=a.label)
        for a, c, w, st in zip(comparison.arms, colours, widths, styles, strict=False)
    ]
    handles.append(Patch(color="#777777", alpha=0.3, label="middle 50 % of replications"))
    style.legend(figure, handles)
    return style.finish(figure, _comparison_context(comparison), "Outcomes of each scenario (median)", path)
