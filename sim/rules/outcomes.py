"""The outcome registry and the model-level outcomes (docs/ODD.md section 7.11).

Every outcome has one record here (:class:`Outcome`): what it is (kind, definition, unit, scale), how it is
shown (label, decimals) and where it appears (headline figure, the report's key-outcomes table). Tables, figures,
reports, the dashboard and the docs read these records; the tuples below (``MODEL_OUTCOMES``,
``HEADLINE_OUTCOMES``, ...) are views of them. The functions at the end compute the outcomes from the recorded
state history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from sim.compiled import kernels

Kind = Literal["index", "mean", "share", "count", "spread", "level"]
Scale = Literal["0-1", "count", "% of GDP", "thousands", "SD"]
Source = Literal["recorded", "history", "composite", "state"]


@dataclass(frozen=True)
class Outcome:
    """One outcome of the model (a column of the model table) or one state variable (of the agents table).

    ``kind`` says what sort of number it is: an ``index`` built from several parts, a ``mean`` over states,
    a ``share`` of a whole, a ``count``, a ``spread`` (standard deviation) or a ``level`` of one actor.
    ``scale`` says which values it takes: ``"0-1"`` outcomes get a fixed 0-1 axis in every figure (so that two
    scenarios compare by eye), ``"count"`` outcomes whole-number ticks and integer table columns; the others
    (``"% of GDP"``, ``"thousands"``, ``"SD"``) a free axis. ``label`` is the figure title (it may break over
    lines; :meth:`one_line` joins them), ``definition`` the outcome in plain words for reports and
    the dashboard. ``decimals`` is how many decimals a value is shown with in report tables (a mean over months
    of a count gets one), ``difference_decimals`` how many a difference between two scenarios gets at least.
    ``headline`` is the outcome's panel in the headline figure (1 = first; 0 = not a headline outcome), ``key``
    its row in the report's key-outcomes table (0 = not there). ``source`` says how the value is produced:
    recorded each month as it happens, computed from the state history after the run
    (:func:`history_outcomes`), the composite of its components, or a state variable.
    """

    name: str
    kind: Kind
    scale: Scale
    unit: str
    label: str
    definition: str
    source: Source
    decimals: int = 2
    difference_decimals: int = 3
    headline: int = 0
    key: int = 0

    @property
    def zero_one(self) -> bool:
        """True for outcomes on a 0-1 scale (drawn on a fixed 0-1 axis)."""
        return self.scale == "0-1"

    @property
    def is_count(self) -> bool:
        """True for counts: whole numbers, stored as int64 and drawn with whole-number ticks."""
        return self.scale == "count"

    def one_line(self) -> str:
        """The label on one line, for tables and text."""
        return " ".join(self.label.split())

    def text(self, value: float, averaged: bool = False) -> str:
        """``value`` with the outcome's decimals; ``averaged`` for a mean over months (a count gets one decimal)."""
        decimals = 1 if averaged and self.is_count else self.decimals
        return f"{value:.{decimals}f}"


_INDEX = {"kind": "index", "scale": "0-1", "unit": "0-1"}
_COUNTS = {"kind": "count", "scale": "count", "decimals": 0}

