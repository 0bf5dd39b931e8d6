"""The batched engine: a run alone equals the same run inside any batch, bit for bit.

Also: skipping the unused vote draws leaves every drawn number where
month-by-month draws put it, and the compiled per-row loops agree with their
plain-numpy twins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.compiled import rowops
from sim.engine import decisions, outputs
from sim.engine.setup import RunSpec, build_batch, run_batch, spawn_streams
from sim.engine.state import STREAMS
from sim.rules import dynamics
from sim.rules.institutions import ITEM_KINDS
from sim.scenarios import scenario
from sim.scenarios.scenario import replication_seed

SHIPPED = sorted(scenario.packaged_scenarios())


def _spec(sc: scenario.Scenario, k: int, **parameters) -> RunSpec:
    return RunSpec(
        replication_seed(sc.seed, k),
        sc.start,
        sc.end,
        sc.initial_year,
        list(sc.events),
        sc.states,
        {**sc.parameters, **parameters},
    )


def _assert_row_equals_single(batch, row: int, single) -> None:
    """Every model column, agent column and log entry of ``batch`` row ``row`` equals run 0 of ``single``."""
    for kind in ("model", "agent"):
        columns = getattr(outputs, f"{kind}_columns")
        inside, alone = columns(batch, np.array([row])), columns(single)
        for name, values in alone.items():
            assert np.array_equal(inside[name], values), f"row {row}: {kind} column {name} differs"
    pd.testing.assert_frame_equal(outputs.log_frame(batch, row), outputs.log_frame(single, 0))


@pytest.mark.parametrize("name", SHIPPED)
def test_a_run_alone_equals_the_run_in_batches_of_any_size_and_composition(name):
    sc = scenario.load(name)
    # Sweep points mixed in: another confidence bound, the QMV counterfactual, a stronger incident rate.
    points = [{}, {"confidence_bound": 0.3}, {"eu_cfsp_rule": "qmv"}, {"hybrid_incident_rate": 2.0}]
    specs = [_spec(sc, k, **points[k % len(points)]) for k in range(6)]
    alone = [run_batch([spec]) for spec in specs]
    for order in ([0, 1], [2, 3, 4, 5, 0, 1], [5, 0, 3]):
        batch = run_batch([specs[k] for k in order])
        for row, k in enumerate(order):
            _assert_row_equals_single(batch, row, alone[k])


def test_event_fields_may_differ_from_row_to_row():
    sc = scenario.load("us_drawdown")
    events = [event.model_dump() for event in sc.events]
    deeper = [dict(e, change=-25.0) if e["type"] == "us_troops" and e.get("host") == "DEU" else e for e in events]
    base = RunSpec(1, sc.start, sc.end, None, events, sc.states, sc.parameters)
    other = RunSpec(1, sc.start, sc.end, None, deeper, sc.states, sc.parameters)
    batch = run_batch([base, other])
    _assert_row_equals_single(batch, 0, run_batch([base]))
    _assert_row_equals_single(batch, 1, run_batch([other]))
    troops = outputs.model_columns(batch)["us_troops_europe"].reshape(2, -1)
    assert troops[1, -1] < troops[0, -1]


def test_skipping_unused_vote_draws_keeps_every_drawn_number():
    spec = RunSpec(seed=123, start="2025-01", end="2026-12")
    batch = build_batch([spec])
    votes = np.random.default_rng(spawn_streams(123)[STREAMS.index("votes")])
    month_by_month = [votes.random((3 * len(ITEM_KINDS), batch.n_states)) for _ in range(batch.n_steps)]
    kinds = len(ITEM_KINDS)
    for k, slots in ((2, [0]), (3, [1, 4]), (9, [11]), (20, list(range(kinds)))):  # the other months skipped
        batch.steps = k
        drawn = decisions.vote_uniforms(batch, [slots])[0]
        rows = [offset + slot for slot in slots for offset in (0, kinds, 2 * kinds)]
        assert np.array_equal(drawn[rows], month_by_month[k][rows])
        assert not drawn[[q for q in range(3 * kinds) if q not in rows]].any()  # the rest is not drawn


def test_draws_for_the_horizon_equal_month_by_month_draws():
    batch = build_batch([RunSpec(seed=7, start="2025-01", end="2025-12")])
    sequences = spawn_streams(7)
    incidents = np.random.default_rng(sequences[STREAMS.index("incidents")])
    shocks = np.random.default_rng(sequences[STREAMS.index("shocks")])
    for k in range(12):
        assert np.array_equal(batch.draw_incidents[0, k], incidents.random(batch.n_states))
        assert np.array_equal(batch.draw_shocks[0, k], shocks.standard_normal(2))


# ------------------------------------------------------------------ compiled loops against numpy
def test_matvec_matches_numpy_and_does_not_depend_on_the_batch():
    rng = np.random.default_rng(0)
    m, x = rng.random((5, 37, 37)), rng.random((5, 37))
    out = rowops.matvec(m, x)
    assert np.allclose(out, np.einsum("rij,rj->ri", m, x), rtol=1e-13, atol=0)
    for r in range(5):
        assert np.array_equal(rowops.matvec(m[r : r + 1], x[r : r + 1])[0], out[r])
    assert np.allclose(rowops.matvec(m[0], x[0]), m[0] @ x[0], rtol=1e-13, atol=0)


def test_dynamics_uses_the_kernel_for_one_run_and_for_a_batch():
    rng = np.random.default_rng(1)
    x = rng.random((4, 37))
    influence = rng.random((37, 37)) + np.eye(37)
    bound = np.array([0.1, 0.2, 0.3, 1.0])
    out = dynamics.bounded_confidence_mean(x, influence, bound)
    for r in range(4):
        weights = influence * (np.abs(x[r][None, :] - x[r][:, None]) < bound[r])
        assert np.allclose(out[r], (weights @ x[r]) / weights.sum(axis=1), rtol=1e-13, atol=0)
        assert np.array_equal(dynamics.bounded_confidence_mean(x[r], influence, bound[r]), out[r])


def test_a_batch_without_agent_rows_gives_the_same_outcomes():
    sc = scenario.load("article5_doubt")
    specs = [_spec(sc, k, confidence_bound=0.2 + 0.05 * k) for k in range(3)]
    full, lean = run_batch(specs), run_batch(specs, keep_agents=False)
    for name, values in outputs.model_columns(full).items():
        assert np.array_equal(outputs.model_columns(lean)[name], values), name
    assert set(lean.history) < set(full.history)


def test_compiled_pcg64_draws_numpys_numbers_with_skips():
    from sim.compiled.pcg import Streams

    seeds = [np.random.SeedSequence(s) for s in (0, 1, 2**40 + 3)]
    streams = Streams([np.random.default_rng(s) for s in seeds])
    references = [np.random.default_rng(s) for s in seeds]
    first = streams.draw_segments(np.array([0, 0, 1, 2]), np.array([0, 100, 5, 123_456_789]), 37)
    assert np.array_equal(first[0], references[0].random(37))
    references[0].random(63)
    assert np.array_equal(first[1], references[0].random(37))
    references[1].bit_generator.advance(5)
    assert np.array_equal(first[2], references[1].random(37))
    references[2].bit_generator.advance(123_456_789)
    assert np.array_equal(first[3], references[2].random(37))
    later = streams.draw_segments(np.array([2]), np.array([123_456_789 + 37 + 2**33]), 5)
    references[2].bit_generator.advance(2**33)
    assert np.array_equal(later[0], references[2].random(5))
