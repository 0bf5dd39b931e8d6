"""Notebook users: the caller's matplotlib backend, warnings and logging are left alone; figures show inline in a
fresh Jupyter kernel; tables typed for pandas (datetime64 dates, whole-number counts, the same categories in every
run and sweep); a short repr of Results and Comparison."""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import sim
import sim.runs.folder
from sim.cli import main
from sim.inputs.parameters import PARAMETERS
from sim.reporting import publish_sensitivity
from sim.rules.outcomes import COUNT_OUTCOMES, HEADLINE_OUTCOMES
from tests.helpers import GOLDEN, experiment_file


@pytest.fixture(scope="module")
def short():
    return sim.Scenario.load("us_drawdown").with_overrides(end="2027-12")


@pytest.fixture(scope="module")
def drawn(short):
    """Three replications with parameters drawn from the posterior: saving them draws the chance-only band too."""
    return sim.run(short, replications=3, seed=4, uncertainty="posterior")


@pytest.fixture
def caller_state():
    """A caller's own choices (a backend other than Agg, warnings filters), restored after; returns a function
    that reads the backend, the warnings filters and every logger's level and handlers."""
    backend = matplotlib.get_backend()
    matplotlib.use("svg", force=True)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.filterwarnings("error", message="a caller's own filter")
        yield lambda: (matplotlib.get_backend(), list(warnings.filters), _loggers())
    matplotlib.use(backend, force=True)


def _loggers() -> dict[str, tuple[int, int]]:
    """Every logger's level and number of handlers (the root's among them)."""
    found = {"": (logging.root.level, len(logging.root.handlers))}
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            found[name] = (logger.level, len(logger.handlers))
    return found


# ====================================================================== the caller's global state
def test_saving_results_leaves_the_callers_backend_warnings_and_logging_alone(drawn, caller_state, tmp_path):
    before = caller_state()
    assert before[0] == "svg"
    drawn.save(tmp_path / "saved")
    assert (tmp_path / "saved" / "figures" / "chance_and_parameters.png").is_file(), "the posterior band is drawn"
    assert_unchanged(before, caller_state())


def assert_unchanged(before: tuple, after: tuple) -> None:
    """The backend and the warnings filters are as they were, and every logger that existed before too."""
    assert after[0] == before[0], "the backend was switched"
    assert after[1] == before[1], "the warnings filters changed"
    assert {name: after[2][name] for name in before[2]} == before[2], "a logger's level or handlers changed"


