"""Set-up of a batch: checked run specifications, initial state and the fixed points of the start.

Every run keeps its own random streams, spawned from its seed exactly as a
single run spawns them, so its numbers never depend on the batch it is in.
Runs that share their parameters and state overrides share one computation
of the set-up (network, fixed points); each run's set-up is computed by the
same per-row code whatever the batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from sim.compiled.pcg import Streams
from sim.engine import derived
from sim.engine.state import BOOL_STATE, FLOAT_STATE, STREAMS, Batch
from sim.inputs import parameters as params
from sim.inputs import polls
from sim.inputs.states import INITIAL_YEARS, check_iso3, iso3_codes, load_states
from sim.rules import dynamics
from sim.rules.events import Event, make_event
from sim.util.calendar import format_month, parse_month, year_of
from sim.util.errors import InputError, nearest, shown

STATE_OVERRIDES = (
    "threat",
    "us_trust",
    "us_reliance",
    "spending_pct_gdp",
    "autonomy",
    "ukraine_support",
    "stubbornness",
    "pledge_adherence",
    "linkage",
    "government",
    "us_troops_k",
    "administration_alignment",
)


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """What makes one run: its seed, horizon, start year, events, state and parameter overrides.

    Runs in one batch must share ``start``, ``end`` and ``initial_year``; the
    rest may differ from run to run (sweep points).
    """

    seed: int | None = None
    start: str = "2025-01"
    end: str = "2035-12"
    initial_year: int | None = None
    events: Sequence[Event | Mapping[str, Any]] = ()
    states: Mapping[str, Mapping[str, Any]] | None = None
    parameters: Mapping[str, Any] | None = None


def spawn_streams(seed: int) -> list[np.random.SeedSequence]:
    """The seed sequences of one run: one per stream of :data:`STREAMS`, then Mesa's own generator."""
    return np.random.SeedSequence(seed).spawn(len(STREAMS) + 1)


def horizon(start: str, end: str, initial_year: int | None) -> tuple[int, int, int]:
    """(start month, end month, initial data year); InputError for a bad horizon or year."""
    start_month = parse_month(start, "start")
    end_month = parse_month(end, "end")
    if end_month < start_month:
        raise InputError("end", f"{end} is before start {start}; end must be on or after start")
    if initial_year is None:
        initial_year = 2022 if year_of(start_month) < 2024 else 2024
    if initial_year not in INITIAL_YEARS:
        raise InputError("initial_year", f"{initial_year} is not allowed; use 2022 or 2024")
    return start_month, end_month, initial_year


def checked_events(events: Iterable[Event | Mapping[str, Any]], start_month: int, end_month: int) -> list[Event]:
    """Events as ``Event`` objects sorted by month (stable); InputError naming ``events[k]`` otherwise."""
    checked = []
    for k, event in enumerate(events):
        field = f"events[{k}]"
        if not isinstance(event, Event):
            event = make_event(dict(event), field)
        if not start_month <= event.month <= end_month:
            raise InputError(
                f"{field}.date",
                f"{event.date} is outside the run {format_month(start_month)} to {format_month(end_month)}",
            )
        checked.append(event)
    return sorted(checked, key=lambda e: e.month)


