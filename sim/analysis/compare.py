"""Paired comparison of scenarios run with the same seeds (common random numbers).

Replication *k* of a scenario runs with child *k* of ``SeedSequence(seed)``,
and each stochastic process of the model (incidents, elections, votes,
shocks) draws from its own stream, the same number of draws every month
(:mod:`sim.engine.setup` and :func:`sim.engine.decisions.vote_uniforms`). Two scenarios run
with the same seed therefore share replication *k*'s incidents, elections
and vote noise unless the scenario itself changes them: the difference of
replication *k* is due to the assumptions, not to luck. The spread of these
paired differences is much smaller than that of two independent samples,
so fewer replications give a sharper answer.

The first folder is the reference; every other folder is compared with it.
For each outcome and month this module gives the mean of the paired
differences (scenario - reference) and a 90 % percentile bootstrap interval
that resamples the pairs; for contrast, also the interval that ignores the
pairing and resamples each scenario on its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.rules.outcomes import HEADLINE_OUTCOMES, MODEL_OUTCOMES
from sim.runs.folder import ResultsFolder
from sim.runs.manifest import MANIFEST, Manifest
from sim.util.errors import OUTCOMES_LISTED, InputError, nearest, one_of, shown

# Any fixed number will do: it makes the intervals of the same folders the same every time.
BOOTSTRAP_SEED = 20250625
BOOTSTRAP_RESAMPLES = 2000
MAX_RESAMPLES = 20_000  # (resamples x replications) weights are held at once: 20,000 x 1,000 is 160 MB
LEVEL = 0.90
TABLE_DATES = ("2030-12", "2035-12")


@dataclasses.dataclass(frozen=True)
class Arm:
    """One scenario's results folder: its manifest and its model table (one row per run and month).

    ``scenario``, ``seed`` and ``horizon`` are those of the manifest (:attr:`info`); ``replications`` counts the
    replications of the model table (the runs that can be paired).
    """

    label: str
    path: Path
    manifest: dict[str, Any]
    model: pd.DataFrame

    @functools.cached_property
    def info(self) -> Manifest:
        """The typed view of the manifest; InputError naming the folder's manifest.json for a bad field."""
        return Manifest.of(self.manifest, Path(self.path) / MANIFEST)

    @property
    def scenario(self) -> dict[str, Any]:
        return self.info.scenario

    @property
    def seed(self) -> int:
        return self.info.seed

    @property
    def horizon(self) -> tuple[str, str]:
        return self.info.horizon

    @property
    def replications(self) -> int:
        return int(self.model["replication"].nunique())

    def matrix(self, outcome: str, replications: int) -> np.ndarray:
        """(replications x months) values of one outcome, replication 0 first."""
        table = self.model[self.model["replication"] < replications].pivot(
            index="replication", columns="step", values=outcome
        )
        return table.sort_index().to_numpy(dtype="float64")


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Paired differences of each scenario against the reference, month by month."""

    reference: Arm
    others: tuple[Arm, ...]
    outcomes: tuple[str, ...]
    pairs: dict[str, int]
    differences: pd.DataFrame
    resamples: int
    seed: int
    level: float = LEVEL

    @property
    def arms(self) -> tuple[Arm, ...]:
        return (self.reference, *self.others)

    def table(self) -> pd.DataFrame:
        """The rows of December 2030 and 2035 (the last month instead when the runs end before both)."""
        return table_rows(self.differences)


# ---------------------------------------------------------------------- reading and checking
def load_arm(path: str | Path, outcomes: Sequence[str], label: str | None = None) -> Arm:
    """A complete results folder of ``cohesion run``; InputError naming the folder otherwise."""
    path = Path(path)
    _refuse_sweep(path)
    folder = ResultsFolder.open(path)
    model = folder.read_table("model", ["run", "replication", "seed", "step", "date", *outcomes])
    return Arm(label or folder.info.scenario_name, folder.path, folder.manifest, model)


def check_outcome_definitions(paths: Sequence[str | Path]) -> None:
    """InputError unless every folder's outcomes were written under the same definitions (manifest field
    ``outcome_definitions``; folders written before it was recorded count as version 1)."""
    versions = []
    for path in paths:
        _refuse_sweep(Path(path))
        versions.append(ResultsFolder.open(Path(path)).info.outcome_definitions)
    _same_definitions([Path(path) for path in paths], versions)


def check_arm_definitions(arms: Sequence[Arm]) -> None:
    """:func:`check_outcome_definitions` for arms already read (results in memory among them)."""
    versions = [arm.info.outcome_definitions for arm in arms]
    _same_definitions([Path(arm.path) for arm in arms], versions)


def _same_definitions(paths: Sequence[Path], versions: Sequence[int]) -> None:
    """InputError naming the first folder whose version differs from the first folder's."""
    for path, version in zip(paths[1:], versions[1:], strict=True):
        if version != versions[0]:
            raise InputError(
                "outcome_definitions",
                f"is {version} here but {versions[0]} in {paths[0]}: the outcomes (cohesion among them) are defined "
                "differently; run both scenarios again with the same version of the tool",
                str(path / MANIFEST),
            )


