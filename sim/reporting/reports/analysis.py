"""report.md of a comparison and of a sweep analysis: what was done, what came out, and how to read it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.about import DISCLAIMER
from sim.inputs.parameters import PARAMETERS
from sim.reporting.figures.analysis import label, percent
from sim.util.files import write_atomically

if TYPE_CHECKING:
    from sim.analysis.analyze import SweepAnalysis
    from sim.analysis.compare import Arm, Comparison
    from sim.analysis.discovery import Discovery
    from sim.analysis.sensitivity import Sensitivity
    from sim.analysis.sweeps import Sweep

DECIMALS = {"us_troops_europe": 1, "blocs": 2}


def number(value: float, outcome: str = "", sign: bool = False, decimals: int | None = None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    decimals = DECIMALS.get(outcome, 3) if decimals is None else decimals
    text = f"{value:+.{decimals}f}" if sign else f"{value:.{decimals}f}"
    return text.replace("-", "−")


def decimals_for(width: float, value: float, outcome: str) -> int:
    """Enough decimals to show an interval's width (two significant digits), but not beyond the value's third."""
    default = DECIMALS.get(outcome, 3)
    if not np.isfinite(width) or width <= 0:
        return default
    wanted = 1 - np.floor(np.log10(width))
    enough = 2 - np.floor(np.log10(abs(value))) if np.isfinite(value) and value != 0 else wanted
    return int(np.clip(min(wanted, enough), default, 6))


def _write(path: Path, text: str) -> Path:
    write_atomically(path, text.encode("utf-8"))
    return path


def _figure_lines(figures: Sequence[Path], captions: dict[str, str], folder: Path) -> str:
    return "\n\n".join(
        f"![{p.stem}]({p.relative_to(folder).as_posix()})\n\n*{captions.get(p.stem, '')}*" for p in figures
    )


# ====================================================================== comparison
def scenario_changes(reference: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """What the other scenario assumes differently from the reference, one line each."""
    lines = []
    for key in ("start", "end", "initial_year"):
        if reference.get(key) != other.get(key):
            lines.append(f"`{key}`: {other.get(key)} instead of {reference.get(key)}")
    for kind in ("parameters", "states"):
        mine, theirs = other.get(kind) or {}, reference.get(kind) or {}
        for name in sorted(set(mine) | set(theirs)):
            if mine.get(name) != theirs.get(name):
                lines.append(
                    f"{kind[:-1]} `{name}`: {mine.get(name, 'default')} instead of {theirs.get(name, 'default')}"
                )
    events = [json.dumps(e, sort_keys=True) for e in other.get("events", [])]
    reference_events = [json.dumps(e, sort_keys=True) for e in reference.get("events", [])]
    for event in events:
        if event in reference_events:
            reference_events.remove(event)
        else:
            lines.append("adds event " + _event_text(json.loads(event)))
    lines += ["drops event " + _event_text(json.loads(e)) for e in reference_events]
    return lines


def _event_text(event: dict[str, Any]) -> str:
    details = ", ".join(f"{k} {v}" for k, v in event.items() if k not in ("date", "type") and v is not None)
    return f"{event['date']} `{event['type']}` ({details})"


def _arms_table(comparison: Comparison) -> str:
    arms = comparison.arms
    head = "| | " + " | ".join(f"`{a.label}`" + (" (reference)" if a is arms[0] else "") for a in arms) + " |"
    rows = [head, "|---" * (len(arms) + 1) + "|"]

    def row(name: str, values: Sequence[str]) -> None:
        rows.append(f"| {name} | " + " | ".join(values) + " |")

    row("folder", [f"`{a.path.name}`" for a in arms])
    row("description", [a.scenario.get("description", "") or "–" for a in arms])
    row("period", [f"{a.horizon[0]} to {a.horizon[1]}" for a in arms])
    row("seed", [str(a.seed) for a in arms])
    row("replications in the folder", [str(a.replications) for a in arms])
    row("replications paired", ["–", *(str(comparison.pairs[a.label]) for a in comparison.others)])
    row("scenario hash", [f"`{a.manifest.get('scenario_hash', '')[:19]}…`" for a in arms])
    row("code revision", [_revision(a) for a in arms])
    return "\n".join(rows) + "\n"


def _revision(arm: Arm) -> str:
    commit = arm.info.commit
    if not commit:
        return "not recorded"
    return f"`{commit[:10]}`" + (" (modified)" if arm.info.modified else "")


def _comparison_notes(comparison: Comparison) -> list[str]:
    notes = []
    revisions = {_revision(a) for a in comparison.arms}
    versions = {a.info.version for a in comparison.arms}
    if len(revisions) > 1 or len(versions) > 1:
        notes.append(
            "The folders were made by different versions of the code (see *code revision*): the differences may "
            "include changes to the model, not only to the assumptions. Run the scenarios again with one version "
            "for a clean comparison."
        )
    elif any("modified" in r for r in revisions):
        notes.append(
            "The code had uncommitted changes when these folders were made, so the tool cannot tell whether the "
            "model changed between them; for a comparison others can repeat, run them from a committed version."
        )
    for other in comparison.others:
        if other.manifest.get("scenario_hash") == comparison.reference.manifest.get("scenario_hash"):
            notes.append(f"`{other.label}` is the same scenario as the reference: its differences are zero by design.")
        if other.replications != comparison.reference.replications:
            notes.append(
                f"`{other.label}` has {other.replications} replications and the reference "
                f"{comparison.reference.replications}: the first {comparison.pairs[other.label]} of each are paired "
                "(same seeds); the others are left out."
            )
    return notes


def _difference_table(table: pd.DataFrame, level: str) -> str:
    lines = [
        f"| outcome | date | reference | scenario | difference [{level} interval] | ignoring the pairing | "
        "replications higher / lower |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        o = row.outcome
        d = decimals_for(row.difference_high - row.difference_low, row.difference, o)
        lines.append(
            f"| {label(o)} | {row.date} | {number(row.reference_mean, o)} | {number(row.scenario_mean, o)} | "
            f"**{number(row.difference, o, True, d)}** [{number(row.difference_low, o, True, d)}, "
            f"{number(row.difference_high, o, True, d)}] | [{number(row.unpaired_low, o, True, d)}, "
            f"{number(row.unpaired_high, o, True, d)}] | {percent(row.share_higher)} / {percent(row.share_lower)} |"
        )
    return "\n".join(lines) + "\n"


COMPARISON_CAPTIONS = {
    "differences": "Mean paired difference (scenario minus reference) over time. The shaded band is the 90 % "
    "bootstrap interval with the pairs resampled; the dotted lines are the interval the same runs give when the "
    "pairing is ignored. Where the band excludes zero, the scenario's assumptions move the outcome beyond what "
    "chance alone does in this model.",
    "levels": "The outcomes of each scenario: median over replications and the middle 50 % of replications.",
}


def render_comparison(comparison: Comparison, figures: Sequence[Path], folder: Path) -> str:
    from sim.analysis.compare import interval_narrowing

    reference = comparison.reference
    level = percent(comparison.level)
    table = comparison.table()
    sections = []
    for other in comparison.others:
        changes = scenario_changes(reference.scenario, other.scenario)
        change_text = "\n".join(f"- {c}" for c in changes) or "- nothing: the two scenarios are the same"
        rows = table[table["scenario"] == other.label]
        sections.append(
            f"### `{other.label}` minus `{reference.label}`\n\n"
            f"What `{other.label}` assumes differently:\n\n{change_text}\n\n"
            f"{_difference_table(rows, level)}"
        )
    ratios = interval_narrowing(comparison.differences).pivot(index="outcome", columns="comparison", values="ratio")
    narrowing_lines = ["| outcome | " + " | ".join(f"`{c}`" for c in ratios.columns) + " |"]
    narrowing_lines.append("|---" * (len(ratios.columns) + 1) + "|")
    for outcome in comparison.outcomes:
        cells = [f"{v:.2f}" if np.isfinite(v) else "–" for v in ratios.loc[outcome]]
        narrowing_lines.append(f"| {label(outcome)} | " + " | ".join(cells) + " |")
    notes = _comparison_notes(comparison)
    note_text = "\n".join(f"- {n}" for n in notes) + "\n\n" if notes else ""
    names = ", ".join(f"`{o.label}`" for o in comparison.others)
    return f"""# Comparison: {names} against `{reference.label}`