def build_batch(specs: Sequence[RunSpec], keep_agents: bool = True) -> Batch:
    """A batch of ``len(specs)`` runs, set up and ready to step; InputError for bad input of any run.

    ``keep_agents=False`` keeps only the history the model outcomes need (no agent rows can be asked for).
    """
    if not specs:
        raise ValueError("a batch needs at least one run")
    first = specs[0]
    start_month, end_month, initial_year = horizon(first.start, first.end, first.initial_year)
    for spec in specs[1:]:
        if horizon(spec.start, spec.end, spec.initial_year) != (start_month, end_month, initial_year):
            raise ValueError("runs in one batch must share start, end and initial_year")
    b = Batch()
    b.data = d = load_states()
    b.n_runs, b.n_states = r_count, n = len(specs), d.n
    b.start_month, b.end_month = start_month, end_month
    b.n_steps = end_month - start_month + 1
    b.month, b.steps = start_month, 0
    b.date = format_month(start_month)
    b.initial_year = initial_year
    b.keep_agents = keep_agents
    b.seeds = [int(np.random.SeedSequence(s.seed).entropy) if s.seed is None else s.seed for s in specs]

    resolved = [params.resolve(s.parameters or {}) for s in specs]
    b.p = {}
    for name, spec in params.PARAMETERS.items():
        values = [r[name] for r in resolved]
        b.p[name] = np.array(values, dtype=object) if spec.is_categorical else np.array(values, dtype=np.float64)
    b.events = [checked_events(s.events, start_month, end_month) for s in specs]
    b.next_event = np.zeros(r_count, dtype=np.int64)
    b.event_months = [[event.month for event in events] for events in b.events]
    b.next_event_month = np.array([months[0] if months else -1 for months in b.event_months], dtype=np.int64)

    b.is_usa = np.array([c == "USA" for c in d.iso3])
    b.is_ukr = np.array([c == "UKR" for c in d.iso3])
    b.elects = (d.election_term_months > 0) & ~b.is_usa
    b.position_dynamic = ~b.is_usa
    b.population = d.population_m
    b.borders = d.border_matrix.astype(float)
    facts = polls.exposure_facts()
    b.sea_coast = (facts["baltic_sea_coast"] | facts["black_sea_coast"]).astype(float)
    b.arctic = facts["arctic_council_member"].astype(float)
    b.soviet_past = facts["soviet_bloc_past"].astype(float)
    b.affinity = facts["orthodox_majority"].astype(float)
    b.nuclear_state = facts["nuclear_weapon_state"].astype(float)
    b.sharing_host = facts["nuclear_sharing_host"].astype(float)
    b.issues = np.array([facts["arctic_council_member"], facts["baltic_sea_coast"], facts["black_sea_coast"]])
    b.grouping_masks = np.array(list(d.groupings.values()))
    _init_state(b, year_of(start_month), initial_year)
    threat_override, trust_override = _apply_state_overrides(b, [s.states or {} for s in specs])
    # Governments of the data year that sought accommodation with Moscow shaped how their publics see Russia
    # (ODD 7.4); later elections do not move it (it would feed back through the election odds).
    b.russia_aligned = b.accommodationist.astype(float)

    b.proximity = np.zeros((r_count, n))
    b.exposure = np.zeros((r_count, n))
    b.europe = np.zeros((r_count, n), dtype=bool)
    b.targetable = np.zeros((r_count, n), dtype=bool)
    b.spending_dynamic = np.zeros((r_count, n), dtype=bool)
    b.influence = np.zeros((r_count, n, n))
    b.influence_norm = np.zeros((r_count, n, n))
    b.peer_weights = np.zeros((r_count, n, n))
    b.incident_weight = np.zeros((r_count, n))
    b.incident_total = np.zeros((r_count, 1))
    b.ally_weight = np.zeros((r_count, n))
    b.ally_weight_total = np.zeros(r_count)
    derived.derive_geography(b)

    # Per-run scalars of the United States, Russia and the alliance.
    b.us_base = b.p["us_commitment_initial"].copy()
    b.us_troops_total = b.p["us_troops_europe_initial_k"].copy()
    b.grievance = np.zeros(r_count)
    b.pressure = np.zeros(r_count)
    b.pressure_until = np.full(r_count, -1, dtype=np.int64)
    b.shock_size = np.zeros((r_count, 0))
    b.shock_decay = np.ones((r_count, 0))
    b.shock_month = np.zeros((r_count, 0), dtype=np.int64)
    b.shock_count = np.zeros(r_count, dtype=np.int64)
    b.troop_plans = {}
    b.aggression = b.p["russia_aggression_initial"].copy()
    b.russia_target = b.aggression.copy()
    b.ceasefire_holds = np.zeros(r_count, dtype=bool)
    b.campaigns = {}
    # War fatigue starts at its 2025 level, which is also its steady level at the starting aggression.
    b.fatigue0 = b.p["war_fatigue_initial"].copy()
    b.war_fatigue = b.fatigue0.copy()
    b.fatigue_habituation = dynamics.fatigue_habituation(b.fatigue0, b.p["war_fatigue_rate"], b.aggression)
    b.deadline_month = 12 * b.p["wales_deadline_year"].astype(np.int64) + 11
    b.industry_in_force = np.zeros(r_count, dtype=bool)
    b.pledge_strength = b.p["wales_commitment_share"].copy()  # the soft Wales wording; 1 once a pledge is raised
    b.coercion_level = np.zeros(r_count)
    level = b.p["pledge_core_pct"].copy()
    b.pledge_start = np.full(r_count, start_month, dtype=np.int64)
    b.pledge_end = np.full(r_count, start_month, dtype=np.int64)
    b.pledge_from, b.pledge_to = level, level.copy()
    b.pledge_path = np.empty((r_count, b.n_steps))
    derived.fill_pledge_path(b)
    b.counts = np.zeros((r_count, 4), dtype=np.int64)
    b.incidents = np.zeros((r_count, n), dtype=bool)
    b.incidents_now = np.zeros(r_count, dtype=np.int64)
    b.one_offs, b.retabled = {}, {}
    b.accession_requests = np.zeros(r_count, dtype=np.int64)
    # The year's Ukraine package under way at the start (the Ukraine Facility 2024-2027) goes through the EU.
    b.aid_eu, b.aid_coalition = np.ones(r_count), np.zeros(r_count)
    b.logs = [[] for _ in range(r_count)]
    b.commitment_now, b.pledge_now = derived.commitment(b), derived.pledge_norm(b)  # this month's, set once a month
    _settle(b, threat_override, trust_override)

    # Election calendar: every term_i months before and after next_election_i (approximate dates).
    term = np.maximum(d.election_term_months, 1)
    b.elections_due = {}
    for month in range(start_month, end_month + 1):
        due = b.elects & ((month - d.next_election) % term == 0)
        if due.any():
            b.elections_due[month] = due
    _draw_streams(b)
    # The record of the run: allocated when the first month is stepped (sim.engine.step.allocate_history).
    b.history = b.europe_history = b.recorded = None
    return b


