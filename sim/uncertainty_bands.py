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

from sim.errors import InputError
from sim.metrics import HEADLINE_OUTCOMES
from sim.scenario import Scenario

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


FIGURE = "chance_and_parameters.png"


def scenario_from_manifest(entry: dict[str, Any], replications: int | None = None) -> Scenario:
    """The resolved scenario that a results manifest records (its ``scenario`` entry), ready to run again.

    ``replications`` overrides the recorded count (a folder's tables may hold fewer runs). InputError if an
    event no longer validates (a folder written by an older version of the tool).
    """
    from pydantic import ValidationError

    from sim.events import EVENT_TYPES

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
    from sim.runner import run_scenario

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
