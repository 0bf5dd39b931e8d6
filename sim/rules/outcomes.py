"""Model-level outcomes (docs/ODD.md section 7.11), computed from the recorded state history."""

from __future__ import annotations

import numpy as np

from sim.compiled import kernels

MODEL_OUTCOMES = (
    "cohesion",
    "cohesion_positions",
    "cohesion_decisions",
    "cohesion_burden",
    "cohesion_credibility",
    "blocs",
    "article5_credibility",
    "us_commitment",
    "us_troops_europe",
    "mean_threat",
    "spending_pct_gdp",
    "allies_at_2pct",
    "allies_at_3_5pct",
    "autonomy",
    "ukraine_support",
    "autonomy_sd",
    "ukraine_support_sd",
    "eu_decisions_passed",
    "eu_decisions_blocked",
    "nato_decisions_passed",
    "nato_decisions_blocked",
    "ukraine_aid_eu",
    "ukraine_aid_coalition",
    "russia_aggression",
    "war_fatigue",
    "burden_grievance",
    "pledge_norm_pct",
    "hybrid_incidents",
    "accommodationist_governments",
)
COUNT_OUTCOMES = (
    "blocs",
    "allies_at_2pct",
    "allies_at_3_5pct",
    "eu_decisions_passed",
    "eu_decisions_blocked",
    "nato_decisions_passed",
    "nato_decisions_blocked",
    "hybrid_incidents",
    "accommodationist_governments",
)
HEADLINE_OUTCOMES = (
    "cohesion",
    "article5_credibility",
    "spending_pct_gdp",
    "ukraine_support",
    "autonomy",
    "blocs",
)


# Version of the outcome definitions: folders whose results were written under other definitions are not
# compared (``cohesion compare``). 2: ``cohesion`` is the composite of its four components.
OUTCOME_DEFINITIONS_VERSION = 2
COHESION_COMPONENTS = ("cohesion_positions", "cohesion_decisions", "cohesion_burden", "cohesion_credibility")

# Outcomes computed from the recorded state history (history_outcomes, and ``cohesion`` from its components
# by ``cohesion_composite``); the rest are recorded as they happen, in the order of MODEL_OUTCOMES.
DERIVED_OUTCOMES = (
    "cohesion_positions",
    "blocs",
    "article5_credibility",
    "mean_threat",
    "spending_pct_gdp",
    "allies_at_2pct",
    "allies_at_3_5pct",
    "autonomy",
    "ukraine_support",
    "autonomy_sd",
    "ukraine_support_sd",
    "accommodationist_governments",
)
COMPOSITE_OUTCOMES = ("cohesion",)
RECORDED_OUTCOMES = tuple(name for name in MODEL_OUTCOMES if name not in DERIVED_OUTCOMES + COMPOSITE_OUTCOMES)