def _draw_streams(b: Batch) -> None:
    """Each run's random numbers for the whole horizon, as month-by-month draws would give them.

    Incidents and elections: one uniform per state a month; shocks: two normals a month.
    Drawing (T, N) at once equals T draws of N. Votes: 3 x 12 rows of N uniforms a
    month, drawn only in months with a decision; the other months are skipped with
    ``advance`` (one 64-bit output per double), so what is drawn is unchanged.
    """
    t, n = b.n_steps, b.n_states
    b.draw_incidents = np.empty((b.n_runs, t, n))
    b.draw_elections = np.empty((b.n_runs, t, n))
    b.draw_shocks = np.empty((b.n_runs, t, 2))
    votes = []
    for r, seed in enumerate(b.seeds):
        sequences = spawn_streams(seed)
        generators = {name: np.random.default_rng(s) for name, s in zip(STREAMS, sequences, strict=False)}
        b.draw_incidents[r] = generators["incidents"].random((t, n))
        b.draw_elections[r] = generators["elections"].random((t, n))
        b.draw_shocks[r] = generators["shocks"].standard_normal((t, 2))
        votes.append(generators["votes"])
    b.votes = Streams(votes)  # drawn a few rows at a time for all runs at once (sim.compiled.pcg)


def _init_state(b: Batch, start_year: int, year: int) -> None:
    d, r = b.data, b.n_runs
    # Members at the start joined in an earlier year; one that joins during the start year enters
    # through an accession event, as in the hindcast.
    eu = d.eu_member & ~(d.eu_accession_year >= start_year)
    nato = d.nato_member & ~(d.nato_accession_year >= start_year)
    initial = {
        "us_reliance": d.us_reliance,
        "spending_pct_gdp": d.spending[year],
        "autonomy": d.autonomy,
        "ukraine_support": d.ukraine_support,
        "autonomy_anchor": d.autonomy,
        "support_initial": d.ukraine_support,
        "support_anchor": d.ukraine_support,
        "stubbornness": d.stubbornness,
        "pledge_adherence": d.pledge_adherence,
        "linkage": d.linkage,
        "us_troops_k": d.us_troops_k,
        "accommodationist": d.accommodationist[year],
        "administration_alignment": d.administration_alignment[year],
        "eu_member": eu,
        "nato_member": nato,
    }
    for name in FLOAT_STATE:
        values = initial.get(name)
        setattr(b, name, np.zeros((r, d.n)) if values is None else np.tile(np.asarray(values, dtype=float), (r, 1)))
    for name in BOOL_STATE:
        setattr(b, name, np.tile(np.asarray(initial[name], dtype=bool), (r, 1)))


