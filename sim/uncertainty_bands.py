"""Which part of a run's spread is chance and which is the parameters: the chance-only band beside the full band.

A run with ``uncertainty: posterior`` is run a second time with ``uncertainty: none`` (same seeds, the
registry defaults): its band is chance alone; the posterior run's band is parameters and chance together.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.metrics import HEADLINE_OUTCOMES

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
    return [o for o in HEADLINE_OUTCOMES if o in model.columns]


def figure(full: pd.DataFrame, chance: pd.DataFrame, name: str, path: Path) -> Path:
    """Each headline outcome over time: the full band (parameters and chance) and the chance-only band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    outcomes = outcomes_of(full)
    cols = 3
    rows = (len(outcomes) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    for k, outcome in enumerate(outcomes):
        ax = axes[k // cols][k % cols]
        for model, label, colour, alpha in (
            (full, "parameters and chance", "tab:orange", 0.35),
            (chance, "chance alone (defaults)", "tab:blue", 0.5),
        ):
            b = bands(model, outcome)
            x = pd.to_datetime(b.index)
            ax.fill_between(x, b["low"], b["high"], color=colour, alpha=alpha, label=f"{label}, 5-95 %")
            ax.plot(x, b["median"], color=colour, lw=1)
        ax.set_title(outcome, fontsize=9)
        ax.tick_params(labelsize=7)
    for k in range(len(outcomes), rows * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=6, loc="best")
    fig.suptitle(f"{name}: spread from chance alone beside spread from parameters and chance (illustrative)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def section(full: pd.DataFrame, chance: pd.DataFrame, figure_name: str) -> str:
    """Markdown: the two bands at the last month for each headline outcome, and what they mean."""
    last = full["date"].max()
    lines = [
        "",
        "## Chance and parameters",
        "",
        "This run drew each replication's parameter set from the shipped posterior (`uncertainty: posterior`).",
        "The same replications were also run at the registry defaults (`uncertainty: none`), whose spread is",
        "chance alone (incidents, elections, vote noise). The wider band adds what the record up to 2024",
        "leaves uncertain about the calibrated parameters; the rest of the parameters stay at their defaults,",
        "so even the wider band understates the model's uncertainty.",
        "",
        f"| outcome ({last}) | chance alone, 5-95 % | parameters and chance, 5-95 % | width ratio |",
        "|---|---|---|---|",
    ]
    for outcome in outcomes_of(full):
        a = bands(chance, outcome).loc[last]
        b = bands(full, outcome).loc[last]
        width_a, width_b = a["high"] - a["low"], b["high"] - b["low"]
        ratio = width_b / width_a if width_a > 0 else np.inf
        lines.append(
            f"| {outcome} | {a['low']:.3g} to {a['high']:.3g} | {b['low']:.3g} to {b['high']:.3g} | {ratio:.1f} |"
        )
    lines += ["", f"![chance and parameters]({figure_name})", ""]
    return "\n".join(lines)
