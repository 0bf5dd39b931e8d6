"""Property tests (hypothesis): bounds hold under any parameters in their registered ranges."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import AllianceModel
from sim.agents import STATE_VARIABLES
from sim.params import PARAMETERS

UNIT_VARIABLES = ("threat", "us_trust", "us_reliance", "abandonment_fear", "autonomy", "ukraine_support")
EVENT_MIX = [
    {"type": "us_troops", "date": "2025-03", "change": -0.9, "over_months": 3},
    {"type": "article5_doubt", "date": "2025-04", "size": 1.0, "decay_months": 1},
    {"type": "ceasefire_pressure", "date": "2025-05", "level": 1.0},
    {"type": "coercion", "date": "2025-06", "target": "DNK", "size": 1.0},
    {"type": "hybrid_campaign", "date": "2025-02", "multiplier": 20, "duration_months": 6},
    {"type": "russia_aggression", "date": "2025-02", "level": 1.0},
]


def _value(name: str):
    spec = PARAMETERS[name]
    if spec.is_categorical:
        return st.sampled_from(spec.choices)
    # Extremes are the point: draw the bounds often, and anything in between.
    return st.one_of(st.sampled_from([spec.low, spec.high]), st.floats(spec.low, spec.high))


overrides = st.fixed_dictionaries({}, optional={name: _value(name) for name in PARAMETERS})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=overrides, seed=st.integers(0, 2**32 - 1), stressed=st.booleans())
def test_state_stays_in_bounds_under_extreme_parameters(overrides, seed, stressed):
    model = AllianceModel(seed=seed, end="2026-12", parameters=overrides, events=EVENT_MIX if stressed else ())
    model.run()
    agents = model.agent_dataframe()
    for name in STATE_VARIABLES:
        assert np.isfinite(agents[name]).all(), name
    for name in UNIT_VARIABLES:
        assert agents[name].between(0.0, 1.0).all(), name
    assert (agents["spending_pct_gdp"] >= 0.0).all()
    frame = model.model_dataframe()
    assert frame["cohesion"].between(0.0, 1.0).all()
    assert frame["us_commitment"].between(0.0, 1.0).all()
    assert (frame["us_troops_europe"] >= 0.0).all()
    assert (frame["blocs"] >= 1).all()
    assert frame["eu_decisions_blocked"].is_monotonic_increasing


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**63 - 1))
def test_any_seed_reproduces(seed):
    a = AllianceModel(seed=seed, end="2025-12").run().model_dataframe()
    b = AllianceModel(seed=seed, end="2025-12").run().model_dataframe()
    assert a.equals(b)