def state_override_entries(data: Any, mapping: Mapping[str, Mapping[str, Any]]) -> list[tuple[int, str, Any]]:
    """Checked per-state overrides as (state index, variable, value); InputError naming ``states.ISO3.variable``."""
    entries = []
    for code, values in mapping.items():
        i = data.index(check_iso3(code, "states"))
        if not isinstance(values, Mapping):
            raise InputError(f"states.{code}", "give a mapping of variable: value")
        for name, value in values.items():
            field = f"states.{code}.{name}"
            if name not in STATE_OVERRIDES:
                raise InputError(
                    field,
                    f"cannot be set per state{nearest(name, STATE_OVERRIDES)}; use one of {', '.join(STATE_OVERRIDES)}",
                )
            if name == "administration_alignment" and data.iso3[i] == "USA":
                raise InputError(
                    field,
                    "the USA's own is not read (it is the others' closeness to its administration); "
                    "set it for the other states",
                )
            if name == "government":
                if value not in ("mainstream", "accommodationist"):
                    raise InputError(field, f"{shown(value)} is not allowed; use mainstream or accommodationist")
            else:
                high = 100.0 if name in ("spending_pct_gdp", "us_troops_k") else 1.0
                if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= high:
                    raise InputError(field, f"{shown(value)} is not allowed; use a number from 0 to {high:g}")
            entries.append((i, name, value))
    return entries


def check_spec(spec: RunSpec) -> None:
    """Every check that setting up ``spec`` makes, without setting it up; InputError naming the field."""
    start_month, end_month, _ = horizon(spec.start, spec.end, spec.initial_year)
    params.resolve(spec.parameters or {})
    checked_events(spec.events, start_month, end_month)
    state_override_entries(load_states(), spec.states or {})


def _apply_state_overrides(
    b: Batch, overrides: list[Mapping[str, Mapping[str, Any]]]
) -> tuple[list[dict[int, float]], list[dict[int, float]]]:
    """Per-state overrides of each run; InputError naming ``states.ISO3.variable`` otherwise."""
    threat_override: list[dict[int, float]] = []
    trust_override: list[dict[int, float]] = []
    checked: dict[int, list[tuple[int, str, Any]]] = {}
    for r, mapping in enumerate(overrides):
        threat_override.append({})
        trust_override.append({})
        # Runs of one scenario share their overrides mapping: check it once.
        entries = checked.get(id(mapping))
        if entries is None:
            entries = checked[id(mapping)] = state_override_entries(b.data, mapping)
        for i, name, value in entries:
            if name == "government":
                b.accommodationist[r, i] = value == "accommodationist"
            elif name == "threat":
                threat_override[r][i] = float(value)
            elif name == "us_trust":
                trust_override[r][i] = float(value)
            else:
                getattr(b, name)[r, i] = float(value)
            if name == "autonomy":
                b.autonomy_anchor[r, i] = value
            if name == "ukraine_support":
                b.support_initial[r, i] = b.support_anchor[r, i] = value
    b.support_anchor = dynamics.government_support_anchor(
        b.support_initial,
        b.accommodationist,
        b.col("accommodationist_support_anchor"),
        b.col("mainstream_support_floor"),
    )
    return threat_override, trust_override


