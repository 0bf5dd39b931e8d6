"""Experimental designs: each turns factor levels or bounds into a table of points.

As in SALib (one module per method, the same shapes for all), every design
is one function with one signature, ``sample(axes, samples, seed, options)
-> DataFrame`` with one row per point and one column per axis; the sweep
engine does not care which design made the points.

- ``grid``: every combination of the levels (full factorial), the first
  axis varying slowest.
- ``lhs``: a Latin hypercube of ``samples`` points (scipy.stats.qmc).
- ``sobol``: Saltelli's extension of the Sobol' sequence (SALib), ready for
  ``SALib.analyze.sobol``: ``samples * (D + 2)`` points, or
  ``samples * (2D + 2)`` with second-order indices.
- ``morris``: ``samples`` one-at-a-time trajectories (SALib), ready for
  ``SALib.analyze.morris``: ``samples * (D + 1)`` points.

A whole-number factor (``Axis.integer``) is sampled like any other on its
bounds, then mapped onto the whole numbers low..high in equal bins
(:func:`whole_numbers`), so that every whole number, the top one included,
is drawn as often; the table holds the values that run.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc


@dataclass(frozen=True)
class Axis:
    """One factor as a design sees it: a name, and either levels (grid) or bounds (sampled designs)."""

    name: str
    levels: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False


def salib_problem(axes: Sequence[Axis]) -> dict[str, Any]:
    """The SALib problem dictionary, also kept in the manifest so that the analysis can be run on the results."""
    return {
        "num_vars": len(axes),
        "names": [a.name for a in axes],
        "bounds": [[float(a.low), float(a.high)] for a in axes],
    }


def whole_numbers(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Values sampled in [low, high] mapped onto the whole numbers low..high, each with an equal share.

    The interval is cut into ``high - low + 1`` equal bins, bin ``i`` giving
    ``low + i``: uniform samples give every whole number (the top one too) the
    same chance, and a sample at ``high`` gives ``high``. Shape: as ``values``;
    int64. ``low`` and ``high`` are whole numbers, ``low < high``.
    """
    count = int(high) - int(low) + 1
    unit = (np.asarray(values, dtype="float64") - low) / (high - low)
    # The tolerance puts a sample that lands on a bin edge (Morris levels do) in the bin it was meant for.
    bins = np.floor(unit * count + 1e-9).astype("int64")
    return int(low) + np.clip(bins, 0, count - 1)


def _frame(axes: Sequence[Axis], values: np.ndarray) -> pd.DataFrame:
    columns = {}
    for j, axis in enumerate(axes):
        column = values[:, j]
        # A whole-number factor (a month, a year, an event's duration) takes whole numbers over its whole range.
        columns[axis.name] = whole_numbers(column, axis.low, axis.high) if axis.integer else column.astype("float64")
    return pd.DataFrame(columns)


def grid(axes: Sequence[Axis], samples: int | None, seed: int, options: Mapping[str, Any]) -> pd.DataFrame:
    rows = list(itertools.product(*(a.levels for a in axes)))
    return pd.DataFrame(rows, columns=[a.name for a in axes])


def lhs(axes: Sequence[Axis], samples: int | None, seed: int, options: Mapping[str, Any]) -> pd.DataFrame:
    unit = qmc.LatinHypercube(d=len(axes), rng=np.random.default_rng(seed)).random(samples)
    values = qmc.scale(unit, [a.low for a in axes], [a.high for a in axes])
    return _frame(axes, values)


def sobol(axes: Sequence[Axis], samples: int | None, seed: int, options: Mapping[str, Any]) -> pd.DataFrame:
    from SALib.sample import sobol as salib_sobol

    values = salib_sobol.sample(
        salib_problem(axes), samples, calc_second_order=bool(options.get("second_order", False)), seed=seed
    )
    return _frame(axes, values)


DEFAULT_MORRIS_LEVELS = 4  # SALib's usual choice; an even number keeps the Morris step balanced


def morris(axes: Sequence[Axis], samples: int | None, seed: int, options: Mapping[str, Any]) -> pd.DataFrame:
    from SALib.sample import morris as salib_morris

    values = salib_morris.sample(
        salib_problem(axes), samples, num_levels=int(options.get("levels", DEFAULT_MORRIS_LEVELS)), seed=seed
    )
    return _frame(axes, values)


@dataclass(frozen=True)
class Design:
    """A design: its sampler, whether it needs bounds (rather than levels) and a sample count, and its size."""

    name: str
    summary: str
    sample: Callable[[Sequence[Axis], int | None, int, Mapping[str, Any]], pd.DataFrame]
    sampled: bool
    size: Callable[[Sequence[Axis], int | None, Mapping[str, Any]], int]


def _grid_size(axes: Sequence[Axis], samples: int | None, options: Mapping[str, Any]) -> int:
    return int(np.prod([len(a.levels) for a in axes], dtype=object))


def _sobol_size(axes: Sequence[Axis], samples: int | None, options: Mapping[str, Any]) -> int:
    d = len(axes)
    return int(samples) * ((2 * d + 2) if options.get("second_order", False) else (d + 2))


def _morris_size(axes: Sequence[Axis], samples: int | None, options: Mapping[str, Any]) -> int:
    return int(samples) * (len(axes) + 1)


DESIGNS: dict[str, Design] = {
    d.name: d
    for d in (
        Design("grid", "every combination of the levels of each factor", grid, False, _grid_size),
        Design("lhs", "Latin hypercube of `samples` points within the bounds", lhs, True, lambda a, n, o: int(n)),
        Design("sobol", "Saltelli sample for Sobol' indices (SALib): samples x (D+2) points", sobol, True, _sobol_size),
        Design(
            "morris",
            "Morris trajectories (SALib): samples x (D+1) points",
            morris,
            True,
            lambda a, n, o: n * (len(a) + 1),
        ),
    )
}


def points(
    design: str, axes: Sequence[Axis], samples: int | None, seed: int, options: Mapping[str, Any]
) -> pd.DataFrame:
    """The design's points: one row per point, one column per axis, in the design's order."""
    table = DESIGNS[design].sample(axes, samples, seed, options)
    table.index = pd.RangeIndex(len(table), name="point")
    return table
