"""Every field of a batch is declared in sim/engine/state.py, with a true shape and an ODD section.

Set-up and the month's processes may assign only declared fields, and set-up fills every one (the
record of the run is allocated when the first month is stepped).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.engine.setup import RunSpec, build_batch
from sim.engine.state import Batch, declared_fields
from sim.engine.step import step
from sim.rules import outcomes as metrics
from sim.scenarios import scenario
from sim.scenarios.scenario import replication_seed
from tests.helpers import ROOT

ODD = ROOT / "docs" / "ODD.md"
RECORD = {"history", "europe_history", "recorded"}  # allocated by the first step


def _specs(name: str, runs: int = 2) -> list[RunSpec]:
    sc = scenario.load(name)
    return [
        RunSpec(replication_seed(sc.seed, k), sc.start, sc.end, sc.initial_year, list(sc.events), sc.states)
        for k in range(runs)
    ]


def _check_declared(batch) -> None:
    """Every field of ``batch`` has its declared type and shape (R runs, N states, T months, K outcomes,
    G small formats)."""
    sizes = {
        "R": batch.n_runs,
        "N": batch.n_states,
        "T": batch.n_steps,
        "K": len(metrics.RECORDED_OUTCOMES),
        "G": len(batch.data.groupings),
    }
    for name, field in declared_fields().items():
        value = getattr(batch, name)
        if field.is_array:
            assert isinstance(value, np.ndarray), f"{name} is declared an array"
            assert value.dtype == np.dtype(field.dtype), f"{name}: {value.dtype}, declared {field.dtype}"
            symbols = [s.strip() for s in field.shape.strip("()").split(",") if s.strip()]
            expected = [None if s == "S" else sizes[s] if s in sizes else int(s) for s in symbols]
            assert len(value.shape) == len(expected), f"{name}: shape {value.shape}, declared {field.shape}"
            for got, want in zip(value.shape, expected, strict=True):
                assert want is None or got == want, f"{name}: shape {value.shape}, declared {field.shape}"
        else:
            assert type(value).__name__ == field.dtype, f"{name}: {type(value).__name__}, declared {field.dtype}"
            if field.shape == "list[R]":
                assert len(value) == batch.n_runs, f"{name}: {len(value)} entries, declared one per run"


def test_set_up_assigns_only_declared_fields_and_fills_every_one():
    batch = build_batch(_specs("baseline"))
    assigned, declared = set(vars(batch)), set(declared_fields())
    assert assigned - declared == set(), "set-up assigns fields that sim/engine/state.py does not declare"
    assert declared - assigned == set(), "fields declared in sim/engine/state.py that set-up does not fill"
    assert all(getattr(batch, name) is None for name in RECORD)
    step(batch)
    assert set(vars(batch)) == declared
    _check_declared(batch)


@pytest.mark.parametrize("name", sorted(scenario.packaged_scenarios()))
def test_a_whole_run_with_its_events_keeps_to_the_declared_fields(name):
    batch = build_batch(_specs(name))
    while batch.steps < batch.n_steps:
        step(batch)
    assert set(vars(batch)) == set(declared_fields()), f"{name}: fields outside the declaration"
    _check_declared(batch)


def test_every_declared_field_cites_sections_the_odd_has():
    headings = set(re.findall(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", ODD.read_text(encoding="utf-8"), flags=re.M))
    assert {"2.2", "7.0", "7.8.1", "7.11"} <= headings  # the pattern reads the ODD's headings
    for name, field in declared_fields().items():
        cited = [s.strip() for s in field.odd.split(",")]
        assert cited and all(cited), f"{name} cites no ODD section"
        missing = [s for s in cited if s not in headings]
        assert not missing, f"{name} cites ODD sections {missing}, which docs/ODD.md lacks"


def test_a_batch_holds_state_and_no_rules():
    """The rules live in sim.rules.dynamics: a batch has its declared fields and the ``col`` accessor, nothing else."""
    own = {name for name, value in vars(Batch).items() if callable(value) or isinstance(value, property)}
    assert own == {"col"}
