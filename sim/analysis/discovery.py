"""Scenario discovery: which ranges of the factors lead to a bad outcome.

Each finished run of a sweep is a case: the factor values of its point, and
whether its outcome at a date meets a condition such as ``cohesion < 0.6``.
A *box* is a range of some factors (the others are left free). Its
*coverage* is the share of all bad cases that fall inside it, its *density*
the share of the cases inside it that are bad: a useful box has both high
(Bryant and Lempert 2010, doi:10.1016/j.techfore.2009.08.002).

Two methods:

- ``tree`` (default; scikit-learn): a shallow classification tree with
  balanced class weights; each leaf that predicts "bad" is a box.
- ``prim`` (the EMA Workbench, an optional extra): the Patient Rule
  Induction Method, the field's reference. Along each box's peeling
  trajectory we keep the densest box that still covers at least
  ``min_coverage`` of the bad cases.
"""

from __future__ import annotations

import dataclasses
import math
import operator as op
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.util.errors import InputError, nearest, one_of, shown

OPERATORS = {"<=": op.le, ">=": op.ge, "<": op.lt, ">": op.gt}
METHODS = ("tree", "prim")
# Outcomes where more is worse; for the others less is worse (used only for the default condition).
WORSE_WHEN_HIGHER = frozenset(
    {
        "blocs",
        "mean_threat",
        "autonomy_sd",
        "ukraine_support_sd",
        "eu_decisions_blocked",
        "nato_decisions_blocked",
        "russia_aggression",
        "war_fatigue",
        "burden_grievance",
        "hybrid_incidents",
        "accommodationist_governments",
    }
)
TREE_DEPTH = 3
MIN_LEAF_SHARE = 0.05  # a box holds at least 5 % of the cases: smaller ones are noise in a sweep of hundreds
MAX_BOXES = 3
# A tree box is kept when at least half of its runs are bad, or at least twice the share in the whole sweep
# (for rare bad outcomes): a leaf only a little denser than the sweep describes nothing.
MIN_DENSITY = 0.5
MIN_LIFT = 2.0
PRIM_DENSITY = 0.5  # PRIM stops when the best box it can find is less than half bad
MIN_COVERAGE = 0.5
QUASI_P = 0.05


@dataclasses.dataclass(frozen=True)
class Condition:
    """A bad outcome: ``outcome operator threshold``, e.g. cohesion < 0.6."""

    outcome: str
    operator: str
    threshold: float

    @classmethod
    def parse(cls, text: str, outcomes: Sequence[str]) -> Condition:
        match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*", text)
        if match is None:
            raise InputError("--bad", f"{shown(text)} is not a condition; write OUTCOME < VALUE, e.g. 'cohesion < 0.6'")
        outcome, operator, value = match.groups()
        if outcome not in outcomes:
            raise InputError(
                "--bad",
                f"{shown(outcome)} was not kept by this sweep{nearest(outcome, outcomes)}; "
                f"use {one_of(outcomes, outcome, 'outcomes it kept', 'outputs.model of the experiment file')}",
            )
        try:
            threshold = float(value)
        except ValueError:
            raise InputError("--bad", f"{shown(value)} is not a number") from None
        return cls(outcome, operator, threshold)

    @classmethod
    def worst_quarter(cls, outcome: str, values: pd.Series) -> Condition:
        """The worst quarter of the runs: below the 25th percentile, or above the 75th where more is worse."""
        if outcome in WORSE_WHEN_HIGHER:
            return cls(outcome, ">", float(values.quantile(0.75)))
        return cls(outcome, "<", float(values.quantile(0.25)))

    def holds(self, values: pd.Series | np.ndarray) -> np.ndarray:
        return np.asarray(OPERATORS[self.operator](np.asarray(values, dtype="float64"), self.threshold))

    def __str__(self) -> str:
        return f"{self.outcome} {self.operator} {self.threshold:.4g}"


