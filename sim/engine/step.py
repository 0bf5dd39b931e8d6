"""One month for every run of a batch: the processes of ODD section 3, in order.

Each process moves all rows at once with the pure rules of :mod:`sim.rules.dynamics`
(written over the trailing state axis); parameters enter as (R, 1) columns.
Each process's docstring names the ODD section 7 submodel it carries out:

1. :func:`apply_due_events`: scenario events (ODD 7.1)
2. :func:`update_united_states`: burden grievance, commitment, shocks, pressure, troops (ODD 7.2)
3. :func:`update_russia`: aggression, war fatigue, hybrid incidents (ODD 7.3)
4. :func:`update_threat`: threat, with the deterrence gap (ODD 7.4)
5. :func:`update_us_trust`: US trust (ODD 7.5)
6. :func:`update_fear`: abandonment fear (ODD 7.6)
7. :func:`update_spending`: US reliance every month, the annual budget (ODD 7.7)
8. :func:`update_positions`: autonomy and Ukraine support, the habituating references (ODD 7.8)
9. :func:`sim.engine.decisions.take_decisions`: the agenda's votes (ODD 7.9)
10. :func:`sim.engine.decisions.hold_elections`: the spending reference, elections (ODD 7.10)
11. :func:`observe`: the record of the month (ODD 7.11)
"""

from __future__ import annotations

import numpy as np

from sim.engine import decisions, derived
from sim.engine.hooks import RowHooks
from sim.engine.state import AGENT_COLUMNS, STATE_VARIABLES, Batch, recorded_row
from sim.rules import dynamics
from sim.rules.events import NoChange
from sim.rules.outcomes import RECORDED_OUTCOMES
from sim.util.calendar import format_month

# The state columns the model outcomes are computed from (all that a batch keeps without agent rows).
OUTCOME_VARIABLES = (
    "threat",
    "us_trust",
    "spending_pct_gdp",
    "autonomy",
    "ukraine_support",
    "government",
    "nato_member",
)
COLUMN_SOURCES = {"government": "accommodationist"}


def step(b: Batch) -> None:
    """Advance every run by one month (``b.month``), then move the clock: the eleven processes of ODD 3."""
    if b.history is None:
        allocate_history(b)
    k = b.steps
    b.date = format_month(b.month)
    apply_due_events(b)  # 1. scenario events
    b.pledge_now = b.pledge_path[:, k]
    update_united_states(b, b.draw_shocks[:, k, 0])  # 2. US commitment, burden sharing, troops
    update_russia(b, b.draw_shocks[:, k, 1], b.draw_incidents[:, k])  # 3. Russian aggression, hybrid incidents
    update_threat(b)  # 4. threat
    update_us_trust(b)  # 5. US trust
    update_fear(b)  # 6. abandonment fear
    update_spending(b)  # 7. spending (annual budget)
    update_positions(b)  # 8. positions (Friedkin-Johnsen, bounded confidence)
    decisions.take_decisions(b)  # 9. institutional decisions
    decisions.hold_elections(b, b.draw_elections[:, k])  # 10. elections
    observe(b)  # 11. observation
    b.steps += 1
    b.month += 1


def run(b: Batch) -> Batch:
    """Step every run to the end of the horizon; returns the batch."""
    while b.steps < b.n_steps:
        step(b)
    return b


def allocate_history(b: Batch) -> None:
    """(R, T, N) history of every agent column and of the European mask; (R, T, k) recorded outcomes."""
    shape = (b.n_runs, b.n_steps, b.n_states)
    # Every month is written by observe before anything reads it (outputs read the months done).
    kept = STATE_VARIABLES if b.keep_agents else OUTCOME_VARIABLES
    b.history = {name: np.empty(shape) for name in kept}
    for name in AGENT_COLUMNS[len(STATE_VARIABLES) :]:
        if b.keep_agents or name in OUTCOME_VARIABLES:
            b.history[name] = np.zeros(shape, dtype=bool)
    b.europe_history = np.zeros(shape, dtype=bool)
    b.recorded = np.empty((b.n_runs, b.n_steps, len(RECORDED_OUTCOMES)))