def test_every_figure_function_leaves_the_backend_alone(drawn, caller_state, tmp_path):
    from sim.reporting.figures.calibration import pairs_figure
    from sim.reporting.figures.chance import figure

    before = caller_state()
    figure(drawn._tables.model, drawn._tables.model, "us_drawdown", tmp_path / "bands.png")
    rng = np.random.default_rng(1)
    chosen = ["confidence_bound", "trust_commitment_weight"]
    low = np.array([PARAMETERS[n].low for n in chosen])
    high = np.array([PARAMETERS[n].high for n in chosen])
    points = low + rng.random((40, 2)) * (high - low)
    pairs_figure(chosen, points, np.full(40, 1 / 40), tmp_path / "pairs.png")
    table = pd.DataFrame(
        [
            {"outcome": o, "year": y, "parameter": p, "ST": rng.random(), "ST_conf": 0.1}
            for o in HEADLINE_OUTCOMES
            for y in publish_sensitivity.YEARS
            for p in chosen
        ]
    )
    publish_sensitivity.figure(table, tmp_path / "sensitivity.png")
    assert_unchanged(before, caller_state())
    for name in ("bands.png", "pairs.png", "sensitivity.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_no_library_module_chooses_a_backend_or_imports_pyplot():
    """The rule the tests above check by behaviour, for every module of the package (the command line included)."""
    offenders = []
    for path in sorted(Path(sim.__file__).parent.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "matplotlib.use(" in text or "import matplotlib.pyplot" in text or "from matplotlib import pyplot" in text:
            offenders.append(path.name)
    assert offenders == []


def test_an_aborted_dask_sweep_leaves_the_callers_logging_alone():
    from sim.runs.executors import DaskExecutor

    logger = logging.getLogger("distributed")
    level = logger.level
    try:
        logger.setLevel(logging.INFO)
        DaskExecutor(local_workers=1).abort()  # nothing started: abort closes nothing, as after a Ctrl-C at start
        assert logger.level == logging.INFO
    finally:
        logger.setLevel(level)


# ====================================================================== figures in a notebook
def test_a_returned_figure_has_a_png_for_ipython(drawn):
    from IPython.core.formatters import DisplayFormatter

    figure = drawn.plot()
    data, _ = DisplayFormatter().format(figure)
    assert "image/png" in data
    assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"


NOTEBOOK_CELLS = (
    "import sim\n"
    "short = sim.Scenario.load('us_drawdown').with_overrides(end='2027-12')\n"
    "res = sim.run(short, replications=2, seed=1, uncertainty='posterior')",
    "res.plot()",
    "res.save(FOLDER)\nsim.compare(res, FOLDER).plot('levels')",
    "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()",
    "res.plot('spending')",  # with pyplot's inline backend active now: shown once, by its formatter
)


@pytest.mark.slow  # a Jupyter kernel, a run, a results folder: most of a minute
def test_figures_show_inline_in_a_fresh_jupyter_kernel(tmp_path, monkeypatch):
    """A real notebook in a fresh kernel, no %matplotlib: the returned figures, and the notebook's own pyplot
    figure after a save, each leave an image/png in their cell's output."""
    import nbclient
    import nbformat

    kernels = tmp_path / "jupyter" / "kernels" / "cohesion-test"
    kernels.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "cohesion test",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's own default, as a user's fresh kernel has
    folder = repr(str(tmp_path / "saved"))
    cells = [nbformat.v4.new_code_cell(source.replace("FOLDER", folder)) for source in NOTEBOOK_CELLS]
    notebook = nbformat.v4.new_notebook(cells=cells)
    nbclient.NotebookClient(
        notebook, kernel_name="cohesion-test", timeout=600, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    for number, cell in enumerate(notebook.cells[1:], 2):
        kinds = [kind for output in cell.outputs for kind in output.get("data", {})]
        assert kinds.count("image/png") == 1, f"cell {number} shows no image or more than one: {cell.outputs}"
    assert (tmp_path / "saved" / "report.md").is_file()


# ====================================================================== tables typed for pandas
def test_dates_are_datetime64_for_pandas(drawn):
    for name in ("model", "agents", "events"):
        frame = getattr(drawn, name)
        assert pd.api.types.is_datetime64_any_dtype(frame["date"]), name
        assert str(frame["date"].dtype) == sim.runs.folder.DATE_DTYPE, name
    model = drawn.model
    assert (model["date"] >= "2026-01-01").sum() == 24 * 3
    assert set(model["date"].dt.year) == {2025, 2026, 2027}
    by_date = model.set_index("date")
    assert len(by_date.loc["2026"]) == 12 * 3 and len(by_date.loc["2026-03"]) == 3
    yearly = model.groupby(pd.Grouper(key="date", freq="YE"))["cohesion"].mean()
    assert list(yearly.index.year) == [2025, 2026, 2027]


def test_the_files_keep_date32(drawn, tmp_path):
    written = sim.runs.folder.ResultsFolder.create_at(tmp_path / "saved", drawn.manifest)  # the tables, not the figures
    written.write_results(drawn._tables)
    written.finish("complete")
    folder = written.path
    for name in ("model", "agents", "events"):
        schema = pq.read_schema(folder / name / "part-000000.parquet")
        assert str(schema.field("date").type) == "date32[day]", name
    again = sim.load_results(folder)
    for name in ("model", "agents", "events"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(drawn, name))


def test_two_runs_concatenate_with_their_categories(drawn):
    other = sim.run(sim.Scenario.load("baseline").with_overrides(end="2026-12", events=[]), replications=2, seed=9)
    for name, columns in (("events", ("body", "item", "rule", "outcome")), ("agents", ("iso3", "government"))):
        joined = pd.concat([getattr(drawn, name), getattr(other, name)], ignore_index=True)
        for column in columns:
            assert isinstance(joined[column].dtype, pd.CategoricalDtype), (name, column)
            assert tuple(joined[column].cat.categories) == sim.runs.folder.categories()[column], (name, column)
        assert str(joined["date"].dtype) == sim.runs.folder.DATE_DTYPE


def test_the_categories_hold_every_value_the_engine_writes():
    """Every value of every shipped scenario's golden tables is one of the fixed categories."""
    fixed = sim.runs.folder.categories()
    for path in sorted(GOLDEN.glob("*.parquet")):
        frame = pd.read_parquet(path)
        for column in fixed:
            if column in frame:
                values = set(frame[column].astype(str).unique())
                assert values <= set(fixed[column]), (path.name, column, values - set(fixed[column]))


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("notebook-sweep")
    out = folder / "sweep"
    outputs = {"model": ["cohesion", "blocs", "allies_at_2pct"], "agents": "final"}
    argv = ["sweep", str(experiment_file(folder, outputs=outputs)), "--workers", "1", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    return out


def test_sweep_tables_are_typed_like_run_tables(swept, drawn):
    sweep = sim.load_sweep(swept)
    assert str(sweep.model["date"].dtype) == sim.runs.folder.DATE_DTYPE
    assert str(sweep.agents["date"].dtype) == sim.runs.folder.DATE_DTYPE
    joined = pd.concat([sweep.agents, drawn.agents], ignore_index=True)
    assert tuple(joined["iso3"].cat.categories) == sim.runs.folder.categories()["iso3"]
    assert tuple(joined["government"].cat.categories) == sim.runs.folder.categories()["government"]
    counts = [f"final_{o}" for o in sweep.outcomes if o in COUNT_OUTCOMES]
    assert len(counts) == 2
    schema = pq.read_schema(sorted((swept / "summary").iterdir())[0])
    for column in counts:
        assert pd.api.types.is_integer_dtype(sweep.summary[column]), column
        assert str(schema.field(column).type) == "int64", column
    text = (swept / "summary.csv").read_text().splitlines()
    header = text[0].split(",")
    for column in counts:
        values = [line.split(",")[header.index(column)] for line in text[1:]]
        assert all(v.lstrip("-").isdigit() for v in values), (column, values[:3])


# ====================================================================== repr
def test_results_repr_is_short_and_names_what_is_inside(drawn):
    text = repr(drawn)
    lines = text.splitlines()
    assert len(lines) <= 20 and len(text) < 2000, text
    assert "us_drawdown" in lines[0] and "3 replications" in lines[0] and "runs 0-2" in lines[0]
    for name in ("model", "agents", "events"):
        rows, columns = getattr(drawn, name).shape
        assert any(f".{name}" in line and f"{rows:,} rows x {columns} columns" in line for line in lines), name


def test_comparison_repr_is_short_and_names_what_is_inside(drawn, short):
    others = [
        sim.run(short.with_overrides(name=f"other_{k}"), replications=3, seed=4, uncertainty="posterior")
        for k in range(3)
    ]
    comparison = sim.compare(drawn, *others)
    text = repr(comparison)
    lines = text.splitlines()
    assert len(lines) <= 20 and len(text) < 2000, text
    assert "3 scenarios against us_drawdown" in lines[0]
    assert sum("3 replications" in line for line in lines) == 4
    for name in ("differences", "table"):
        rows, columns = getattr(comparison, name).shape
        assert any(f".{name}" in line and f"{rows:,} rows x {columns} columns" in line for line in lines), name
    assert all(o in text for o in HEADLINE_OUTCOMES)