@dataclasses.dataclass(frozen=True)
class Box:
    """A range of some factors. ``limits`` maps a factor to (low, high), None for an open end, or to the
    tuple of levels allowed for a categorical factor; factors not named are free."""

    limits: dict[str, tuple[Any, ...]]
    coverage: float
    density: float
    mass: float
    cases: int
    bad: int

    def describe(self) -> str:
        parts = []
        for name, limit in self.limits.items():
            if _is_levels(limit):
                parts.append(f"{name} in {{{', '.join(map(str, limit[1]))}}}")
            else:
                low, high = limit
                if low is not None and high is not None:
                    parts.append(f"{_short(low)} ≤ {name} ≤ {_short(high)}")
                elif low is not None:
                    parts.append(f"{name} ≥ {_short(low)}")
                else:
                    parts.append(f"{name} ≤ {_short(high)}")
        return " and ".join(parts) or "(everywhere)"

    def inside(self, x: pd.DataFrame) -> np.ndarray:
        mask = np.ones(len(x), dtype=bool)
        for name, limit in self.limits.items():
            column = x[name]
            if _is_levels(limit):
                mask &= column.isin(limit[1]).to_numpy()
            else:
                low, high = limit
                values = column.to_numpy(dtype="float64")
                if low is not None:
                    mask &= values >= low
                if high is not None:
                    mask &= values <= high
        return mask


def _is_levels(limit: tuple[Any, ...]) -> bool:
    return len(limit) == 2 and limit[0] == "levels"


def _short(value: float) -> str:
    return f"{value:.3g}"


@dataclasses.dataclass(frozen=True)
class Discovery:
    """Boxes for one condition at one date, best first, and what they were found in."""

    method: str
    condition: Condition
    date: str
    cases: int
    bad: int
    boxes: tuple[Box, ...]
    trajectory: pd.DataFrame | None = None  # PRIM: coverage and density along the first box's peeling
    notes: tuple[str, ...] = ()

    @property
    def base_rate(self) -> float:
        return self.bad / self.cases if self.cases else float("nan")

    def table(self) -> pd.DataFrame:
        """One row per box and restricted factor (boxes.csv)."""
        rows = []
        for k, box in enumerate(self.boxes, start=1):
            for name, limit in box.limits.items() or {"(none)": (None, None)}.items():
                levels = _is_levels(limit)
                rows.append(
                    {
                        "box": k,
                        "method": self.method,
                        "condition": str(self.condition),
                        "date": self.date,
                        "factor": name,
                        "low": None if levels else limit[0],
                        "high": None if levels else limit[1],
                        "levels": ";".join(map(str, limit[1])) if levels else None,
                        "coverage": box.coverage,
                        "density": box.density,
                        "mass": box.mass,
                        "cases_in_box": box.cases,
                        "bad_in_box": box.bad,
                    }
                )
        return pd.DataFrame(rows)


def _stats(limits: dict[str, tuple[Any, ...]], x: pd.DataFrame, y: np.ndarray) -> Box:
    box = Box(limits, 0.0, 0.0, 0.0, 0, 0)
    inside = box.inside(x)
    cases, bad = int(inside.sum()), int((inside & y).sum())
    return dataclasses.replace(
        box,
        coverage=bad / max(int(y.sum()), 1),
        density=bad / cases if cases else 0.0,
        mass=cases / len(x),
        cases=cases,
        bad=bad,
    )


