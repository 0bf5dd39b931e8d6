"""Unit tests of each update rule in sim.rules.dynamics, on small hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from sim.rules import dynamics


def test_proximity_orders_by_border_then_distance():
    distance = np.array([800.0, 800.0, 2500.0])
    border = np.array([True, False, False])
    prox = dynamics.proximity(distance, border, np.zeros(3, bool), 1500.0, 0.2, 0.05)
    assert prox[0] > prox[1] > prox[2]
    assert prox[0] == pytest.approx(0.2 + 0.75 * np.exp(-800 / 1500))


def test_burden_grievance_moves_toward_saturating_gap():
    assert dynamics.burden_grievance(0.0, 3.5, 2.0, 1.5, 1.0) == pytest.approx(1.0)
    assert dynamics.burden_grievance(0.0, 3.5, 3.0, 1.5, 0.5) == pytest.approx(0.5 * 0.5 / 1.5)
    # Europeans above the pledge: grievance fades.
    assert dynamics.burden_grievance(0.4, 2.0, 2.5, 1.5, 0.5) == pytest.approx(0.2)


def test_us_commitment_follows_target_less_burden():
    assert dynamics.us_commitment(0.5, 0.9, 0.0, 1.0, 0.3, 0.0) == pytest.approx(0.9)
    assert dynamics.us_commitment(0.5, 0.9, 1.0, 1.0, 0.3, 0.0) == pytest.approx(0.6)
    assert dynamics.us_commitment(0.9, 0.9, 0.0, 0.1, 0.3, 5.0) == 1.0


def test_incidents_target_the_close_and_scale_with_campaigns():
    prox = np.array([0.8, 0.4, 0.1])
    eligible = np.array([True, True, False])
    p = dynamics.incident_probabilities(1.0, prox, 2.0, np.ones(3), eligible)
    assert p[0] > p[1] > p[2] == 0.0
    assert p.sum() == pytest.approx(1.0)
    boosted = dynamics.incident_probabilities(1.0, prox, 2.0, np.array([1.0, 3.0, 1.0]), eligible)
    assert boosted[1] == pytest.approx(3 * p[1])


def test_threat_moves_toward_target_and_jumps_after_incidents():
    n = 3
    identity = np.eye(n)
    no_borders = np.zeros((n, n))
    t = dynamics.threat(np.zeros(n), np.full(n, 0.5), 0.2, np.zeros(n, bool), no_borders, 0.1, 0.5, identity, 0.0)
    assert t == pytest.approx(np.full(n, 0.1))
    borders = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], float)
    hit = np.array([True, False, False])
    t = dynamics.threat(np.zeros(n), np.zeros(n), 0.2, hit, borders, 0.1, 0.5, identity, 0.0)
    assert t == pytest.approx([0.1, 0.05, 0.0])


def test_threat_fixed_point_is_a_fixed_point():
    rng = np.random.default_rng(0)
    n = 6
    w = rng.random((n, n)) + np.eye(n)
    w /= w.sum(1, keepdims=True)
    borders = (rng.random((n, n)) < 0.3).astype(float)
    target, expected = rng.random(n) * 0.5, rng.random(n) * 0.1
    t = dynamics.threat_fixed_point(target, 0.15, expected, borders, 0.06, 0.4, w, 0.1)
    again = dynamics.threat(t, target, 0.15, expected, borders, 0.06, 0.4, w, 0.1)
    assert again == pytest.approx(t, abs=1e-12)


def test_drawdown_hurts_the_host_most():
    troops0 = np.array([30.0, 0.0])
    after = np.array([15.0, 0.0])
    signal = dynamics.trust_signal(0.7, after, troops0, 80.0, 100.0, 2.0, 0.5)
    before = dynamics.trust_signal(0.7, troops0, troops0, 100.0, 100.0, 2.0, 0.5)
    drop = before - signal
    assert drop[0] > drop[1] > 0


def test_trust_attention_scales_with_reliance():
    trust = np.array([0.8, 0.8])
    new = dynamics.us_trust(trust, np.zeros(2), np.array([1.0, 0.0]), 0.1, 0.3)
    assert new[0] == pytest.approx(0.72)
    assert new[1] == pytest.approx(0.8 - 0.1 * 0.3 * 0.8)


def test_abandonment_fear_is_the_product():
    assert dynamics.abandonment_fear(np.array([0.5]), np.array([0.2]), np.array([0.5]))[0] == pytest.approx(0.2)


def test_spending_motives_and_norms():
    own = dynamics.own_spending(np.zeros(2), np.array([0.5, 0.1]), np.zeros(2), np.zeros(2), np.zeros(2), 3.0, 2, 0.5)
    assert own == pytest.approx([1.5, 0.3])
    desired = dynamics.desired_spending(np.array([2.0, 2.0]), np.array([1.0, 4.0]), np.array([2.0, 2.0]), 0.2)
    assert desired[0] == pytest.approx(2.0 + 0.2 * 1.0)
    assert desired[1] == pytest.approx(2.0)  # above peers: no push


def test_pledge_target_closes_the_adherent_share_of_the_gap_and_bunches_within_reach():
    own = np.array([1.5, 1.5, 4.0, 3.3])
    adherence = np.array([1.0, 0.4, 1.0, 0.5])
    target = dynamics.pledge_target(own, 3.55, adherence, 1.0)
    assert target == pytest.approx([3.55, 1.5 + 0.4 * 2.05, 4.0, 3.3 + 0.5 * 0.25])
    within = dynamics.pledge_target(own, 3.55, adherence, 1.0, reach=0.2)
    assert within == pytest.approx([3.55, 1.5 + 0.4 * 2.05, 4.0, 3.55])  # 3.425 is within 0.2: to the line


def test_pledge_plan_spreads_the_rise_over_the_years_left_and_never_cuts():
    plan = dynamics.pledge_plan(np.array([1.5, 4.0]), np.array([3.5, 3.5]), np.array([[4.0]]))
    assert plan[0] == pytest.approx([2.0, 4.0])
    budget = dynamics.annual_budget(np.array([1.5, 1.5]), np.array([1.5, 1.5]), 0.6, 0.3, 0.3, np.array([2.0, 1.6]))
    assert budget == pytest.approx([1.8, 1.6])  # the plan's rise, capped by fiscal room


def test_deadline_pressure_and_effective_adherence():
    deadline = np.array([12 * 2024 + 11])
    assert dynamics.deadline_pressure(np.array([0.5]), 12 * 2024, deadline, 24.0) == pytest.approx([0.5])
    assert dynamics.deadline_pressure(np.array([0.5]), 12 * 2023, deadline, 24.0) == pytest.approx([0.25])
    assert dynamics.deadline_pressure(np.array([0.5]), 12 * 2021, deadline, 24.0) == pytest.approx([0.0])
    assert dynamics.effective_adherence(np.array([0.4]), 0.25, 2.0) == pytest.approx([0.4 + 0.6 * 0.5])


def test_fatigue_is_stationary_at_its_starting_level():
    habituation = dynamics.fatigue_habituation(0.3, 0.01, 0.7)
    assert dynamics.war_fatigue(0.3, 0.7, False, 0.01, 0.05, habituation) == pytest.approx(0.3)
    assert dynamics.war_fatigue(0.3, 1.0, False, 0.01, 0.05, habituation) > 0.3  # more war, more fatigue
    assert dynamics.fatigue_habituation(0.0, 0.01, 0.7) == 0.0


def test_reliance_falls_only_with_investment_above_the_level_or_the_industry_measure():
    reliance = np.array([[0.6]])
    assert dynamics.reliance_decline(reliance, np.array([[1.9]]), 2.0, 1.5, 0.04, np.array([[0.0]]), 0.01) == 0.6
    full = dynamics.reliance_decline(reliance, np.array([[3.5]]), 2.0, 1.5, 0.04, np.array([[1.0]]), 0.01)
    assert full == pytest.approx(0.6 * (1 - 0.05 / 12))


def test_deterrence_gap_grows_with_lost_signal_and_exposure():
    gap = dynamics.deterrence_gap(0.8, np.array([1.0, 0.2, 1.0]), np.array([0.5, 0.5, 0.9]), 0.8, 0.3)
    assert gap == pytest.approx([0.3 * 0.8 * 1.0 * 0.3, 0.3 * 0.8 * 0.2 * 0.3, 0.0])


def test_annual_budget_caps_rises_and_cuts_slowly():
    new = dynamics.annual_budget(np.array([2.0, 2.0, 2.0]), np.array([5.0, 2.5, 1.0]), 0.6, 0.8, 0.3)
    assert new == pytest.approx([2.8, 2.3, 2.0 - 0.6 * 0.3 * 1.0])


def test_pledge_norm_ramps_linearly():
    assert dynamics.pledge_norm(10, 10, 30, 2.0, 3.0) == pytest.approx(2.0)
    assert dynamics.pledge_norm(20, 10, 30, 2.0, 3.0) == pytest.approx(2.5)
    assert dynamics.pledge_norm(40, 10, 30, 2.0, 3.0) == pytest.approx(3.0)


def test_bounded_confidence_ignores_distant_states():
    x = np.array([0.1, 0.2, 0.9])
    mean = dynamics.bounded_confidence_mean(x, np.ones((3, 3)), 0.3)
    assert mean == pytest.approx([0.15, 0.15, 0.9])


def test_friedkin_johnsen_keeps_the_anchor_share():
    new = dynamics.friedkin_johnsen(np.array([1.0]), np.array([0.25]), np.array([0.0]), np.array([0.0]))
    assert new[0] == pytest.approx(0.25)


def test_friedkin_johnsen_fixed_point_is_a_fixed_point():
    rng = np.random.default_rng(1)
    n = 8
    influence = rng.random((n, n)) + 5 * np.eye(n)
    anchor, s = rng.random(n), rng.random(n) * 0.2 + 0.02
    x = dynamics.friedkin_johnsen_fixed_point(anchor.copy(), anchor, s, influence, 0.3)
    step = dynamics.friedkin_johnsen(anchor, s, dynamics.bounded_confidence_mean(x, influence, 0.3), np.zeros(n))
    assert step == pytest.approx(x, abs=1e-9)


def test_autonomy_hedging_versus_clinging():
    trust_ref = np.array([0.8, 0.8])
    drift = dynamics.autonomy_drift(np.array([0.4, 0.4]), trust_ref, np.array([0.02, 0.5]), 0.1, 0.2, 0.0, 0.05)
    assert drift[0] > 0 > drift[1]
    pushed = dynamics.autonomy_drift(trust_ref, trust_ref, np.array([0.02, 0.5]), 0.1, 0.2, 1.0, 0.05)
    assert pushed == pytest.approx([0.05, 0.05])


def test_ceasefire_pressure_splits_by_threat():
    drift = dynamics.support_drift(
        np.array([0.7, 0.7]),
        np.array([0.1, 0.6]),
        np.array([0.1, 0.6]),
        0.0,
        1.0,
        np.array([0.6, 0.6]),
        0.4,
        0.01,
        0.08,
        0.08,
    )
    assert drift[0] < 0 < drift[1]


def test_rally_works_on_headroom():
    drift = dynamics.support_drift(
        np.array([0.2, 0.9]), np.array([0.5, 0.5]), np.array([0.3, 0.3]), 0.0, 0.0, np.zeros(2), 0.4, 0.0, 0.0, 0.0
    )
    assert drift[0] > drift[1] > 0


def test_war_fatigue_grows_in_war_and_eases_in_ceasefire():
    assert dynamics.war_fatigue(0.2, 1.0, False, 0.1, 0.05) == pytest.approx(0.28)
    assert dynamics.war_fatigue(0.2, 1.0, True, 0.1, 0.5) == pytest.approx(0.1)


def test_accommodationist_vote_rises_with_fatigue_and_cost_and_falls_with_threat():
    p = dynamics.accommodationist_win_probability(
        0.5, np.array([0.0, 1.0, 1.0]), np.array([0.0, 0.0, 0.8]), 0.04, 0.2, 0.1
    )
    assert p[1] > p[0] > 0 and p[2] < p[1]
