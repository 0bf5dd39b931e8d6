"""Which part of a run's spread is chance and which is the parameters: the chance-only band beside the full band.

A run with ``uncertainty: posterior`` is run a second time with ``uncertainty: none`` (same seeds, the
registry defaults): its band is chance alone; the posterior run's band is parameters and chance together.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.rules.outcomes import HEADLINE_OUTCOMES
from sim.scenarios.scenario import Scenario
from sim.util.errors import InputError

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


def section(full: pd.DataFrame, chance: pd.DataFrame, figure_name: str) -> str:
    """Markdown: the two bands at the last month for each headline outcome, and what they mean."""
    from sim.rules.outcomes import label

    last = full["date"].max()
    lines = [
        "",
        "## Chance and parameters",
        "",
        "This run drew each replication's parameter set from the shipped posterior (`uncertainty: posterior`).",
        "The same replications were also run at the registry defaults (`uncertainty: none`), whose spread is",
        "chance alone (incidents, elections, vote noise). The wider band adds what the record up to 2024",
        "leaves uncertain about the calibrated parameters; the rest of the parameters stay at their defaults,",
        "so even the wider band understates the model's uncertainty. An outcome that rests on parameters the",
        "record cannot inform keeps a band close to chance alone: Article 5 credibility, for one, depends most on",
        "`trust_commitment_weight` and `us_commitment_target` (docs/SENSITIVITY.md), which the posterior does not",
        "hold. Read a narrow band there as the consequence of a judgement, not as certainty.",
        "",
        f"| outcome ({last}) | chance alone, 5-95 % | parameters and chance, 5-95 % | width ratio |",
        "|---|---|---|---|",
    ]
    for outcome in outcomes_of(full):
        a = bands(chance, outcome).loc[last]
        b = bands(full, outcome).loc[last]
        width_a, width_b = a["high"] - a["low"], b["high"] - b["low"]
        ratio = width_b / width_a if width_a > 0 else np.inf
        shown = label(outcome)
        lines.append(
            f"| {shown} | {a['low']:.3g} to {a['high']:.3g} | {b['low']:.3g} to {b['high']:.3g} | {ratio:.1f} |"
        )
    lines += ["", f"![chance and parameters]({figure_name})", ""]
    return "\n".join(lines)


FIGURE = "chance_and_parameters.png"


def scenario_from_manifest(entry: dict[str, Any], replications: int | None = None) -> Scenario:
    """The resolved scenario that a results manifest records (its ``scenario`` entry), ready to run again.

    ``replications`` overrides the recorded count (a folder's tables may hold fewer runs). InputError if an
    event no longer validates (a folder written by an older version of the tool).
    """
    from pydantic import ValidationError

    from sim.rules.events import EVENT_TYPES

    try:
        events = tuple(EVENT_TYPES[e["type"]].model_validate_json(json.dumps(e)) for e in entry.get("events", []))
    except (KeyError, ValidationError) as error:
        raise InputError(
            "manifest.json scenario", f"holds an event this version cannot run again ({type(error).__name__})"
        ) from None
    return Scenario(
        name=entry["name"],
        description=entry.get("description", ""),
        story="",
        source=entry.get("source", ""),
        extends=tuple(entry.get("extends") or ()),
        start=entry["start"],
        end=entry["end"],
        initial_year=entry.get("initial_year"),
        replications=int(entry["replications"] if replications is None else replications),
        seed=int(entry["seed"]),
        parameters=dict(entry.get("parameters") or {}),
        states={code: dict(values) for code, values in (entry.get("states") or {}).items()},
        events=events,
        origins={},
        event_origins=(),
        uncertainty=entry.get("uncertainty", "none"),
    )


def add_chance_section(
    report: Path, scenario: Scenario | dict[str, Any], model: pd.DataFrame, figures: Path, workers: int = 1
) -> Path | None:
    """For a run with ``uncertainty: posterior``: the chance-only band beside the full band, in the report.

    ``scenario`` is the run's Scenario or its manifest entry; ``model`` the run's model table (rows per run
    and month). The same replications run again at the defaults (``uncertainty: none``, same seeds), the
    figure is drawn into ``figures`` and the section appended to ``report``. Returns the figure, or None
    (nothing done) for a run without posterior draws.
    """
    from sim.runs.replications import run_scenario

    if isinstance(scenario, dict):
        if scenario.get("uncertainty") != "posterior":
            return None
        scenario = scenario_from_manifest(scenario, int(model["run"].nunique()))
    if scenario.uncertainty != "posterior":
        return None
    chance = run_scenario(scenario.with_overrides(uncertainty="none"), workers=workers).model
    path = figure(model, chance, scenario.name, figures / FIGURE)
    text = section(model, chance, f"figures/{FIGURE}")
    with open(report, "a", encoding="utf-8") as handle:
        handle.write(text)
    return path
