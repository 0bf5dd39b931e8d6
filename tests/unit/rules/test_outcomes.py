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


def test_every_outcome_the_engine_writes_has_a_record_and_every_record_is_written():
    from sim.engine import RunSpec, run_batch
    from sim.engine.outputs import agent_columns, model_columns

    batch = run_batch([RunSpec(seed=0, end="2025-06")])
    columns = model_columns(batch)
    written = set(columns) - {"step", "date"}
    assert written == set(metrics.OUTCOMES)
    for name, record in metrics.OUTCOMES.items():
        assert record.name == name
        assert (columns[name].dtype == np.int64) == record.is_count, name
        if record.zero_one:
            assert ((columns[name] >= 0) & (columns[name] <= 1)).all(), name
    states = agent_columns(batch)
    assert set(metrics.STATE_OUTCOMES) <= set(states)
    for name, record in metrics.STATE_OUTCOMES.items():
        if record.zero_one:
            assert ((states[name] >= 0) & (states[name] <= 1)).all(), name


def test_every_record_is_complete_and_the_views_follow_the_records():
    records = [*metrics.OUTCOMES.values(), *metrics.STATE_OUTCOMES.values()]
    for record in records:
        assert record.label and record.definition and record.unit, record.name
        assert "\n" not in record.one_line() and "\n" not in record.definition
        assert record.kind in ("index", "mean", "share", "count", "spread", "level")
        assert record.scale in ("0-1", "count", "% of GDP", "thousands", "SD")
        assert record.is_count == (record.kind == "count") and record.decimals >= 0
    headline = sorted(o.headline for o in metrics.OUTCOMES.values() if o.headline)
    key = sorted(o.key for o in metrics.OUTCOMES.values() if o.key)
    assert headline == list(range(1, len(headline) + 1)) and key == list(range(1, len(key) + 1))
    assert [metrics.OUTCOMES[name].headline for name in metrics.HEADLINE_OUTCOMES] == headline
    assert [metrics.OUTCOMES[name].key for name in metrics.KEY_OUTCOMES] == key
    assert set(metrics.ZERO_ONE_OUTCOMES) == {n for n, o in metrics.OUTCOMES.items() if o.scale == "0-1"}
    assert {n: o.definition for n, o in metrics.OUTCOMES.items()} == metrics.OUTCOME_DEFINITIONS
    # The records are frozen: a consumer cannot change an outcome for everyone by accident.
    with pytest.raises(AttributeError):
        metrics.OUTCOMES["cohesion"].label = "changed"


def test_values_are_shown_with_the_records_decimals():
    assert metrics.outcome("cohesion").text(0.12345) == "0.12"
    assert metrics.outcome("blocs").text(2.0) == "2" and metrics.outcome("blocs").text(2.25, averaged=True) == "2.2"
    assert metrics.outcome("us_troops_europe").text(80.4) == "80"
    assert metrics.label("cohesion_burden") == "Burden sharing: near the pledge and each other (0-1)"
    assert metrics.label("final_cohesion") == "final cohesion"
    with pytest.raises(KeyError, match="'cohesionn' is not a model outcome"):
        metrics.outcome("cohesionn")
