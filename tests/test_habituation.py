"""Unit tests of the references that habituate: war fatigue (docs/ODD.md section 7.3) and the level of defence
spending voters are used to (section 7.10)."""

from __future__ import annotations

import numpy as np

from sim.engine import RunSpec, build_batch, run_batch
from sim.engine.hooks import RowHooks
from sim.engine.outputs import model_columns
from sim.engine.step import step
from sim.rules import dynamics


def one_run(**spec):
    return build_batch([RunSpec(seed=0, **spec)])


def test_a_set_of_the_fatigue_rate_derives_the_habituation_again():
    """The habituation is derived from war_fatigue_rate; a ``set`` of the rate derives it again, as setting
    the rate under ``parameters`` does, so the two give the same fatigue month for month."""
    b = one_run()
    RowHooks(b, 0).set_parameter("war_fatigue_rate", 0.03)
    expected = dynamics.fatigue_habituation(0.3, 0.03, b.p["russia_aggression_initial"][0])
    assert b.fatigue_habituation[0] == expected
    assert expected != one_run().fatigue_habituation[0]  # the rate does change it
    end = {"end": "2027-12"}
    from_start = run_batch([RunSpec(seed=0, parameters={"war_fatigue_rate": 0.03}, **end)])
    at_start = [{"type": "set", "date": "2025-01", "parameter": "war_fatigue_rate", "value": 0.03}]
    by_event = run_batch([RunSpec(seed=0, events=at_start, **end)])
    np.testing.assert_array_equal(by_event.fatigue_habituation, from_start.fatigue_habituation)
    np.testing.assert_array_equal(fatigue(by_event), fatigue(from_start))


def fatigue(b) -> np.ndarray:
    """(R, T) war fatigue of a stepped batch."""
    return model_columns(b)["war_fatigue"].reshape(b.n_runs, b.n_steps)


def test_a_set_of_a_faster_fatigue_rate_keeps_the_2025_level_steady():
    """After a ``set`` of a faster fatigue rate in a calm run (no noise in aggression), fatigue stays at its
    2025 level (0.3), the steady level the habituation is derived for; with the habituation of the old rate it
    would climb toward 0.63."""
    events = [{"type": "set", "date": "2026-01", "parameter": "war_fatigue_rate", "value": 0.04}]
    b = run_batch([RunSpec(seed=0, events=events, end="2030-12", parameters={"russia_aggression_noise_sd": 0.0})])
    assert np.all(np.abs(fatigue(b) - 0.3) < 1e-9)


def test_the_spending_reference_habituates_at_its_rate():
    """Each month the level of spending voters are used to moves toward spending by spending_habituation_rate
    of the gap (every state); a gap opened once fades as (1 - rate) ** months, so after three years at the
    default 0.08 under 5 % of it is left."""
    b = one_run(parameters={"spending_habituation_rate": 0.1})
    b.spending_reference = b.spending_reference - 0.5  # spending now lies 0.5 above the reference everywhere
    before = b.spending_reference.copy()
    step(b)
    expected = before + 0.1 * (b.spending_pct_gdp - before)
    np.testing.assert_allclose(b.spending_reference, expected, rtol=0, atol=1e-15)
    # Two runs alike but for a rise of 0.5 the voters are not yet used to; the cost of defence is left out of
    # elections so the runs stay alike in every other respect.
    calm = {"election_cost_coef": 0.0}
    plain, fresh = one_run(parameters=calm), one_run(parameters=calm)
    fresh.spending_reference = fresh.spending_reference - 0.5
    for _ in range(36):
        step(plain), step(fresh)
    np.testing.assert_array_equal(fresh.spending_pct_gdp, plain.spending_pct_gdp)
    left = plain.spending_reference - fresh.spending_reference
    np.testing.assert_allclose(left, 0.5 * 0.92**36, rtol=1e-9)
    assert np.all(left < 0.05 * 0.5)


def test_elections_read_spending_against_the_habituated_reference(monkeypatch):
    """An election reads the rise of spending over the level voters are used to (not over the last
    election's): a reference 0.5 points below spending is felt as a rise of 0.5 by every state that votes."""
    seen = []
    original = dynamics.accommodationist_win_probability

    def spy(fatigue, rise, *rest):
        seen.append(np.array(rise, copy=True))
        return original(fatigue, rise, *rest)

    monkeypatch.setattr(dynamics, "accommodationist_win_probability", spy)
    b = one_run()
    while b.month not in b.elections_due or b.month % 12 + 1 == int(b.p["budget_month"][0]):
        step(b)  # to an election month without a budget, so spending holds this month
    due = b.elections_due[b.month]
    b.spending_reference = b.spending_pct_gdp - 0.5
    step(b)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0][0, due], 0.5, rtol=0, atol=1e-12)