_MODEL = (
    Outcome(
        "cohesion",
        **_INDEX,
        label="Cohesion (mean of positions, decisions,\nburden and credibility, 0-1)",
        definition="the composite of the four parts below, their mean (0-1): positions, decisions, burden and "
        "credibility",
        source="composite",
        headline=1,
        key=1,
    ),
    Outcome(
        "cohesion_positions",
        **_INDEX,
        label="Cohesion of positions (0-1)",
        definition="how close the European states' positions are to one another (autonomy and support for "
        "Ukraine, GDP-weighted; 1 = all in the same place)",
        source="history",
        key=2,
    ),
    Outcome(
        "cohesion_decisions",
        **_INDEX,
        label="Decisions passed, past 12 months (0-1)",
        definition="the share of the EU and NATO decisions concluded in the past 12 months that passed rather "
        "than being blocked for good (0-1; 1 when none concluded)",
        source="recorded",
        key=3,
    ),
    Outcome(
        "cohesion_burden",
        **_INDEX,
        label="Burden sharing: near the pledge\nand each other (0-1)",
        definition="how close the European allies stand to the pledge path and to one another in defence "
        "spending (0-1)",
        source="recorded",
        key=4,
    ),
    Outcome(
        "cohesion_credibility",
        **_INDEX,
        label="Shared credible guarantee\n(trust less its spread, 0-1)",
        definition="how high and how evenly shared the European allies' trust in the US guarantee is (mean "
        "minus spread, 0-1)",
        source="recorded",
        key=5,
    ),
    Outcome(
        "blocs",
        **_COUNTS,
        unit="clusters of states",
        label="Blocs (clusters of positions)",
        definition="how many separate clusters of positions the European states form",
        source="history",
        difference_decimals=2,
        headline=6,
        key=6,
    ),
    Outcome(
        "article5_credibility",
        kind="mean",
        scale="0-1",
        unit="0-1",
        label="Article 5 credibility\n(allies' mean trust in the US, 0-1)",
        definition="European allies' mean trust that the US would defend them (0-1)",
        source="history",
        headline=2,
        key=7,
    ),
    Outcome(
        "us_commitment",
        kind="level",
        scale="0-1",
        unit="0-1",
        label="US commitment (0-1)",
        definition="the United States' commitment to European security (0-1)",
        source="recorded",
        key=8,
    ),
    Outcome(
        "us_troops_europe",
        kind="level",
        scale="thousands",
        unit="thousand troops",
        label="US troops in Europe (thousands)",
        definition="US troops stationed in Europe, thousands",
        source="recorded",
        decimals=0,
        difference_decimals=1,
        key=9,
    ),
    Outcome(
        "mean_threat",
        kind="mean",
        scale="0-1",
        unit="0-1",
        label="Perceived threat (mean, 0-1)",
        definition="the mean threat the European states perceive from Russia (0-1)",
        source="history",
    ),
    Outcome(
        "spending_pct_gdp",
        kind="mean",
        scale="% of GDP",
        unit="% of GDP",
        label="Defence spending, % of GDP\n(European allies, GDP-weighted)",
        definition="defence spending of the European allies, % of GDP, weighted by GDP",
        source="history",
        headline=3,
        key=10,
    ),
    Outcome(
        "allies_at_2pct",
        **_COUNTS,
        unit="allies",
        label="Allies at or above 2 %",
        definition="how many NATO allies spend at least 2 % of GDP on defence",
        source="history",
        key=11,
    ),
    Outcome(
        "allies_at_3_5pct",
        **_COUNTS,
        unit="allies",
        label="Allies at or above 3.5 %",
        definition="how many NATO allies spend at least 3.5 % of GDP on defence",
        source="history",
        key=12,
    ),
    Outcome(
        "autonomy",
        kind="mean",
        scale="0-1",
        unit="0-1",
        label="Preference for European autonomy\n(mean, 0-1)",
        definition="the European states' mean preference for European strategic autonomy (0-1)",
        source="history",
        headline=5,
        key=14,
    ),
    Outcome(
        "ukraine_support",
        kind="mean",
        scale="0-1",
        unit="0-1",
        label="Support for Ukraine (mean, 0-1)",
        definition="the European states' mean support for Ukraine (0-1)",
        source="history",
        headline=4,
        key=13,
    ),
    Outcome(
        "autonomy_sd",
        kind="spread",
        scale="SD",
        unit="SD of a 0-1 position",
        label="Spread of preferences for autonomy (SD)",
        definition="how far the states' preferences for autonomy are spread (standard deviation)",
        source="history",
    ),
    Outcome(
        "ukraine_support_sd",
        kind="spread",
        scale="SD",
        unit="SD of a 0-1 position",
        label="Spread of support for Ukraine (SD)",
        definition="how far the states' support for Ukraine is spread (standard deviation)",
        source="history",
    ),
    Outcome(
        "eu_decisions_passed",
        **_COUNTS,
        unit="decisions",
        label="EU decisions passed (cumulative)",
        definition="EU decisions passed so far (cumulative count)",
        source="recorded",
    ),
    Outcome(
        "eu_decisions_blocked",
        **_COUNTS,
        unit="decisions",
        label="EU decisions blocked (cumulative)",
        definition="EU decisions blocked so far (cumulative count)",
        source="recorded",
        key=15,
    ),
    Outcome(
        "nato_decisions_passed",
        **_COUNTS,
        unit="decisions",
        label="NATO decisions passed (cumulative)",
        definition="NATO decisions passed so far (cumulative count)",
        source="recorded",
    ),
    Outcome(
        "nato_decisions_blocked",
        **_COUNTS,
        unit="decisions",
        label="NATO decisions blocked (cumulative)",
        definition="NATO decisions blocked so far (cumulative count)",
        source="recorded",
        key=16,
    ),
    Outcome(
        "ukraine_aid_eu",
        kind="share",
        scale="0-1",
        unit="share of the year's package",
        label="Ukraine package delivered\nthrough the EU (share)",
        definition="the share of the year's planned Ukraine aid package delivered through the EU (0-1)",
        source="recorded",
        key=17,
    ),
    Outcome(
        "ukraine_aid_coalition",
        kind="share",
        scale="0-1",
        unit="share of the year's package",
        label="Ukraine package delivered\nby the willing (share)",
        definition="the share of the year's planned Ukraine aid package delivered by a coalition of the "
        "willing outside the EU (0-1)",
        source="recorded",
        key=18,
    ),
    Outcome(
        "russia_aggression",
        kind="level",
        scale="0-1",
        unit="0-1",
        label="Russian aggression (0-1)",
        definition="how aggressive Russia's behaviour is (0-1)",
        source="recorded",
    ),
    Outcome(
        "war_fatigue",
        kind="level",
        scale="0-1",
        unit="0-1",
        label="War fatigue (0-1)",
        definition="European publics' fatigue with the war (0-1)",
        source="recorded",
    ),
    Outcome(
        "burden_grievance",
        kind="level",
        scale="0-1",
        unit="0-1",
        label="US grievance over burden sharing (0-1)",
        definition="the US grievance over Europe's share of the defence burden (0-1)",
        source="recorded",
    ),
    Outcome(
        "pledge_norm_pct",
        kind="level",
        scale="% of GDP",
        unit="% of GDP",
        label="Pledge path (% of GDP)",
        definition="the spending the states measure themselves against under the pledges, % of GDP",
        source="recorded",
    ),
    Outcome(
        "hybrid_incidents",
        **_COUNTS,
        unit="incidents a month",
        label="Hybrid incidents (this month)",
        definition="hybrid incidents (sabotage, cyber, airspace) this month",
        source="recorded",
    ),
    Outcome(
        "accommodationist_governments",
        **_COUNTS,
        unit="states",
        label="Accommodationist governments",
        definition="how many states are governed by parties that favour accommodating Russia",
        source="history",
    ),
)
_STATE = (
    Outcome(
        "threat",
        kind="level",
        scale="0-1",
        unit="0-1",
        label="Perceived threat (0-1)",
        definition="the threat a state perceives from Russia (0-1)",
        source="state",
    ),
    Outcome(
        "us_trust",
        kind="level",
        scale="0-1",
        unit="0-1",
        label="Trust in the US (0-1)",
        definition="a state's trust that the US would defend it (0-1)",
        source="state",
    ),
    Outcome(
        "spending_pct_gdp",
        kind="level",
        scale="% of GDP",
        unit="% of GDP",
        label="Defence spending (% of GDP)",
        definition="a state's defence spending, % of its GDP",
        source="state",
    ),
    Outcome(
        "autonomy",
        kind="level",
        scale="0-1",
        unit="0-1",
        label="Preference for European autonomy (0-1)",
        definition="a state's preference for European strategic autonomy (0-1)",
        source="state",
    ),
    Outcome(
        "ukraine_support",
        kind="level",
        scale="0-1",
        unit="0-1",
        label="Support for Ukraine (0-1)",
        definition="a state's support for Ukraine (0-1)",
        source="state",
    ),
    Outcome(
        "us_troops_k",
        kind="level",
        scale="thousands",
        unit="thousand troops",
        label="US troops stationed (thousands)",
        definition="US troops stationed in a state, thousands",
        source="state",
        decimals=0,
    ),
)

