"""The results store and the runner: identical tables whatever the workers, a manifest that tells the truth."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim import DISCLAIMER, MODEL_OUTCOMES
from sim.runs.folder import MANIFEST, TABLES, ResultsFolder, summarise
from sim.runs.replications import run_replication, run_scenario
from sim.scenarios.scenario import from_mapping
from sim.util.errors import InputError

SHORT = {
    "name": "short",
    "extends": "prelude_2025",
    "start": "2025-01",
    "end": "2026-06",
    "replications": 4,
    "seed": 11,
    "events": [{"date": "2026-02", "type": "article5_doubt", "size": 0.2}],
}


@pytest.fixture(scope="module")
def scenario():
    return from_mapping(SHORT, source="short.yaml")


def test_same_seed_gives_identical_parquet_with_one_and_two_workers(tmp_path, scenario):
    tables = {}
    for workers in (1, 2):
        folder = ResultsFolder.create(tmp_path / f"w{workers}", scenario)
        folder.write_results(run_scenario(scenario, workers=workers))
        tables[workers] = {name: pq.read_table(folder.path / file) for name, file in TABLES.items()}
    for name in TABLES:
        assert tables[1][name].equals(tables[2][name]), name
    assert tables[1]["model"].column("replication").to_pylist()[::18] == [0, 1, 2, 3]


def test_a_replication_does_not_depend_on_how_many_are_run(scenario):
    alone = run_replication(scenario, 2)
    among = run_scenario(scenario.with_overrides(replications=3), workers=1)
    assert alone.model.equals(among.model[among.model["replication"] == 2].reset_index(drop=True))


def test_tables_follow_the_contract(scenario):
    results = run_scenario(scenario.with_overrides(replications=2))
    assert list(results.model.columns) == ["run", "point", "replication", "seed", "step", "date", *MODEL_OUTCOMES]
    assert list(results.agents.columns[:4]) == ["run", "step", "date", "iso3"]
    assert {"threat", "us_trust", "spending_pct_gdp", "autonomy", "ukraine_support"} <= set(results.agents.columns)
    assert list(results.events.columns[:1]) == ["run"]
    assert {"date", "body", "item", "rule", "outcome", "blockers"} <= set(results.events.columns)
    assert set(results.model["seed"]) == set(scenario.with_overrides(replications=2).seeds())
    summary = summarise(results.model)
    assert len(summary) == 2
    assert {"final_cohesion", "mean_cohesion", "seed"} <= set(summary.columns)


def test_manifest_says_running_until_complete_and_records_provenance(tmp_path, scenario):
    folder = ResultsFolder.create(tmp_path, scenario, ["cohesion", "run", "short.yaml"])
    manifest = json.loads((folder.path / MANIFEST).read_text())
    assert manifest["status"] == "running"
    assert manifest["disclaimer"] == DISCLAIMER
    assert manifest["scenario"]["name"] == "short"
    assert manifest["scenario_hash"] == scenario.content_hash()
    assert manifest["seeds"] == scenario.seeds()
    assert manifest["runs_done"] == 0 and manifest["runs_total"] == 4
    assert {"numpy", "pandas", "mesa", "pyarrow"} <= set(manifest["packages"])
    assert "commit" in manifest["code_revision"]
    assert folder.path.name.startswith("short-")
    with pytest.raises(InputError, match="still running, pid"):  # its writer, this process, is alive
        ResultsFolder.open(folder.path)
    folder.run_done()
    folder.finish("interrupted", "stopped")
    assert json.loads((folder.path / MANIFEST).read_text())["runs_done"] == 1
    assert json.loads((folder.path / MANIFEST).read_text())["status"] == "interrupted"
    assert not list(folder.path.glob(".*.tmp")), "no temporary file is left behind"
    with pytest.raises(InputError, match="did not finish"):
        ResultsFolder.open(folder.path)


def test_two_runs_in_the_same_second_get_two_folders(tmp_path, scenario):
    first = ResultsFolder.create(tmp_path, scenario)
    second = ResultsFolder.create(tmp_path, scenario)
    assert first.path != second.path


def test_the_hash_ignores_prose_but_not_content(scenario):
    reworded = from_mapping({**SHORT, "description": "other words"}, source="elsewhere.yaml")
    changed = from_mapping({**SHORT, "seed": 12}, source="short.yaml")
    assert reworded.content_hash() == scenario.content_hash()
    assert changed.content_hash() != scenario.content_hash()


def test_chunk_size_of_a_run_never_changes_a_number(scenario):
    scenario = scenario.with_overrides(replications=5)
    reference = run_scenario(scenario, workers=1, chunk_runs=1)
    for chunk_runs, workers in ((2, 1), (5, 1), (2, 2)):
        other = run_scenario(scenario, workers=workers, chunk_runs=chunk_runs)
        for name in ("model", "agents", "events"):
            pd.testing.assert_frame_equal(getattr(reference, name), getattr(other, name), check_exact=True, obj=name)
