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
    """Both horns: at the same trust loss and fear, the exposed state clings (drift toward the US, negative) and
    the distant one hedges; a frightened distant state still hedges; a fresh coercion pushes all alike."""
    trust_ref = np.array([0.8, 0.8, 0.8])
    trust = np.array([0.4, 0.4, 0.4])
    fear = np.array([0.02, 0.3, 0.3])
    exposure = np.array([1.0, 1.0, 0.1])
    drift = dynamics.autonomy_drift(trust, trust_ref, fear, exposure, 0.1, 0.08, 0.0, 0.05)
    assert drift[0] > 0 > drift[1]
    assert drift[2] > 0
    pushed = dynamics.autonomy_drift(trust_ref, trust_ref, fear, exposure, 0.1, 0.08, 1.0, 0.05)
    assert pushed == pytest.approx([0.05, 0.05, 0.05])


def test_exposure_adds_sea_arctic_and_history_to_proximity_and_is_clipped():
    proximity = np.array([0.2, 0.2, 0.2, 0.9])
    sea, arctic, history = np.array([1.0, 0, 0, 1]), np.array([0, 1.0, 0, 1]), np.array([0, 0, 1.0, 1])
    exposure = dynamics.exposure(proximity, sea, arctic, history, 0.1, 0.3, 0.2)
    assert exposure == pytest.approx([0.3, 0.5, 0.4, 1.0])


def test_threat_target_discounts_accommodation_and_affinity():
    exposure = np.array([0.5, 0.5, 0.5])
    target = dynamics.threat_target(0.8, exposure, 0.1, np.array([0.0, 1.0, 0.0]), 0.2, np.array([0.0, 0.0, 1.0]), 0.4)
    assert target == pytest.approx([0.8 * (0.1 + 0.9 * 0.5), 0.8 * (0.1 + 0.9 * 0.3), 0.8 * (0.1 + 0.9 * 0.1)])


def test_words_are_read_through_alignment_and_weighed_against_boots_by_exposure():
    words = dynamics.words_read(np.array([[0.7]]), np.array([[0.2]]), np.array([[0.0, 1.0]]), 0.5)
    assert words[0] == pytest.approx([0.5, 0.6])  # the aligned government discounts half the doubt
    weight = dynamics.words_weight(0.6, np.array([0.0, 0.5, 1.0]), 0.4)
    assert weight == pytest.approx([0.8, 0.6, 0.4])  # the exposed state reads troops more
    signal = dynamics.trust_signal(
        np.array([[0.7, 0.7]]), np.zeros((1, 2)), np.zeros((1, 2)), 50.0, 100.0, 2.0, np.array([[0.8, 0.4]])
    )
    assert signal[0] == pytest.approx([0.8 * 0.7 + 0.2 * 0.5, 0.4 * 0.7 + 0.6 * 0.5])


def test_stakes_rise_with_reliance_exposure_and_sharing_and_fall_with_an_own_deterrent():
    reliance, exposure = np.array([0.5, 0.5, 0.5, 0.5]), np.array([0.2, 0.9, 0.2, 0.2])
    nuclear, sharing = np.array([0.0, 0.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.0, 1.0])
    stakes = dynamics.trust_stakes(reliance, exposure, 0.5, nuclear, 0.3, sharing, 0.1)
    assert stakes == pytest.approx([0.35, 0.7, 0.35 * 0.7, 0.45])
    trust = dynamics.us_trust(np.full(4, 0.8), np.full(4, 0.4), stakes, 0.1, 0.3)
    assert trust[1] < trust[0] < trust[2]  # who has more at stake moves faster


