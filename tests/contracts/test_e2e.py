"""End to end: the real command on a short scenario, checked against the results-folder contract."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim import DISCLAIMER, MODEL_OUTCOMES
from sim.cli import main

pytestmark = pytest.mark.slow

SHORT = """\
# A short scenario for the end-to-end test.
name: e2e
extends: prelude_2025
start: 2025-01
end: 2026-12
replications: 3
seed: 5
events:
  - {date: 2026-03, type: ceasefire_pressure, level: 0.7, duration_months: 6}
"""
FIGURES = (
    "headline",
    "spending",
    "positions",
    "decisions",
    "states_threat",
    "states_us_trust",
    "states_spending_pct_gdp",
    "states_autonomy",
    "states_ukraine_support",
    "states_us_troops_k",
)


def cohesion(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


@pytest.fixture(scope="module")
def results_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    (root / "e2e.yaml").write_text(SHORT)
    process = cohesion("run", str(root / "e2e.yaml"), "--out", str(root / "results"), "--workers", "2", "--quiet")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert err == "", "no progress bar or noise when not on a terminal"
    return Path(out.strip())


def test_run_writes_a_complete_results_folder(results_folder):
    assert results_folder.parent.name == "results" and results_folder.name.startswith("e2e-")
    tables = [f"{t}/part-000000.parquet" for t in ("model", "agents", "events")]
    for name in ("manifest.json", *tables, "summary.csv", "report.md"):
        assert (results_folder / name).stat().st_size > 0, name
    manifest = json.loads((results_folder / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["runs_done"] == manifest["runs_total"] == 3
    assert manifest["finished"] is not None and manifest["error"] is None
    assert manifest["scenario"]["extends"] == ["prelude_2025"]
    assert len(manifest["scenario"]["events"]) == 4


def test_tables_have_the_contract_columns(results_folder):
    model = pd.read_parquet(results_folder / "model")
    assert list(model.columns) == ["run", "point", "replication", "seed", "step", "date", *MODEL_OUTCOMES]
    assert len(model) == 3 * 24 and model["date"].iloc[-1] == dt.date(2026, 12, 1)  # a date, the month's first day
    agents = pd.read_parquet(results_folder / "agents")
    assert list(agents.columns[:4]) == ["run", "step", "date", "iso3"]
    assert len(agents) == 3 * 24 * agents["iso3"].nunique()
    events = pd.read_parquet(results_folder / "events")
    assert {"run", "date", "body", "item", "rule", "outcome", "blockers"} <= set(events.columns)
    assert {"EU", "NATO", "scenario"} <= set(events["body"])
    summary = pd.read_csv(results_folder / "summary.csv")
    assert list(summary["run"]) == [0, 1, 2]


def test_figures_and_report(results_folder):
    for name in FIGURES:
        assert (results_folder / "figures" / f"{name}.png").stat().st_size > 10_000, name
    report = (results_folder / "report.md").read_text()
    assert DISCLAIMER in report
    assert "A short scenario for the end-to-end test." in report
    assert "| outcome | 2025-01 | 2026-12 |" in report
    assert "docs/ODD.md" in report and "sim/data/SOURCES.md" in report
    assert re.search(
        r"What drives spending: by 2026-12 the pledge path \(\d\.\d\d % of GDP\) holds a median of \d+ allies", report
    )
    for name in FIGURES:
        assert f"(figures/{name}.png)" in report


def test_plot_redraws_the_figures(results_folder, capsys):
    figure = results_folder / "figures" / "headline.png"
    figure.unlink()
    assert main(["plot", str(results_folder)]) == 0
    assert figure.stat().st_size > 10_000
    # The run drew from the posterior (the default): the chance-vs-parameters figure is drawn again too.
    assert f"{len(FIGURES) + 1} figures" in capsys.readouterr().out
    assert (results_folder / "figures" / "chance_and_parameters.png").stat().st_size > 10_000


def _wait_for_runs(folder_root: Path, runs: int, timeout: float = 60.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for manifest in folder_root.glob("*/manifest.json"):
            try:
                if json.loads(manifest.read_text())["runs_done"] >= runs:
                    return manifest
            except (ValueError, KeyError):  # caught between writes of the manifest
                pass
        time.sleep(0.05)
    raise AssertionError("the run did not start")


@pytest.mark.parametrize(
    ("sent", "status"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "interrupted"), (signal.SIGKILL, "running")]
)
def test_an_interrupted_run_never_looks_complete(tmp_path, sent, status):
    process = cohesion("run", "baseline", "--replications", "5000", "--workers", "1", "--out", str(tmp_path))
    manifest_path = _wait_for_runs(tmp_path, 2)
    process.send_signal(sent)
    _, err = process.communicate(timeout=60)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["status"] == status
    assert manifest["status"] != "complete"
    assert 2 <= manifest["runs_done"] < 5000
    if sent != signal.SIGKILL:
        assert process.returncode == 1
        assert "interrupted" in err and "Traceback" not in err
    assert main(["plot", str(manifest_path.parent)]) == 2, "an unfinished folder cannot be plotted"
