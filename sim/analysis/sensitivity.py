"""Which assumptions drive an outcome: Sobol' and Morris indices with SALib.

Sobol' (a ``sobol`` sweep, Saltelli's sample): the first-order index S1 of a
factor is the share of the outcome's variance it explains alone, the total
index ST the share it explains with all its interactions; ST near zero means
the factor can be fixed anywhere in its range. Morris (a ``morris`` sweep,
one-at-a-time trajectories): mu* is the mean absolute change of the outcome
when the factor moves by one step of the design (in outcome units), sigma
the spread of those changes (non-linearity or interactions). Both come from
SALib's ``analyze`` functions, fed the outcome of every point in the order
the design made them.

With several replications per point the outcome of a point is the mean over
its replications: the indices are then about the factors, with the model's
own randomness averaged out (see :func:`noise_share`).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.util.errors import InputError

# Fixed seeds for the bootstrap of the confidence intervals: the same sweep gives the same report.
SALIB_SEED = 20250625
RESAMPLES = 1000
CONFIDENCE = 0.95
METHODS = {"sobol": ("ST", "S1"), "morris": ("mu_star", "sigma")}


@dataclasses.dataclass(frozen=True)
class Sensitivity:
    """Indices of one outcome at one date; ``table`` is indexed by factor, most influential first."""

    method: str
    outcome: str
    date: str
    table: pd.DataFrame
    points_used: int
    points_total: int
    noise_share: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def ranking(self) -> list[str]:
        return list(self.table.index)

    @property
    def key(self) -> str:
        """The column that ranks factors: ST for Sobol', mu* for Morris."""
        return METHODS[self.method][0]


def sobol_indices(
    problem: dict[str, Any],
    y: np.ndarray,
    second_order: bool = False,
    seed: int = SALIB_SEED,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """S1, S1_conf, ST, ST_conf per factor (``*_conf``: half-width of the 95 % interval), ranked by ST.

    ``y`` holds one value per row of the Saltelli sample, in the sample's order.
    """
    from SALib.analyze import sobol

    y = np.asarray(y, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant outputs: reported by the caller, not as a warning
        result = sobol.analyze(
            problem,
            y,
            calc_second_order=second_order,
            num_resamples=resamples,
            conf_level=CONFIDENCE,
            seed=seed,
        )
    table = pd.DataFrame(
        {k: np.asarray(result[k], dtype="float64") for k in ("S1", "S1_conf", "ST", "ST_conf")},
        index=pd.Index(problem["names"], name="factor"),
    )
    return table.sort_values("ST", ascending=False, kind="stable")


def morris_indices(
    problem: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    levels: int,
    seed: int = SALIB_SEED,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """mu, mu_star, mu_star_conf (half-width of the 95 % interval) and sigma per factor, ranked by mu*.

    ``x`` is the Morris sample (one row per point, trajectories one after the other) and ``y`` its outcomes.
    """
    from SALib.analyze import morris

    result = morris.analyze(
        problem,
        np.asarray(x, dtype="float64"),
        np.asarray(y, dtype="float64"),
        num_resamples=resamples,
        conf_level=CONFIDENCE,
        num_levels=levels,
        seed=seed,
    )
    table = pd.DataFrame(
        {k: np.asarray(result[k], dtype="float64") for k in ("mu", "mu_star", "mu_star_conf", "sigma")},
        index=pd.Index(problem["names"], name="factor"),
    )
    return table.sort_values("mu_star", ascending=False, kind="stable")


def point_means(runs: pd.DataFrame, outcome: str, points: int) -> np.ndarray:
    """The mean over replications of each point, NaN for a point without a finished run."""
    means = runs.groupby("point")[outcome].mean()
    return means.reindex(range(points)).to_numpy(dtype="float64")


def complete_blocks(values: np.ndarray, block: int) -> np.ndarray:
    """Mask of the rows whose whole block (a Saltelli group or a Morris trajectory) has values.

    SALib reads the sample block by block, so dropping whole blocks keeps the rest valid.
    """
    finite = np.isfinite(values).reshape(-1, block).all(axis=1)
    return np.repeat(finite, block)


def noise_share(runs: pd.DataFrame, outcome: str) -> float | None:
    """Share of the variance across runs that lies between replications of the same point (None with one)."""
    if runs.groupby("point")[outcome].size().max() < 2:
        return None
    total = float(runs[outcome].var(ddof=0))
    if total <= 0:
        return None
    within = float(runs.groupby("point")[outcome].var(ddof=0).mean())
    return within / total


def sweep_sensitivity(sweep: Any, runs: pd.DataFrame, outcome: str, date: str) -> Sensitivity:
    """Sobol' or Morris indices (by the sweep's design) of one outcome, from the runs at one date."""
    design = sweep.design
    if design not in METHODS:
        raise InputError(
            "design", f"a {design} sweep has no sensitivity indices; run a sobol or morris design", str(sweep.path)
        )
    problem = sweep.salib_problem
    d = int(problem["num_vars"])
    n_points = len(sweep.points)
    y = point_means(runs, outcome, n_points)
    block = (2 * d + 2 if sweep.second_order else d + 2) if design == "sobol" else d + 1
    if n_points % block:
        raise InputError(
            "points/",
            f"{n_points} points do not form whole {design} blocks of {block}; the folder is damaged",
            str(sweep.path),
        )
    keep = complete_blocks(y, block)
    notes = []
    if not keep.all():
        unit = "Saltelli groups" if design == "sobol" else "trajectories"
        notes.append(
            f"{int((~keep).sum() // block)} of {n_points // block} {unit} have a point without a finished run "
            "(failures.csv) and are left out."
        )
    if not keep.any():
        raise InputError(
            "runs", f"no complete {design} block of finished runs for {outcome} at {date}", str(sweep.path)
        )
    y_used = y[keep]
    if np.ptp(y_used) == 0:
        notes.append(f"{outcome} is the same at every point in {date}: no factor changes it, every index is zero.")
        columns = (
            ("S1", "S1_conf", "ST", "ST_conf") if design == "sobol" else ("mu", "mu_star", "mu_star_conf", "sigma")
        )
        table = pd.DataFrame(0.0, index=pd.Index(problem["names"], name="factor"), columns=list(columns))
    elif design == "sobol":
        table = sobol_indices(problem, y_used, sweep.second_order)
    else:
        x = sweep.points[problem["names"]].to_numpy(dtype="float64")[keep]
        table = morris_indices(problem, x, y_used, sweep.morris_levels)
    return Sensitivity(
        design, outcome, date, table, int(keep.sum()), n_points, noise_share(runs, outcome), tuple(notes)
    )


def headline_table(results: Sequence[Sensitivity], rows: int = 15, others: int = 5) -> pd.DataFrame:
    """The ranking column (ST or mu*) of several outcomes side by side, one row per factor.

    Factors are ordered by their influence on the first outcome; shown are its ``rows`` most influential
    and any factor among the ``others`` most influential for another outcome.
    """
    table = pd.DataFrame({r.outcome: r.table[r.key] for r in results})
    ranks = table.rank(ascending=False, method="first")
    first = ranks.iloc[:, 0]
    shown = (first <= rows) | (ranks.iloc[:, 1:] <= others).any(axis=1)
    return table.loc[first[shown].sort_values(kind="stable").index]