# ------------------------------------------------------------------ processes
def apply_due_events(b: Batch) -> None:
    """Process 1, scenario events (ODD 7.1): every event dated this month, in the scenario's order, each logged.

    An event changes its own run only (through :class:`sim.engine.hooks.RowHooks`); its log outcome is
    ``applied``, or ``no_change`` when it changes nothing (an accession of a member).
    """
    for r in np.flatnonzero(b.next_event_month == b.month).tolist():
        events, months, i = b.events[r], b.event_months[r], b.next_event[r]
        while i < len(events) and months[i] == b.month:
            detail = events[i].apply(RowHooks(b, r))
            outcome = "no_change" if isinstance(detail, NoChange) else "applied"
            decisions.log(b, r, "scenario", events[i].type, "", outcome, detail=str(detail))
            i += 1
        b.next_event[r] = i
        b.next_event_month[r] = months[i] if i < len(months) else -1


def update_united_states(b: Batch, shocks: np.ndarray) -> None:
    """Process 2, the United States (ODD 7.2): burden grievance, the stance, fading shocks, pressure, troops.

    ``shocks`` (R,) are this month's standard normals of the shocks stream for US commitment. Sets
    ``grievance``, ``us_base``, the standing shocks, ``pressure`` and, through :func:`move_troops`, the troops;
    then ``commitment_now``, the signalled commitment the later processes read.
    """
    noise = shocks * b.p["us_commitment_noise_sd"]
    b.grievance = dynamics.burden_grievance(
        b.grievance,
        b.pledge_now,
        derived.european_spending(b),
        b.p["burden_gap_scale_pp"],
        b.p["burden_grievance_rate"],
    )
    b.us_base = dynamics.us_commitment(
        b.us_base,
        b.p["us_commitment_target"],
        b.grievance,
        b.p["us_commitment_rate"],
        b.p["burden_sensitivity"],
        noise,
    )
    if b.shock_size.shape[1]:
        fading = b.shock_month < b.month
        b.shock_size = np.where(fading, dynamics.decay(b.shock_size, b.shock_decay), b.shock_size)
        b.shock_size = np.where(np.abs(b.shock_size) > 1e-6, b.shock_size, 0.0)
    ended = b.month >= b.pressure_until
    b.pressure = np.where(ended, 0.0, b.pressure)
    move_troops(b)
    b.commitment_now = derived.commitment(b)


def move_troops(b: Batch) -> None:
    """This month's scheduled US troop steps (ODD 7.2, scheduled by ``us_troops`` events, ODD 7.1).

    Each host is floored at 0; the total moves by the scheduled step (all hosts) or by what the host actually
    lost or gained (one host), and is floored at 0. Plans past their last month are dropped.
    """
    for r in list(b.troop_plans):
        plans = b.troop_plans[r]
        troops = b.us_troops_k[r]
        total = float(b.us_troops_total[r])
        for _last, per_host, per_month_total in plans:
            before = troops.sum()
            np.maximum(troops + per_host, 0.0, out=troops)
            total += per_month_total if per_month_total is not None else troops.sum() - before
        b.us_troops_total[r] = max(total, 0.0)
        plans = [plan for plan in plans if plan[0] > b.month]
        if plans:
            b.troop_plans[r] = plans
        else:
            del b.troop_plans[r]


def campaign_multiplier(b: Batch) -> np.ndarray:
    """(R, N) factor on the incident rate from the hybrid campaigns under way (ODD 7.3; ``hybrid_campaign``, 7.1).

    Overlapping campaigns multiply; campaigns past their end month are dropped.
    """
    factor = np.ones((b.n_runs, b.n_states))
    for r in list(b.campaigns):
        campaigns = [c for c in b.campaigns[r] if c[0] > b.month]
        if not campaigns:
            del b.campaigns[r]
            continue
        b.campaigns[r] = campaigns
        row = factor[r]
        for _until, multiplier, mask in campaigns:
            row = np.where(mask, row * multiplier, row)
        factor[r] = row
    return factor


