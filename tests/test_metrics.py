"""Outcome definitions (sim.rules.outcomes) on planted histories."""

from __future__ import annotations

import numpy as np
import pytest

from sim.rules import outcomes as metrics


def _history(aut, sup, nato=None, trust=None, spending=None):
    aut, sup = np.atleast_2d(aut), np.atleast_2d(sup)
    shape = aut.shape
    return {
        "autonomy": aut,
        "ukraine_support": sup,
        "us_trust": np.full(shape, 0.5) if trust is None else np.atleast_2d(trust),
        "threat": np.full(shape, 0.3),
        "spending_pct_gdp": np.full(shape, 2.0) if spending is None else np.atleast_2d(spending),
        "nato_member": np.ones(shape) if nato is None else np.atleast_2d(nato),
        "government": np.zeros(shape),
    }


def test_identical_positions_are_fully_cohesive_and_one_bloc():
    h = _history([0.3, 0.3, 0.3], [0.7, 0.7, 0.7])
    out = metrics.history_outcomes(h, np.ones((1, 3), bool), np.ones(3), 0.15, np.ones(3, bool))
    assert out["cohesion_positions"][0] == pytest.approx(1.0)
    assert out["blocs"][0] == 1
    assert out["ukraine_support_sd"][0] == pytest.approx(0.0)


def test_opposite_corners_have_zero_cohesion_and_two_blocs():
    h = _history([0.0, 1.0], [0.0, 1.0])
    out = metrics.history_outcomes(h, np.ones((1, 2), bool), np.ones(2), 0.15, np.ones(2, bool))
    assert out["cohesion_positions"][0] == pytest.approx(0.0)
    assert out["blocs"][0] == 2


def test_blocs_chain_and_membership_mask():
    # 0.1 apart in a chain: one bloc at threshold 0.15; the far state is a second bloc unless masked out.
    h = _history([0.1, 0.2, 0.3, 0.9], [0.5, 0.5, 0.5, 0.5])
    members = np.array([[True, True, True, True], [True, True, True, False]])
    h = {k: np.vstack([v, v]) for k, v in h.items()}
    out = metrics.history_outcomes(h, members, np.ones(4), 0.15, np.ones(4, bool))
    assert list(out["blocs"]) == [2, 1]


def test_gdp_weights_cohesion_and_spending():
    # A tiny outlier barely moves GDP-weighted cohesion.
    h = _history([0.5, 0.5, 1.0], [0.5, 0.5, 0.0], spending=[2.0, 2.0, 5.0])
    gdp = np.array([100.0, 100.0, 1.0])
    out = metrics.history_outcomes(h, np.ones((1, 3), bool), gdp, 0.15, np.ones(3, bool))
    assert out["cohesion_positions"][0] > 0.98
    assert out["spending_pct_gdp"][0] == pytest.approx((200 * 2.0 + 5.0) / 201)
    assert out["allies_at_2pct"][0] == 3 and out["allies_at_3_5pct"][0] == 1


def test_article5_credibility_counts_only_allies():
    h = _history([0.5, 0.5], [0.5, 0.5], nato=[1.0, 0.0], trust=[0.8, 0.1])
    out = metrics.history_outcomes(h, np.ones((1, 2), bool), np.ones(2), 0.15, np.ones(2, bool))
    assert out["article5_credibility"][0] == pytest.approx(0.8)


def test_every_outcome_is_derived_recorded_or_composite():
    h = _history([0.3, 0.4], [0.7, 0.6])
    out = metrics.history_outcomes(h, np.ones((1, 2), bool), np.ones(2), 0.15, np.ones(2, bool))
    assert set(out) == set(metrics.DERIVED_OUTCOMES)
    kinds = (metrics.DERIVED_OUTCOMES, metrics.RECORDED_OUTCOMES, metrics.COMPOSITE_OUTCOMES)
    assert set().union(*kinds) == set(metrics.MODEL_OUTCOMES)
    assert sum(len(kind) for kind in kinds) == len(metrics.MODEL_OUTCOMES)
