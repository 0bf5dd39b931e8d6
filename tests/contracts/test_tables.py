"""Sweep tables each in a folder of their own and typed like run tables; the notebook API for sweeps; the command
line as a thin layer over the API, producing the golden tables exactly.

Sweeps here are small (a two-year horizon, a dozen runs); the run-folder checks against the golden outputs run
``cohesion run`` in this process on the baseline (the other seven shipped scenarios in the slow suite).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

import sim
from sim.cli import main
from sim.runs.folder import internal, typed, whole_counts
from sim.runs.replications import run_scenario
from sim.util.errors import InputError
from tests.helpers import GOLDEN, experiment_file

SHIPPED = sorted(p.name.split(".")[0] for p in GOLDEN.glob("*.model.parquet"))
FAST = ("baseline",)  # the other seven run in the slow suite


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """A finished 4-point x 3-replication sweep with monthly agents, in chunks of two runs (several parts)."""
    folder = tmp_path_factory.mktemp("tables")
    out = folder / "sweep"
    argv = ["sweep", str(experiment_file(folder)), "--workers", "1", "--chunk-runs", "2", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    return out


# ====================================================================== one folder per table
def test_each_sweep_table_has_its_own_folder(swept):
    top = {p.name for p in swept.iterdir()}
    assert {"model", "agents", "summary", "points"} <= top
    assert not [name for name in top if name.endswith(".parquet")], "no table beside the others at the top"
    for table in ("model", "agents", "summary"):
        parts = sorted((swept / table).iterdir())
        assert len(parts) == 6 and all(p.name.startswith("part-") for p in parts), table
    manifest = json.loads((swept / "manifest.json").read_text())
    assert manifest["files"]["model"] == "model/" and manifest["files"]["points"] == "points/"
    ledger = [json.loads(line) for line in (swept / "chunks.jsonl").read_text().splitlines()]
    assert {p["name"].split("/")[0] for e in ledger for p in e["parts"].values()} == {"model", "agents", "summary"}

    # pandas and pyarrow read one table from its folder, and only that table.
    model = pd.read_parquet(swept / "model")
    agents = pd.read_parquet(swept / "agents")
    summary = pd.read_parquet(swept / "summary")
    points = pd.read_parquet(swept / "points")
    assert len(model) == 12 * 24 and len(agents) == 12 * 24 * 37 and len(summary) == 12 and len(points) == 4
    assert "iso3" not in model and "final_cohesion" not in model and "cohesion" not in agents
    assert ds.dataset(swept / "model").count_rows() == len(model)
    pd.testing.assert_frame_equal(
        summary.drop(columns="error").reset_index(drop=True),
        pd.read_csv(swept / "summary.csv").drop(columns="error"),
        check_dtype=False,
    )


def test_sweep_parquet_is_typed_like_the_run_tables(swept):
    model = ds.dataset(swept / "model").schema
    agents = ds.dataset(swept / "agents").schema
    assert model.field("date").type == pa.date32()
    assert agents.field("date").type == pa.date32()
    for name in ("iso3", "government"):
        assert pa.types.is_dictionary(agents.field(name).type), name
    frame = pd.read_parquet(swept / "agents")
    assert frame["date"].iloc[0] == dt.date(2025, 1, 1)
    assert isinstance(frame["iso3"].dtype, pd.CategoricalDtype) and len(frame["iso3"].cat.categories) == 37
    assert set(frame["government"].cat.categories) == {"mainstream", "accommodationist"}
    # Every part carries the same dictionaries, so a part read alone has the same categories.
    alone = pd.read_parquet(sorted((swept / "agents").iterdir())[-1])
    assert list(alone["iso3"].cat.categories) == list(frame["iso3"].cat.categories)
    assert (frame.groupby(["run", "step"])["iso3"].nunique() == 37).all()


def test_sweep_values_are_those_of_the_scenario_runs(swept, tmp_path):
    """Typing changed the column types, not a number: a point's runs equal its scenario run by the engine."""
    model = internal(pd.read_parquet(swept / "model")).sort_values(["run", "step"], ignore_index=True)
    assert model["date"].iloc[0] == "2025-01"
    api = sim.load_sweep(swept)
    pd.testing.assert_frame_equal(
        api.model.sort_values(["run", "step"], ignore_index=True),
        typed(pd.read_parquet(swept / "model")).sort_values(["run", "step"], ignore_index=True),
    )
    at = api.at("2026")
    assert len(at) == 12 and set(api.factors) <= set(at.columns)
    last = model[model["date"] == "2026-12"].sort_values("run")
    assert at["cohesion"].tolist() == last["cohesion"].tolist()


