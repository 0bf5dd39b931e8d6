"""Sweep benchmarks: throughput per executor, mesa.batch_run side by side, peak memory as runs grow.

Usage: python benchmarks/bench_sweep.py [--runs N] [--batch-runs N] [--memory-runs 1000,10000] [--only NAME ...]

Every sweep is of the baseline scenario (2025-01 to 2035-12, 132 monthly
steps), keeping every model outcome at every step and no agent rows.

- throughput: runs per second on 1 worker (in this process), on 2 local
  worker processes and on a 2-worker Dask LocalCluster; wall time from the
  call to the finished results folder, worker start-up included (and shown
  apart); parallel efficiency = rate on 2 / (2 x rate on 1).
- batch_run: the same points and seeds run by ``mesa.batch_run`` collecting
  the same outcomes every step, in one process and on 2 processes, beside the
  sweep on the same number of processes (chunks of 100 runs advanced as one
  batch); the values are checked to be equal. batch_run also returns the
  agents' variables (one row per agent and step), as Mesa does for a model
  with agent reporters.
- memory: ``cohesion sweep`` (``python -m sim sweep``) on 2 local workers for each run count,
  peak resident memory of the whole process tree (sampled every 0.1 s from
  /proc, Linux only) and wall time.
- overhead: the model alone (build, run, model_dataframe) against the serial
  sweep, per run: what the sweep machinery costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import yaml

from sim.model import AllianceModel
from sim.runs.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor
from sim.runs.sweep import run_sweep
from sim.scenarios.experiment import Experiment, from_mapping

OUTCOMES = "all"


def baseline_experiment(runs: int, points: int = 1, name: str = "bench") -> dict:
    """An experiment over the baseline: ``points`` values of confidence_bound x (runs / points) replications."""
    levels = [round(0.2 + 0.2 * k / max(points - 1, 1), 4) for k in range(points)] if points > 1 else [0.3]
    return {
        "name": name,
        "scenario": "baseline",
        "design": "grid",
        "replications": runs // points,
        "seed": 20250625,
        "common_random_numbers": True,  # so that mesa.batch_run's product of points x seeds is the same set of runs
        "uncertainty": "none",  # the registry defaults, as AllianceModel under mesa.batch_run runs them
        "factors": {"confidence_bound": levels},
        "outputs": {"model": OUTCOMES, "agents": "none"},
    }


CHUNK_RUNS = 100  # runs advanced together per task (--chunk-runs); the automatic size is smaller for small sweeps


def timed_sweep(experiment: Experiment, executor: Executor) -> tuple[float, float]:
    """(seconds to start the workers, seconds for the whole sweep including that start)."""
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        executor.start()
        started = time.perf_counter() - began
        report = run_sweep(experiment, Path(folder) / "out", executor, chunk_runs=CHUNK_RUNS)
        total = time.perf_counter() - began
    assert report.status == "complete", report
    return started, total


# ---------------------------------------------------------------------------- throughput
def throughput(runs: int) -> list[dict]:
    experiment = from_mapping(baseline_experiment(runs))
    rows = []
    for label, executor in (
        ("1 worker (serial)", SerialExecutor()),
        ("2 local workers", ProcessExecutor(2)),
        ("Dask LocalCluster, 2 workers", DaskExecutor(local_workers=2)),
    ):
        started, total = timed_sweep(experiment, executor)
        rows.append(
            {
                "executor": label,
                "runs": runs,
                "seconds": total,
                "start_s": started,
                "runs_per_s": runs / total,
                "runs_per_s_after_start": runs / (total - started),
            }
        )
    base = rows[0]["runs_per_s"]
    for row in rows:
        workers = 1 if row is rows[0] else 2
        row["efficiency"] = row["runs_per_s"] / (workers * base)
    return rows


# ---------------------------------------------------------------------------- mesa.batch_run
def batch_run_comparison(runs: int) -> list[dict]:
    import mesa

    spec = baseline_experiment(runs, points=4, name="bench_batch")
    experiment = from_mapping(spec)
    scenario = experiment.scenario
    points = experiment.points()
    point_parameters = [{**scenario.parameters, "confidence_bound": float(v)} for v in points["confidence_bound"]]
    seeds = [experiment.run_seed(0, k) for k in range(experiment.replications)]
    parameters = {
        "parameters": point_parameters,
        "seed": seeds,
        "start": scenario.start,
        "end": scenario.end,
        "initial_year": scenario.initial_year,
        "events": [list(scenario.events)],  # one value each: batch_run would iterate a bare list or mapping
        "states": [scenario.states],
    }
    rows = []
    for processes in (1, 2):
        executor = SerialExecutor() if processes == 1 else ProcessExecutor(2)
        with tempfile.TemporaryDirectory() as folder:
            began = time.perf_counter()
            run_sweep(experiment, Path(folder) / "out", executor, chunk_runs=CHUNK_RUNS)
            ours = time.perf_counter() - began
            model = pd.read_parquet(Path(folder) / "out" / "model")
        began = time.perf_counter()
        records = mesa.batch_run(
            AllianceModel,
            parameters=parameters,
            number_processes=processes,
            iterations=1,
            data_collection_period=1,
            max_steps=10**6,
            display_progress=False,
        )
        theirs_table = pd.DataFrame(records)
        theirs = time.perf_counter() - began
        _check_same(model, theirs_table, point_parameters, seeds)
        rows.append(
            {
                "processes": processes,
                "runs": experiment.runs_total,
                "sweep_s": ours,
                "batch_run_s": theirs,
                "sweep_runs_per_s": experiment.runs_total / ours,
                "batch_run_runs_per_s": experiment.runs_total / theirs,
                "ratio": theirs / ours,
            }
        )
    return rows


def _check_same(model: pd.DataFrame, theirs: pd.DataFrame, point_parameters: list[dict], seeds: list[int]) -> None:
    """Same runs, same values: cohesion at every step of every (point, seed) pair."""
    theirs = theirs.drop_duplicates(["RunId", "Step"])  # batch_run repeats the model values on each agent's row
    theirs = theirs.assign(
        point=[next(i for i, p in enumerate(point_parameters) if p == q) for q in theirs["parameters"]],
        replication=theirs["seed"].map({s: k for k, s in enumerate(seeds)}),
    ).sort_values(["point", "replication", "Step"])
    ours = model.sort_values(["point", "replication", "step"])
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    for name in ("cohesion", "blocs", "us_commitment", "eu_decisions_blocked", "spending_pct_gdp"):
        assert (ours[name].to_numpy() == theirs[name].to_numpy()).all(), f"batch_run and sweep disagree on {name}"


# ---------------------------------------------------------------------------- memory
def _tree_rss_kib(root: int) -> tuple[int, int]:
    """(resident KiB of the process and all its descendants, of the process alone)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat[1])
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry)] = int(line.split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(p, 0) for p in tree), rss.get(root, 0)


