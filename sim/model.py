"""AllianceModel: wiring and the order of processes (ODD section 3).

One step is one month. ``step`` reads as the process overview: each line is
one process, in order, and each process moves all states at once with the
pure rules of :mod:`sim.dynamics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd
from scipy.special import ndtri

from sim import dynamics, metrics, network, params
from sim.agents import STATE_VARIABLES, MemberState, Russia, UnitedStates
from sim.calendar import format_month, parse_month, year_of
from sim.errors import InputError, nearest, shown
from sim.events import Event, NoChange, make_event
from sim.inputs import INITIAL_YEARS, StateData, check_iso3, load_states
from sim.institutions import ITEM_KINDS, NO, RULES, YES, Agenda, AgendaItem, vote

STREAMS = ("incidents", "elections", "votes", "shocks")
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
)
AGENT_COLUMNS = STATE_VARIABLES + ("government", "eu_member", "nato_member")
LOG_COLUMNS = (
    "step",
    "date",
    "body",
    "item",
    "rule",
    "outcome",
    "blockers",
    "yes",
    "no",
    "abstain",
    "min_support",
    "detail",
)
_NETWORK_PARAMS = {
    "network_border_weight",
    "network_grouping_weight",
    "network_comembership_weight",
    "network_size_exponent",
    "network_self_weight",
}
_PROXIMITY_PARAMS = {"proximity_length_km", "proximity_border_weight", "proximity_ukraine_border_weight"}


class StateArrays:
    """The dynamic state of all member states, one numpy array per variable."""

    def __init__(self, **arrays: np.ndarray) -> None:
        self.__dict__.update(arrays)


class AllianceModel(mesa.Model):
    """Alliance cohesion under transatlantic stress: 37 states, the US and Russia, month by month.

    Args:
        seed: one integer fixes every random stream (incidents, elections, votes, shocks).
        start, end: first and last month, ``YYYY-MM``.
        initial_year: 2022 or 2024, which data columns give the initial state;
            by default 2022 for runs starting before 2024, else 2024.
        events: scenario events (``Event`` objects or mappings with ``type`` and ``date``).
        states: per-state overrides, ``{ISO3: {variable: value}}``.
        parameters: parameter overrides by name; keyword arguments are overrides too
            (so that ``mesa.batch_run`` can vary them).
    """

    def __init__(
        self,
        seed: int | None = None,
        start: str = "2025-01",
        end: str = "2035-12",
        initial_year: int | None = None,
        events: Iterable[Event | Mapping[str, Any]] = (),
        states: Mapping[str, Mapping[str, Any]] | None = None,
        parameters: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> None:
        self.seed = int(np.random.SeedSequence(seed).entropy) if seed is None else seed
        streams = np.random.SeedSequence(self.seed).spawn(len(STREAMS) + 1)
        super().__init__(rng=np.random.default_rng(streams[-1]))
        self.streams = {name: np.random.default_rng(s) for name, s in zip(STREAMS, streams, strict=False)}

        self.p = params.resolve({**(parameters or {}), **overrides})
        self.start_month = parse_month(start, "start")
        self.end_month = parse_month(end, "end")
        if self.end_month < self.start_month:
            raise InputError("end", f"{end} is before start {start}; end must be on or after start")
        self.n_steps = self.end_month - self.start_month + 1
        self.month = self.start_month
        start_year = year_of(self.start_month)
        if initial_year is None:
            initial_year = 2022 if start_year < 2024 else 2024
        if initial_year not in INITIAL_YEARS:
            raise InputError("initial_year", f"{initial_year} is not allowed; use 2022 or 2024")
        self.initial_year = initial_year

        self.data: StateData = load_states()
        self.n_states = self.data.n
        self._init_state(start_year)
        self._apply_state_overrides(states or {})
        self.is_usa = np.array([c == "USA" for c in self.data.iso3])
        self.is_ukr = np.array([c == "UKR" for c in self.data.iso3])
        self._derive_geography()

        self.member_states = [MemberState(self, i) for i in range(self.n_states)]
        self.united_states = UnitedStates(self, self.p["us_commitment_initial"], self.p["us_troops_europe_initial_k"])
        self.russia = Russia(self, self.p["russia_aggression_initial"])
        # Mesa 3.3 keeps a unique-id counter per model in a class-level dict (mesa.Agent._ids), which holds
        # every model ever made alive (mesa issue #3179); a sweep worker would grow by ~0.6 MB a run. All
        # agents exist now and none are added later, so the counter is no longer needed.
        getattr(mesa.Agent, "_ids", {}).pop(self, None)
        self.agenda = Agenda()
        self.war_fatigue = 0.0
        self.coercion_level = 0.0
        level = float(self.p["pledge_core_pct"])
        self._pledge = (self.start_month, self.start_month, level, level)
        self._counts = dict.fromkeys(("eu_passed", "eu_blocked", "nato_passed", "nato_blocked"), 0)
        self._incidents_now = 0
        self._settle()

        # Election calendar: every term_i months before and after next_election_i (approximate dates).
        term = np.maximum(self.data.election_term_months, 1)
        self._elections_due = {}
        for month in range(self.start_month, self.end_month + 1):
            due = self.elects & ((month - self.data.next_election) % term == 0)
            if due.any():
                self._elections_due[month] = due
        self.events = sorted((self._checked_event(e, k) for k, e in enumerate(events)), key=lambda e: e.month)
        self._next_event = 0
        self.log: list[tuple] = []
        self._collector_cache: tuple[int, mesa.DataCollector] | None = None
        self._recorded = np.full((self.n_steps, len(metrics.RECORDED_OUTCOMES)), np.nan)
        self._europe_history = np.zeros((self.n_steps, self.n_states), dtype=bool)
        self._dates = np.array([format_month(self.start_month + k) for k in range(self.n_steps)], dtype=object)
        self._agent_history = {v: np.full((self.n_steps, self.n_states), np.nan) for v in AGENT_COLUMNS}
        self.running = True

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """One month: the processes of ODD section 3, in order."""
        self.month = self.start_month + self.steps - 1
        draws = self._draw_random_numbers()
        self._apply_due_events()  # 1. scenario events
        self._update_united_states(draws["shocks"][0])  # 2. US commitment, burden sharing, troops
        self._update_russia(draws)  # 3. Russian aggression, hybrid incidents
        self._update_threat()  # 4. threat
        self._update_us_trust()  # 5. US trust
        self._update_fear()  # 6. abandonment fear
        self._update_spending()  # 7. spending (annual budget)
        self._update_positions()  # 8. positions (Friedkin-Johnsen, bounded confidence)
        self._take_decisions(draws["votes"])  # 9. institutional decisions
        self._hold_elections(draws["elections"])  # 10. elections
        self._observe()  # 11. observation
        if self.month >= self.end_month:
            self.running = False

    def run(self) -> AllianceModel:
        """Step to the end of the horizon; returns the model for chaining."""
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------ processes
    def _draw_random_numbers(self) -> dict[str, np.ndarray]:
        """The same number of draws from each stream every month, whatever happens (common random numbers)."""
        n, k = self.n_states, len(ITEM_KINDS)
        s = self.streams
        return {
            "shocks": s["shocks"].standard_normal(2),
            "incidents": s["incidents"].random(n),
            "elections": s["elections"].random(n),
            "votes": s["votes"].random((3 * k, n)),
        }

    def _apply_due_events(self) -> None:
        while self._next_event < len(self.events) and self.events[self._next_event].month == self.month:
            event = self.events[self._next_event]
            detail = event.apply(self)
            outcome = "no_change" if isinstance(detail, NoChange) else "applied"
            self._log("scenario", event.type, "", outcome, detail=str(detail))
            self._next_event += 1

    def _update_united_states(self, noise: float) -> None:
        self.united_states.update(self._european_spending(), self.pledge_norm, noise * self.p["us_commitment_noise_sd"])

    def _update_russia(self, draws: dict[str, np.ndarray]) -> None:
        self.russia.update(draws["shocks"][1] * self.p["russia_aggression_noise_sd"])
        self.war_fatigue = dynamics.war_fatigue(
            self.war_fatigue,
            self.russia.aggression,
            self.russia.ceasefire_holds,
            self.p["war_fatigue_rate"],
            self.p["war_fatigue_recovery"],
        )
        chance = dynamics.incident_probabilities(
            self.p["hybrid_incident_rate"],
            self.proximity,
            self.p["incident_proximity_exponent"],
            self.russia.campaign_multiplier(),
            self.targetable,
        )
        self.incidents = draws["incidents"] < chance
        self._incidents_now = int(self.incidents.sum())

    def _update_threat(self) -> None:
        s, p = self.state, self.p
        target = dynamics.threat_target(self.russia.aggression, self.proximity, p["threat_distance_floor"])
        s.threat = dynamics.threat(
            s.threat,
            target + s.threat_bias,
            p["threat_rate"],
            self.incidents,
            self.borders,
            p["incident_threat_jump"],
            p["incident_neighbour_share"],
            self.influence_norm,
            p["threat_social_weight"],
        )

    def _update_us_trust(self) -> None:
        s, p = self.state, self.p
        signal = self._trust_signal()
        trust = dynamics.us_trust(
            s.us_trust, signal + s.trust_bias, s.us_reliance, p["trust_rate"], p["trust_attention_floor"]
        )
        s.us_trust = np.where(self.is_usa, 1.0, trust)  # the US does not doubt itself

    def _trust_signal(self) -> np.ndarray:
        us = self.united_states
        return dynamics.trust_signal(
            us.commitment,
            self.state.us_troops_k,
            self.troops_host0,
            us.troops_europe_k,
            self.troops_total0,
            self.p["host_half_saturation_k"],
            self.p["trust_commitment_weight"],
        )

    def _update_fear(self) -> None:
        s = self.state
        s.abandonment_fear = dynamics.abandonment_fear(s.us_reliance, s.us_trust, s.threat)

    def _update_spending(self) -> None:
        if self.month % 12 + 1 != int(self.p["budget_month"]):
            return
        s, p = self.state, self.p
        desired = self._desired_spending(s.spending_base)
        new = dynamics.annual_budget(
            s.spending_pct_gdp,
            desired,
            p["budget_adjustment_rate"],
            p["fiscal_cap_pp_per_year"],
            p["spending_cut_rate"],
        )
        s.spending_pct_gdp = np.where(self.spending_dynamic, new, s.spending_pct_gdp)

    def _update_positions(self) -> None:
        s, p = self.state, self.p
        bound = p["confidence_bound"]
        self.coercion_level = dynamics.decay(self.coercion_level, p["coercion_decay_months"])
        a_drift = dynamics.autonomy_drift(
            s.us_trust,
            s.trust_reference,
            s.abandonment_fear,
            p["autonomy_hedging_rate"],
            p["fear_cling_threshold"],
            self.coercion_level,
            p["coercion_autonomy_push"],
        )
        u_drift = dynamics.support_drift(
            s.ukraine_support,
            s.threat,
            s.threat_reference,
            self.war_fatigue,
            self.united_states.ceasefire_pressure,
            s.us_reliance * s.us_trust,
            p["support_threat_coef"],
            p["support_fatigue_coef"],
            p["ceasefire_pressure_coef"],
            p["ceasefire_resistance_coef"],
        )
        stubborn = self.stubbornness_effective
        moving = self.position_dynamic
        a_mean = dynamics.bounded_confidence_mean(s.autonomy, self.influence, bound)
        u_mean = dynamics.bounded_confidence_mean(s.ukraine_support, self.influence, bound)
        s.autonomy = np.where(
            moving, dynamics.friedkin_johnsen(s.autonomy_anchor, stubborn, a_mean, a_drift), s.autonomy
        )
        s.ukraine_support = np.where(
            moving, dynamics.friedkin_johnsen(s.support_anchor, stubborn, u_mean, u_drift), s.ukraine_support
        )
        s.threat_reference = s.threat_reference + p["threat_habituation_rate"] * (s.threat - s.threat_reference)

    def _take_decisions(self, uniforms: np.ndarray) -> None:
        due = self.agenda.due(self.month)
        if not due:
            return
        k = len(ITEM_KINDS)
        for item, vetoers in due:
            slot = ITEM_KINDS.index(item.name if vetoers is None else f"{item.name}:revote")
            noise, hostage_u, concession_u = uniforms[slot], uniforms[k + slot], uniforms[2 * k + slot]
            self._decide(item, vetoers, noise, hostage_u, concession_u)

    def _decide(
        self,
        item: AgendaItem,
        vetoers: np.ndarray | None,
        noise_u: np.ndarray,
        hostage_u: np.ndarray,
        concession_u: np.ndarray,
    ) -> None:
        s, p = self.state, self.p
        members = s.eu_member if item.body == "EU" else s.nato_member
        support = getattr(s, item.position)
        support = 1.0 - support if item.inverse else support.copy()
        if item.body == "NATO":
            # The US votes its own line: it proposes a ceasefire plan, and backs posture only while committed.
            committed = self.united_states.commitment >= p["us_nato_commitment_threshold"]
            support[self.is_usa] = 1.0 if (item.inverse or committed) else 0.0
        threshold = p[item.threshold_parameter]
        noise = p["vote_noise_sd"] * _normal_from_uniform(noise_u)
        if vetoers is None:
            hostage = hostage_u < s.linkage * p["linkage_veto_probability"]
            conceded = np.zeros(self.n_states, dtype=bool)
        else:
            hostage = np.zeros(self.n_states, dtype=bool)
            conceded = vetoers & (concession_u < s.linkage)
        votes = vote(support, threshold, noise, p["abstain_band"], hostage & members)
        votes = np.where(conceded, YES, votes)
        rule = p[item.rule.split(":", 1)[1]] if item.rule.startswith("param:") else item.rule
        passed, blockers, reason = RULES[rule](votes, members, self.population)
        body = item.body.lower()
        if passed:
            outcome = "passed_after_concession" if conceded.any() else "passed"
            self._counts[f"{body}_passed"] += 1
        elif vetoers is None:
            outcome = "delayed"
            self.agenda.retable(self.month + int(p["veto_delay_months"]), item, blockers)
        else:
            outcome = "blocked"
            self._counts[f"{body}_blocked"] += 1
        detail = reason + (f"; concession to {self._names(conceded)}" if conceded.any() else "")
        self._log(item.body, item.name, rule, outcome, blockers, votes, members, support, detail)
        if outcome == "blocked" and item.fallback_coalition:
            willing = members & (votes == YES)
            self._log(
                item.body,
                item.name + "_coalition",
                "coalition_of_the_willing",
                "passed",
                detail=f"{int(willing.sum())} willing states go ahead outside the EU framework",
            )

    def _hold_elections(self, uniforms: np.ndarray) -> None:
        s, p = self.state, self.p
        due = self._elections_due.get(self.month)
        if due is None:
            return
        win = dynamics.accommodationist_win_probability(
            self.war_fatigue,
            s.spending_pct_gdp - self.spending0,
            s.threat,
            p["election_base_switch"],
            p["election_fatigue_coef"],
            p["election_cost_coef"],
        )
        switch_in = due & ~s.accommodationist & (uniforms < win)
        switch_out = due & s.accommodationist & (uniforms < p["election_return_probability"])
        for i in np.flatnonzero(due):
            changed = switch_in[i] or switch_out[i]
            if changed:
                self.set_government(i, bool(switch_in[i]))
            government = "accommodationist" if s.accommodationist[i] else "mainstream"
            self._log(
                "national",
                "election",
                "election",
                "change" if changed else "no_change",
                detail=f"{self.data.iso3[i]}: {government}",
            )

    def _observe(self) -> None:
        """Record this month: the state of every agent and the outcomes that are not derived from it.

        Outcomes derived from the state (cohesion, blocs, means) are computed for
        all months at once when asked for (:meth:`model_dataframe`).
        """
        s, us, k = self.state, self.united_states, self.steps - 1
        history = self._agent_history
        for name in STATE_VARIABLES:
            history[name][k] = s.__dict__[name]
        history["government"][k] = s.accommodationist
        history["eu_member"][k] = s.eu_member
        history["nato_member"][k] = s.nato_member
        self._europe_history[k] = self.europe
        counts = self._counts
        self._recorded[k] = (
            us.commitment,
            us.troops_europe_k,
            counts["eu_passed"],
            counts["eu_blocked"],
            counts["nato_passed"],
            counts["nato_blocked"],
            self.russia.aggression,
            self.war_fatigue,
            us.burden_grievance,
            self.pledge_norm,
            self._incidents_now,
        )

    # ------------------------------------------------------- scenario hooks
    def set_parameter(self, name: str, value: float | str) -> None:
        old = self.p[name]
        self.p[name] = params.check_name(name).check(value)
        if name == "pledge_core_pct" and value != old:
            deadline = 12 * int(self.p["pledge_deadline_year"]) + 11
            self._pledge = (self.month, deadline, self.pledge_norm, float(value))
        if name == "pledge_deadline_year":
            start, _end, level_from, level_to = self._pledge
            self._pledge = (start, 12 * int(value) + 11, level_from, level_to)
        if name == "stubbornness_scale":
            self.stubbornness_effective = np.clip(self.state.stubbornness * value, 0.0, 1.0)
        if name in _NETWORK_PARAMS or name in _PROXIMITY_PARAMS:
            self._derive_geography()

    def coerce(self, index: int, size: float) -> None:
        s = self.state
        others = self.europe.copy()
        others[index] = False
        s.us_trust[index] = max(s.us_trust[index] - size, 0.0)
        s.us_trust = np.where(others, np.maximum(s.us_trust - size * self.p["coercion_spillover"], 0.0), s.us_trust)
        self.coercion_level = max(self.coercion_level, size)

    def set_government(self, index: int, accommodationist: bool) -> None:
        s = self.state
        s.accommodationist[index] = accommodationist
        own = s.support_initial[index]
        s.support_anchor[index] = min(own, self.p["accommodationist_support_anchor"]) if accommodationist else own

    def join(self, index: int, body: str) -> str:
        s = self.state
        mask = s.eu_member if body == "eu" else s.nato_member
        code = self.data.iso3[index]
        if mask[index]:
            return f"{code} already in {body.upper()}"
        mask[index] = True
        self._derive_geography()
        return f"{code} joins {body.upper()}"

    # ---------------------------------------------------------- outputs
    def model_dataframe(self) -> pd.DataFrame:
        """One row per month run so far: step, date and every model outcome."""
        done = self.steps
        history = {name: values[:done] for name, values in self._agent_history.items()}
        derived = metrics.history_outcomes(
            history, self._europe_history[:done], self.data.gdp_usd_bn, self.p["bloc_distance"], self.elects
        )
        recorded = dict(zip(metrics.RECORDED_OUTCOMES, self._recorded[:done].T, strict=True))
        columns = {"step": np.arange(done), "date": self._dates[:done]}
        for name in metrics.MODEL_OUTCOMES:
            values = derived[name] if name in derived else recorded[name]
            # Counts as integers; cast in numpy (pandas' astype costs more than all the outcomes together).
            columns[name] = values.astype(np.int64) if name in metrics.COUNT_OUTCOMES else values
        return pd.DataFrame(columns)

    def agent_dataframe(self) -> pd.DataFrame:
        """One row per month and state: step, date, iso3 and every state variable (tidy)."""
        done, n = self.steps, self.n_states
        frame = pd.DataFrame(
            {
                "step": np.repeat(np.arange(done), n),
                "date": np.repeat(self._dates[:done], n),
                "iso3": np.tile(self.data.iso3, done),
            }
        )
        for name in STATE_VARIABLES:
            frame[name] = self._agent_history[name][:done].ravel()
        frame["government"] = np.where(
            self._agent_history["government"][:done].ravel() > 0.5, "accommodationist", "mainstream"
        )
        for name in ("eu_member", "nato_member"):
            frame[name] = self._agent_history[name][:done].ravel() > 0.5
        return frame

    def log_dataframe(self) -> pd.DataFrame:
        """Every decision, election and applied event: step, date, body, item, rule, outcome, blockers, ..."""
        frame = pd.DataFrame(self.log, columns=list(LOG_COLUMNS))
        frame["blockers"] = [self._names(mask) if mask is not None else "" for mask in frame["blockers"]]
        return frame

    @property
    def datacollector(self) -> mesa.DataCollector:
        """A Mesa DataCollector holding the model outcomes, one entry per step (for ``mesa.batch_run``)."""
        cached = self._collector_cache
        if cached is not None and cached[0] == self.steps:
            return cached[1]  # mesa.batch_run reads it twice per collected step
        collector = mesa.DataCollector(model_reporters={name: name for name in metrics.MODEL_OUTCOMES})
        frame = self.model_dataframe()
        for name in metrics.MODEL_OUTCOMES:
            collector.model_vars[name] = frame[name].tolist()
        self._collector_cache = (self.steps, collector)
        return collector

    @property
    def pledge_norm(self) -> float:
        start, end, level_from, level_to = self._pledge
        return dynamics.pledge_norm(self.month, start, end, level_from, level_to)

    # ------------------------------------------------------- set-up
    def _init_state(self, start_year: int) -> None:
        d, year = self.data, self.initial_year
        # Members at the start joined in an earlier year; one that joins during the start year enters
        # through an accession event, as in the hindcast.
        eu = d.eu_member & ~(d.eu_accession_year >= start_year)
        nato = d.nato_member & ~(d.nato_accession_year >= start_year)
        spending = d.spending[year].copy()
        accommodationist = d.accommodationist[year].copy()
        self.state = StateArrays(
            threat=np.zeros(d.n),
            threat_bias=np.zeros(d.n),
            us_trust=np.zeros(d.n),
            trust_bias=np.zeros(d.n),
            us_reliance=d.us_reliance.copy(),
            abandonment_fear=np.zeros(d.n),
            spending_pct_gdp=spending,
            spending_base=np.zeros(d.n),
            autonomy=d.autonomy.copy(),
            ukraine_support=d.ukraine_support.copy(),
            autonomy_anchor=d.autonomy.copy(),
            support_initial=d.ukraine_support.copy(),
            support_anchor=d.ukraine_support.copy(),
            stubbornness=d.stubbornness.copy(),
            accommodationist=accommodationist,
            eu_member=eu,
            nato_member=nato,
            pledge_adherence=d.pledge_adherence.copy(),
            linkage=d.linkage.copy(),
            us_troops_k=d.us_troops_k.copy(),
            threat_reference=np.zeros(d.n),
            trust_reference=np.zeros(d.n),
        )

    def _apply_state_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> None:
        s = self.state
        self._threat_override, self._trust_override = {}, {}
        for code, values in overrides.items():
            i = self.data.index(check_iso3(code, "states"))
            if not isinstance(values, Mapping):
                raise InputError(f"states.{code}", "give a mapping of variable: value")
            for name, value in values.items():
                field = f"states.{code}.{name}"
                if name not in STATE_OVERRIDES:
                    raise InputError(
                        field,
                        f"cannot be set per state{nearest(name, STATE_OVERRIDES)}; "
                        f"use one of {', '.join(STATE_OVERRIDES)}",
                    )
                if name == "government":
                    if value not in ("mainstream", "accommodationist"):
                        raise InputError(field, f"{shown(value)} is not allowed; use mainstream or accommodationist")
                    s.accommodationist[i] = value == "accommodationist"
                    continue
                high = 100.0 if name in ("spending_pct_gdp", "us_troops_k") else 1.0
                if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= high:
                    raise InputError(field, f"{shown(value)} is not allowed; use a number from 0 to {high:g}")
                if name == "threat":
                    self._threat_override[i] = float(value)
                elif name == "us_trust":
                    self._trust_override[i] = float(value)
                else:
                    getattr(s, name)[i] = float(value)
                if name == "autonomy":
                    s.autonomy_anchor[i] = value
                if name == "ukraine_support":
                    s.support_initial[i] = s.support_anchor[i] = value
        for i in np.flatnonzero(s.accommodationist):
            s.support_anchor[i] = min(s.support_initial[i], self.p["accommodationist_support_anchor"])

    def _derive_geography(self) -> None:
        """Proximity, the influence network and the masks that depend on membership."""
        d, p, s = self.data, self.p, self.state
        self.proximity = dynamics.proximity(
            d.distance_to_moscow_km,
            d.borders_russia_or_belarus,
            d.borders_ukraine,
            p["proximity_length_km"],
            p["proximity_border_weight"],
            p["proximity_ukraine_border_weight"],
        )
        self.borders = d.border_matrix.astype(float)
        ties = network.tie_strength(
            d.border_matrix,
            list(d.groupings.values()),
            s.eu_member,
            s.nato_member,
            p["network_border_weight"],
            p["network_grouping_weight"],
            p["network_comembership_weight"],
        )
        participants = ~self.is_usa
        self.influence = network.influence_matrix(
            ties, d.gdp_usd_bn, participants, p["network_size_exponent"], p["network_self_weight"]
        )
        self.influence_norm = network.row_normalised(self.influence)
        # Peers for the spending norm are the states whose budgets the model moves (not Ukraine at war).
        peers = ties * ((s.eu_member | s.nato_member) & ~self.is_usa)[None, :]
        self.peer_weights = network.row_normalised(peers + np.eye(self.n_states) * (peers.sum(1, keepdims=True) == 0))
        self.europe = (s.eu_member | s.nato_member) & ~self.is_usa & ~(d.region == "north_america")
        # Hybrid incidents are counted against the allies and EU members; Ukraine is at open war.
        self.targetable = (s.eu_member | s.nato_member) & ~self.is_usa
        self.spending_dynamic = (s.eu_member | s.nato_member) & ~self.is_usa
        self.position_dynamic = ~self.is_usa
        self.elects = (d.election_term_months > 0) & ~self.is_usa
        self.population = d.population_m

    def _settle(self) -> None:
        """Start at rest: threat, trust, grievance and spending motives at their equilibrium for the start."""
        s, p = self.state, self.p
        self.stubbornness_effective = np.clip(s.stubbornness * p["stubbornness_scale"], 0.0, 1.0)
        self.troops_host0 = s.us_troops_k.copy()
        self.troops_total0 = self.united_states.troops_europe_k
        self.spending0 = s.spending_pct_gdp.copy()
        expected = dynamics.incident_probabilities(
            p["hybrid_incident_rate"],
            self.proximity,
            p["incident_proximity_exponent"],
            np.ones(self.n_states),
            self.targetable,
        )
        target = dynamics.threat_target(self.russia.aggression, self.proximity, p["threat_distance_floor"])
        s.threat = dynamics.threat_fixed_point(
            target,
            p["threat_rate"],
            expected,
            self.borders,
            p["incident_threat_jump"],
            p["incident_neighbour_share"],
            self.influence_norm,
            p["threat_social_weight"],
        )
        for i, value in self._threat_override.items():
            s.threat_bias[i] = value - s.threat[i]
            s.threat[i] = value
        us = self.united_states
        signal = self._trust_signal()
        s.us_trust = signal.copy()
        for i, value in self._trust_override.items():
            s.trust_bias[i] = value - signal[i]
            s.us_trust[i] = value
        s.us_trust[self.is_usa] = 1.0
        s.abandonment_fear = dynamics.abandonment_fear(s.us_reliance, s.us_trust, s.threat)
        s.threat_reference, s.trust_reference = s.threat.copy(), s.us_trust.copy()
        self._settle_positions()
        us.burden_grievance = min(
            max((self.pledge_norm - self._european_spending()) / p["burden_gap_scale_pp"], 0.0), 1.0
        )
        s.spending_base = self._calibrate_spending_base()

    def _settle_positions(self) -> None:
        """Start from the steady state of social influence around each state's own line.

        ``assumptions.csv`` gives each state's own line (its Friedkin-Johnsen
        anchor); the starting positions are where influence among the states
        settles with those anchors and no outside push (a linear solve, repeated until
        the bounded-confidence sets stop changing; see
        ``dynamics.friedkin_johnsen_fixed_point``).
        """
        s, bound = self.state, self.p["confidence_bound"]
        moving = self.position_dynamic
        for name, anchor in (("autonomy", s.autonomy_anchor), ("ukraine_support", s.support_anchor)):
            settled = dynamics.friedkin_johnsen_fixed_point(
                getattr(s, name), anchor, self.stubbornness_effective, self.influence, bound
            )
            setattr(s, name, np.where(moving, settled, getattr(s, name)))

    def _calibrate_spending_base(self) -> np.ndarray:
        """Each state's own motive level, set so that desired spending equals actual spending at the start.

        The residual absorbs everything the model does not explain (history,
        economy, politics); only changes in threat, fear, trust, the pledge
        and peers then move spending.
        """
        zero = np.zeros(self.n_states)
        return self.state.spending_pct_gdp - self._desired_spending(zero)

    def _desired_spending(self, base: np.ndarray) -> np.ndarray:
        s, p = self.state, self.p
        own = self._desired_spending_at_own(base)
        peers = self.peer_weights @ s.spending_pct_gdp
        adherence = np.where(s.nato_member, s.pledge_adherence, 0.0)
        return dynamics.desired_spending(
            own, s.spending_pct_gdp, self.pledge_norm, adherence, p["pledge_pull"], peers, p["peer_pull"]
        )

    def _desired_spending_at_own(self, base: np.ndarray) -> np.ndarray:
        s, p = self.state, self.p
        return dynamics.own_spending(
            base,
            s.threat,
            s.abandonment_fear,
            s.us_trust,
            s.us_reliance,
            p["spending_threat_coef"],
            p["spending_fear_coef"],
            p["spending_free_ride_coef"],
        )

    def _european_spending(self) -> float:
        allies = self.state.nato_member & self.europe
        return metrics.weighted_mean(self.state.spending_pct_gdp[allies], self.data.gdp_usd_bn[allies])

    def _checked_event(self, event: Event | Mapping[str, Any], k: int) -> Event:
        field = f"events[{k}]"
        if not isinstance(event, Event):
            event = make_event(dict(event), field)
        if not self.start_month <= event.month <= self.end_month:
            raise InputError(
                f"{field}.date",
                f"{event.date} is outside the run {format_month(self.start_month)} to {format_month(self.end_month)}",
            )
        return event

    def _names(self, mask: np.ndarray) -> str:
        return ";".join(code for code, hit in zip(self.data.iso3, mask, strict=True) if hit)

    def _log(
        self,
        body: str,
        item: str,
        rule: str,
        outcome: str,
        blockers: np.ndarray | None = None,
        votes: np.ndarray | None = None,
        members: np.ndarray | None = None,
        support: np.ndarray | None = None,
        detail: str = "",
    ) -> None:
        counts = (-1, -1, -1, float("nan"))
        if votes is not None:
            v = votes[members]
            counts = (int((v == YES).sum()), int((v == NO).sum()), int((v == 0).sum()), float(support[members].min()))
        self.log.append(
            (
                self.steps - 1 if self.steps else 0,
                format_month(self.month),
                body,
                item,
                rule,
                outcome,
                None if blockers is None else blockers.copy(),  # named when the log is read (cheaper)
                *counts,
                detail,
            )
        )


def _normal_from_uniform(u: np.ndarray) -> np.ndarray:
    """Standard normal deviates from uniforms (inverse CDF), so one stream serves noise and coin flips alike."""
    return ndtri(np.clip(u, 1e-12, 1.0 - 1e-12))
