"""Calibration against the record up to 2024: targets, simulator, Morris screening and ABC-SMC (pyabc).

The simulator replays January 2022 to December 2024 from the 2022 data with
the events of the packaged ``hindcast_2022`` scenario up to 2024 (the
invasion, the US reinforcement, the two accessions, Slovakia's election).
Each run gives the summary statistics of :func:`targets`; the observed values
come from ``sim/data`` only (NATO spending 2022 and 2024, the poll waves of
:data:`POLL_TARGETS`, the decision record). Nothing after 2024 is a target, and
neither are the polls' check waves, kept for the out-of-sample tests.

The inference itself is pyabc's ABC-SMC (an optional extra, ``[calibrate]``):
no sampler is written here. Screening uses SALib's Morris method.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as scistats

from sim.inputs import parameters as params
from sim.inputs import polls
from sim.inputs.posterior import (  # noqa: F401  (the posterior's names, read here by the calibration)
    POSTERIOR_FILE,
    PROVENANCE_FILE,
    _checked,
    check_posterior,
    draw,
    file_sha256,
    read_posterior,
    registry_mismatches,
    write_posterior,
)
from sim.inputs.states import load_states
from sim.util import resources
from sim.util.errors import InputError
from sim.util.files import write_atomically

DATA = resources.DATA
DECISION_RECORD = DATA / "decision_record.csv"
START, END = "2022-01", "2024-12"
# Finland and Sweden ask to join NATO in the hindcast (and in the record) in May 2022.
ACCESSION_REQUEST = "2022-05"
# The packaged hindcast's starting judgements and its events up to 2024 (scenarios/hindcast_2022.yaml).
HINDCAST = "hindcast_2022"


@dataclasses.dataclass(frozen=True)
class Target:
    """One summary statistic: its name, the observed value and what it measures."""

    name: str
    observed: float
    what: str


@functools.lru_cache(maxsize=1)
def _spending() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask of NATO allies with 2022 and 2024 figures, 2022 values, 2024 values), over the states of the data."""
    with open(DATA / "member_states.csv", newline="") as handle:
        rows = {row["iso3"]: row for row in csv.DictReader(handle)}
    d = load_states()
    y22, y24 = np.full(d.n, np.nan), np.full(d.n, np.nan)
    mask = np.zeros(d.n, dtype=bool)
    for i, code in enumerate(d.iso3):
        row = rows[code]
        a, b = row["defence_spending_pct_gdp_2022"], row["defence_spending_pct_gdp_2024"]
        if row["nato_member"] == "true" and a and b and code != "USA":
            mask[i], y22[i], y24[i] = True, float(a), float(b)
    return mask, y22, y24


@dataclasses.dataclass(frozen=True)
class PollTarget:
    """A poll wave as a target: Spearman's rho, over the wave's European allies, of an agents' column with the poll."""

    name: str  # the target's name
    wave: str  # a wave of sim/data/polls.csv (sim.inputs.polls)
    column: str  # the agents' column compared at the wave's month: "threat" or "us_trust"


# The poll waves that are targets. Threat: the initial threat wave (Pew spring 2022, opinion of Russia). The hindcast
# starts from 2022 data, where no earlier threat wave is shipped, so its starting threat comes from the exposure rule
# alone and this wave informs the exposure and threat parameters. Trust: the initial trust wave (Pew 2018) was fielded
# before the hindcast starts (January 2022) and is not a target: the hindcast sets its start from that wave, so its
# 2022 cross-section ranks the polled states as the wave does by construction, and a persistence target (2018 order
# kept to 2024) would be a judgement, not data (docs/CALIBRATION.md). Never a check wave (TRUST_CHECK_WAVE,
# THREAT_CHECK_WAVE: kept for the out-of-sample tests), nothing fielded after 2024: :func:`_poll_target` refuses them.
POLL_TARGETS: tuple[PollTarget, ...] = tuple(
    PollTarget(name, wave, column)
    for name, wave, column in (("poll_threat_rank_2022", polls.THREAT_INITIAL_WAVE, "threat"),)
    if wave is not None
)
CHECK_WAVES = frozenset(w for w in (polls.TRUST_CHECK_WAVE, polls.THREAT_CHECK_WAVE) if w is not None)


@dataclasses.dataclass(frozen=True)
class PollData:
    """What a poll target compares: ``mask`` (N,) the European allies in the wave, ``values`` (N,) the poll's shares
    (0..1, NaN outside the wave), ``month`` the month compared (YYYY-MM) and ``step`` its index in a hindcast's
    history, ``what`` the target's description."""

    mask: np.ndarray
    values: np.ndarray
    month: str
    step: int
    what: str