def _refuse_sweep(path: Path) -> None:
    """InputError if ``path`` holds a folder of another kind than a run's: a sweep, a comparison, an analysis."""
    try:
        kind = json.loads((path / MANIFEST).read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return  # ResultsFolder.open says what is wrong
    if kind == "sweep":
        raise InputError(
            "RESULTS_DIR",
            "is a sweep folder; compare takes folders made by 'cohesion run' (analyse a sweep with 'analyze')",
            str(path),
        )
    if kind in ("comparison", "analysis"):
        made = "a comparison" if kind == "comparison" else "a sweep analysis"
        raise InputError(
            "RESULTS_DIR", f"is the folder of {made}; compare takes folders made by 'cohesion run'", str(path)
        )


def check_pairs(reference: Arm, other: Arm) -> int:
    """The number of replications the two runs share (same seeds, same months); InputError with the fix otherwise."""
    source = str(other.path)
    if other.horizon != reference.horizon:
        raise InputError(
            "manifest.json scenario start/end",
            f"{other.horizon[0]} to {other.horizon[1]} differs from {reference.horizon[0]} to "
            f"{reference.horizon[1]} in {reference.path}; paired runs must cover the same months: give both "
            "scenario files the same start and end and run them again",
            source,
        )
    if other.seed != reference.seed:
        raise InputError(
            "manifest.json seed",
            f"{other.seed} differs from {reference.seed} in {reference.path}, so replication k of the two does not "
            f"share its random numbers; run both with the same seed, e.g. 'cohesion run SCENARIO --seed "
            f"{reference.seed}'",
            source,
        )
    # Posterior draws depend on the seed and the replication only, so equal seeds pair the same parameter
    # sets too, provided both runs drew from the same posterior (or neither drew at all).
    draws_a = (reference.info.uncertainty, reference.info.posterior_sha256)
    draws_b = (other.info.uncertainty, other.info.posterior_sha256)
    if draws_a != draws_b:
        raise InputError(
            "manifest.json uncertainty",
            f"{draws_b[0]} (posterior {draws_b[1] or 'none'}) differs from {draws_a[0]} (posterior "
            f"{draws_a[1] or 'none'}) in {reference.path}, so replication k of the two does not share its "
            "parameter draw; run both with the same --uncertainty and the same version of the tool",
            source,
        )
    shared = min(reference.replications, other.replications)
    seeds_a = _replication_seeds(reference, shared)
    seeds_b = _replication_seeds(other, shared)
    if seeds_a != seeds_b:
        k = next(k for k, (a, b) in enumerate(zip(seeds_a, seeds_b, strict=True)) if a != b)
        raise InputError(
            "model.parquet seed",
            f"replication {k} ran with seed {seeds_b[k]}, not {seeds_a[k]} as in {reference.path} (made by another "
            "version of the tool?); run both scenarios again with the same version and seed",
            source,
        )
    if shared < 2:
        raise InputError(
            "replications",
            f"only {shared} replication shared with {reference.path}; an interval needs 2 or more: run both with "
            "--replications 20 or more",
            source,
        )
    return shared


def _replication_seeds(arm: Arm, replications: int) -> list[int]:
    seeds = arm.model.drop_duplicates("replication").set_index("replication")["seed"].sort_index()
    missing = sorted(set(range(replications)) - set(seeds.index))
    if missing:
        raise InputError("model.parquet", f"replication {missing[0]} is missing; run the scenario again", str(arm.path))
    return [int(s) for s in seeds.loc[: replications - 1]]


def check_outcomes(outcomes: Sequence[str]) -> tuple[str, ...]:
    for name in outcomes:
        if name not in MODEL_OUTCOMES:
            raise InputError(
                "--outcomes",
                f"{shown(name)} is not a model outcome{nearest(name, MODEL_OUTCOMES)}; use "
                f"{one_of(MODEL_OUTCOMES, name, 'model outcomes', OUTCOMES_LISTED)}, or several",
            )
    if not outcomes:
        raise InputError(
            "--outcomes",
            "is empty; give one or more model outcomes separated by commas (e.g. cohesion,article5_credibility), "
            f"{one_of(MODEL_OUTCOMES, 'cohesion', 'model outcomes', OUTCOMES_LISTED)}",
        )
    return tuple(dict.fromkeys(outcomes))


def _labels(paths: Sequence[Path], names: Sequence[str]) -> list[str]:
    """Scenario names, or folder names when two folders hold the same scenario name."""
    labels = list(names) if len(set(names)) == len(names) else [p.name for p in paths]
    if len(set(labels)) < len(labels):  # the same folder twice
        labels = [f"{label} #{k + 1}" for k, label in enumerate(labels)]
    return labels


# ---------------------------------------------------------------------- bootstrap
def resampling_weights(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    """(resamples x n) weights of a bootstrap: how often each replication is drawn, divided by n.

    A mean over a resample is then one matrix product, for every month and outcome at once.
    """
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples) / n


def percentile_interval(draws: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail], axis=0)
    return low, high


