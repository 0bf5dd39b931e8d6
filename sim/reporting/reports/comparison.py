"""report.md of a comparison: what each scenario changes, the paired differences, why pairing matters, and how
to read them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.about import DISCLAIMER
from sim.reporting.text import decimals_for, figure_lines, label, number, percent, write_text

if TYPE_CHECKING:
    from sim.analysis.compare import Arm, Comparison


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

{figure_lines(figures, COMPARISON_CAPTIONS, folder)}

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
    return write_text(path, render_comparison(comparison, figures, path.parent))