@functools.cache
def _poll_target(target: PollTarget) -> PollData:
    """The poll wave of ``target`` over its European allies, at its last fieldwork month or the nearest month the
    hindcast covers (START to END).

    InputError for a check wave (:data:`CHECK_WAVES`), a wave fielded after 2024, or one with fewer than three
    European allies (a rank correlation needs them).
    """
    if target.wave in CHECK_WAVES:
        raise InputError(target.name, f"{target.wave} is a check wave, kept for the out-of-sample tests")
    first, last = polls.wave_fieldwork(target.wave)
    if last > polls.LAST_FIELDWORK:
        raise InputError(target.name, f"{target.wave} was fielded after {polls.LAST_FIELDWORK}")
    values = polls.wave_values(target.wave)
    mask = polls.european_allies() & ~np.isnan(values)
    if mask.sum() < 3:
        raise InputError(target.name, f"{target.wave} has {int(mask.sum())} European allies; a rank needs three")
    month = min(max(last, START), END)
    rows = polls.wave_rows(target.wave)
    source = str(rows["source"].iloc[0])
    label = {"threat": "threat", "us_trust": "trust in the US"}.get(target.column, target.column)
    what = (
        f"rho between simulated and polled {label}, {month}: {source} ({target.wave}, "
        f"{rows['answer'].iloc[0]}, fieldwork {first} to {last}), {int(mask.sum())} European allies; best 1"
    )
    return PollData(mask, values, month, _months(START, month), what)


def decision_record() -> list[dict[str, str]]:
    """The rows of the shipped EU and NATO decision record (``sim/data/decision_record.csv``)."""
    with open(DECISION_RECORD, newline="") as handle:
        return list(csv.DictReader(handle))


def _months(a: str, b: str) -> int:
    """Whole months from ``a`` to ``b`` (both YYYY-MM)."""
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:7]) - int(a[5:7])


# The EU items of the record whose vetoes the hold-up target counts, and their names in the model's log.
HOLDUP_ITEMS = {"sectoral_sanctions_renewal": "eu_sanctions_renewal", "ukraine_support_package": "eu_ukraine_package"}
# Accessions requested in the hindcast (May 2022) whose delays are targets: the record's state name -> ISO3.
ACCESSIONS = {"Finland": "FIN", "Sweden": "SWE"}


def _record_targets() -> tuple[float, float]:
    """(share of EU sanctions renewals 2022-2024 that passed, share of Ukraine support packages that passed).

    From the decision record: every six-monthly renewal passed; the Ukraine Facility passed after a
    two-month veto (a concession), so both shares are 1 by the end of 2024.
    """
    record = decision_record()
    renewals = [r for r in record if r["item"] == "sectoral_sanctions_renewal"]
    packages = [r for r in record if r["item"] == "ukraine_support_package" and r["first_tabled"] <= "2024-12"]
    passed = ("passed", "passed every time", "passed_after_concession")
    renewal_share = sum(r["outcome"] in passed for r in renewals) / max(len(renewals), 1)
    package_share = sum(r["outcome"] in passed for r in packages) / max(len(packages), 1)
    return renewal_share, package_share


def _record_delays() -> tuple[float, dict[str, float]]:
    """(EU veto hold-up in months 2022-2024, {ISO3: months from request to membership}) from the decision record.

    Hold-up: the record's ``delay_months`` summed over the rows of the EU sanctions renewals and Ukraine
    support packages first tabled and settled by December 2024 (the renewals passed every time without
    delay; the Ukraine Facility was held two months, December 2023 to February 2024), plus the renewal row
    that runs past 2024 with no delay. Accessions: months from the request (``first_tabled``, May 2022) to
    membership (``settled``): Finland 11 (April 2023), Sweden 22 (March 2024).
    """
    record = decision_record()
    holdup = 0.0
    for row in record:
        if row["body"] == "EU" and row["item"] in HOLDUP_ITEMS and row["first_tabled"] <= END:
            holdup += float(row["delay_months"] or 0) if row["settled"] <= END else 0.0
    delays = {}
    for row in record:
        if row["item"] == "accession":
            for name, code in ACCESSIONS.items():
                if name in row["decision"] and row["settled"] <= END:
                    delays[code] = float(_months(row["first_tabled"], row["settled"]))
    if set(delays) != set(ACCESSIONS.values()):
        raise InputError(str(DECISION_RECORD), "needs the accession rows of Finland and Sweden settled by 2024")
    return holdup, delays