def _settle(b: Batch, threat_override: list[dict[int, float]], trust_override: list[dict[int, float]]) -> None:
    """Start at rest: threat, trust, positions and spending motives at their equilibrium for the start."""
    b.stubbornness_effective = np.clip(b.stubbornness * b.col("stubbornness_scale"), 0.0, 1.0)
    b.troops_host0 = b.us_troops_k.copy()
    b.troops_total0 = b.us_troops_total.copy()
    b.spending0 = b.spending_pct_gdp.copy()
    b.spending_reference = b.spending_pct_gdp.copy()  # the level of spending voters are used to (section 7.10)
    expected = dynamics.incident_probabilities(
        b.col("hybrid_incident_rate"),
        b.proximity,
        b.col("incident_proximity_exponent"),
        np.ones((b.n_runs, b.n_states)),
        b.targetable,
    )
    target = derived.threat_target(b)
    names = (
        "threat_rate",
        "incident_threat_jump",
        "incident_neighbour_share",
        "threat_social_weight",
        "confidence_bound",
    )
    trust_poll, threat_poll = initial_polls(b.initial_year)
    cache: dict[bytes, int] = {}
    for r in range(b.n_runs):
        # Runs with the same inputs share the fixed points (sweep replications, `cohesion run`).
        key = b"".join(
            a.tobytes()
            for a in (
                target[r],
                expected[r],
                b.influence[r],
                b.europe[r],
                b.autonomy[r],
                b.ukraine_support[r],
                b.autonomy_anchor[r],
                b.support_anchor[r],
                b.stubbornness_effective[r],
                np.array([b.p[name][r] for name in names]),
            )
        )
        first = cache.setdefault(key, r)
        if first != r:
            for name in ("threat", "threat_bias", "autonomy", "ukraine_support"):
                getattr(b, name)[r] = getattr(b, name)[first]
            continue
        rate, social = b.p["threat_rate"][r], b.p["threat_social_weight"][r]
        settled = dynamics.threat_fixed_point(
            target[r],
            rate,
            expected[r],
            b.borders,
            b.p["incident_threat_jump"][r],
            b.p["incident_neighbour_share"][r],
            b.influence_norm[r],
            social,
        )
        # The poll's cross-section where the initial wave has the state (section 5): its order and relative
        # distances on the model's own scale; a bias on the target keeps the start at rest.
        polled = b.europe[r] & ~np.isnan(threat_poll)
        b.threat[r] = dynamics.poll_levels(settled, np.nan_to_num(threat_poll), polled)
        b.threat_bias[r] = dynamics.threat_bias(b.threat[r] - settled, rate, b.influence_norm[r], social)
        # Positions: the steady state of social influence around each state's own line
        # (dynamics.friedkin_johnsen_fixed_point), for the states whose positions move.
        bound = b.p["confidence_bound"][r]
        for name, anchor in (("autonomy", b.autonomy_anchor[r]), ("ukraine_support", b.support_anchor[r])):
            current = getattr(b, name)[r]
            settled = dynamics.friedkin_johnsen_fixed_point(
                current, anchor, b.stubbornness_effective[r], b.influence[r], bound
            )
            getattr(b, name)[r] = np.where(b.position_dynamic, settled, current)
    for r, overrides in enumerate(threat_override):
        if overrides:
            gap = np.zeros(b.n_states)
            for i, value in overrides.items():
                gap[i] = value - b.threat[r, i]
            b.threat[r] = b.threat[r] + gap
            b.threat_bias[r] = b.threat_bias[r] + dynamics.threat_bias(
                gap, b.p["threat_rate"][r], b.influence_norm[r], b.p["threat_social_weight"][r]
            )
    signal = derived.trust_signal(b)
    b.signal0 = b.signal_now = signal.copy()  # the deterrence gap is measured from the start's signal
    # US trust (section 5): the allies' mean level in the polls (us_trust_initial), moved by each state's
    # distance from the poll's mean on the log-odds scale (a state without a poll: the distance its Atlanticism
    # predicts); the bias keeps the start at rest, so the weights of words and boots shape how trust moves,
    # not where it starts.
    polled = b.europe & ~np.isnan(trust_poll)
    odds = dynamics.log_odds(np.nan_to_num(trust_poll, nan=0.5))
    for r in range(b.n_runs):
        deviation = dynamics.poll_deviation(odds, polled[r], 1.0 - b.autonomy_anchor[r], b.europe[r])
        level = dynamics.log_odds(b.p["us_trust_initial"][r])
        start = dynamics.from_log_odds(level + b.p["trust_poll_weight"][r] * deviation)
        b.us_trust[r] = np.where(b.europe[r], start, signal[r])
    b.trust_bias = b.us_trust - signal
    for r, overrides in enumerate(trust_override):
        for i, value in overrides.items():
            b.trust_bias[r, i] = value - signal[r, i]
            b.us_trust[r, i] = value
    b.us_trust[:, b.is_usa] = 1.0
    b.abandonment_fear = dynamics.abandonment_fear(b.us_reliance, b.us_trust, b.threat)
    b.threat_reference, b.trust_reference = b.threat.copy(), b.us_trust.copy()
    gap = (b.pledge_now - derived.european_spending(b)) / b.p["burden_gap_scale_pp"]
    b.grievance = np.minimum(np.maximum(gap, 0.0), 1.0)
    # Each state's own motive level, set so that its motives (threat, fear, free ride, peers) alone would
    # keep actual spending at the start; the pledge then lifts adherent states toward its line, so the old
    # gap to the pledge is explained (motive below the line, partial adherence), not kept as a constant.
    b.spending_base = b.spending_pct_gdp - derived.desired_spending(b, np.zeros((b.n_runs, b.n_states)))
    b.investment = derived.european_spending(b)  # sustained European investment (a moving average), % of GDP