def bootstrap_intervals(
    reference: np.ndarray,
    scenario: np.ndarray,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = LEVEL,
) -> dict[str, np.ndarray]:
    """Mean difference (scenario - reference) of paired rows, with paired and unpaired percentile intervals.

    ``reference`` and ``scenario`` are (replications x columns), row *k* of one paired with row *k* of
    the other. Paired: resample the pairs. Unpaired: resample each arm on its own, as if the runs
    were independent.
    """
    if reference.shape != scenario.shape:
        raise ValueError(f"paired arrays differ in shape: {reference.shape} and {scenario.shape}")
    n = reference.shape[0]
    rng = np.random.default_rng(seed)
    pairs = resampling_weights(rng, n, resamples)
    one, other = resampling_weights(rng, n, resamples), resampling_weights(rng, n, resamples)
    difference = scenario - reference
    paired_low, paired_high = percentile_interval(pairs @ difference, level)
    unpaired_low, unpaired_high = percentile_interval(one @ scenario - other @ reference, level)
    return {
        "reference_mean": reference.mean(axis=0),
        "scenario_mean": scenario.mean(axis=0),
        "difference": difference.mean(axis=0),
        "difference_low": paired_low,
        "difference_high": paired_high,
        "unpaired_low": unpaired_low,
        "unpaired_high": unpaired_high,
        "share_higher": (difference > 0).mean(axis=0),
        "share_lower": (difference < 0).mean(axis=0),
    }


