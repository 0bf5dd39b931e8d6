"""Smoke test of an installed wheel: run by the Python of a fresh virtual environment, from outside the checkout.

    python .ci/smoke.py   (by .ci/smoke, with the environment's Python and a temporary working folder)

Checks, each with one line and its time: ``cohesion --version``; a short ``cohesion run``; a small
``cohesion sweep``; ``mesa.batch_run`` giving one row per run, month and agent with the model's own numbers;
the baseline's golden tables (tests/golden) from ``AllianceModel`` and ``AllianceModel.from_scenario``. Exits 1 at
the first failure. ``sim`` must come from the environment, not from the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
BIN = Path(sys.executable).parent
TOLERANCE = 1e-12
EXPERIMENT = """\
name: smoke
description: "Two settings of one parameter, two replications each, thirteen months."
scenario:
  extends: baseline
  end: 2026-01
design: grid
replications: 2
seed: 3
factors:
  confidence_bound: [0.2, 0.4]
"""


def step(name: str, started: float) -> None:
    print(f"  {name}: ok ({time.monotonic() - started:.1f} s)", flush=True)


def command(*args: str, cwd: Path) -> str:
    done = subprocess.run([str(BIN / "cohesion"), *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"smoke: cohesion {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def same(expected, actual, where: str) -> None:
    """The golden comparison of tests/golden/test_golden.py: floats within 1e-12, everything else exactly."""
    import numpy as np

    if len(actual) != len(expected):
        sys.exit(f"smoke: {where}: {len(actual)} rows, golden has {len(expected)}")
    for name in expected.columns:
        want, got = expected[name].to_numpy(), actual[name].to_numpy()
        if want.dtype.kind == "f":
            ok = np.isclose(got.astype(float), want, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True)
        elif want.dtype.kind in "iub":
            ok = got.astype(want.dtype) == want
        else:
            ok = want.astype(str) == got.astype(str)
        if not ok.all():
            row = int(np.flatnonzero(~ok)[0])
            sys.exit(f"smoke: {where}.{name}: row {row} is {got[row]!r}, golden {want[row]!r}")


def main() -> None:
    import mesa

    import sim

    where = Path(sim.__file__).resolve()
    if where.is_relative_to(ROOT):
        sys.exit(f"smoke: sim was imported from the checkout ({where}), not from the installed wheel")
    print(f"smoke: Python {sys.version.split()[0]}, Mesa {mesa.__version__}, sim from {where.parent}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cohesion-smoke-") as folder:
        work = Path(folder)
        started = time.monotonic()
        version = command("--version", cwd=work)
        assert version.startswith("cohesion "), version
        step(f"cohesion --version ({version.strip()})", started)

        started = time.monotonic()
        out = command("run", "baseline", "--replications", "2", "--workers", "1", "--quiet", "--out", "r", cwd=work)
        results = Path(out.strip().splitlines()[-1])
        results = results if results.is_absolute() else work / results
        assert (results / "model" / "part-000000.parquet").is_file() and (results / "manifest.json").is_file(), out
        step("cohesion run baseline --replications 2", started)

        started = time.monotonic()
        (work / "smoke.yaml").write_text(EXPERIMENT)
        command("sweep", "smoke.yaml", "--workers", "1", "--quiet", "--out", "sweep", cwd=work)
        assert (work / "sweep" / "manifest.json").is_file()
        step("cohesion sweep (2 points x 2 replications)", started)

    started = time.monotonic()
    import warnings

    import pandas as pd

    from sim import AllianceModel
    from sim.scenarios.scenario import load, replication_seed

    seeds = {"seed": [1, 2]} if "rng" not in __import__("inspect").signature(mesa.batch_run).parameters else {}
    arguments = {"rng": [1, 2]} if not seeds else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation or identical-runs warning from our use of batch_run
        rows = mesa.batch_run(
            AllianceModel,
            parameters={"confidence_bound": [0.2, 0.4], "end": "2025-12", **seeds},
            number_processes=1,
            data_collection_period=1,
            display_progress=False,
            **arguments,
        )
    frame = pd.DataFrame(rows)
    expected = 2 * 2 * 12 * (37 + 2)  # settings x seeds x months x agents (37 states, the US, Russia)
    if len(frame) != expected:
        sys.exit(f"smoke: mesa.batch_run gave {len(frame)} rows, expected {expected}")
    one = frame[(frame["seed"] == 2) & (frame["confidence_bound"] == 0.4)].drop_duplicates("Step")
    alone = AllianceModel(seed=2, end="2025-12", confidence_bound=0.4).run().model_dataframe()
    if one["cohesion"].tolist() != alone["cohesion"].tolist():
        sys.exit("smoke: mesa.batch_run's cohesion differs from the model run alone")
    # Runs that are not what was meant are named: identical runs, and (Mesa 3.4 on) seeds batch_run dropped.
    from sim.model import IdenticalRunsWarning, SeedReplacedWarning

    short = {"display_progress": False}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if seeds:
            mesa.batch_run(AllianceModel, parameters={"seed": 7, "end": "2025-02"}, iterations=2, **short)
        else:
            mesa.batch_run(AllianceModel, parameters={"end": "2025-02"}, rng=[7, 7], **short)
            mesa.batch_run(AllianceModel, parameters={"seed": [1, 2], "end": "2025-02"}, **short)
    kinds = {type(w.message) for w in caught} & {IdenticalRunsWarning, SeedReplacedWarning}
    wanted = {IdenticalRunsWarning} if seeds else {IdenticalRunsWarning, SeedReplacedWarning}
    names = ", ".join(sorted(kind.__name__ for kind in kinds))
    if kinds != wanted:
        sys.exit(f"smoke: mesa.batch_run warned [{names}], expected {sorted(k.__name__ for k in wanted)}")
    step(f"mesa.batch_run ({len(frame)} rows; warned: {names})", started)

    started = time.monotonic()
    scenario = load("baseline").with_overrides(uncertainty="none")
    tables = sorted(GOLDEN.glob("baseline.*.parquet"))
    runs = 1 + max(int(pd.read_parquet(tables[0])["run"].max()), 0)
    for k in range(runs):
        built = AllianceModel.from_scenario(scenario, k).run()
        plain = AllianceModel(seed=replication_seed(scenario.seed, k)).run()
        for model, how in ((built, "AllianceModel.from_scenario"), (plain, "AllianceModel(seed)")):
            for table, frame in (
                ("model", model.model_dataframe()),
                ("agents", model.agent_dataframe()),
                ("events", model.log_dataframe()),
            ):
                golden = pd.read_parquet(GOLDEN / f"baseline.{table}.parquet")
                golden = golden[golden["run"] == k].drop(columns="run").reset_index(drop=True)
                same(golden, frame.reset_index(drop=True), f"baseline.{table} run {k} ({how})")
    step(f"baseline golden tables ({runs} runs, AllianceModel.from_scenario and AllianceModel)", started)


if __name__ == "__main__":
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    main()
