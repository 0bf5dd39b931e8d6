"""``analyze``: a sweep's sensitivity indices, scenario discovery, figures and report, in one pass.

Every input is checked before anything is computed, so that a typo fails
in a second and leaves no half-written folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from sim.analysis import ema
from sim.analysis.discovery import Condition, Discovery, discover, prim_available
from sim.analysis.sensitivity import METHODS, Sensitivity, sweep_sensitivity
from sim.analysis.sweeps import Sweep, open_sweep
from sim.reporting.figures import analysis as figures
from sim.reporting.reports import analysis as reports
from sim.rules.outcomes import HEADLINE_OUTCOMES
from sim.util import extras
from sim.util.errors import InputError, nearest, one_of, short_path, shown
from sim.util.files import write_atomically

DEFAULT_OUTCOME = "cohesion"
SENSITIVITY = "sensitivity.csv"
BOXES = "boxes.csv"
REPORT = "report.md"
FIGURES = "figures"


@dataclasses.dataclass(frozen=True)
class SweepAnalysis:
    """What ``analyze`` computed and where it wrote it."""

    sweep: Sweep
    outcome: str
    date: str
    out: Path
    sensitivity: tuple[Sensitivity, ...]
    discovery: Discovery
    default_condition: bool
    figures: tuple[Path, ...] = ()
    report: Path | None = None
    ema: Path | None = None


def analyze_sweep(
    folder: str | Path,
    outcome: str | None = None,
    date: str | None = "end",
    bad: str | None = None,
    method: str | None = None,
    x: str | None = None,
    y: str | None = None,
    out: str | Path | None = None,
    export_ema: bool = False,
) -> SweepAnalysis:
    """Analyse a finished sweep folder and write sensitivity.csv, boxes.csv, figures/ and report.md to ``out``.

    ``outcome`` defaults to cohesion, or the first outcome the sweep kept when it did not keep cohesion.
    ``method`` is ``"tree"`` (None: the default, a decision tree; needs scikit-learn) or ``"prim"``.
    """
    sweep = open_sweep(folder)
    if outcome is None:
        outcome = DEFAULT_OUTCOME if DEFAULT_OUTCOME in sweep.outcomes else sweep.outcomes[0]
    outcome = sweep.check_outcome(outcome)
    month = sweep.resolve_date(date)
    condition = Condition.parse(bad, sweep.outcomes) if bad else None
    names = sweep.factor_names
    heatmap = _heatmap_axes(sweep, x, y)
    if method == "prim" and not prim_available():
        raise InputError(
            "--method",
            "prim needs the EMA Workbench: pip install 'alliance-cohesion[ema]' (or use --method tree, the default)",
        )
    if method is None:  # the default, which the user did not choose: say so in the words of the command
        extras.require("analysis", "cohesion analyze", "the decision tree (the default method)", "scikit-learn")
        method = "tree"
    elif method == "tree":
        extras.require("analysis", "--method", "tree (a decision tree)", "scikit-learn")
    runs = sweep.runs_at(month)
    if runs.empty:
        raise InputError("model/", f"no finished run has a row for {month}", str(sweep.path))
    out = Path(out) if out else sweep.path / "analysis"
    try:
        (out / FIGURES).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError("--out", f"cannot make the folder '{short_path(str(out))}' ({error.strerror})") from None
    context = figures.sweep_context(sweep)
    drawn: list[Path] = []

    # Sensitivity: the chosen outcome first, then every other headline outcome the sweep kept.
    sensitivity: tuple[Sensitivity, ...] = ()
    if sweep.design in METHODS:
        others = [o for o in HEADLINE_OUTCOMES if o in sweep.outcomes and o != outcome]
        sensitivity = tuple(sweep_sensitivity(sweep, runs, o, month) for o in (outcome, *others))
        table = sensitivity_table(sensitivity)
        write_atomically(out / SENSITIVITY, lambda p: table.to_csv(p, index=False, float_format="%.6g"))
        drawn.append(figures.sensitivity_figure(sensitivity[0], context, out / FIGURES / f"{sweep.design}.png"))
        if len(sensitivity) > 1:
            drawn.append(figures.overview_figure(sensitivity, context, out / FIGURES / "sensitivity_overview.png"))

    if heatmap is not None:
        pooled = [n for n in names if n not in heatmap]
        drawn.append(
            figures.heatmap_figure(runs, *heatmap, outcome, month, context, out / FIGURES / "heatmap.png", pooled)
        )
    order = sensitivity[0].ranking if sensitivity else names
    note = "; most influential first" if sensitivity else ""
    drawn.append(figures.factor_figure(runs, order, outcome, month, context, out / FIGURES / "factors.png", note))

    condition = condition or Condition.worst_quarter(outcome, runs[outcome])
    found = discover(runs[names], runs[condition.outcome], condition, month, method)
    boxes = found.table()
    write_atomically(out / BOXES, lambda p: boxes.to_csv(p, index=False, float_format="%.6g"))
    drawn.append(
        figures.discovery_figure(found, runs[names], runs[condition.outcome], context, out / FIGURES / "discovery.png")
    )

    result = SweepAnalysis(sweep, outcome, month, out, sensitivity, found, bad is None, tuple(drawn))
    if export_ema:
        result = dataclasses.replace(result, ema=ema.export(sweep, out / ema.FILE))
    return dataclasses.replace(result, report=reports.write_sweep_report(out / REPORT, result))


def _heatmap_axes(sweep: Sweep, x: str | None, y: str | None) -> tuple[str, str] | None:
    """The grid's factors across and up (the first two unless chosen); None for other designs."""
    names = sweep.factor_names
    if sweep.design != "grid" or len(names) < 2:
        if x or y:
            raise InputError("--x", "a heatmap needs a grid design with two or more factors; leave out --x and --y")
        return None
    for option, value in (("--x", x), ("--y", y)):
        if value is not None and value not in names:
            raise InputError(
                option,
                f"{shown(value)} is not a factor of this sweep{nearest(value, names)}; "
                f"use {one_of(names, value, 'factors', 'points.csv of the sweep')}",
            )
    x = x or next(n for n in names if n != y)
    y = y or next(n for n in names if n != x)
    if x == y:
        raise InputError("--y", "give two different factors for --x and --y")
    return x, y


def sensitivity_table(results: tuple[Sensitivity, ...]) -> pd.DataFrame:
    """sensitivity.csv: one row per outcome and factor, with its rank for that outcome."""
    frames = []
    for r in results:
        frame = r.table.reset_index()
        frame.insert(0, "rank", range(1, len(frame) + 1))
        frame.insert(0, "date", r.date)
        frame.insert(0, "outcome", r.outcome)
        frame.insert(0, "method", r.method)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