**{DISCLAIMER}.**

What does each scenario change relative to `{reference.label}`? Replication *k* of every scenario ran with
the same seed, so it drew the same hybrid incidents, elections, vote noise and shocks as replication *k* of
the reference, except where the scenario itself changes them (common random numbers). The difference of
each pair is therefore due to the assumptions, not to luck; the table gives the mean of the paired
differences (scenario minus reference) with a {level} bootstrap interval.

{_arms_table(comparison)}
{note_text}## What changes

Values in December 2030 and December 2035 (or the last month when the runs end earlier): the mean over
replications of each scenario, the mean paired difference with its {level} interval, the interval the same
runs would give if the pairing were ignored, and the share of replications in which the scenario is higher
or lower than the reference. Every month is in `differences.csv`.

{chr(10).join(sections)}
## Why pairing matters

Width of the paired interval divided by the width of the unpaired one, median over the months (smaller is
sharper; 1 means pairing did not help):

{chr(10).join(narrowing_lines)}

## Figures

{_figure_lines(figures, COMPARISON_CAPTIONS, folder)}

## Method

- Outcomes are read from each folder's `model.parquet`; replication *k* of a scenario is paired with
  replication *k* of the reference (same seed; the tool refuses folders whose seeds or months differ).
- Intervals are {level} percentile bootstrap intervals of the mean over replications, from
  {comparison.resamples} resamples with the fixed seed {comparison.seed} (the same folders give the same
  numbers). Paired: the pairs are resampled. Ignoring the pairing: each scenario's replications are resampled
  on their own.