def _masked_mean(values: np.ndarray, mask: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    w = mask.astype(float) if weight is None else mask * weight
    return (values * w).sum(axis=1) / w.sum(axis=1)


def history_outcomes(
    history: dict[str, np.ndarray],
    europe: np.ndarray,
    gdp: np.ndarray,
    bloc_distance: float | np.ndarray,
    elects: np.ndarray,
) -> dict[str, np.ndarray]:
    """Position, trust, threat and spending outcomes for all months at once.

    ``history`` holds (M, N) arrays of the state variables and of
    membership, one row per month (of one run, or of many runs one after the
    other); ``europe`` is the (M, N) mask of the European states each month
    (membership changes with accessions); ``bloc_distance`` is a scalar or one
    value per row. Every reduction runs over a row's states (cohesion and blocs
    in the compiled loops of :mod:`sim.compiled.kernels`), so a row's outcomes do
    not depend on the other rows. Computing these in one vectorised pass after
    the run keeps the monthly step light.
    """
    nato = history["nato_member"] > 0.5
    allies_in_europe = nato & europe
    aut, sup = history["autonomy"], history["ukraine_support"]
    weight = gdp[None, :] * europe
    # Sum over pairs of distinct states of w_i w_j d_ij (d_ii = 0), over the sum of w_i w_j for i != j.
    thresholds = np.broadcast_to(np.asarray(bloc_distance, dtype=float), (len(aut),))
    cohesion, blocs = kernels.pairwise_outcomes(aut, sup, weight, europe, thresholds)
    aut_mean, sup_mean = _masked_mean(aut, europe), _masked_mean(sup, europe)
    spending = history["spending_pct_gdp"]
    return {
        "cohesion_positions": cohesion,
        "blocs": blocs,
        "article5_credibility": _masked_mean(history["us_trust"], allies_in_europe),
        "mean_threat": _masked_mean(history["threat"], europe),
        "spending_pct_gdp": _masked_mean(spending, allies_in_europe, gdp[None, :]),
        "allies_at_2pct": (nato & (spending >= 2.0 - 0.005)).sum(axis=1),
        "allies_at_3_5pct": (nato & (spending >= 3.5 - 0.005)).sum(axis=1),
        "autonomy": aut_mean,
        "ukraine_support": sup_mean,
        "autonomy_sd": np.sqrt(_masked_mean((aut - aut_mean[:, None]) ** 2, europe)),
        "ukraine_support_sd": np.sqrt(_masked_mean((sup - sup_mean[:, None]) ** 2, europe)),
        "accommodationist_governments": (history["government"][:, elects] > 0.5).sum(axis=1),
    }


def cohesion_composite(components: dict[str, np.ndarray]) -> np.ndarray:
    """``cohesion``: the unweighted mean of the four components (each 0-1), arrays of any one shape."""
    return sum(components[name] for name in COHESION_COMPONENTS) / len(COHESION_COMPONENTS)


def cohesion_decisions(passed_window: np.ndarray, blocked_window: np.ndarray) -> np.ndarray:
    """Share of the decisions concluded in the past 12 months that passed (1 when none was concluded), (R,)."""
    total = passed_window + blocked_window
    return np.where(total > 0, passed_window / np.maximum(total, 1), 1.0)


def cohesion_burden(spending: np.ndarray, pledge: np.ndarray, allies: np.ndarray, gdp: np.ndarray) -> np.ndarray:
    """How close the European allies stand to the pledge path and to each other, (R,) from (R, N) and (R, 1).

    Half is one minus the GDP-weighted mean shortfall from the pledge (as a share of the pledge, 0-1 each);
    half is one minus the GDP-weighted SD of spending as a share of the pledge (capped at 1).
    """
    w = allies * gdp
    total = w.sum(axis=1)
    shortfall = np.clip((pledge - spending) / pledge, 0.0, 1.0)
    mean_shortfall = (shortfall * w).sum(axis=1) / total
    mean = (spending * w).sum(axis=1) / total
    sd = np.sqrt((((spending - mean[:, None]) ** 2) * w).sum(axis=1) / total)
    return 0.5 * (1.0 - mean_shortfall) + 0.5 * (1.0 - np.minimum(sd / pledge[:, 0], 1.0))


def cohesion_credibility(trust: np.ndarray, allies: np.ndarray) -> np.ndarray:
    """How far the European allies share a credible guarantee: mean trust less its SD, clipped to 0-1, (R,)."""
    w = allies.astype(float)
    mean = (trust * w).sum(axis=1) / w.sum(axis=1)
    sd = np.sqrt((((trust - mean[:, None]) ** 2) * w).sum(axis=1) / w.sum(axis=1))
    return np.clip(mean - sd, 0.0, 1.0)


def blocs_over_time(distance: np.ndarray, members: np.ndarray, threshold: float) -> np.ndarray:
    """:func:`blocs` for every month at once; ``members`` masks who counts each month."""
    months, n = members.shape
    close = (distance < threshold) & members[:, :, None] & members[:, None, :]
    labels = np.where(members, np.arange(n)[None, :], n)
    while True:
        new = np.min(np.broadcast_to(labels[:, None, :], close.shape), axis=2, where=close, initial=n)
        if np.array_equal(new, labels):
            return ((labels == np.arange(n)[None, :]) & members).sum(axis=1)
        labels = new


def weighted_mean(values: np.ndarray, weight: np.ndarray) -> float:
    return float((values * weight).sum() / weight.sum())


# Each outcome in plain words, for reports and figure captions. An outcome added to MODEL_OUTCOMES gets a
# definition here too (tests/test_api.py checks that every outcome has one).
OUTCOME_DEFINITIONS = {
    "cohesion": "the composite of the four parts below, their mean (0-1): positions, decisions, burden and credibility",
    "cohesion_positions": "how close the European states' positions are to one another (autonomy and support for "
    "Ukraine, GDP-weighted; 1 = all in the same place)",
    "cohesion_decisions": "the share of the EU and NATO decisions concluded in the past 12 months that passed rather "
    "than being blocked for good (0-1; 1 when none concluded)",
    "cohesion_burden": "how close the European allies stand to the pledge path and to one another in defence spending "
    "(0-1)",
    "cohesion_credibility": "how high and how evenly shared the European allies' trust in the US guarantee is (mean "
    "minus spread, 0-1)",
    "ukraine_aid_eu": "the share of the year's planned Ukraine aid package delivered through the EU (0-1)",
    "ukraine_aid_coalition": "the share of the year's planned Ukraine aid package delivered by a coalition of the "
    "willing outside the EU (0-1)",
    "blocs": "how many separate clusters of positions the European states form",
    "article5_credibility": "European allies' mean trust that the US would defend them (0-1)",
    "us_commitment": "the United States' commitment to European security (0-1)",
    "us_troops_europe": "US troops stationed in Europe, thousands",
    "mean_threat": "the mean threat the European states perceive from Russia (0-1)",
    "spending_pct_gdp": "defence spending of the European allies, % of GDP, weighted by GDP",
    "allies_at_2pct": "how many NATO allies spend at least 2 % of GDP on defence",
    "allies_at_3_5pct": "how many NATO allies spend at least 3.5 % of GDP on defence",
    "autonomy": "the European states' mean preference for European strategic autonomy (0-1)",
    "ukraine_support": "the European states' mean support for Ukraine (0-1)",
    "autonomy_sd": "how far the states' preferences for autonomy are spread (standard deviation)",
    "ukraine_support_sd": "how far the states' support for Ukraine is spread (standard deviation)",
    "eu_decisions_passed": "EU decisions passed so far (cumulative count)",
    "eu_decisions_blocked": "EU decisions blocked so far (cumulative count)",
    "nato_decisions_passed": "NATO decisions passed so far (cumulative count)",
    "nato_decisions_blocked": "NATO decisions blocked so far (cumulative count)",
    "russia_aggression": "how aggressive Russia's behaviour is (0-1)",
    "war_fatigue": "European publics' fatigue with the war (0-1)",
    "burden_grievance": "the US grievance over Europe's share of the defence burden (0-1)",
    "pledge_norm_pct": "the spending the states measure themselves against under the pledges, % of GDP",
    "hybrid_incidents": "hybrid incidents (sabotage, cyber, airspace) this month",
    "accommodationist_governments": "how many states are governed by parties that favour accommodating Russia",
}
# Outcomes on a 0-1 scale: their figures use a fixed 0-1 axis, so that two scenarios compare by eye.
ZERO_ONE_OUTCOMES = (
    "cohesion",
    "cohesion_positions",
    "cohesion_decisions",
    "cohesion_burden",
    "cohesion_credibility",
    "ukraine_aid_eu",
    "ukraine_aid_coalition",
    "article5_credibility",
    "us_commitment",
    "mean_threat",
    "autonomy",
    "ukraine_support",
    "russia_aggression",
    "war_fatigue",
    "burden_grievance",
)
