"""sim.runs.manifest: the manifest of a new run, and the one typed, read-only view of any folder's manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim
from sim.analysis.compare import Arm
from sim.analysis.sweeps import Sweep
from sim.rules.outcomes import OUTCOME_DEFINITIONS_VERSION
from sim.runs.folder import ResultsFolder, with_files
from sim.runs.manifest import MANIFEST, Manifest, new_manifest
from sim.runs.sweep import SweepFolder
from sim.scenarios.experiment import from_mapping as experiment_from_mapping
from sim.scenarios.scenario import from_mapping
from sim.util.errors import InputError

TINY = {"name": "tiny", "start": "2025-01", "end": "2025-03", "replications": 2, "seed": 7, "uncertainty": "none"}


@pytest.fixture(scope="module")
def scenario():
    return from_mapping(TINY, source="tiny.yaml")


@pytest.fixture(scope="module")
def run_manifest(scenario):
    """A run's manifest as a results folder holds it (round-tripped through JSON)."""
    return json.loads(json.dumps(with_files(new_manifest(scenario, ["cohesion", "run", "tiny.yaml"]))))


def test_the_view_of_a_run_manifest(run_manifest):
    view = Manifest.of(run_manifest, "results/tiny/manifest.json")
    assert (view.kind, view.status, view.scenario_name, view.seed) == ("run", "running", "tiny", 7)
    assert view.horizon == ("2025-01", "2025-03") and view.replications == 2
    assert view.uncertainty == "none" and view.posterior_sha256 is None
    assert view.outcome_definitions == OUTCOME_DEFINITIONS_VERSION
    assert view.commit == run_manifest["code_revision"]["commit"] and view.created == run_manifest["started"]
    assert (view.runs_done, view.runs_total, view.runs_failed) == (0, 2, 0)
    assert view.scenario is run_manifest["scenario"]  # the record's own, not a copy
    with pytest.raises(TypeError):
        view.record["seed"] = 8  # read-only
    with pytest.raises(AttributeError):
        view.seed = 8  # frozen


def test_the_view_of_a_sweep_manifest(tmp_path):
    experiment = experiment_from_mapping(
        {
            "name": "tiny_sweep",
            "scenario": TINY,
            "design": "grid",
            "replications": 3,
            "seed": 5,
            "factors": {"confidence_bound": [0.1, 0.2]},
            "outputs": {"model": ["cohesion"]},
        },
        source="tiny_sweep.yaml",
    )
    record = SweepFolder(tmp_path, experiment)._new_manifest(4, {}, None)
    record["tables"]["points.csv"] = {"bytes": 10, "sha256": "ab"}
    view = Manifest.of(json.loads(json.dumps(record)))
    assert (view.kind, view.seed, view.replications, view.scenario_name) == ("sweep", 5, 3, "tiny")
    assert view.horizon == ("2025-01", "2025-03") and view.runs_total == 6
    assert view.code_hash == record["code_hash"] and view.experiment["design"] == "grid"
    assert dict(view.tables) == {"points.csv": {"bytes": 10, "sha256": "ab"}}
    sweep = Sweep(tmp_path, record, None)
    assert (sweep.name, sweep.seed, sweep.replications, sweep.start, sweep.end) == (
        "tiny_sweep",
        5,
        3,
        "2025-01",
        "2025-03",
    )


def test_an_old_manifest_missing_the_newer_fields_gets_their_old_meaning(run_manifest):
    old = {
        key: value
        for key, value in run_manifest.items()
        if key
        not in ("kind", "outcome_definitions", "uncertainty", "code_hash", "runs_total", "code_revision", "tables")
    }
    old["checksums"] = {"model.parquet": {"bytes": 3, "sha256": "cd"}}
    old["a_field_of_a_later_version"] = [1, 2]
    view = Manifest.of(old)
    assert view.kind == "run" and view.outcome_definitions == 1 and view.uncertainty == "none"
    assert view.code_hash is None and view.commit is None and view.modified is None
    assert view.replications == TINY["replications"]  # from the scenario when runs_total is not recorded
    assert view.tables["model.parquet"]["sha256"] == "cd"
    assert view.record["a_field_of_a_later_version"] == [1, 2]


@pytest.mark.parametrize(
    ("edit", "field", "said"),
    [
        (lambda m: m.pop("seed"), "seed", "is missing"),
        (lambda m: m.update(seed="7"), "seed", "is '7', not a whole number"),
        (lambda m: m["scenario"].update(start=202501), "scenario.start", "is 202501, not a month, YYYY-MM"),
        (lambda m: m.update(outcome_definitions=True), "outcome_definitions", "is true, not a whole number"),
        (lambda m: m.update(scenario=[]), "scenario", "is [], not a table of fields"),
        (lambda m: m.update(behind="x"), "behind", "is 'x', not a table of fields"),
    ],
    ids=["missing", "text for a number", "month", "flag for a number", "list for a table", "text for a table"],
)
def test_a_bad_field_is_one_line_naming_the_manifest_and_the_field(run_manifest, edit, field, said):
    record = json.loads(json.dumps(run_manifest))
    edit(record)
    with pytest.raises(InputError) as caught:
        Manifest.of(record, "results/tiny/manifest.json")
    line = caught.value.one_line()
    assert line.startswith(f"results/tiny/manifest.json: {field}: {said}"), line
    assert "\n" not in line


@pytest.fixture(scope="module")
def folder(tmp_path_factory, scenario):
    """A complete results folder of the tiny scenario."""
    return sim.run(scenario, workers=1).save(tmp_path_factory.mktemp("made") / "tiny")


def test_a_results_folder_with_an_ill_typed_manifest_field_is_refused_when_opened(folder, tmp_path):
    copy = tmp_path / "edited"
    copy.mkdir()
    for path in folder.iterdir():
        if path.is_file():
            (copy / path.name).write_bytes(path.read_bytes())
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["seed"] = "seven"
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=rf"{copy / MANIFEST}: seed: is 'seven', not a whole number"):
        ResultsFolder.open(copy)


def test_results_and_comparison_arms_read_the_one_view(folder):
    results = sim.load_results(folder)
    opened = ResultsFolder.open(folder)
    assert isinstance(results.info, Manifest) and results.info == opened.info
    arm = Arm("tiny", Path(folder), opened.manifest, results.model)
    assert (arm.seed, arm.horizon, arm.scenario["name"]) == (7, ("2025-01", "2025-03"), "tiny")
    assert (results.seed, results.name) == (arm.seed, "tiny")
