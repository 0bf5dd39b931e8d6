"""Plain helpers shared by several test modules (no tests here; ``tests/conftest.py`` offers them as fixtures too).

Test modules never import one another: what two of them need lives here, in ``tests/browser.py`` (the headless
browser) or in ``tests/patterns/stresses.py`` (the pattern tests' runs). ``tests/contracts/test_layout.py``
checks it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
"""The repository's top folder (README.md, docs/, scenarios/, experiments/, sim/)."""
GOLDEN = ROOT / "tests" / "golden"
"""The golden outputs: ``<scenario>.<table>.parquet`` for the model, agents and events tables."""
EXPERIMENTS = ROOT / "experiments"
"""The shipped experiment files."""

# The command under test: in this process (fast) and as a real process (exit code and stderr as a user sees them).
PROCESS = [sys.executable, "-m", "sim"]


@dataclasses.dataclass(frozen=True)
class Completed:
    """What a command returned: its exit code and everything it wrote to stdout and stderr."""

    code: int
    stdout: str
    stderr: str


def run_cli(*args: object, process: bool = False) -> Completed:
    """Run ``cohesion ARGS`` (any subcommand) and return the exit code and the output.

    In this process by default (through ``sim.cli.main``, fast); with ``process=True`` as a real
    ``python -m sim`` process (two minutes at most), so that exit codes and stderr are exactly a user's.
    """
    argv = [str(a) for a in args]
    if process:
        done = subprocess.run([*PROCESS, *argv], capture_output=True, text=True, timeout=120)
        return Completed(done.returncode, done.stdout, done.stderr)
    from sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse usage errors
            code = int(exit_.code or 0)
    return Completed(code, out.getvalue(), err.getvalue())


TINY_SCENARIO = {"extends": "prelude_2025", "start": "2025-01", "end": "2027-12", "seed": 11}
"""A short scenario (three years from the 2025 prelude) as the mapping a scenario file holds."""


def tiny_scenario(**changes):
    """:data:`TINY_SCENARIO` with ``changes`` as a ``sim.Scenario`` (``name`` names its source file)."""
    from sim.scenarios.scenario import from_mapping

    return from_mapping({**TINY_SCENARIO, **changes}, source=f"{changes.get('name', 'tiny')}.yaml")


def make_folder(root: Path, **scenario) -> Path:
    """A complete results folder of :data:`TINY_SCENARIO` with ``scenario`` applied (``name`` is required).

    Tables and manifest only, no figures (compare and analyze read none); made in this process.
    """
    from sim.runs.folder import ResultsFolder
    from sim.runs.replications import run_scenario

    loaded = tiny_scenario(**scenario)
    folder = ResultsFolder.create(root, loaded)
    folder.write_results(run_scenario(loaded))
    folder.finish("complete")
    return folder.path


SHORT_SCENARIO = {
    "extends": "prelude_2025",
    "end": "2026-12",
    "events": [
        {"date": "2026-02", "type": "article5_doubt", "size": 0.2, "decay_months": 6},
        {"date": "2026-03", "type": "us_troops", "change": -0.5, "over_months": 6},
    ],
}
"""The scenario of :func:`experiment_file`: two years from the 2025 prelude with a doubt and a drawdown."""


def experiment_file(folder: Path, name: str = "small", **changes) -> Path:
    """A small grid experiment (2 x 2 points x 3 replications over two years) with ``changes`` applied.

    A change to ``None`` removes the key. The file is written as ``folder/<name>.yaml``; its path is returned.
    """
    content = {
        "name": name,
        "scenario": SHORT_SCENARIO,
        "design": "grid",
        "replications": 3,
        "seed": 11,
        "factors": {
            "events.us_troops[-1].change": [0.0, -0.6],
            "eu_cfsp_rule": ["unanimity", "qmv"],
        },
        "outputs": {"model": ["cohesion", "article5_credibility", "spending_pct_gdp"], "agents": "monthly"},
    }
    for key, value in changes.items():
        if value is None:
            content.pop(key, None)
        else:
            content[key] = value
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


def golden_scenarios() -> list[str]:
    """The names of the scenarios with golden outputs, sorted."""
    return sorted(p.name.split(".")[0] for p in GOLDEN.glob("*.model.parquet"))


def load_golden(name: str, table: str) -> pd.DataFrame:
    """The golden ``table`` ("model", "agents" or "events") of scenario ``name``, as stored."""
    return pd.read_parquet(GOLDEN / f"{name}.{table}.parquet")