def test_coercion_spills_over_by_similarity_of_position():
    """Target 0 borders state 1; state 2 shares its formats and its exposures; state 3 shares nothing."""
    borders = np.zeros((4, 4))
    borders[0, 1] = borders[1, 0] = 1.0
    groupings = np.array([[1, 0, 1, 0], [1, 0, 1, 0]], dtype=bool)
    issues = np.array([[1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=bool)
    similarity = dynamics.coercion_similarity(borders, groupings, issues, 0)
    assert similarity == pytest.approx([1.0, 1 / 3, 2 / 3, 0.0])
    share = dynamics.coercion_spill_share(similarity, 0.5, 0.3)
    assert share[3] == pytest.approx(0.15) and share[2] > share[1] > share[3]


def test_poll_levels_reorder_the_model_levels_as_the_poll_orders_them():
    model = np.array([0.1, 0.5, 0.3, 0.9])
    poll = np.array([0.9, 0.2, 0.5, np.nan])
    polled = np.array([True, True, True, False])
    levels = dynamics.poll_levels(model, np.nan_to_num(poll), polled)
    assert levels == pytest.approx([0.5, 0.1, 0.3, 0.9])  # same levels, the poll's order; the unpolled keeps its own


def test_poll_deviation_fills_the_unpolled_from_the_predictor():
    poll = np.array([0.2, 0.4, 0.6, 0.0, 0.0])
    polled = np.array([True, True, True, False, False])
    predictor = np.array([0.0, 0.5, 1.0, 1.0, 0.5])
    members = np.array([True, True, True, True, False])
    deviation = dynamics.poll_deviation(poll, polled, predictor, members)
    assert deviation == pytest.approx([-0.2, 0.0, 0.2, 0.2, 0.0])


def test_threat_bias_holds_a_moved_steady_state_exactly():
    rng = np.random.default_rng(0)
    n = 5
    influence = rng.random((n, n)) + np.eye(n)
    influence /= influence.sum(axis=1, keepdims=True)
    target = rng.random(n) * 0.5
    zeros = np.zeros(n)
    borders = np.zeros((n, n))
    settled = dynamics.threat_fixed_point(target, 0.15, zeros, borders, 0.0, 0.0, influence, 0.2)
    wanted = settled + np.array([0.1, -0.05, 0.0, 0.02, 0.0])
    bias = dynamics.threat_bias(wanted - settled, 0.15, influence, 0.2)
    step = dynamics.threat(wanted, target + bias, 0.15, np.zeros(n, dtype=bool), borders, 0.0, 0.0, influence, 0.2)
    assert step == pytest.approx(wanted, abs=1e-12)


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


def test_signalled_commitment_is_the_stance_less_the_standing_doubt_clipped():
    base = np.array([0.8, 0.3])
    shocks = np.array([[0.1, -0.05], [0.5, 0.0]])
    assert dynamics.standing_doubt(shocks) == pytest.approx([0.05, 0.5])
    assert dynamics.signalled_commitment(base, shocks) == pytest.approx([0.75, 0.0])
    assert dynamics.signalled_commitment(np.array([1.2, 0.4]), np.zeros((2, 0))) == pytest.approx([1.0, 0.4])


def test_agenda_positions_read_the_state():
    autonomy, reliance, trust = np.array([0.6, 0.2]), np.array([0.4, 0.9]), np.array([0.8, 0.5])
    assert dynamics.european_preference(autonomy, reliance) == pytest.approx([0.6, 0.15])
    assert dynamics.eu_cooperation(trust, autonomy) == pytest.approx([0.7, 0.35])
    assert (dynamics.consent(np.zeros((2, 3))) == 1.0).all()
    assert dynamics.us_alignment(reliance, trust, np.array([False, True]), 0.3) == pytest.approx([0.32, 0.75])


def test_ceasefire_acceptance_weighs_the_push_against_support_and_the_front():
    support, threat = np.array([[0.7, 0.2, 0.9]]), np.array([[0.5, 0.0, 1.0]])
    alignment = np.array([[0.5, 1.0, 0.0]])
    calm = dynamics.ceasefire_acceptance(support, threat, alignment, np.array([[0.0]]), 1.0, 0.2)
    pushed = dynamics.ceasefire_acceptance(support, threat, alignment, np.array([[0.6]]), 1.0, 0.2)
    assert calm == pytest.approx(np.array([[0.2, 0.8, 0.0]]))  # 1 - support - 0.2 threat, clipped at 0
    assert pushed == pytest.approx(np.array([[0.5, 1.0, 0.0]]))  # + 0.6 alignment, clipped at 1


def test_pledge_budget_plan_spreads_the_rise_to_the_line_and_is_zero_outside_nato():
    spending, own = np.array([[2.0, 2.0]]), np.array([[2.0, 2.0]])
    # No grievance: no deadline pressure; full adherence aims at the line 3.5 + 0, four budget years left.
    plan = dynamics.pledge_budget_plan(
        spending,
        own,
        np.array([[1.0, 1.0]]),
        np.array([1.0]),
        np.array([[True, False]]),
        np.array([0.0]),
        12 * 2032,
        np.array([12 * 2035 + 11]),
        np.array([24.0]),
        np.array([[0.5]]),
        np.array([3.5]),
        np.array([0.0]),
        np.array([[1.0]]),
        np.array([[0.0]]),
    )
    assert plan == pytest.approx(np.array([[2.0 + 1.5 / 4, 0.0]]))
