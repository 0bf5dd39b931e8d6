"""The figure of a posterior run's chance-only band beside its full band (``figures/chance_and_parameters.png``).

Drawn from two model tables (:mod:`sim.analysis.chance` gives their bands); nothing here runs the model.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.analysis.chance import bands, outcomes_of

FIGURE = "chance_and_parameters.png"


def figure(full: pd.DataFrame, chance: pd.DataFrame, name: str, path: Path) -> Path:
    """Each headline outcome over time: the full band (parameters and chance) and the chance-only band.

    ``full`` and ``chance`` are model tables (one row per run and month) of the same replications, with and
    without posterior draws. The full band is filled; the chance-only band is drawn as a hatched band with
    its edges on top, so that neither hides the other. 0-1 outcomes keep a 0-1 axis and counts whole-number
    ticks, as in the headline figure; the disclaimer is in the footer. Writes a PNG to ``path``. Drawn on a
    :class:`matplotlib.figure.Figure` of its own: the caller's backend and pyplot figures are left alone.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from sim.about import DISCLAIMER
    from sim.rules.outcomes import is_count, label, zero_one

    path.parent.mkdir(parents=True, exist_ok=True)
    outcomes = outcomes_of(full)
    cols = 3
    rows = (len(outcomes) + cols - 1) // cols
    fig = Figure(figsize=(5.0 * cols, 3.4 * rows + 1.0))
    axes = fig.subplots(rows, cols, squeeze=False)
    full_colour, chance_colour = "#e67e22", "#1f4e79"
    for k, outcome in enumerate(outcomes):
        ax = axes[k // cols][k % cols]
        wide, narrow = bands(full, outcome), bands(chance, outcome)
        x = pd.to_datetime(wide.index)
        ax.fill_between(x, wide["low"], wide["high"], color=full_colour, alpha=0.35, linewidth=0)
        ax.plot(x, wide["median"], color=full_colour, lw=2.2)
        ax.fill_between(
            x, narrow["low"], narrow["high"], facecolor="none", edgecolor=chance_colour, hatch="///", linewidth=0
        )
        ax.plot(x, narrow["low"], color=chance_colour, lw=0.9)
        ax.plot(x, narrow["high"], color=chance_colour, lw=0.9)
        ax.plot(x, narrow["median"], color=chance_colour, lw=1.2, linestyle="--")
        ax.set_title(label(outcome, one_line=False), fontsize=10)
        if zero_one(outcome):
            ax.set_ylim(0, 1)
        if is_count(outcome):
            ax.yaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for k in range(len(outcomes), rows * cols):
        axes[k // cols][k % cols].axis("off")
    handles = [
        Patch(facecolor=full_colour, alpha=0.35, label="parameters and chance (posterior draws), 5-95 %"),
        Patch(facecolor="none", edgecolor=chance_colour, hatch="///", label="chance alone (registry defaults), 5-95 %"),
    ]
    fig.legend(handles=handles, loc="upper center", ncols=2, fontsize=9, frameon=False, bbox_to_anchor=(0.5, 0.95))
    fig.suptitle(f"Spread from chance alone beside spread from parameters and chance \u2014 scenario {name}", y=0.99)
    fig.text(0.5, 0.01, DISCLAIMER + "  \u00b7  solid and dashed lines: medians", ha="center", fontsize=9)
    fig.tight_layout(rect=(0, 0.03, 1, 0.92))
    fig.savefig(path, dpi=110)
    return path
