"""Write docs/SENSITIVITY.md and its figure from a finished ``sobol_all_parameters`` sweep.

Usage: ``python -m sim.reporting.publish_sensitivity SWEEP_DIR [DOCS_DIR]`` (``make sensitivity`` runs the
sweep and then this). Total indices (ST) of every parameter for the headline outcomes in 2030 and 2035.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import sweep_sensitivity
from sim.analysis.sweeps import open_sweep
from sim.rules.outcomes import HEADLINE_OUTCOMES
from sim.util.files import write_atomically, write_text

YEARS = ("2030", "2035")
TOP = 12


def indices(folder: str | Path) -> pd.DataFrame:
    """One row per (outcome, year, parameter): ST, ST_conf, S1, and the points used of the sweep."""
    sweep = open_sweep(folder)
    frames = []
    for year in YEARS:
        month = sweep.resolve_date(year)
        runs = sweep.runs_at(month)
        for outcome in HEADLINE_OUTCOMES:
            if outcome not in sweep.outcomes:
                continue
            result = sweep_sensitivity(sweep, runs, outcome, month)
            table = result.table.reset_index().rename(columns={"index": "parameter"})
            table.insert(0, "year", year)
            table.insert(0, "outcome", outcome)
            table["points_used"] = result.points_used
            table["points_total"] = result.points_total
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def figure(table: pd.DataFrame, path: Path) -> None:
    """The total indices of the most influential parameters (rows) per headline outcome (columns), one panel per
    year, as a PNG at ``path``. Drawn on a Figure of its own: the caller's matplotlib backend is left alone."""
    from matplotlib.figure import Figure

    name = table.columns[2]
    top = table[table["year"] == YEARS[-1]].groupby(name)["ST"].max().sort_values(ascending=False).index[:TOP]
    outcomes = [o for o in HEADLINE_OUTCOMES if o in set(table["outcome"])]
    fig = Figure(figsize=(12, 6))
    axes = fig.subplots(1, len(YEARS), sharey=True)
    for ax, year in zip(axes, YEARS, strict=True):
        grid = np.zeros((len(top), len(outcomes)))
        for j, outcome in enumerate(outcomes):
            rows = table[(table["year"] == year) & (table["outcome"] == outcome)].set_index(name)
            grid[:, j] = [max(float(rows["ST"].get(p, 0.0)), 0.0) for p in top]
        image = ax.imshow(grid, vmin=0, vmax=max(1e-9, float(grid.max())), cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(outcomes)), outcomes, rotation=40, ha="right", fontsize=8)
        ax.set_yticks(range(len(top)), top, fontsize=8)
        ax.set_title(f"Total Sobol' index (ST), {year}")
        for i in range(len(top)):
            for j in range(len(outcomes)):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=6, color="white")
    fig.colorbar(image, ax=axes, shrink=0.7)
    fig.suptitle("Baseline: which parameters drive the headline outcomes (illustrative, not a forecast)")
    write_atomically(path, lambda p: fig.savefig(p, format="png", dpi=110, bbox_inches="tight"))


def document(table: pd.DataFrame, figure_name: str) -> str:
    name = table.columns[2]
    used, total = int(table["points_used"].iloc[0]), int(table["points_total"].iloc[0])
    factors = table[name].nunique()
    lines = [
        "# Sensitivity of the headline outcomes to every parameter",
        "",
        f"Which judgements drive which result? Sobol' total indices (ST) of all {factors} numeric parameters, each",
        "over its whole registered range, for the headline outcomes of the `baseline` scenario in December 2030 and",
        "December 2035. ST is the share of the outcome's variance that a parameter accounts for, alone or through",
        "interactions; 0 means the outcome does not depend on it within these ranges. Ranges are the registry's",
        "(what the model accepts), wider than what is credible for most parameters, so the indices say what",
        "*could* matter, and the calibration (docs/CALIBRATION.md) says what the record narrows.",
        "",
        f"Design: `experiments/sobol_all_parameters.yaml` (Saltelli's sample of 64 base points, {total} points, "
        f"{used} used, 1 replication with common random numbers). With 64 base points the confidence intervals",
        "(ST_conf, 95 % bootstrap) are wide: read the ranking, not the second decimal; indices below about 0.02",
        "cannot be told from zero.",
        "",
        "Regenerate (about a minute on 2 cores): `make sensitivity`.",
        "",
        f"![Total indices]({figure_name})",
        "",
    ]
    for outcome in HEADLINE_OUTCOMES:
        if outcome not in set(table["outcome"]):
            continue
        lines += [f"## {outcome}", "", "| parameter | ST 2030 | ST 2035 | ± (95 %, 2035) |", "|---|---|---|---|"]
        rows = {y: table[(table["outcome"] == outcome) & (table["year"] == y)].set_index(name) for y in YEARS}
        order = rows[YEARS[-1]]["ST"].sort_values(ascending=False).index[:8]
        for p in order:
            a, b = rows[YEARS[0]]["ST"].get(p, float("nan")), rows[YEARS[-1]]["ST"].get(p, float("nan"))
            lines.append(f"| {p} | {a:.3f} | {b:.3f} | {rows[YEARS[-1]]['ST_conf'].get(p, float('nan')):.3f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not 1 <= len(argv) <= 2:
        print("usage: python -m sim.reporting.publish_sensitivity SWEEP_DIR [DOCS_DIR]", file=sys.stderr)
        return 2
    docs = Path(argv[1] if len(argv) > 1 else "docs")
    table = indices(argv[0])
    (docs / "figures").mkdir(parents=True, exist_ok=True)
    figure(table, docs / "figures" / "sensitivity_total.png")
    write_text(docs / "figures" / "sensitivity_total.csv", table.to_csv(index=False, float_format="%.4g"))
    write_text(docs / "SENSITIVITY.md", document(table, "figures/sensitivity_total.png"))
    print(docs / "SENSITIVITY.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