@functools.lru_cache(maxsize=1)
def _targets() -> tuple[Target, ...]:
    """The calibration targets with their observed values, from the shipped data up to 2024."""
    mask, y22, y24 = _spending()
    renewal, package = _record_targets()
    holdup, accession = _record_delays()
    return (
        Target("spending_mean_2024", float(np.mean(y24[mask])), "mean defence spending of NATO allies, 2024, % GDP"),
        Target("at_2pct_2024", float(np.sum(y24[mask] >= 2.0)), "allies at or above 2 % of GDP in 2024"),
        Target("rank_2024", 1.0, "rank correlation of 2024 spending by ally with the record (1 = same order)"),
        Target("rank_change", 1.0, "rank correlation of the 2022 to 2024 change by ally with the record"),
        Target("change_sd", float(np.std((y24 - y22)[mask])), "spread of the change across allies, points"),
        *(Target(p.name, 1.0, _poll_target(p).what) for p in POLL_TARGETS),
        Target("sanctions_renewals_passed", renewal, "share of EU sanctions renewals 2022-2024 that passed"),
        Target("ukraine_packages_passed", package, "share of EU Ukraine support packages to 2024 that passed"),
        Target("eu_veto_holdup_months", holdup, "months EU sanctions renewals and Ukraine packages were held up"),
        Target("accession_months_fin", accession["FIN"], "months from Finland's request (May 2022) to membership"),
        Target("accession_months_swe", accession["SWE"], "months from Sweden's request (May 2022) to membership"),
    )


def targets() -> list[Target]:
    """The calibration targets with their observed values, from the shipped data up to 2024.

    The 2022 levels are not targets of their own: the hindcast starts from them (January 2022), so
    they enter through the 2022 to 2024 changes. For the same reason the mean change 2022 to 2024 is not a
    target beside the 2024 mean: with the start fixed, the two are one number.
    """
    return list(_targets())


def target_names() -> list[str]:
    return [t.name for t in targets()]


@functools.lru_cache(maxsize=1)
def _hindcast_inputs() -> tuple[list, dict[str, float | str], int | None]:
    from sim.scenarios import scenario as scenarios

    s = scenarios.load(HINDCAST)
    events = [e for e in s.events if e.date <= END]
    return events, dict(s.parameters), s.initial_year


def simulate(parameter_sets: Sequence[Mapping[str, float]], seeds: Sequence[int]) -> np.ndarray:
    """Summary statistics of one hindcast run per parameter set, in one batch.

    ``parameter_sets`` (R dicts) override the hindcast's parameters; ``seeds`` (R,) seed each run.
    Returns an (R, len(TARGETS)) float64 array in the order of :func:`targets`.
    InputError for a parameter value out of its registry range.
    """
    from sim.engine import RunSpec, run_batch

    events, base, initial_year = _hindcast_inputs()
    specs = [
        RunSpec(int(seed), START, END, initial_year, events, None, {**base, **_checked(p)})
        for p, seed in zip(parameter_sets, seeds, strict=True)
    ]
    b = run_batch(specs, keep_agents=True)
    return summaries(b)