def update_russia(b: Batch, shocks: np.ndarray, uniforms: np.ndarray) -> None:
    """Process 3, Russia, war fatigue and hybrid incidents (ODD 7.3).

    ``shocks`` (R,) are the month's standard normals for Russian aggression and ``uniforms`` (R, N) the
    incidents stream's: a state is hit when its uniform falls below its incident chance.
    """
    noise = shocks * b.p["russia_aggression_noise_sd"]
    b.aggression = dynamics.aggression(b.aggression, b.russia_target, b.p["russia_aggression_rate"], noise)
    b.war_fatigue = dynamics.war_fatigue(
        b.war_fatigue,
        b.aggression,
        b.ceasefire_holds,
        b.p["war_fatigue_rate"],
        b.p["war_fatigue_recovery"],
        b.fatigue_habituation,
    )
    multiplier = campaign_multiplier(b) if b.campaigns else 1.0
    chance = dynamics.incident_chance(b.col("hybrid_incident_rate"), multiplier, b.incident_weight, b.incident_total)
    b.incidents = uniforms < chance
    b.incidents_now = b.incidents.sum(axis=1)


def update_threat(b: Batch) -> None:
    """Process 4, threat (ODD 7.4): balance of threat, the deterrence gap, incidents and social sharing.

    The month's trust signal (``signal_now``, ODD 7.5) is computed here for the deterrence gap and read again
    by process 5.
    """
    target = derived.threat_target(b)
    # Deterrence gap: what exposed states read from US words and boots, against the start.
    b.signal_now = derived.trust_signal(b)
    target = target + dynamics.deterrence_gap(
        b.aggression[:, None], b.exposure, b.signal_now, b.signal0, b.col("deterrence_gap_coef")
    )
    b.threat = dynamics.threat(
        b.threat,
        target + b.threat_bias,
        b.col("threat_rate"),
        b.incidents,
        b.borders,
        b.col("incident_threat_jump"),
        b.col("incident_neighbour_share"),
        b.influence_norm,
        b.col("threat_social_weight"),
    )


def update_us_trust(b: Batch) -> None:
    """Process 5, US trust (ODD 7.5): trust follows the signal, watched more closely by states with more at stake."""
    trust = dynamics.us_trust(
        b.us_trust,
        b.signal_now + b.trust_bias,
        derived.stakes(b),
        b.col("trust_rate"),
        b.col("trust_attention_floor"),
    )
    b.us_trust = np.where(b.is_usa, 1.0, trust)  # the US does not doubt itself


def update_fear(b: Batch) -> None:
    """Process 6, abandonment fear (ODD 7.6): reliance x (1 - trust) x threat."""
    b.abandonment_fear = dynamics.abandonment_fear(b.us_reliance, b.us_trust, b.threat)


def update_spending(b: Batch) -> None:
    """Process 7, spending (ODD 7.7): US reliance every month; in ``budget_month``, the annual budget.

    The budget moves the spending of the set S (``spending_dynamic``) toward desired spending and at least the
    pledge plan (:func:`pledge_plan`); the budget of the starting data year is already in the data.
    """
    drive_reliance(b)  # sustained European investment lowers US reliance slowly, every month
    budget = b.month % 12 + 1 == b.p["budget_month"].astype(np.int64)
    # The budget of the data year is already in the starting data (the 2022 hindcast starts from 2022 figures).
    if not budget.any() or b.month // 12 == b.initial_year:
        return
    desired = derived.desired_spending(b, b.spending_base)
    new = dynamics.annual_budget(
        b.spending_pct_gdp,
        desired,
        b.col("budget_adjustment_rate"),
        b.col("fiscal_cap_pp_per_year"),
        b.col("spending_cut_rate"),
        pledge_plan(b, b.spending_base),
    )
    b.spending_pct_gdp = np.where(budget[:, None] & b.spending_dynamic, new, b.spending_pct_gdp)