def test_old_layout_is_refused_with_how_to_fix(swept, tmp_path, capsys):
    old = Path(shutil.copytree(swept, tmp_path / "old"))
    for table in ("model", "agents", "summary"):
        (old / table).rename(old / f"{table}.parquet")
    (old / "points" / "part-000000.parquet").rename(old / "points.parquet")
    (old / "points").rmdir()
    assert main(["analyze", str(old)]) == 2
    message = one_line(capsys)
    assert "earlier version" in message and "model.parquet/" in message and "run the sweep again" in message
    with pytest.raises(InputError, match="earlier version"):
        sim.load_sweep(old)
    experiment = experiment_file(tmp_path)
    assert main(["sweep", str(experiment), "--workers", "1", "--quiet", "--out", str(old)]) == 2
    message = one_line(capsys)
    assert "earlier version" in message and "cannot be resumed" in message and "--out" in message
    assert sorted(p.name for p in old.iterdir()) == sorted(
        [
            *(p.name for p in swept.iterdir() if p.name not in ("model", "agents", "summary", "points")),
            "model.parquet",
            "agents.parquet",
            "summary.parquet",
            "points.parquet",
        ]
    ), "nothing written into the refused folder"


def test_run_sweep_in_a_notebook_gives_the_command_lines_tables(swept, tmp_path):
    results = sim.run_sweep(experiment_file(tmp_path), tmp_path / "api", workers=2, chunk_runs=5)
    assert results.report.status == "complete" and results.report.runs_done == 12
    assert "4 points x 3 replications" in repr(results)
    for name in ("model", "agents", "summary"):
        cli = pd.read_parquet(swept / name).sort_values(["run", "step"] if name != "summary" else ["run"])
        cli = (whole_counts if name == "summary" else typed)(cli.reset_index(drop=True))
        pd.testing.assert_frame_equal(getattr(results, name), cli, check_exact=True, obj=name)
    pd.testing.assert_frame_equal(results.points, sim.load_sweep(swept).points)
    with pytest.raises(InputError, match="workers"):
        sim.run_sweep(experiment_file(tmp_path), tmp_path / "bad", workers=0)
    with pytest.raises(InputError, match="SWEEP_DIR"):
        sim.load_sweep(tmp_path / "nowhere")
    with pytest.raises(InputError, match="is a sweep folder.*sim.load_sweep"):
        sim.load_results(swept)


def test_plot_of_a_sweep_folder_is_one_line(swept, capsys):
    assert main(["plot", str(swept)]) == 2
    assert "is a sweep folder" in one_line(capsys)


# ====================================================================== the command line over the API
def _folder_tables(out: Path) -> dict[str, pd.DataFrame]:
    (folder,) = out.iterdir()
    return {name: internal(pd.read_parquet(folder / name)) for name in ("model", "agents", "events")}


def _assert_equals_golden(name: str, tables: dict[str, pd.DataFrame]) -> None:
    """Every golden column exactly (no tolerance): the same numbers, decisions and blockers."""
    for table, frame in tables.items():
        golden = pd.read_parquet(GOLDEN / f"{name}.{table}.parquet")
        assert list(frame["run"].unique()) == list(golden["run"].unique())
        got = frame[list(golden.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, golden, check_exact=True, check_dtype=False, obj=f"{name}.{table}")


def _cli_run(name: str, out: Path, *options: str) -> dict[str, pd.DataFrame]:
    argv = ["run", name, "--replications", "3", "--uncertainty", "none", "--quiet", "--out", str(out), *options]
    assert main(argv) == 0
    return _folder_tables(out)


@pytest.mark.parametrize("name", FAST)
def test_cohesion_run_writes_the_golden_tables_exactly(name, tmp_path):
    """`cohesion run` goes through sim.api (resolve, execute, write_folder); its folder holds the golden numbers."""
    _assert_equals_golden(name, _cli_run(name, tmp_path / "out", "--workers", "2"))


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in SHIPPED if n not in FAST])
def test_cohesion_run_writes_the_golden_tables_exactly_for_every_scenario(name, tmp_path):
    _assert_equals_golden(name, _cli_run(name, tmp_path / "out", "--workers", "1"))


def test_cohesion_run_with_the_posterior_equals_the_api_run(tmp_path):
    """With parameter draws too (no golden file): the folder's tables are the API's and the runner's, exactly."""
    path = tmp_path / "short.yaml"
    path.write_text("extends: us_drawdown\nname: short\nend: 2027-12\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["run", str(path), "--replications", "3", "--seed", "5", "--uncertainty", "posterior", "--quiet"]
    assert main([*argv, "--workers", "1", "--out", str(out)]) == 0
    tables = _folder_tables(out)
    api = sim.run(path, replications=3, seed=5, uncertainty="posterior")
    direct = run_scenario(sim.Scenario.load(path).with_overrides(replications=3, seed=5, uncertainty="posterior"))
    for name in ("model", "agents", "events"):
        pd.testing.assert_frame_equal(tables[name], internal(getattr(api, name)), check_exact=True, obj=name)
        pd.testing.assert_frame_equal(tables[name], getattr(direct, name), check_exact=True, obj=name)
    (folder,) = out.iterdir()
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "chance_and_parameters.png" in report, "the chance band section of a posterior run"