# ---------------------------------------------------------------------- decision tree
def _encode(x: pd.DataFrame) -> tuple[np.ndarray, dict[str, list[Any]]]:
    """Numbers for the tree: categorical and true/false factors become the codes of their sorted levels."""
    columns, levels = [], {}
    for name in x.columns:
        column = x[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            columns.append(column.to_numpy(dtype="float64"))
        else:
            levels[name] = sorted(column.unique(), key=str)
            codes = {value: k for k, value in enumerate(levels[name])}
            columns.append(column.map(codes).to_numpy(dtype="float64"))
    return np.column_stack(columns), levels


def tree_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    max_depth: int = TREE_DEPTH,
    min_leaf_share: float = MIN_LEAF_SHARE,
    max_boxes: int = MAX_BOXES,
) -> list[Box]:
    """The leaves of a shallow classification tree that predict "bad" and are dense enough, densest first.

    Raises InputError naming the optional extra [analysis] if scikit-learn is not installed.
    """
    from sim.util import extras

    extras.require("analysis", "method", "tree (a decision tree)", "scikit-learn")
    from sklearn.tree import DecisionTreeClassifier

    y = np.asarray(y, dtype=bool)
    matrix, levels = _encode(x)
    # Balanced weights: a rare bad outcome still gets leaves of its own (a leaf predicts "bad" when its share
    # of bad cases is above the share in the whole sweep).
    tree = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=max(5, math.ceil(min_leaf_share * len(y))),
        class_weight="balanced",
        random_state=0,
    ).fit(matrix, y)
    structure = tree.tree_
    names = list(x.columns)
    boxes: list[Box] = []

    def walk(node: int, bounds: dict[str, list[float | None]]) -> None:
        left, right = structure.children_left[node], structure.children_right[node]
        if left == right:  # a leaf
            if tree.classes_[int(np.argmax(structure.value[node][0]))]:
                boxes.append(_stats(_limits(bounds, levels), x, y))
            return
        name, threshold = names[structure.feature[node]], float(structure.threshold[node])
        low, high = bounds.get(name, [None, None])
        walk(left, {**bounds, name: [low, threshold if high is None else min(high, threshold)]})
        walk(right, {**bounds, name: [threshold if low is None else max(low, threshold), high]})

    walk(0, {})
    enough = min(MIN_DENSITY, MIN_LIFT * y.mean())
    boxes = _merge_neighbours([b for b in boxes if b.limits and b.density >= enough], x, y)
    boxes = [b for b in boxes if b.limits]
    boxes.sort(key=lambda b: (-b.density, -b.coverage))
    return boxes[:max_boxes]