def drive_reliance(b: Batch) -> None:
    """Every month (ODD 7.7, US reliance): the sustained-investment average (R,) and US reliance (R, N) in Europe."""
    b.investment = dynamics.sustained_investment(
        b.investment, derived.european_spending(b), b.p["reliance_investment_memory_months"]
    )
    lower = dynamics.reliance_decline(
        b.us_reliance,
        b.investment[:, None],
        b.col("reliance_investment_level_pct"),
        b.col("reliance_investment_scale_pp"),
        b.col("reliance_substitution_rate"),
        b.industry_in_force[:, None].astype(float),
        b.col("reliance_industry_rate"),
    )
    b.us_reliance = np.where(b.europe, lower, b.us_reliance)


def pledge_plan(b: Batch, base: np.ndarray) -> np.ndarray:
    """(R, N) this year's budget toward the pledge, % of GDP, ODD 7.7: :func:`sim.rules.dynamics.pledge_budget_plan`."""
    return dynamics.pledge_budget_plan(
        b.spending_pct_gdp,
        derived.own_motive(b, base),
        b.pledge_adherence,
        b.pledge_strength,
        b.nato_member,
        b.grievance,
        b.month,
        b.deadline_month,
        b.p["deadline_window_months"],
        b.col("deadline_pressure_coef"),
        b.pledge_to,
        b.p["pledge_margin_pp"],
        b.col("pledge_pull"),
        b.col("line_reach_pp"),
    )


def update_positions(b: Batch) -> None:
    """Process 8, positions (ODD 7.8): Friedkin-Johnsen with bounded confidence, then the references habituate.

    The coercion episode fades; the drifts of autonomy and Ukraine support (ODD 7.8.1) and the social mean
    within the confidence bound (ODD 7.8.2) move every state but the USA; last, ``threat_reference`` and
    ``trust_reference`` habituate at ``threat_habituation_rate`` and ``trust_habituation_rate``.
    """
    bound = b.p["confidence_bound"]
    b.coercion_level = dynamics.decay(b.coercion_level, b.p["coercion_decay_months"])
    a_drift = dynamics.autonomy_drift(
        b.us_trust,
        b.trust_reference,
        b.abandonment_fear,
        b.exposure,
        b.col("autonomy_hedging_rate") * np.where(b.accommodationist, b.col("accommodationist_hedging_factor"), 1.0),
        b.col("fear_cling_threshold"),
        b.coercion_level[:, None],
        b.col("coercion_autonomy_push"),
    )
    u_drift = dynamics.support_drift(
        b.ukraine_support,
        b.threat,
        b.threat_reference,
        (b.war_fatigue - b.fatigue0)[:, None],  # the 2025 positions already carry the 2025 fatigue
        b.pressure[:, None],
        dynamics.us_alignment(
            b.us_reliance, b.us_trust, b.accommodationist, b.col("accommodationist_ceasefire_alignment")
        ),
        b.col("support_threat_coef"),
        b.col("support_fatigue_coef"),
        b.col("ceasefire_pressure_coef"),
        b.col("ceasefire_resistance_coef"),
    )
    stubborn, moving = b.stubbornness_effective, b.position_dynamic
    a_mean = dynamics.bounded_confidence_mean(b.autonomy, b.influence, bound)
    u_mean = dynamics.bounded_confidence_mean(b.ukraine_support, b.influence, bound)
    b.autonomy = np.where(moving, dynamics.friedkin_johnsen(b.autonomy_anchor, stubborn, a_mean, a_drift), b.autonomy)
    b.ukraine_support = np.where(
        moving, dynamics.friedkin_johnsen(b.support_anchor, stubborn, u_mean, u_drift), b.ukraine_support
    )
    b.threat_reference = b.threat_reference + b.col("threat_habituation_rate") * (b.threat - b.threat_reference)
    b.trust_reference = b.trust_reference + b.col("trust_habituation_rate") * (b.us_trust - b.trust_reference)


def observe(b: Batch) -> None:
    """Process 11, observation (ODD 7.11): this month's agent columns, the set E and the recorded outcomes.

    The outcomes that follow from the state are computed after the run from this record (ODD 4.9, 7.11).
    """
    k, history = b.steps, b.history
    for name in history:
        history[name][:, k] = getattr(b, COLUMN_SOURCES.get(name, name))
    b.europe_history[:, k] = b.europe
    b.recorded[:, k] = np.array(recorded_row(b), dtype=float).T