def summaries(b: Any) -> np.ndarray:
    """(R, len(targets)) summary statistics of a finished hindcast batch (see :func:`targets`).

    A poll target (:data:`POLL_TARGETS`) is Spearman's rho, over the European allies in its wave, of the agents'
    column at the wave's month with the poll (0 when either has no spread). Accession months count from the
    request to the month the state joins; a state not a member by
    December 2024 counts as joining in January 2025 (censored). EU hold-up months count, for every first
    vote on a sanctions renewal or Ukraine package that failed, the months until the item passed or was
    blocked for good (to December 2024 if still pending).
    """
    mask, y22, y24 = _spending()
    spend = b.history["spending_pct_gdp"]  # (R, T, N)
    first, last = spend[:, 0, :][:, mask], spend[:, -1, :][:, mask]
    change = last - first
    poll_data = [_poll_target(p) for p in POLL_TARGETS]
    polled = [b.history[p.column][:, d.step, :][:, d.mask] for p, d in zip(POLL_TARGETS, poll_data, strict=True)]
    change_record, last_record = (y24 - y22)[mask], y24[mask]
    holdup_items = set(HOLDUP_ITEMS.values())
    censored = _months(ACCESSION_REQUEST, END) + 1
    out = np.zeros((b.n_runs, len(targets())))
    for r in range(b.n_runs):
        counts = {"eu_sanctions_renewal": [0, 0], "eu_ukraine_package": [0, 0]}
        held: dict[str, str] = {}
        holdup = 0.0
        joined = dict.fromkeys(ACCESSIONS.values(), float(censored))
        for entry in b.logs[r]:
            date, item, outcome, detail = entry[1], entry[3], str(entry[5]), str(entry[-1])
            if item in counts:
                counts[item][0] += 1
                counts[item][1] += outcome.startswith("passed") or outcome == "adopted"
            if item in holdup_items and not detail.startswith("re-vote"):
                if outcome == "delayed":
                    held[item] = date
            elif item in holdup_items and item in held and outcome != "delayed":
                holdup += _months(held.pop(item), date)
            if item == "accession" and outcome == "applied":
                code = detail[:3]
                if code in joined and detail.endswith("joins NATO"):
                    joined[code] = float(_months(ACCESSION_REQUEST, date))
        holdup += sum(_months(since, END) for since in held.values())
        share = [c[1] / c[0] if c[0] else 1.0 for c in counts.values()]
        out[r] = [
            last[r].mean(),
            np.sum(last[r] >= 2.0),
            _rank(last[r], last_record),
            _rank(change[r], change_record),
            change[r].std(),
            *(_rank(sim[r], d.values[d.mask]) for sim, d in zip(polled, poll_data, strict=True)),
            share[0],
            share[1],
            holdup,
            joined["FIN"],
            joined["SWE"],
        ]
    return out


def _rank(a: np.ndarray, b: np.ndarray) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    # Spearman's rho: Pearson's correlation of the ranks (ties share their mean rank).
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks of ``x`` (n,), ties at their mean rank: scipy's ``rankdata``, by one argsort when there are none."""
    order = np.argsort(x, kind="stable")
    if np.any(x[order[1:]] == x[order[:-1]]):
        return scistats.rankdata(x)
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    return ranks


# ---------------------------------------------------------------- screening


# Starting conditions, the US stance and the pledge itself are scenario inputs, not structural coefficients: a
# value fitted to 2022 (Russia before the invasion, the US administration of 2022-2024, the Wales pledge) says
# nothing about a run from 2025, whose pledges are set by the scenario's events. The allies' mean starting trust
# (us_trust_initial, the level of January 2022 in the hindcast) is one of them; the weight of the polls in the
# starting cross-section (trust_poll_weight) and the exposure and trust coefficients are structural.
SCENARIO_INPUTS = params.INITIAL_ONLY | {
    "us_commitment_target",
    "pledge_core_pct",
    "pledge_deadline_year",
    "us_trust_initial",
}


def candidates() -> list[str]:
    """Numeric structural parameters: every numeric one except the scenario inputs (:data:`SCENARIO_INPUTS`)."""
    return [
        n
        for n in params.NUMERIC_PARAMETERS
        if params.PARAMETERS[n].low < params.PARAMETERS[n].high and n not in SCENARIO_INPUTS
    ]


def screen(seed: int, trajectories: int, keep: int, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Morris screening (SALib) of every candidate parameter on the scaled summary statistics.

    Returns {"ranking": [(name, score)], "chosen": [names], "per_target": {target: name}} where score is the
    mean mu* over the targets, each target's effects divided by its spread over the screening runs. The
    chosen parameters are the ``keep`` best by score, plus, for every target, its own most influential
    parameter if that is not among them (so that each target informs at least one calibrated parameter:
    the delays of the decision record move other parameters than the spending targets). Every run has the
    same seed (common random numbers), so an elementary effect is that of the parameter alone.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    names = candidates()
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[params.PARAMETERS[n].low, params.PARAMETERS[n].high] for n in names],
    }
    x = morris_sample.sample(problem, trajectories, num_levels=4, seed=seed)
    # Common random numbers: every screening run has the same seed, so an elementary effect is the parameter's alone.
    seeds = np.full(len(x), int(np.random.SeedSequence([seed, 1]).generate_state(1)[0] >> 1))
    y = np.zeros((len(x), len(targets())))
    step = 256
    for start in range(0, len(x), step):
        block = x[start : start + step]
        y[start : start + step] = simulate(
            [dict(zip(names, row, strict=True)) for row in block], seeds[start : start + step]
        )
        if progress:
            progress(len(block))
    spread = y.std(axis=0)
    score = np.zeros(len(names))
    per_target = {}
    for j, target in enumerate(target_names()):
        if spread[j] == 0:
            continue
        result = morris_analyze.analyze(problem, x, y[:, j] / spread[j], num_levels=4, seed=seed)
        mu_star = np.asarray(result["mu_star"])
        score += mu_star / y.shape[1]
        per_target[target] = names[int(np.argmax(mu_star))]
    order = np.argsort(-score, kind="stable")
    ranking = [(names[i], float(score[i])) for i in order]
    chosen = [names[i] for i in order[:keep]]
    chosen += sorted({n for n in per_target.values() if n not in chosen}, key=lambda n: names.index(n))
    return {"ranking": ranking, "chosen": chosen, "per_target": per_target}