def run_measured(command: list[str]) -> tuple[str, float, dict[str, int]]:
    """Run a command to its end: (its stdout, wall seconds, peak resident KiB of its process tree and of itself).

    The peaks are sampled every 0.1 s while it runs. Raises AssertionError (with its stderr) if it fails.
    """
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks = {"tree": 0, "parent": 0}

    def sample() -> None:
        while process.poll() is None:
            tree, parent = _tree_rss_kib(process.pid)
            peaks["tree"], peaks["parent"] = max(peaks["tree"], tree), max(peaks["parent"], parent)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = process.communicate()
    sampler.join()
    seconds = time.perf_counter() - began
    assert process.returncode == 0, err
    return out, seconds, peaks


def memory(run_counts: list[int]) -> list[dict]:
    rows = []
    for runs in run_counts:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "memory.yaml"
            path.write_text(yaml.safe_dump(baseline_experiment(runs, points=10, name=f"memory_{runs}")))
            command = [sys.executable, "-m", "sim", "sweep", str(path), "--workers", "2", "--out", f"{folder}/out"]
            out, seconds, peaks = run_measured(command + ["--quiet"])
        rows.append(
            {
                "runs": runs,
                "seconds": seconds,
                "runs_per_s": runs / seconds,
                "peak_tree_mib": peaks["tree"] / 1024,
                "peak_parent_mib": peaks["parent"] / 1024,
            }
        )
    for row in rows:
        row["peak_vs_smallest"] = row["peak_tree_mib"] / rows[0]["peak_tree_mib"]
    return rows


# ---------------------------------------------------------------------------- overhead
def overhead(runs: int) -> dict:
    experiment = from_mapping(baseline_experiment(runs))
    scenario = experiment.scenario
    times = []
    for k in range(runs):
        began = time.perf_counter()
        model = AllianceModel(
            seed=experiment.run_seed(0, k),
            start=scenario.start,
            end=scenario.end,
            initial_year=scenario.initial_year,
            events=list(scenario.events),
            states=scenario.states,
            parameters=scenario.parameters,
        ).run()
        model.model_dataframe()
        times.append(time.perf_counter() - began)
    _, total = timed_sweep(experiment, SerialExecutor())
    model_ms = statistics.mean(times) * 1000
    sweep_ms = total / runs * 1000
    return {"runs": runs, "model_ms": model_ms, "sweep_ms": sweep_ms, "overhead": sweep_ms / model_ms - 1}


# ---------------------------------------------------------------------------- report
def show(title: str, rows: list[dict] | dict) -> None:
    table = pd.DataFrame(rows if isinstance(rows, list) else [rows])
    print(f"\n## {title}\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=600, help="runs per throughput measurement")
    parser.add_argument("--batch-runs", type=int, default=200, help="runs of the batch_run comparison")
    parser.add_argument("--memory-runs", default="1000,10000", help="run counts of the memory measurement")
    parser.add_argument("--only", nargs="*", choices=("overhead", "throughput", "batch_run", "memory"))
    args = parser.parse_args()
    chosen = set(args.only or ("overhead", "throughput", "batch_run", "memory"))
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    if "overhead" in chosen:
        show("model alone vs serial sweep, per run", overhead(min(args.runs, 200)))
    if "throughput" in chosen:
        show("throughput", throughput(args.runs))
    if "batch_run" in chosen:
        show("sweep vs mesa.batch_run (same points, seeds, outcomes)", batch_run_comparison(args.batch_runs))
    if "memory" in chosen:
        show("peak memory and time (2 local workers)", memory([int(n) for n in args.memory_runs.split(",")]))


if __name__ == "__main__":
    main()