# The registry. OUTCOMES: every model outcome, in the order of the model table's columns (an outcome the
# engine writes has a record here, and every record is written: tests/test_metrics.py checks both).
# STATE_OUTCOMES: the state variables (columns of the agents table) drawn state by state, in figure order.
OUTCOMES: dict[str, Outcome] = {o.name: o for o in _MODEL}
STATE_OUTCOMES: dict[str, Outcome] = {o.name: o for o in _STATE}


def outcome(name: str) -> Outcome:
    """The record of model outcome ``name``; raises KeyError (naming the outcome) for a name not in the registry."""
    try:
        return OUTCOMES[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a model outcome") from None


def label(name: str, one_line: bool = True) -> str:
    """The label of model outcome ``name`` (on one line unless ``one_line`` is False); other names with spaces."""
    record = OUTCOMES.get(name)
    if record is None:
        return name.replace("_", " ")
    return record.one_line() if one_line else record.label


def zero_one(name: str) -> bool:
    """True if model outcome ``name`` is on a 0-1 scale (False for names not in the registry)."""
    record = OUTCOMES.get(name)
    return record is not None and record.zero_one


def is_count(name: str) -> bool:
    """True if model outcome ``name`` is a count (False for names not in the registry)."""
    record = OUTCOMES.get(name)
    return record is not None and record.is_count


def _ranked(field: str) -> tuple[str, ...]:
    chosen = sorted((getattr(o, field), o.name) for o in _MODEL if getattr(o, field))
    return tuple(name for _, name in chosen)


# Views of the registry, by name (tuples in table order unless said).
MODEL_OUTCOMES = tuple(OUTCOMES)
COUNT_OUTCOMES = tuple(o.name for o in _MODEL if o.is_count)
ZERO_ONE_OUTCOMES = tuple(o.name for o in _MODEL if o.zero_one)
HEADLINE_OUTCOMES = _ranked("headline")  # in the order of the headline figure's panels
KEY_OUTCOMES = _ranked("key")  # in the order of the report's key-outcomes table
OUTCOME_DEFINITIONS = {o.name: o.definition for o in _MODEL}

# Version of the outcome definitions: folders whose results were written under other definitions are not
# compared (``cohesion compare``). 2: ``cohesion`` is the composite of its four components.
OUTCOME_DEFINITIONS_VERSION = 2
COHESION_COMPONENTS = ("cohesion_positions", "cohesion_decisions", "cohesion_burden", "cohesion_credibility")

# How each outcome is produced: computed from the recorded state history (history_outcomes), the composite
# ``cohesion`` from its components (cohesion_composite), the rest recorded as they happen, in table order.
DERIVED_OUTCOMES = tuple(o.name for o in _MODEL if o.source == "history")
COMPOSITE_OUTCOMES = tuple(o.name for o in _MODEL if o.source == "composite")
RECORDED_OUTCOMES = tuple(o.name for o in _MODEL if o.source == "recorded")


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
