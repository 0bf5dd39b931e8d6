"""``analyze``'s numbers for one sweep folder: sensitivity indices and scenario discovery, in one pass.

Every input is checked before anything is computed, so that a typo fails in a second. Writing the tables,
figures and report is :func:`sim.reporting.folders.write_analysis`'s.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from sim.analysis.discovery import Condition, Discovery, discover, prim_available
from sim.analysis.sensitivity import METHODS, Sensitivity, sweep_sensitivity
from sim.analysis.sweeps import Sweep, open_sweep
from sim.rules.outcomes import HEADLINE_OUTCOMES
from sim.util import extras
from sim.util.errors import InputError, nearest, one_of, shown

DEFAULT_OUTCOME = "cohesion"


@dataclasses.dataclass(frozen=True)
class SweepAnalysis:
    """What ``analyze`` computed for a sweep at one month.

    ``runs``: one row per finished run at ``date`` (outcomes and factor values); ``sensitivity``: the
    indices of ``outcome`` first, then of every other headline outcome the sweep kept (empty unless the
    design is sobol or morris); ``discovery``: the boxes where the bad outcome clusters (``default_condition``:
    the condition was not given, so it is the worst quarter of the runs); ``heatmap``: the grid's factors
    across and up (None unless the design is a grid of two or more factors).
    """

    sweep: Sweep
    outcome: str
    date: str
    runs: pd.DataFrame
    sensitivity: tuple[Sensitivity, ...]
    discovery: Discovery
    default_condition: bool
    heatmap: tuple[str, str] | None = None

    def sensitivity_table(self) -> pd.DataFrame:
        """sensitivity.csv: one row per outcome and factor, with its rank for that outcome."""
        return sensitivity_table(self.sensitivity)


def analyze(
    folder: str | Path,
    outcome: str | None = None,
    date: str | None = "end",
    bad: str | None = None,
    method: str | None = None,
    x: str | None = None,
    y: str | None = None,
) -> SweepAnalysis:
    """Sensitivity indices and scenario discovery of a finished sweep folder at ``date``; nothing is written.

    ``outcome`` defaults to cohesion, or the first outcome the sweep kept when it did not keep cohesion;
    ``date`` is 'YYYY-MM', a year (its December) or 'end'; ``bad`` a condition such as 'cohesion < 0.6'
    (default: the worst quarter of the runs); ``method`` is ``"tree"`` (None: the default, a decision tree;
    needs scikit-learn) or ``"prim"``; ``x`` and ``y`` the heatmap's factors (grid designs only). Raises
    InputError naming the option for any bad input, or the folder if it is not a finished sweep.
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

    # Sensitivity: the chosen outcome first, then every other headline outcome the sweep kept.
    sensitivity: tuple[Sensitivity, ...] = ()
    if sweep.design in METHODS:
        others = [o for o in HEADLINE_OUTCOMES if o in sweep.outcomes and o != outcome]
        sensitivity = tuple(sweep_sensitivity(sweep, runs, o, month) for o in (outcome, *others))

    condition = condition or Condition.worst_quarter(outcome, runs[outcome])
    found = discover(runs[names], runs[condition.outcome], condition, month, method)
    return SweepAnalysis(sweep, outcome, month, runs, sensitivity, found, bad is None, heatmap)


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
