"""The arrays of a batch of R runs: every field of :class:`Batch`, declared with its shape and ODD section.

Shapes use ``R`` runs (rows), ``N`` states, ``T`` months of the horizon, ``S`` slots of standing
rhetorical shocks (grown as events add them) and ``K`` recorded outcomes; ``list[R]`` is a Python
list with one entry per run. Every array has the run axis first, except the static data of the
states, (N,) or (N, N). Parameters: ``p[name]`` is an (R,) array (float64, or object for the
decision-rule choice); ``col(name)`` gives it as an (R, 1) column to broadcast against states.

:func:`sim.engine.setup.build_batch` fills every field (the history of the run when the first
month is stepped, :func:`sim.engine.step.allocate_history`); :func:`declared_fields` lists them.
Scenario events change one row through :class:`sim.engine.hooks.RowHooks`.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Annotated

import numpy as np

from sim.compiled.pcg import Streams
from sim.inputs.states import StateData
from sim.rules import outcomes as metrics

STREAMS = ("incidents", "elections", "votes", "shocks")
STATE_VARIABLES = (
    "threat",
    "us_trust",
    "us_reliance",
    "abandonment_fear",
    "spending_pct_gdp",
    "autonomy",
    "ukraine_support",
    "stubbornness",
    "us_troops_k",
    "trust_words",
    "trust_boots",
)
FLOAT_STATE = (
    "threat",
    "threat_bias",
    "us_trust",
    "trust_bias",
    "us_reliance",
    "abandonment_fear",
    "spending_pct_gdp",
    "spending_base",
    "autonomy",
    "ukraine_support",
    "autonomy_anchor",
    "support_initial",
    "support_anchor",
    "stubbornness",
    "pledge_adherence",
    "linkage",
    "us_troops_k",
    "threat_reference",
    "trust_reference",
    "administration_alignment",
    "trust_words",
    "trust_boots",
)
BOOL_STATE = ("accommodationist", "eu_member", "nato_member")
AGENT_COLUMNS = STATE_VARIABLES + ("government", "eu_member", "nato_member")
COUNTS = ("eu_passed", "eu_blocked", "nato_passed", "nato_blocked")


@dataclasses.dataclass(frozen=True)
class Declared:
    """What a field of :class:`Batch` holds: its shape, its type and the ODD sections that describe it.

    ``shape`` is an array shape in the symbols of the module docstring (``"(R, N)"``), or for other
    values a short description (``"list[R]"``, ``"scalar"``, ``"{month: (R, N) mask}"``); ``dtype`` is the
    numpy dtype of an array, else the Python type name; ``odd`` names sections of ``docs/ODD.md``
    (``"7.4"``, ``"2.2, 5"``); ``unit`` is the unit or range where one applies.
    """

    shape: str
    dtype: str
    odd: str
    unit: str = ""

    @property
    def is_array(self) -> bool:
        """True for a numpy array (its shape is a tuple of symbols and sizes)."""
        return self.shape.startswith("(")


def _f(shape: str, dtype: str, odd: str, unit: str = "") -> Declared:
    return Declared(shape, dtype, odd, unit)


F64, B, I64 = "float64", "bool", "int64"


class Batch:
    """R runs of one horizon, advanced together; every array has the run axis first.

    Built by :func:`sim.engine.setup.build_batch`; advanced by :func:`sim.engine.step.step`.
    Every field is declared below with its shape, type and ODD section (:class:`Declared`);
    ``month`` is the current month index (``12 * year + month - 1``) and ``steps`` the number of
    months done.
    """

    # ---- clock and horizon (ODD 2.3) -------------------------------------------------------------
    n_runs: Annotated[int, _f("scalar", "int", "2.3", "runs R")]
    n_states: Annotated[int, _f("scalar", "int", "2.1", "states N")]
    start_month: Annotated[int, _f("scalar", "int", "2.3", "month index")]
    end_month: Annotated[int, _f("scalar", "int", "2.3", "month index")]
    n_steps: Annotated[int, _f("scalar", "int", "2.3", "months T")]
    month: Annotated[int, _f("scalar", "int", "2.3", "month index")]  # the month being stepped
    steps: Annotated[int, _f("scalar", "int", "2.3", "months done")]
    date: Annotated[str, _f("scalar", "str", "2.3", "YYYY-MM")]
    initial_year: Annotated[int, _f("scalar", "int", "5", "2022 or 2024")]  # the data column the run starts from
    keep_agents: Annotated[bool, _f("scalar", "bool", "4.9")]  # False: keep only the outcome columns
    seeds: Annotated[list, _f("list[R]", "list", "4.7")]  # each run's integer seed

    # ---- inputs: data, parameters and the static attributes of the states (ODD 6, 8, 2.1) ---------
    data: Annotated[StateData, _f("scalar", "StateData", "6")]
    p: Annotated[dict, _f("{name: (R,)}", "dict", "8")]  # every parameter of the registry, one value per run
    population: Annotated[np.ndarray, _f("(N,)", F64, "6, 7.9.3", "millions")]
    borders: Annotated[np.ndarray, _f("(N, N)", F64, "6, 7.4", "0/1 land border")]
    is_usa: Annotated[np.ndarray, _f("(N,)", B, "2.1")]  # the US seat
    is_ukr: Annotated[np.ndarray, _f("(N,)", B, "2.1")]  # Ukraine (a partner that votes nowhere)
    elects: Annotated[np.ndarray, _f("(N,)", B, "2.1, 7.10")]  # states that hold elections
    position_dynamic: Annotated[np.ndarray, _f("(N,)", B, "2.1, 7.8")]  # states whose positions move

    # ---- scenario events (ODD 7.1) ----------------------------------------------------------------
    events: Annotated[list, _f("list[R]", "list", "7.1")]  # each run's events, sorted by month
    event_months: Annotated[list, _f("list[R]", "list", "7.1", "month index")]
    next_event: Annotated[np.ndarray, _f("(R,)", I64, "7.1")]  # index of each run's next event
    next_event_month: Annotated[np.ndarray, _f("(R,)", I64, "7.1", "month index, -1 none")]

    # ---- member states: state variables (ODD 2.2) ----------------------------------------------------
    threat: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.4", "0-1")]
    threat_bias: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 5")]  # keeps a threat override in place
    threat_reference: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.8.1", "0-1")]  # habituates
    us_trust: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.5", "0-1")]
    trust_bias: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 5")]  # keeps a trust override in place
    trust_reference: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 4.4, 7.8.1", "0-1")]  # habituates
    trust_words: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.5", "0-1")]  # the signal's part from US words
    trust_boots: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.5", "0-1")]  # ... from US troops
    administration_alignment: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.5", "0-1")]  # with the US admin.
    us_reliance: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.7", "0-1")]
    abandonment_fear: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.6", "0-1")]
    spending_pct_gdp: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.7", "% of GDP")]
    spending_base: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 5, 7.7", "pp")]  # own motive level
    spending_reference: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.10", "% of GDP")]  # habituates
    spending0: Annotated[np.ndarray, _f("(R, N)", F64, "5", "% of GDP")]  # spending at the start
    autonomy: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.8", "0-1")]
    autonomy_anchor: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.8", "0-1")]
    ukraine_support: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.8", "0-1")]
    support_initial: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.10", "0-1")]  # the own anchor of the data
    support_anchor: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.10", "0-1")]  # moved by the government
    stubbornness: Annotated[np.ndarray, _f("(R, N)", F64, "2.2", "0-1")]
    stubbornness_effective: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.8.2", "0-1")]  # x stubbornness_scale
    pledge_adherence: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.7", "0-1")]
    linkage: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.9.2", "0-1")]
    us_troops_k: Annotated[np.ndarray, _f("(R, N)", F64, "2.2, 7.2", "thousands")]  # hosted
    troops_host0: Annotated[np.ndarray, _f("(R, N)", F64, "7.5", "thousands")]  # hosted at the start
    accommodationist: Annotated[np.ndarray, _f("(R, N)", B, "2.2, 7.10")]  # the government
    russia_aligned: Annotated[np.ndarray, _f("(R, N)", F64, "5, 7.4", "0/1")]  # accommodationist at the start
    eu_member: Annotated[np.ndarray, _f("(R, N)", B, "2.2, 5")]
    nato_member: Annotated[np.ndarray, _f("(R, N)", B, "2.2, 5")]

    # ---- geography, derived from membership and the network parameters (ODD 7.0) --------------------
    proximity: Annotated[np.ndarray, _f("(R, N)", F64, "7.0", "0-1")]
    exposure: Annotated[np.ndarray, _f("(R, N)", F64, "7.0, 7.4", "0-1")]  # proximity, sea, Arctic, history
    sea_coast: Annotated[np.ndarray, _f("(N,)", F64, "6, 7.0", "0/1")]  # Baltic or Black Sea coast
    arctic: Annotated[np.ndarray, _f("(N,)", F64, "6, 7.0", "0/1")]  # Arctic Council member
    affinity: Annotated[np.ndarray, _f("(N,)", F64, "6, 7.4", "0/1")]  # cultural ties to Russia (Orthodox)
    soviet_past: Annotated[np.ndarray, _f("(N,)", F64, "6, 7.0", "0/1")]  # Soviet Union or Warsaw Pact
    nuclear_state: Annotated[np.ndarray, _f("(N,)", F64, "6, 7.5", "0/1")]  # a deterrent of its own
    sharing_host: Annotated[np.ndarray, _f("(N,)", F64, "6, 7.5", "0/1")]  # hosts US nuclear weapons
    issues: Annotated[np.ndarray, _f("(3, N)", B, "6, 7.5")]  # exposures a coercion is about (Arctic, seas)
    grouping_masks: Annotated[np.ndarray, _f("(G, N)", B, "6, 7.5")]  # membership of the small formats
    europe: Annotated[np.ndarray, _f("(R, N)", B, "2.1, 7.0")]  # the set E of the European outcomes
    targetable: Annotated[np.ndarray, _f("(R, N)", B, "2.1, 7.3")]  # can be hit by hybrid incidents
    spending_dynamic: Annotated[np.ndarray, _f("(R, N)", B, "2.1, 7.7")]  # the set S whose budgets move
    influence: Annotated[np.ndarray, _f("(R, N, N)", F64, "7.0")]  # who listens to whom
    influence_norm: Annotated[np.ndarray, _f("(R, N, N)", F64, "7.0, 7.4")]  # rows summing to 1
    peer_weights: Annotated[np.ndarray, _f("(R, N, N)", F64, "7.0, 7.7")]  # the spending peers, rows summing to 1
    incident_weight: Annotated[np.ndarray, _f("(R, N)", F64, "7.3")]  # targeting weight of hybrid incidents
    incident_total: Annotated[np.ndarray, _f("(R, 1)", F64, "7.3")]
    ally_weight: Annotated[np.ndarray, _f("(R, N)", F64, "7.7", "US$ bn")]  # GDP of the European allies, else 0
    ally_weight_total: Annotated[np.ndarray, _f("(R,)", F64, "7.7", "US$ bn")]

    # ---- United States (ODD 7.2) --------------------------------------------------------------------
    us_base: Annotated[np.ndarray, _f("(R,)", F64, "2.2, 7.2", "0-1")]  # commitment_base, the stance
    commitment_now: Annotated[np.ndarray, _f("(R,)", F64, "2.2, 7.2", "0-1")]  # this month's signalled commitment
    shock_size: Annotated[np.ndarray, _f("(R, S)", F64, "7.2")]  # standing rhetorical shocks (doubt > 0)
    shock_decay: Annotated[np.ndarray, _f("(R, S)", F64, "7.2", "months")]
    shock_month: Annotated[np.ndarray, _f("(R, S)", I64, "7.2", "month index")]
    shock_count: Annotated[np.ndarray, _f("(R,)", I64, "7.2")]  # slots in use
    grievance: Annotated[np.ndarray, _f("(R,)", F64, "2.2, 7.2", "0-1")]  # burden grievance
    pressure: Annotated[np.ndarray, _f("(R,)", F64, "2.2, 7.2", "0-1")]  # ceasefire pressure
    pressure_until: Annotated[np.ndarray, _f("(R,)", I64, "7.2", "month index, -1 none")]
    us_troops_total: Annotated[np.ndarray, _f("(R,)", F64, "2.2, 7.2", "thousands")]  # troops in Europe
    troops_total0: Annotated[np.ndarray, _f("(R,)", F64, "7.5", "thousands")]  # at the start
    troop_plans: Annotated[dict, _f("{run: [(last month, (N,) per host, total)]}", "dict", "7.1, 7.2")]
    signal0: Annotated[np.ndarray, _f("(R, N)", F64, "5, 7.4", "0-1")]  # the trust signal at the start
    signal_now: Annotated[np.ndarray, _f("(R, N)", F64, "7.4, 7.5", "0-1")]  # this month's trust signal
    coercion_level: Annotated[np.ndarray, _f("(R,)", F64, "2.1, 7.8.1", "0-1")]  # fades

    # ---- Russia, war fatigue and hybrid incidents (ODD 7.3) -----------------------------------------
    aggression: Annotated[np.ndarray, _f("(R,)", F64, "7.3", "0-1")]
    russia_target: Annotated[np.ndarray, _f("(R,)", F64, "7.3", "0-1")]  # the scenario path
    ceasefire_holds: Annotated[np.ndarray, _f("(R,)", B, "7.3")]
    campaigns: Annotated[dict, _f("{run: [(until month, multiplier, (N,) mask)]}", "dict", "7.1, 7.3")]
    war_fatigue: Annotated[np.ndarray, _f("(R,)", F64, "2.1, 7.3", "0-1")]
    fatigue0: Annotated[np.ndarray, _f("(R,)", F64, "5, 7.3", "0-1")]  # war_fatigue_initial
    fatigue_habituation: Annotated[np.ndarray, _f("(R,)", F64, "7.3")]  # derived from war_fatigue_rate
    incidents: Annotated[np.ndarray, _f("(R, N)", B, "7.3")]  # this month's hybrid incidents
    incidents_now: Annotated[np.ndarray, _f("(R,)", I64, "7.3, 7.11")]  # their number

    # ---- pledge, budgets and reliance (ODD 7.7) -----------------------------------------------------
    pledge_start: Annotated[np.ndarray, _f("(R,)", I64, "2.1, 7.7", "month index")]  # adoption of the pledge
    pledge_end: Annotated[np.ndarray, _f("(R,)", I64, "2.1, 7.7", "month index")]  # its deadline
    pledge_from: Annotated[np.ndarray, _f("(R,)", F64, "2.1, 7.7", "% of GDP")]  # the old level
    pledge_to: Annotated[np.ndarray, _f("(R,)", F64, "2.1, 7.7", "% of GDP")]  # the new level
    pledge_path: Annotated[np.ndarray, _f("(R, T)", F64, "7.7", "% of GDP")]  # the pledge of every month
    pledge_now: Annotated[np.ndarray, _f("(R,)", F64, "7.7", "% of GDP")]  # this month's pledge
    pledge_strength: Annotated[np.ndarray, _f("(R,)", F64, "7.7", "0-1")]  # Wales wording; 1 once raised
    deadline_month: Annotated[np.ndarray, _f("(R,)", I64, "7.7", "month index")]  # the deadline pressed
    industry_in_force: Annotated[np.ndarray, _f("(R,)", B, "7.7, 7.9.1")]  # the defence-industrial measure
    investment: Annotated[np.ndarray, _f("(R,)", F64, "7.7", "% of GDP")]  # sustained European investment

    # ---- institutions and elections (ODD 7.9, 7.10) ------------------------------------------------
    counts: Annotated[np.ndarray, _f("(R, 4)", I64, "7.9.4, 7.11")]  # EU passed, blocked; NATO passed, blocked
    one_offs: Annotated[dict, _f("{month: [(run, item)]}", "dict", "7.9.1")]  # items tabled by events
    retabled: Annotated[dict, _f("{month: [(run, item, (N,) vetoers)]}", "dict", "7.9.4")]
    accession_requests: Annotated[np.ndarray, _f("(R,)", I64, "7.9.1")]  # requests made so far
    aid_eu: Annotated[np.ndarray, _f("(R,)", F64, "7.9.4, 7.11", "0-1")]  # the year's Ukraine package via the EU
    aid_coalition: Annotated[np.ndarray, _f("(R,)", F64, "7.9.4, 7.11", "0-1")]  # ... via the willing
    elections_due: Annotated[dict, _f("{month: (N,) mask}", "dict", "7.10")]  # the election calendar
    logs: Annotated[list, _f("list[R]", "list", "3, 4.9")]  # each run's decision, election and event log

    # ---- random numbers, drawn at set-up except the votes (ODD 4.7) ---------------------------------
    draw_incidents: Annotated[np.ndarray, _f("(R, T, N)", F64, "4.7", "uniform")]
    draw_elections: Annotated[np.ndarray, _f("(R, T, N)", F64, "4.7", "uniform")]
    draw_shocks: Annotated[np.ndarray, _f("(R, T, 2)", F64, "4.7", "standard normal")]  # US, Russia
    votes: Annotated[Streams, _f("scalar", "Streams", "4.7")]  # each run's votes stream, drawn as needed

    # ---- the record of the run, allocated when the first month is stepped (ODD 4.9, 7.11) ----------
    history: Annotated[dict | None, _f("{column: (R, T, N)}", "dict", "4.9, 7.11")]  # agent columns
    europe_history: Annotated[np.ndarray | None, _f("(R, T, N)", B, "4.9, 7.11")]  # the set E each month
    recorded: Annotated[np.ndarray | None, _f("(R, T, K)", F64, "7.11")]  # metrics.RECORDED_OUTCOMES

    def col(self, name: str) -> np.ndarray:
        """Parameter ``name`` as an (R, 1) column."""
        return self.p[name][:, None]


@functools.cache
def declared_fields() -> dict[str, Declared]:
    """Every field of :class:`Batch` with its declaration, in the order declared."""
    hints = typing.get_type_hints(Batch, include_extras=True)
    return {name: hint.__metadata__[0] for name, hint in hints.items() if typing.get_origin(hint) is Annotated}


def recorded_row(batch: Batch) -> tuple[np.ndarray, ...]:
    """The outcomes recorded as they happen, in the order of RECORDED_OUTCOMES, each (R,)."""
    c = batch.counts
    k = batch.steps
    passed, blocked = c[:, 0] + c[:, 2], c[:, 1] + c[:, 3]
    if k >= 12:  # the cumulative counts a year ago (before the first month: none)
        before = batch.recorded[:, k - 12]
        passed = passed - before[:, _EU_PASSED] - before[:, _NATO_PASSED]
        blocked = blocked - before[:, _EU_PASSED + 1] - before[:, _NATO_PASSED + 1]
    allies = batch.nato_member & batch.europe
    return (
        metrics.cohesion_decisions(passed, blocked),
        metrics.cohesion_burden(batch.spending_pct_gdp, batch.pledge_now[:, None], allies, batch.data.gdp_usd_bn),
        metrics.cohesion_credibility(batch.us_trust, allies),
        batch.commitment_now,
        batch.us_troops_total,
        c[:, 0],
        c[:, 1],
        c[:, 2],
        c[:, 3],
        batch.aid_eu,
        batch.aid_coalition,
        batch.aggression,
        batch.war_fatigue,
        batch.grievance,
        batch.pledge_now,
        batch.incidents_now,
    )


assert metrics.RECORDED_OUTCOMES == (
    "cohesion_decisions",
    "cohesion_burden",
    "cohesion_credibility",
    "us_commitment",
    "us_troops_europe",
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
), "recorded_row writes the recorded outcomes in this order"
_EU_PASSED = metrics.RECORDED_OUTCOMES.index("eu_decisions_passed")
_NATO_PASSED = metrics.RECORDED_OUTCOMES.index("nato_decisions_passed")