def initial_polls(initial_year: int) -> tuple[np.ndarray, np.ndarray]:
    """(N,) twice, shares 0-1 (nan where a state has no poll): the trust and threat polls a run starts from.

    Trust: the wave :data:`sim.inputs.polls.TRUST_INITIAL_WAVE` for both data years, a European ally missing
    from it filled from an earlier wave of the same question (:func:`sim.inputs.polls.filled_wave`). Threat: the wave
    :data:`sim.inputs.polls.THREAT_INITIAL_WAVE` for runs from 2024 data, and for runs from 2022 data the wave of
    before the invasion where there is one (``THREAT_PRE2022_WAVE``), else none: a later poll does not set an
    earlier start.
    """
    nothing = np.full(len(iso3_codes()), np.nan)
    allies = polls.european_allies()
    wave = polls.TRUST_INITIAL_WAVE
    trust = polls.filled_wave(wave, polls.TRUST_EARLIER_WAVES, allies) if wave else nothing
    wave = polls.THREAT_INITIAL_WAVE if initial_year >= 2024 else polls.THREAT_PRE2022_WAVE
    threat = polls.wave_values(wave) if wave else nothing
    return trust, threat


def run_batch(specs: Sequence[RunSpec], keep_agents: bool = True) -> Batch:
    """Build a batch of ``specs`` and step every run to the end of the horizon (see :func:`build_batch`)."""
    from sim.engine.step import run

    return run(build_batch(specs, keep_agents))