def _merge_neighbours(boxes: list[Box], x: pd.DataFrame, y: np.ndarray) -> list[Box]:
    """Join leaves that differ only in touching ranges of one factor: a tree often splits one box in two."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                union = _union(boxes[i].limits, boxes[j].limits)
                if union is not None:
                    union = {
                        name: limit
                        for name, limit in union.items()
                        if not (_is_levels(limit) and set(limit[1]) >= set(x[name].unique()))
                    }
                    boxes[i] = _stats(union, x, y)
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def _union(a: dict[str, tuple[Any, ...]], b: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]] | None:
    if set(a) != set(b):
        return None
    different = [name for name in a if a[name] != b[name]]
    if len(different) != 1:
        return None
    name = different[0]
    first, second = a[name], b[name]
    if _is_levels(first) and _is_levels(second):
        return {**a, name: ("levels", tuple(sorted(set(first[1]) | set(second[1]), key=str)))}
    if _is_levels(first) or _is_levels(second):
        return None
    (low_a, high_a), (low_b, high_b) = sorted([first, second], key=lambda r: -np.inf if r[0] is None else r[0])
    if high_a is None or low_b is None or high_a != low_b:
        return None  # not touching
    if low_a is None and high_b is None:  # the two halves make the whole range: the factor is free
        return {k: v for k, v in a.items() if k != name}
    return {**a, name: (low_a, high_b)}


def _limits(bounds: dict[str, list[float | None]], levels: dict[str, list[Any]]) -> dict[str, tuple[Any, ...]]:
    limits: dict[str, tuple[Any, ...]] = {}
    for name, (low, high) in bounds.items():
        if name in levels:
            allowed = tuple(
                v for k, v in enumerate(levels[name]) if (low is None or k > low) and (high is None or k <= high)
            )
            limits[name] = ("levels", allowed)
        else:
            # Thresholds lie halfway between observed values, so "> t" and ">= t" select the same cases.
            limits[name] = (low, high)
    return limits


# ---------------------------------------------------------------------- PRIM
def prim_available() -> bool:
    try:
        _import_prim()
    except ImportError:
        return False
    return True


def _import_prim() -> Any:
    with warnings.catch_warnings():
        # The workbench warns on import about optional parallel back-ends that PRIM does not use.
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


def prim_boxes(
    x: pd.DataFrame,
    y: np.ndarray,
    min_coverage: float = MIN_COVERAGE,
    density_threshold: float = PRIM_DENSITY,
    max_boxes: int = MAX_BOXES - 1,
) -> tuple[list[Box], pd.DataFrame | None]:
    """PRIM boxes (EMA Workbench) and the peeling trajectory of the first box."""
    try:
        prim = _import_prim()
    except ImportError:
        raise InputError(
            "--method",
            "prim needs the EMA Workbench: pip install 'alliance-cohesion[ema]' (or use --method tree, the default)",
        ) from None
    frame = x.reset_index(drop=True).copy()
    for name in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_bool_dtype(frame[name]):
            frame[name] = frame[name].astype(str).astype("category")
    y = np.asarray(y, dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(frame, y.astype(int), threshold=density_threshold)
        boxes, first_trajectory = [], None
        for _ in range(max_boxes):
            found = finder.find_box()
            if found is None:
                break
            trajectory = found.peeling_trajectory.reset_index(drop=True)
            covering = trajectory[trajectory["coverage"] >= min_coverage]
            choice = int(covering["density"].idxmax()) if not covering.empty else 0
            found.select(choice)
            index = _drop_insignificant(found, choice)
            limits = _prim_limits(found.box_lims[index], finder.box_init, frame)
            row = found.peeling_trajectory.reset_index(drop=True).loc[index]
            if not limits or row["density"] < density_threshold:
                break  # PRIM's "dump box": nothing left that is dense enough
            boxes.append(
                Box(
                    limits,
                    float(row["coverage"]),
                    float(row["density"]),
                    float(row["mass"]),
                    int(row["n"]),
                    int(row["k"]),
                )
            )
            if first_trajectory is None:
                first_trajectory = trajectory
    return boxes, first_trajectory


def _drop_insignificant(box: Any, index: int) -> int:
    """Free the restrictions PRIM's quasi-p values call insignificant, weakest first; the index of the result.

    Peeling trims a little off every factor, even those that do not matter; Bryant and Lempert (2010) test
    each restriction with a one-sided binomial test (the workbench's quasi-p values) and drop those above 0.05.
    """
    while True:
        weakest = {}
        for name, values in box.qp[index].items():
            sides = [v for v in values if v >= 0]  # -1: that side is not restricted
            if sides and min(sides) > QUASI_P:
                weakest[name] = min(sides)
        if not weakest:
            return index
        box.drop_restriction(max(weakest, key=weakest.get))
        index = len(box.peeling_trajectory) - 1


def _prim_limits(box: pd.DataFrame, initial: pd.DataFrame, frame: pd.DataFrame) -> dict[str, tuple[Any, ...]]:
    limits: dict[str, tuple[Any, ...]] = {}
    for name in frame.columns:
        low, high = box[name].iloc[0], box[name].iloc[1]
        first_low, first_high = initial[name].iloc[0], initial[name].iloc[1]
        if isinstance(low, set):
            if low != first_low:
                limits[name] = ("levels", tuple(sorted(low, key=str)))
            continue
        restricted_low, restricted_high = low > first_low, high < first_high
        if restricted_low or restricted_high:
            limits[name] = (float(low) if restricted_low else None, float(high) if restricted_high else None)
    return limits


# ---------------------------------------------------------------------- both
def discover(x: pd.DataFrame, values: pd.Series, condition: Condition, date: str, method: str = "tree") -> Discovery:
    """Boxes of factor ranges where ``condition`` holds for the runs ``x`` (factor columns) with ``values``."""
    if method not in METHODS:
        raise InputError("--method", f"{shown(method)} is not a discovery method; use one of {', '.join(METHODS)}")
    y = condition.holds(values)
    cases, bad = len(y), int(y.sum())
    notes = []
    trajectory = None
    if bad == 0 or bad == cases:
        which = "no run meets" if bad == 0 else "every run meets"
        notes.append(f"{which} the condition {condition} in {date}: there is nothing to tell apart.")
        boxes: list[Box] = []
    elif method == "tree":
        boxes = tree_boxes(x, y)
    else:
        boxes, trajectory = prim_boxes(x, y)
    if bad and bad < cases and not boxes:
        notes.append(f"No box of factor ranges holds the bad runs ({bad} of {cases}) much more densely than the rest.")
    return Discovery(method, condition, date, cases, bad, tuple(boxes), trajectory, tuple(notes))