def paired_differences(
    reference: Arm,
    other: Arm,
    outcomes: Sequence[str],
    replications: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> pd.DataFrame:
    """One row per outcome and month: means, the mean paired difference and its intervals."""
    dates = reference.model.drop_duplicates("step").set_index("step")["date"].sort_index()
    blocks = [reference.matrix(o, replications) for o in outcomes], [other.matrix(o, replications) for o in outcomes]
    # All outcomes side by side, so that every outcome and month is resampled with the same draws.
    result = bootstrap_intervals(np.hstack(blocks[0]), np.hstack(blocks[1]), resamples, seed)
    steps = len(dates)
    frame = pd.DataFrame(
        {
            "comparison": f"{other.label} - {reference.label}",
            "scenario": other.label,
            "reference": reference.label,
            "outcome": np.repeat(list(outcomes), steps),
            "step": np.tile(dates.index.to_numpy(), len(outcomes)),
            "date": np.tile(dates.to_numpy(dtype=object), len(outcomes)),
            "replications": replications,
            **result,
        }
    )
    return frame


def compare(
    items: Sequence[Arm | str | os.PathLike[str]],
    outcomes: Sequence[str] | None = HEADLINE_OUTCOMES,
    resamples: int | None = BOOTSTRAP_RESAMPLES,
    seed: int | None = BOOTSTRAP_SEED,
) -> Comparison:
    """Compare every item after the first with the first, after checking every argument.

    ``items`` are results folders of ``cohesion run`` (read here; only their model tables) or :class:`Arm`
    already read (``sim.api.compare`` turns results in memory into arms); the first is the reference.
    ``outcomes`` are model outcomes (None: the headline ones); ``resamples`` (100 to :data:`MAX_RESAMPLES`)
    and ``seed`` those of the bootstrap (None: :data:`BOOTSTRAP_RESAMPLES` and :data:`BOOTSTRAP_SEED`).
    Raises InputError, naming the field or the folder, with fewer than two items, an item that is neither
    a folder path nor an arm, resamples that are not a whole number in range, an unknown or no outcome,
    folders that are not complete results of ``cohesion run`` (a sweep folder among them), outcomes defined
    differently, or runs that cannot be paired (other seeds, another horizon, other posterior draws).
    """
    items = tuple(item if isinstance(item, Arm) else _folder(item) for item in items)
    if len(items) < 2:
        raise InputError("RESULTS_DIR", "give two or more results folders: the reference first, then the others")
    resamples = BOOTSTRAP_RESAMPLES if resamples is None else resamples
    seed = BOOTSTRAP_SEED if seed is None else seed
    if isinstance(resamples, bool) or not isinstance(resamples, int):
        raise InputError("--resamples", f"{shown(resamples)} is not a whole number; use 1000 or more")
    if resamples < 100:
        raise InputError("--resamples", f"{resamples} is too few for a 90 % interval; use 1000 or more")
    if resamples > MAX_RESAMPLES:
        raise InputError(
            "--resamples",
            f"{resamples} is too many; use a whole number up to {MAX_RESAMPLES} (default {BOOTSTRAP_RESAMPLES})",
        )
    outcomes = check_outcomes(HEADLINE_OUTCOMES if outcomes is None else tuple(outcomes))
    check_outcome_definitions([item for item in items if not isinstance(item, Arm)])
    columns = ["run", "replication", "seed", "step", "date", *outcomes]
    arms = [
        dataclasses.replace(item, model=item.model[columns]) if isinstance(item, Arm) else load_arm(item, outcomes)
        for item in items
    ]
    check_arm_definitions(arms)
    return compare_arms(arms, outcomes, resamples, seed)


def _folder(value: Any) -> Path:
    """``value`` as a folder path; InputError if it is not text or a path."""
    if not isinstance(value, str | os.PathLike):
        raise InputError("RESULTS_DIR", f"{shown(value)} is not a folder; give a path as text or a pathlib.Path")
    return Path(value)


def compare_arms(
    arms: Sequence[Arm],
    outcomes: Sequence[str],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Comparison:
    """:func:`compare` of arms already read (folders, or results in memory); the first is the reference."""
    outcomes = tuple(outcomes)
    labels = _labels([a.path for a in arms], [a.label for a in arms])
    arms = [dataclasses.replace(a, label=label) for a, label in zip(arms, labels, strict=True)]
    reference, others = arms[0], tuple(arms[1:])
    pairs = {other.label: check_pairs(reference, other) for other in others}
    differences = pd.concat(
        [paired_differences(reference, o, outcomes, pairs[o.label], resamples, seed) for o in others],
        ignore_index=True,
    )
    return Comparison(reference, others, outcomes, pairs, differences, resamples, seed)


def table_rows(differences: pd.DataFrame) -> pd.DataFrame:
    dates = sorted(differences["date"].unique())
    chosen = [d for d in TABLE_DATES if d in dates] or [dates[-1]]
    rows = differences[differences["date"].isin(chosen)]
    return rows.drop(columns="step").reset_index(drop=True)


def interval_narrowing(differences: pd.DataFrame) -> pd.DataFrame:
    """Per comparison and outcome: the median ratio of paired to unpaired interval width over the months.

    Months where the unpaired interval has no width (identical runs, the first month) are left out.
    """
    paired = differences["difference_high"] - differences["difference_low"]
    unpaired = differences["unpaired_high"] - differences["unpaired_low"]
    frame = differences[["comparison", "outcome"]].assign(ratio=paired / unpaired.where(unpaired > 1e-12))
    return frame.groupby(["comparison", "outcome"], sort=False)["ratio"].median().reset_index()


# ---------------------------------------------------------------------- output folders
def default_out(labels: Sequence[str], root: str | Path = "results") -> Path:
    """``root/compare-<labels>-<UTC timestamp>``: the folder ``cohesion compare`` writes to without ``--out``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    names = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(labels))[:80]
    return Path(root) / f"compare-{names}-{stamp}"
