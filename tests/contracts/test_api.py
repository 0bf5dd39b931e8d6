"""The Python API (sim.Scenario, sim.run, Results, sim.load_results, sim.compare) and the typed tables."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from matplotlib.figure import Figure

import sim
import sim.api
import sim.reporting.figures.run
import sim.runs.folder
from sim.runs.folder import MANIFEST, internal
from sim.runs.replications import run_scenario
from sim.util.errors import InputError
from tests.helpers import ROOT, tiny_scenario


@pytest.fixture(scope="module")
def short():
    return sim.Scenario.load("us_drawdown").with_overrides(end="2027-12")


@pytest.fixture(scope="module")
def results(short):
    return sim.run(short, replications=4, seed=3)


@pytest.fixture(scope="module")
def saved(results, tmp_path_factory):
    """The results saved once (drawing the eight figures takes seconds); tests copy it before changing it."""
    return results.save(tmp_path_factory.mktemp("api") / "saved")


def test_load_and_overrides(short):
    assert short.name == "us_drawdown" and short.end == "2027-12"
    changed = short.with_overrides(parameters={"confidence_bound": 0.31}, replications=7)
    assert changed.parameters["confidence_bound"] == 0.31 and changed.replications == 7
    assert changed.events == short.events and changed.extends == short.extends
    fewer = short.with_overrides(events=[])
    assert fewer.events == ()
    more = short.with_overrides(add_events=[{"date": "2026-06", "type": "us_troops", "change": -0.2}])
    assert len(more.events) == len(short.events) + 1
    with pytest.raises(InputError, match="parameters.confidence_bound"):
        short.with_overrides(parameters={"confidence_bound": 7.0})
    with pytest.raises(InputError, match="unknown parameter"):
        short.with_overrides(parameters={"confidence_bnd": 0.2})
    with pytest.raises(InputError, match="^replications: 0 is not allowed"):
        short.with_overrides(replications=0)
    with pytest.raises(InputError, match="^seed: -1 is not allowed"):
        short.with_overrides(seed=-1)


def test_run_gives_the_numbers_of_the_command_line_whatever_the_workers(short, results):
    engine = run_scenario(short.with_overrides(replications=4, seed=3))
    pd.testing.assert_frame_equal(internal(results.model), engine.model)
    two = sim.run(short, replications=4, seed=3, workers=2)
    pd.testing.assert_frame_equal(two.model, results.model)
    assert results.replications == 4 and results.seed == 3


def test_tables_are_typed_as_the_contract_says(results):
    model, agents, events = results.model, results.agents, results.events
    assert str(model["date"].dtype) == "datetime64[ns]" and model["date"].iloc[0] == pd.Timestamp("2025-01-01")
    for frame, columns in ((agents, ("iso3", "government")), (events, ("body", "item", "rule", "outcome"))):
        for column in columns:
            assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    assert all(isinstance(v, list) for v in events["blockers"])
    assert any(len(v) > 0 for v in events["blockers"]), "no blocker in four runs of us_drawdown"
    assert all(len(code) == 3 for v in events["blockers"] for code in v)
    not_votes = events["body"].isin(["scenario", "national"])
    assert not_votes.any() and events.loc[not_votes, "yes"].isna().all()
    assert (events["yes"].dropna() >= 0).all()


def test_figures_of_every_kind_are_returned_not_written(results, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for kind in sim.api.PLOT_KINDS:
        figure = results.plot(kind)
        assert isinstance(figure, Figure) and figure.axes, kind
        texts = " ".join(t.get_text() for t in figure.texts)
        assert sim.DISCLAIMER in texts
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match="headline"):
        results.plot("pie")
    with pytest.raises(InputError, match="us_trust"):
        results.plot("states", variable="mood")


def test_save_writes_the_results_folder_and_load_reads_it_back(results, saved):
    folder = saved
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["status"] == "complete" and manifest["runs_done"] == 4 and manifest["seed"] == 3
    tables = [f"{name}/part-000000.parquet" for name in ("model", "agents", "events")]
    for name in (*tables, "summary.csv", "report.md"):
        assert (folder / name).is_file(), name
    # The run draws from the posterior (the default): the chance-vs-parameters figure is the eleventh.
    assert manifest["uncertainty"] == "posterior"
    assert len(list((folder / "figures").glob("*.png"))) == 4 + len(sim.reporting.figures.run.STATE_LABELS) + 1 == 11
    schema = pq.read_schema(folder / "events" / "part-000000.parquet")
    assert str(schema.field("date").type) == "date32[day]"
    assert str(schema.field("blockers").type).startswith("list<")
    assert str(schema.field("outcome").type).startswith("dictionary<")
    again = sim.load_results(folder)
    for name in ("model", "agents", "events"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(results, name))
    with pytest.raises(InputError, match="not empty"):
        results.save(folder)
    assert results.path == folder and "saved" in repr(results)


def _as_written_before(folder: Path, results) -> Path:
    """``folder`` rewritten as versions before this layout wrote it: model.parquet, agents.parquet and
    events.parquet beside each other (text dates, ';' joined blockers), their digests in ``checksums``, and
    no tables stored beside the run."""
    manifest = json.loads((folder / MANIFEST).read_text())
    for name in [*sim.runs.folder.TABLES, *sim.runs.folder.BEHIND_TABLES]:
        shutil.rmtree(folder / name, ignore_errors=True)
    manifest["checksums"] = {}
    for name in ("model", "agents", "events"):
        path = folder / f"{name}.parquet"
        internal(getattr(results, name)).to_parquet(path, index=False)  # as written before: text dates, ';' joined
        manifest["checksums"][path.name] = sim.runs.folder.file_digest(path)
    for key in ("tables", "behind"):
        manifest.pop(key, None)
    manifest["files"].update({name: f"{name}.parquet" for name in ("model", "agents", "events")})
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return folder


def test_folders_written_before_are_read_for_their_numbers_but_not_drawn(results, saved, tmp_path, capsys):
    folder = _as_written_before(Path(shutil.copytree(saved, tmp_path / "old")), results)
    old = sim.load_results(folder)
    assert pd.api.types.is_datetime64_any_dtype(old.model["date"])
    for name in ("model", "agents", "events"):
        pd.testing.assert_frame_equal(getattr(old, name), getattr(results, name), obj=name)
    assert old.events["blockers"].map(len).sum() == results.events["blockers"].map(len).sum()
    assert old.events["yes"].isna().sum() == results.events["yes"].isna().sum()
    # Drawing needs the baseline behind and the chance-only runs, which such a folder lacks: one line, exit 2,
    # nothing written, and the model is not run to make up for them.
    from sim.cli import main

    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert main(["plot", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert (
        err.startswith(f"error: {folder}: RESULTS_DIR: was written by an earlier version")
        and "run the scenario again" in err
    )
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before, "something was written"
    with pytest.raises(InputError, match="earlier version"):
        old.save(tmp_path / "again")
    assert not (tmp_path / "again").exists()
    with pytest.raises(InputError, match="earlier version"):
        old.plot("headline")
    assert isinstance(old.plot("spending"), Figure), "a figure that needs neither is drawn"


def _engine_refuses(monkeypatch) -> None:
    """Make every entry point of the engine raise: what runs after this must not run the model."""
    import sim.engine
    import sim.engine.setup
    import sim.runs.replications

    def refuse(*args, **kwargs):
        raise AssertionError("the model was run")

    for module, name in (
        (sim.runs.replications, "run_scenario"),
        (sim.runs.replications, "run_replications"),
        (sim.runs.replications, "run_batch"),
        (sim.engine.setup, "run_batch"),
        (sim.engine, "run_batch"),
    ):
        monkeypatch.setattr(module, name, refuse)


def _drawing(folder: Path) -> tuple[str, dict[str, bytes]]:
    """report.md (without the row of when the folder's writing started) and the bytes of every figure."""
    report = (folder / "report.md").read_text(encoding="utf-8")
    report = "\n".join(line for line in report.splitlines() if not line.startswith("| run started |"))
    return report, {p.name: p.read_bytes() for p in sorted((folder / "figures").glob("*.png"))}


def test_plot_and_save_draw_from_the_folder_alone_as_the_first_drawing(results, saved, tmp_path, monkeypatch, capsys):
    """Reporting never runs the model: with the engine's entry points made to raise, `cohesion plot` and
    Results.save give the report text and the figures (PNG bytes) of the first drawing, which ``sim.run``
    made with the baseline behind and the chance-only runs run once and stored in the folder."""
    from sim.cli import main

    manifest = json.loads((saved / MANIFEST).read_text())
    assert manifest["behind"]["baseline"] and manifest["behind"]["chance"], "us_drawdown with the posterior"
    first_report, first_figures = _drawing(saved)
    assert "## Chance and parameters" in first_report and "chance_and_parameters.png" in first_figures
    assert "baseline, same seeds" in first_report or "In the baseline, same seeds" in first_report
    _engine_refuses(monkeypatch)
    folder = Path(shutil.copytree(saved, tmp_path / "copy"))
    shutil.rmtree(folder / "figures")
    (folder / "report.md").unlink()
    assert main(["plot", str(folder)]) == 0, capsys.readouterr().err
    assert (folder / "report.md").read_text() == (saved / "report.md").read_text(), "the same text, exactly"
    assert _drawing(folder) == (first_report, first_figures)
    again = sim.load_results(folder).save(tmp_path / "again")
    assert _drawing(again) == (first_report, first_figures)
    assert (again / "baseline_model" / "part-000000.parquet").is_file()


def test_what_is_drawn_behind_a_run_is_stored_once_as_typed_tables(results, saved):
    """The baseline behind and the chance-only runs: run with the results (same seeds), stored in folders of
    their own, typed like the run's tables, with their digests in the manifest's tables."""
    behind = results._behind
    base = sim.Scenario.load("baseline").with_overrides(replications=4, seed=3, end="2027-12")
    pd.testing.assert_frame_equal(behind.baseline.model, run_scenario(base).model)
    chance = run_scenario(
        sim.Scenario.load("us_drawdown").with_overrides(replications=4, seed=3, end="2027-12", uncertainty="none")
    )
    pd.testing.assert_frame_equal(behind.chance, chance.model)
    manifest = json.loads((saved / MANIFEST).read_text())
    for name, table in (("baseline_model", "model"), ("baseline_agents", "agents"), ("chance_model", "model")):
        file = f"{name}/part-000000.parquet"
        assert sim.runs.folder.damage(saved / file, manifest["tables"][file]) is None
        assert (
            pq.read_schema(saved / file).remove_metadata()
            == pq.read_schema(saved / table / "part-000000.parquet").remove_metadata()
        )
    stored = pd.read_parquet(saved / "baseline_model")
    pd.testing.assert_frame_equal(internal(stored), behind.baseline.model)
    # A glob over the run folder's top level finds no table: none can be mixed with another.
    assert list(saved.glob("*.parquet")) == []
    pd.testing.assert_frame_equal(
        pd.read_parquet(saved / "model"), pd.read_parquet(saved / "model" / "part-000000.parquet")
    )


def test_compare_pairs_the_runs(short, results, saved):
    base = sim.run(sim.Scenario.load("baseline").with_overrides(end="2027-12"), replications=4, seed=3)
    diff = sim.compare(base, results)
    assert diff.pairs == {"us_drawdown": 4}
    table = diff.table
    assert set(table["outcome"]) == set(sim.HEADLINE_OUTCOMES)
    assert isinstance(diff.plot(), Figure) and isinstance(diff.plot("levels"), Figure)
    from_disk = sim.compare(base, saved)
    pd.testing.assert_frame_equal(from_disk.differences, diff.differences)
    with pytest.raises(InputError):
        sim.compare(base, sim.run(short, replications=4, seed=4))


@pytest.mark.slow  # two results folders with their figures: most of a minute
def test_the_notebook_example_runs(tmp_path):
    done = subprocess.run(
        [sys.executable, "docs/examples/notebook.py", str(tmp_path / "out"), "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out" / "comparison" / "report.md").is_file()
    assert (tmp_path / "out" / "headline.png").stat().st_size > 10_000


def test_every_outcome_is_defined_in_plain_words_and_the_report_says_so(saved):
    from sim.rules.outcomes import MODEL_OUTCOMES, OUTCOME_DEFINITIONS, ZERO_ONE_OUTCOMES

    assert set(MODEL_OUTCOMES) <= set(OUTCOME_DEFINITIONS)
    assert set(ZERO_ONE_OUTCOMES) <= set(MODEL_OUTCOMES)
    report = (saved / "report.md").read_text(encoding="utf-8")
    assert OUTCOME_DEFINITIONS["article5_credibility"] in report
    assert "cohesion compare" in report
    moved = report.split("## States that moved most")[1].split("## Figures")[0]
    assert moved.count("- **") == 5 and "The scenario's events name it" in moved


def test_the_report_explains_us_blocks_and_names_states_in_elections():
    from sim.reporting.reports.run import _blockers_sentence, _coalitions_and_elections

    events = sim.run("perfect_storm", replications=4, seed=1)._tables.events
    assert events["blockers"].str.contains("USA").any(), "perfect_storm: the US stops no NATO decision"
    assert "us_nato_commitment_threshold" in _blockers_sentence(events, 4)
    national = events[(events["body"] == "national") & (events["outcome"] == "change")]
    turned = national[national["detail"].str.endswith("accommodationist")]
    assert not turned.empty
    most = turned["detail"].str.split(":").str[0].value_counts().index[0]
    assert f"accommodationist government: {most} (" in _coalitions_and_elections(events, 4)


def test_headline_uses_a_fixed_axis_for_zero_one_outcomes_and_marks_the_events(results):
    figure = results.plot("headline")
    titled = {ax.get_title(): ax for ax in figure.axes if ax.get_visible()}
    cohesion = next(ax for title, ax in titled.items() if title.startswith("Cohesion"))
    assert cohesion.get_ylim() == (0.0, 1.0)
    dotted = [line for line in cohesion.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == len(sim.reporting.figures.run.scenario_events(results._tables.events)) > 0
    # us_drawdown extends what the baseline extends: the baseline, same seeds, is drawn behind it.
    legend = " ".join(t.get_text() for t in figure.legends[0].get_texts())
    assert "baseline, same seeds" in legend
    grey = [line for line in cohesion.get_lines() if line.get_color() == sim.reporting.figures.run.REFERENCE_COLOUR]
    assert len(grey) == 1
    base = sim.run("baseline", replications=2, seed=3)
    legend = " ".join(t.get_text() for t in base.plot().legends[0].get_texts())
    assert "baseline, same seeds" not in legend


def test_save_names_a_folder_that_is_no_folder(results, tmp_path):
    with pytest.raises(InputError, match=r"^folder: 5 is not a folder; give a path as text or a pathlib.Path$"):
        results.save(5)
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r"a_file: folder: is a file; give a new folder$"):
        results.save(tmp_path / "a_file")
    with pytest.raises(InputError, match=r"^folder: null is not a folder"):
        sim.compare(results, results).save(None)


def test_compare_in_memory_refuses_results_with_other_outcome_definitions(results):
    import copy

    older = copy.copy(results)
    older.manifest = {**results.manifest, "outcome_definitions": 1}
    with pytest.raises(InputError, match=r"^.*outcome_definitions: is 1 here but \d+ in "):
        sim.compare(results, older)


def test_a_figure_asks_only_for_the_stored_runs_it_draws():
    """The headline figure draws the baseline behind a scenario, never the chance-only band: results without the
    stored runs (``behind=False``, or a folder written before they were stored) whose scenario needs no baseline
    behind it still draw it; save, which writes the report with its chance section, is refused."""
    results = sim.run(tiny_scenario(name="baseline", replications=2), behind=False)  # needs no baseline behind
    assert results.scenario["uncertainty"] == "posterior"
    assert isinstance(results.plot("headline"), Figure)
    with pytest.raises(InputError, match="chance-only band"):
        results.save(Path("never-written"))