## How to read this; what this is not

- This is an illustrative exploration, **not a forecast**. A difference says what the model does when these
  assumptions change, all else equal, under the model's own rules and parameters (`docs/ODD.md`).
- The interval is about chance within the model (incidents, elections, votes, noise): it narrows with more
  replications. It does not cover uncertainty about the model's parameters or structure; a sensitivity
  analysis (`analyze` of a sweep) looks at that.
- A small difference with a narrow interval is a small effect, precisely estimated, of assumed causes.
"""


def write_comparison_report(path: Path, comparison: Comparison, figures: Sequence[Path]) -> Path:
    return _write(path, render_comparison(comparison, figures, path.parent))


# ====================================================================== sweep
WIDE_INTERVAL = 0.1  # a Sobol' interval wider than ± 0.1 cannot tell 0.3 from 0.5
DESIGN_TEXT = {
    "grid": "full factorial grid: every combination of the factors' levels",
    "lhs": "Latin hypercube sample within the factors' bounds",
    "sobol": "Saltelli's extension of the Sobol' sequence (SALib), for Sobol' indices",
    "morris": "Morris one-at-a-time trajectories (SALib), for screening",
}
SWEEP_CAPTIONS = {
    "sobol": "Sobol' indices of the chosen outcome. ST is the share of the outcome's variance across the sweep that "
    "a factor explains alone and through interactions, S1 alone; the bars are 95 % bootstrap intervals. A factor "
    "with ST near zero can be fixed anywhere in its range without changing this outcome.",
    "morris": "Morris screening. Left: mu*, the mean absolute change of the outcome when the factor moves one step "
    "of the design (a step is two thirds of its range with 4 levels). Right: mu* against sigma, the spread of those "
    "changes; points above the lines have effects that depend on the other factors or are not monotonic.",
    "sensitivity_overview": "The same indices for each headline outcome the sweep kept, side by side.",
    "heatmap": "Left: median of the outcome over the replications of each cell of the grid, with the range holding "
    "90 % of them. Right: the width of that range, the spread that chance alone gives in each cell.",
    "factors": "The outcome against each factor over all runs: median and the bands holding 50 % and 90 % of the "
    "runs (sampled designs: runs binned by the factor). Other factors vary within each bin.",
    "discovery": "Left: the runs in the plane of the factors the boxes restrict, bad ones in red, with the boxes "
    "(a factor with few levels is spread a little around each level, so that its runs do not hide each other). "
    "Middle: each box's limits within the range of each factor it restricts. Right (PRIM): coverage against "
    "density along the peeling; the ring marks the box kept.",
}


def _sweep_captions(found: Discovery | None, factors: list[str] | None = None) -> dict[str, str]:
    """The captions, the discovery one matching its panels: the PRIM trajectory is drawn only for PRIM, and the
    scatter's axes are named (the factors the boxes restrict, or others of the sweep when they restrict fewer
    than two)."""
    captions = dict(SWEEP_CAPTIONS)
    if found is not None and factors:
        from sim.reporting.figures.analysis import discovery_plane

        captions["discovery"] = captions["discovery"].replace(
            "the runs in the plane of the factors the boxes restrict", f"the runs, {discovery_plane(found, factors)}"
        )
        if not found.boxes:
            captions["discovery"] = captions["discovery"].replace(
                "Middle: each box's limits within the range of each factor it restricts.",
                "Middle: why no box was found.",
            )
    if found is None or getattr(found, "trajectory", None) is None:  # two panels: no peeling trajectory
        captions["discovery"] = captions["discovery"].split(" Right (PRIM)")[0].replace("Middle:", "Right:")
    return captions


def _factor_rows(sweep: Sweep) -> str:
    lines = ["| factor | sets | range or levels | default | unit |", "|---|---|---|---|---|"]
    for factor in sweep.factors:
        name = factor["name"]
        if factor.get("parameter"):
            parameter = PARAMETERS[factor["parameter"]]
            sets, default, unit = f"parameter ({parameter.process})", str(parameter.default), parameter.unit
        else:
            sets = (
                f"field `{factor['field']}` of {len(factor.get('event_indexes', []))} `{factor['event_type']}` event(s)"
            )
            indexes = factor.get("event_indexes") or []
            events = sweep.scenario.get("events") or []
            values = {str(events[i].get(factor["field"])) for i in indexes if i < len(events)}
            default, unit = ", ".join(sorted(values)) or "–", "–"
        if factor.get("levels"):
            span = ", ".join(map(str, factor["levels"]))
        else:
            span = f"{factor['low']:g} to {factor['high']:g}"
        lines.append(f"| `{name}` | {sets} | {span} | {default} | {unit} |")
    return "\n".join(lines) + "\n"


def _design_rows(sweep: Sweep) -> str:
    manifest, experiment = sweep.manifest, sweep.experiment
    points, reps = len(sweep.points), sweep.replications
    runs_total = manifest.get("runs_total", points * reps)
    failed = sweep.runs_failed
    crn = (
        "yes: replication k of every point draws the same random numbers"
        if experiment.get("common_random_numbers")
        else "no: every run has its own seed"
    )
    samples = f", {experiment['samples']} samples" if experiment.get("samples") else ""
    options = ", ".join(f"{k} {v}" for k, v in sweep.options.items())
    parents = sweep.scenario.get("extends") or []
    rows = [
        ("experiment", f"`{sweep.name}` ({manifest.get('experiment_file', '–')})"),
        ("scenario", f"`{sweep.scenario_name}`" + (f", extends {', '.join(parents)}" if parents else "")),
        ("period", f"{sweep.start} to {sweep.end}"),
        ("design", f"{sweep.design}{samples}{', ' + options if options else ''}: {DESIGN_TEXT.get(sweep.design, '')}"),
        ("points x replications", f"{points} x {reps} = {runs_total} runs; {failed} failed"),
        ("seed", f"{sweep.seed}; common random numbers: {crn}"),
        ("experiment hash", f"`{manifest.get('experiment_hash', '–')}`"),
        ("sweep finished", str(manifest.get("finished", "–"))),
    ]
    lines = ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    if sweep.points_reconstructed:
        lines.append("\n*The points table (points/) was missing: the points were rebuilt from the manifest's design.*")
    return "\n".join(lines) + "\n"


def _sensitivity_section(results: Sequence[Sensitivity]) -> str:
    from sim.analysis.sensitivity import headline_table

    first = results[0]
    if first.method == "sobol":
        intro = (
            "Total Sobol' index ST of each factor for each outcome (the share of the outcome's variance across "
            "the sweep that the factor explains, alone and through its interactions; ± the half-width of the 95 % "
            "bootstrap interval). Factors are ordered by their influence on the first outcome."
        )
        conf, cell = "ST_conf", "{:.2f} ± {:.2f}"
    else:
        intro = (
            "Morris mu* of each factor for each outcome (the mean absolute change of the outcome, in its own unit, "
            "when the factor moves one step of the design; ± the half-width of the 95 % bootstrap interval). "
            "Compare factors within a column; columns have different units."
        )
        conf, cell = "mu_star_conf", "{:.3g} ± {:.2g}"
    shown = headline_table(results)
    total = len(first.table)
    columns = list(shown.columns)
    lines = ["| factor | " + " | ".join(label(o) for o in columns) + " |", "|---" * (len(columns) + 1) + "|"]
    by_outcome = {r.outcome: r for r in results}
    for factor in shown.index:
        cells = []
        for outcome in columns:
            row = by_outcome[outcome].table.loc[factor]
            cells.append(cell.format(row[by_outcome[outcome].key], row[conf]))
        lines.append(f"| `{factor}` | " + " | ".join(cells) + " |")
    more = (
        f"\n\n({total - len(shown)} less influential factors are in `sensitivity.csv`.)" if total > len(shown) else ""
    )
    detail = ""
    if first.method == "sobol":
        detail_lines = ["| factor | S1 (alone) | ST (with interactions) |", "|---|---|---|"]
        for factor, row in first.table.iterrows():
            detail_lines.append(
                f"| `{factor}` | {row['S1']:.2f} ± {row['S1_conf']:.2f} | {row['ST']:.2f} ± {row['ST_conf']:.2f} |"
            )
        interaction = float((first.table["ST"] - first.table["S1"]).clip(lower=0).sum())
        detail = (
            f"\n\nFor {label(first.outcome)}: first-order and total indices. The sum of ST - S1 over the factors "
            f"({interaction:.2f}) measures how much of the variance comes from interactions.\n\n"
            + "\n".join(detail_lines)
        )
    notes = []
    for r in results:
        notes += [f"{label(r.outcome)}: {n}" for n in r.notes]
        widest = float(r.table[conf].max())
        if first.method == "sobol" and widest > WIDE_INTERVAL:
            notes.append(
                f"{label(r.outcome)}: intervals up to ± {widest:.2f}: too few samples for precise indices; read the "
                "ranking, not the values, or run more samples (a larger power of 2)."
            )
        if r.noise_share is not None:
            notes.append(
                f"{label(r.outcome)}: {percent(r.noise_share)} of the variance across runs lies between replications "
                "of the same point (the model's randomness); the indices use the mean over replications of each point."
            )
    note_text = "\n\n" + "\n".join(f"- {n}" for n in notes) if notes else ""
    return f"{intro}\n\n" + "\n".join(lines) + more + detail + note_text + "\n"


def _discovery_section(found: Discovery, default_condition: bool) -> str:
    how = (
        "a decision tree (scikit-learn; each leaf that predicts the bad outcome is a box)"
        if found.method == "tree"
        else "PRIM (EMA Workbench; on each peeling trajectory, the densest box that still covers half the bad runs)"
    )
    chosen = (
        f" The condition was not given (`--bad`), so it is the worst quarter of the runs for "
        f"{found.condition.outcome}: a relative threshold, not a judgement of what is bad."
        if default_condition
        else ""
    )
    base = f"{found.bad} of {found.cases} runs ({percent(found.base_rate)})"
    lines = [
        f"Bad outcome: **{found.condition}** in {found.date}: {base}.{chosen} Method: {how}.",
        "",
        "*Coverage*: share of all bad runs inside the box. *Density*: share of the runs inside the box that are bad "
        "(compare with the share in the whole sweep above). Factors not named are free.",
        "",
    ]
    if found.boxes:
        lines += ["| box | factor ranges | coverage | density | runs in box |", "|---|---|---|---|---|"]
        for k, box in enumerate(found.boxes, start=1):
            lines.append(f"| {k} | {box.describe()} | {percent(box.coverage)} | {percent(box.density)} | {box.cases} |")
    lines += [f"- {n}" for n in found.notes]
    return "\n".join(lines) + "\n"


def render_sweep(result: SweepAnalysis, folder: Path) -> str:
    sweep, sensitivities, date = result.sweep, result.sensitivity, result.date
    if sensitivities:
        sensitivity = f"## What drives the outcomes in {date}\n\n{_sensitivity_section(sensitivities)}\n"
    else:
        sensitivity = (
            f"## What drives the outcomes\n\nA {sweep.design} design gives no sensitivity indices; the figures "
            "show how the outcome moves with each factor. Run a `sobol` or `morris` design for indices.\n\n"
        )
    export = ""
    if result.ema is not None:
        export = (
            f"\n## Carrying on in the EMA Workbench\n\n`{result.ema.name}` holds this sweep as experiments "
            "and outcomes: `experiments, outcomes = ema_workbench.load_results('ema_results.tar.gz')`. One row per "
            "finished run (the `scenario` column is the sweep point, beside `replication` and `seed`; factor "
            "names are valid identifiers, dots turned into underscores, as `factor_names` in the archive's "
            "metadata.json maps them); each outcome is a (runs x months) array and `TIME` gives the months as "
            "fractional years.\n"
        )
    description = sweep.manifest.get("description") or ""
    description = f"{description}\n\n" if description else ""
    return f"""# Sweep `{sweep.name}`: what drives the outcomes, and which conditions lead to a bad one

**{DISCLAIMER}.**

{description}## Design

{_design_rows(sweep)}
## Factors and their ranges

The ranges are assumptions about what is plausible, chosen in the experiment file; every result below is
conditional on them and on the scenario.

{_factor_rows(sweep)}
{sensitivity}## Which conditions lead to a bad outcome

{_discovery_section(result.discovery, result.default_condition)}
## Figures

{_figure_lines(result.figures, _sweep_captions(result.discovery, list(sweep.factor_names)), folder)}
{export}
## How to read this; what this is not

- This is an illustrative exploration of the model, **not a forecast**. Sensitivity indices say which of the
  model's assumptions, over the ranges above, move its outcomes most: they guide where evidence matters,
  they do not say what will happen.
- Shares of runs (density, coverage, the share of bad runs) count points of the design, not probabilities of
  the world: the design spreads points evenly over ranges that are themselves judgements.
- A box is a description of where bad outcomes cluster in this sweep, found by a method that can overfit;
  check it with a new sweep inside and outside the box before relying on it.
- The model's rules, parameters and their justifications are in `docs/ODD.md` and `sim/inputs/parameters.py`.
"""


def write_sweep_report(path: Path, result: SweepAnalysis) -> Path:
    return _write(path, render_sweep(result, path.parent))