# ---------------------------------------------------------------- distance and fit


def prior_predictive(
    names: Sequence[str], seed: int, runs: int, simulator: Callable[..., np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(points (runs, k), statistics (runs, len(targets))): single runs at uniform draws over the priors of ``names``.

    Draws and run seeds come from SeedSequence([seed, 3]); the runs go through the engine in batches.
    """
    simulator = simulator or simulate
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    low = np.array([params.PARAMETERS[n].low for n in names])
    high = np.array([params.PARAMETERS[n].high for n in names])
    points = low + (high - low) * rng.random((runs, len(names)))
    seeds = rng.integers(0, 2**31 - 1, size=runs)
    stats = np.zeros((runs, len(targets())))
    for start in range(0, runs, 256):
        block = slice(start, start + 256)
        stats[block] = simulator([dict(zip(names, row, strict=True)) for row in points[block]], seeds[block])
    return points, stats


def distance_scales(stats: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """(len(targets),) the unit of each target's distance: the prior predictive's mean absolute error.

    ``stats`` (runs, len(targets)) from :func:`prior_predictive`. A model drawn from the prior is off by 1
    on average on every target in these units, so targets in points, counts, months and correlations weigh
    alike, and a target that no parameter set reaches (a rank correlation of 1) is measured against how far
    off the prior already is rather than against a spread that says nothing about that gap. Falls back to
    the standard deviation, then 1, for a target every prior draw hits exactly.
    """
    scales = np.abs(stats - observed).mean(axis=0)
    spread = stats.std(axis=0)
    return np.where(scales > 0, scales, np.where(spread > 0, spread, 1.0))


# Targets on which a shipped posterior must not fit clearly worse than the defaults (docs/CALIBRATION.md).
HEADLINE_TARGETS = ("spending_mean_2024", "at_2pct_2024", "rank_2024", "rank_change")
# "Clearly worse": a scaled score larger than the defaults' by more than this (a tenth of the prior's error).
CLEARLY_WORSE = 0.1


def scaled_errors(stats: np.ndarray, observed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """(len(targets),) mean over the runs of |statistic - observed| / scale, for ``stats`` (runs, len(targets))."""
    return (np.abs(stats - observed) / scales).mean(axis=0)


def scaled_scores(stats: np.ndarray, observed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """(len(targets),) continuous ranked probability score of the runs' distribution, divided by ``scales``.

    CRPS = E|Y - observed| - E|Y - Y'| / 2 over the runs ``stats`` (runs, len(targets)), the second term over
    pairs of distinct runs (the fair estimator). It is the mean absolute error of the runs less half their
    own spread: a proper score, lowest for the distribution the observation is drawn from, so a predictive
    distribution is neither rewarded for a spread it does not need nor punished for one it does. Lower is
    better; for a single run it is its absolute error. Needs at least two runs.
    """
    n = len(stats)
    pairs = np.abs(stats[:, None, :] - stats[None, :, :]).sum(axis=(0, 1)) / (n * (n - 1))
    return (np.abs(stats - observed).mean(axis=0) - pairs / 2) / scales


def fit_check(
    names: Sequence[str],
    points: np.ndarray,
    weights: np.ndarray,
    scales: np.ndarray,
    seed: int,
    draws: int,
    simulator: Callable[..., np.ndarray] | None = None,
    scored: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Posterior predictive distance to every target against that of the defaults, on the same seeds.

    ``draws`` (at least 2) hindcast runs each start from a particle drawn by weight (points (P, k), weights
    (P,)) and as many runs at the defaults (the hindcast's values) share their seeds, from
    SeedSequence([seed, 7]). ``scored``: the targets scored, in the order of :func:`targets` (default: all);
    ``scales`` has one entry per scored target. Returns {"posterior", "default": (draws, len(targets))
    statistics; "scored": the names scored; "score_posterior", "score_default": per scored target the scaled
    CRPS (:func:`scaled_scores`); "aggregate_posterior", "aggregate_default": their means; "error_posterior",
    "error_default" and "aggregate_error_posterior", "aggregate_error_default": the same for the mean absolute
    error (:func:`scaled_errors`); "worse": headline targets whose score is clearly worse than the defaults'}.
    ValueError if ``scored`` names an unknown target or leaves out a headline target.
    """
    simulator = simulator or simulate
    everything = target_names()
    keys = everything if scored is None else [k for k in everything if k in set(scored)]
    if scored is not None and (set(scored) - set(everything) or set(HEADLINE_TARGETS) - set(keys)):
        raise ValueError(f"scored targets {list(scored)} must be targets and include {list(HEADLINE_TARGETS)}")
    columns = [everything.index(k) for k in keys]
    observed = np.array([t.observed for t in targets()])[columns]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    rows = rng.choice(len(weights), size=draws, p=weights / weights.sum())
    seeds = rng.integers(0, 2**31 - 1, size=draws)
    post = simulator([dict(zip(names, points[r], strict=True)) for r in rows], seeds)
    default = simulator([{} for _ in range(draws)], seeds)
    p, d = post[:, columns], default[:, columns]
    s_post, s_def = scaled_scores(p, observed, scales), scaled_scores(d, observed, scales)
    e_post, e_def = scaled_errors(p, observed, scales), scaled_errors(d, observed, scales)
    worse = [k for k in HEADLINE_TARGETS if s_post[keys.index(k)] > s_def[keys.index(k)] + CLEARLY_WORSE]
    return {
        "posterior": post,
        "default": default,
        "scored": keys,
        "score_posterior": s_post,
        "score_default": s_def,
        "aggregate_posterior": float(s_post.mean()),
        "aggregate_default": float(s_def.mean()),
        "error_posterior": e_post,
        "error_default": e_def,
        "aggregate_error_posterior": float(e_post.mean()),
        "aggregate_error_default": float(e_def.mean()),
        "worse": worse,
    }


def shipped_fit(draws: int, seed: int | None = None) -> dict[str, Any]:
    """:func:`fit_check` of the shipped posterior with the distance scales its provenance records.

    Scores the targets of today's :func:`targets` whose scale the provenance records; a target added since the
    posterior was made (no recorded scale) is left out and named in ``"unscored"``, and a recorded target that
    is no longer one is ignored, until the posterior is regenerated. InputError if the provenance lacks the
    scales or a headline target's scale (recalibrate).
    """
    provenance = json.loads(PROVENANCE_FILE.read_text())
    recorded = provenance.get("distance_scales")
    if not isinstance(recorded, dict) or any(k not in recorded for k in HEADLINE_TARGETS):
        raise InputError(str(PROVENANCE_FILE), "distance_scales must name the headline targets; recalibrate")
    names, points, weights = check_posterior()
    scored = [k for k in target_names() if k in recorded]
    scales = np.array([float(recorded[k]) for k in scored])
    seed = provenance["seed"] if seed is None else seed
    fit = fit_check(names, points, weights, scales, seed, draws, scored=scored)
    return {**fit, "unscored": [k for k in target_names() if k not in recorded]}


# ---------------------------------------------------------------- inference


@dataclasses.dataclass
class Settings:
    """Size of a calibration: Morris trajectories, parameters kept, particles, generations, runs per evaluation.

    ``pilot`` single runs from the prior set the distance's scales (:func:`distance_scales`). ``replicates``
    runs (one batch, seeds drawn from the sampler's stream) are averaged into one set of summary statistics
    per particle: the engine runs a small batch for little more than one run, and the
    mean damps the chance in the statistics that the distance would otherwise mistake for misfit.
    ``max_simulations`` (evaluations over all generations) ends the sampler after the generation that
    reaches it, even before ``generations``: a budget in evaluations, not in seconds, so that the same
    seed still gives the same posterior.
    """

    trajectories: int
    keep: int
    particles: int
    generations: int
    replicates: int = 4
    pilot: int = 512
    max_simulations: int | None = None


QUICK = Settings(trajectories=4, keep=3, particles=60, generations=6, pilot=256)
FULL = Settings(trajectories=20, keep=12, particles=400, generations=10)


# NumPy's global random state (which pyabc draws from) after each generation's particles were sampled, by
# generation, beside pyabc's database: its database does not keep that state.
RANDOM_STATES = "abc_random_states.json"


def _state_to_json(state: tuple) -> list:
    name, keys, position, has_gauss, cached = state
    return [name, [int(k) for k in keys], int(position), int(has_gauss), float(cached)]


def _state_from_json(value: list) -> tuple:
    name, keys, position, has_gauss, cached = value
    return (name, np.array(keys, dtype=np.uint32), position, has_gauss, cached)


def generations_done(folder: Path) -> int:
    """How many ABC-SMC generations the pyabc database in ``folder`` (``abc.db``) holds in full; 0 if none."""
    db = folder / "abc.db"
    if not db.is_file():
        return 0
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
            (last,) = connection.execute("SELECT MAX(t) FROM populations").fetchone()
    except sqlite3.Error:
        return 0
    return 0 if last is None else int(last) + 1


def infer(
    chosen: Sequence[str],
    observed: np.ndarray,
    seed: int,
    settings: Settings,
    folder: Path,
    workers: int = 1,
    scheduler: str | None = None,
    dask_local: int | None = None,
    simulator: Callable[[Sequence[Mapping[str, float]], Sequence[int]], np.ndarray] | None = None,
    progress: Callable[[int], None] | None = None,
    scales: np.ndarray | None = None,
    resume: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """ABC-SMC with pyabc on ``chosen`` parameters (uniform priors over the registry ranges).

    Distance: the L1 norm (pyabc's ``PNormDistance``, p=1) of the differences to ``observed``, each divided
    by its entry of ``scales`` (len(targets),; by default :func:`distance_scales` of a prior predictive
    sample of ``settings.pilot`` runs). The weights are fixed, so the acceptance threshold falls from
    generation to generation on one distance, the same one :func:`fit_check` reports; L1 keeps a target
    that no parameter set reaches from ruling the others through its square. Returns (points (P, k),
    weights (P,), per-generation history). With one worker the sampler is sequential and the same seed
    gives the same posterior; several workers (pyabc's multicore or Dask samplers) are not
    order-deterministic. ``progress(1)`` is called after each evaluation of the sequential sampler.
    ``simulator`` (default :func:`simulate`) maps R parameter sets and R seeds to (R, len(targets)) statistics.

    The generations go into pyabc's database ``folder/abc.db`` as they finish. ``resume``: continue the
    run that database holds (``ABCSMC.load``) from its last whole generation, with the same arguments;
    with one worker the result is the same as that of a run never interrupted: NumPy's global random
    state is kept beside the database (``abc_random_states.json``) after each generation's sampling and
    set back before the next, since the database does not keep it.
    Without ``resume`` (or with a database that holds no whole generation) the run starts afresh.
    NumPy's global random state, which pyabc uses, is restored on return.
    """
    try:
        import pyabc
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise InputError(
            "calibrate", "needs the optional extra: pip install 'alliance-cohesion[calibrate]' (pyabc)"
        ) from error
    outer = np.random.get_state()
    try:
        return _infer(
            pyabc,
            chosen,
            observed,
            seed,
            settings,
            folder,
            workers,
            scheduler,
            dask_local,
            simulator,
            progress,
            scales,
            resume,
        )
    finally:
        np.random.set_state(outer)


def _infer(
    pyabc, chosen, observed, seed, settings, folder, workers, scheduler, dask_local, simulator, progress, scales, resume
):
    import logging

    from sim.util.processes import interrupts_deferred

    for name in ("ABC", "pyabc", "Sampler", "Distance", "Epsilon", "History", "ABC.Sampler", "ABC.History"):
        logging.getLogger(name).setLevel(logging.WARNING)
    simulator = simulator or simulate
    np.random.seed(seed % 2**32)
    names = list(chosen)
    if scales is None:
        scales = distance_scales(prior_predictive(names, seed, settings.pilot, simulator)[1], observed)
    prior = pyabc.Distribution(
        **{
            n: pyabc.RV("uniform", params.PARAMETERS[n].low, params.PARAMETERS[n].high - params.PARAMETERS[n].low)
            for n in names
        }
    )
    keys = target_names()

    def model(parameter: Mapping[str, float]) -> dict[str, float]:
        run_seeds = [int(s) for s in np.random.randint(0, 2**31 - 1, size=settings.replicates)]
        values = simulator([{n: float(parameter[n]) for n in names}] * settings.replicates, run_seeds).mean(axis=0)
        if progress is not None:  # the sequential sampler only: parallel samplers evaluate elsewhere
            progress(1)
        return {k: float(v) for k, v in zip(keys, values, strict=True)}

    states_file = folder / RANDOM_STATES
    states: dict[str, list] = {}  # generation -> NumPy's state after its sampling, before it is stored
    restore: dict[int, tuple] = {}  # generation -> NumPy's state to start it from (on resuming)

    class KeptStateABCSMC(pyabc.ABCSMC):
        """pyabc's ABC-SMC that keeps NumPy's global random state by generation, to resume exactly."""

        def run_generation(self, t: int) -> dict:
            if t in restore:
                np.random.set_state(restore.pop(t))
            history = self.history
            append = history.append_population

            def append_whole(*args: Any, **kwargs: Any) -> Any:
                # The state first, then the generation: a database never holds a generation without its state.
                # Nothing between here and the next generation's sampling draws random numbers.
                states[str(t)] = _state_to_json(np.random.get_state())
                text = json.dumps(states)
                with interrupts_deferred():  # a signal cannot cut either write in half
                    write_atomically(states_file, text.encode("utf-8"))
                    return append(*args, **kwargs)

            history.append_population = append_whole
            try:
                return super().run_generation(t)
            finally:
                del history.append_population

    if scheduler or dask_local:
        from dask.distributed import Client, LocalCluster

        client = Client(scheduler) if scheduler else Client(LocalCluster(n_workers=dask_local, threads_per_worker=1))
        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client)
    elif workers > 1:
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    else:
        sampler = pyabc.sampler.SingleCoreSampler()
    abc = KeptStateABCSMC(
        model,
        prior,
        pyabc.distance.PNormDistance(p=1, fixed_weights={k: 1.0 / float(w) for k, w in zip(keys, scales, strict=True)}),
        population_size=settings.particles,
        sampler=sampler,
    )
    db = folder / "abc.db"
    done = generations_done(folder) if resume else 0
    if done:
        try:
            states.update(json.loads(states_file.read_text()))
            restore[done] = _state_from_json(states[str(done - 1)])
        except (OSError, ValueError, KeyError, TypeError):
            done = 0  # the random state is lost: start again rather than continue on another stream
    if done:
        history = abc.load("sqlite:///" + str(db))
    else:
        db.unlink(missing_ok=True)
        states_file.unlink(missing_ok=True)
        history = abc.new("sqlite:///" + str(db), {k: float(v) for k, v in zip(keys, observed, strict=True)})
    budget = settings.max_simulations
    spent = history.total_nr_simulations if done else 0
    if done < settings.generations and (budget is None or spent < budget):
        limits = {} if budget is None else {"max_total_nr_simulations": budget}
        history = abc.run(max_nr_populations=settings.generations - done, **limits)
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    points = frame[names].to_numpy(dtype=float)
    generations = [
        {"t": int(row.t), "epsilon": float(row.epsilon), "samples": int(row.samples)}
        for row in history.get_all_populations().itertuples()
        if row.t >= 0
    ]
    return points, np.asarray(weights, dtype=float), generations


# The report's intervals are central 90 % (:func:`interval`): from the 5th to the 95th weighted percentile. With
# fewer than two particles in each 5 % tail (2 / 0.05 = 40 particles) an end of the interval rests on one
# particle, and a single particle gives an interval of width 0 that reads as perfect identification.
MIN_PARTICLES = 40


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of ``weights`` (P,): (sum w)^2 / sum w^2, P for equal weights, 1 for one.

    Rounded to 9 significant digits, so that P equal weights give exactly P (not 39.99999999999999 for 40) and
    a comparison with :data:`MIN_PARTICLES` agrees with the number shown (:func:`shown_sample_size`).
    """
    w = np.asarray(weights, dtype=float)
    ess = float(w.sum() ** 2 / np.sum(w**2))
    return float(f"{ess:.9g}")


def shown_sample_size(ess: float) -> str:
    """An effective sample size for reports and warnings: one decimal, rounded down, '.0' dropped.

    Rounded down, so that a size below a threshold is never shown as the threshold itself (39.97 is '39.9',
    not '40'); 40.0 is '40'.
    """
    return f"{math.floor(ess * 10) / 10:.1f}".removesuffix(".0")


def interval(values: np.ndarray, weights: np.ndarray, level: float = 0.9) -> tuple[float, float]:
    """Weighted central ``level`` interval of ``values`` (P,) with ``weights`` (P,)."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order] / weights.sum()
    c = np.cumsum(w)
    lo = v[np.searchsorted(c, (1 - level) / 2)]
    hi = v[min(np.searchsorted(c, 1 - (1 - level) / 2), len(v) - 1)]
    return float(lo), float(hi)
