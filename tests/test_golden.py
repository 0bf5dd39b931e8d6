"""Golden outputs: the engine reproduces the stored tables of every shipped scenario.

The files under ``tests/golden`` were written by ``tests/golden/regenerate.py``
from the model before the batched engine; they change only on purpose. Columns
are compared by name, so added columns or changed dtypes do not break the
comparison: counts, decisions, outcomes and blockers exactly, floats within
1e-12 (absolute or relative).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("golden_regenerate", GOLDEN / "regenerate.py")
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)

SCENARIOS = sorted(p.name.split(".")[0] for p in GOLDEN.glob("*.model.parquet"))
TOLERANCE = 1e-12


def assert_matches_golden(expected: pd.DataFrame, actual: pd.DataFrame, where: str) -> None:
    """Every golden column, by name: floats within 1e-12 absolute or relative, everything else exactly."""
    assert len(actual) == len(expected), f"{where}: {len(actual)} rows, golden has {len(expected)}"
    for name in expected.columns:
        assert name in actual.columns, f"{where}: column {name} is missing"
        want, got = expected[name].to_numpy(), actual[name].to_numpy()
        if want.dtype.kind == "f":
            got = got.astype(float)
            close = np.isclose(got, want, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True)
            if not close.all():
                row = int(np.flatnonzero(~close)[0])
                pytest.fail(f"{where}.{name}: row {row} is {got[row]!r}, golden {want[row]!r}")
        else:
            if want.dtype.kind in "iub":
                got = got.astype(want.dtype)
            else:
                want, got = want.astype(str), got.astype(str)
            same = want == got
            if not same.all():
                row = int(np.flatnonzero(~same)[0])
                pytest.fail(f"{where}.{name}: row {row} is {got[row]!r}, golden {want[row]!r}")


def test_every_shipped_scenario_has_golden_files():
    assert sorted(regenerate.shipped()) == SCENARIOS


@pytest.mark.parametrize("name", SCENARIOS)
def test_single_runs_reproduce_the_golden_tables(name):
    tables = regenerate.tables(name)
    for table, frame in tables.items():
        expected = pd.read_parquet(GOLDEN / f"{name}.{table}.parquet")
        assert_matches_golden(expected, frame, f"{name}.{table}")


@pytest.mark.parametrize("name", SCENARIOS)
def test_batched_runs_reproduce_the_golden_tables(name):
    """`cohesion run`'s path: the replications in chunks advanced as batches (here chunks of two)."""
    from sim.runs.replications import run_scenario
    from sim.scenarios import scenario

    # Golden outputs are the model at the registry defaults: uncertainty none.
    loaded = scenario.load(name).with_overrides(replications=regenerate.REPLICATIONS, uncertainty="none")
    results = run_scenario(loaded, chunk_runs=2)
    for table in regenerate.TABLES:
        expected = pd.read_parquet(GOLDEN / f"{name}.{table}.parquet")
        assert_matches_golden(expected, getattr(results, table), f"{name}.{table} (batched)")
