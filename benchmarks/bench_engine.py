"""Engine benchmarks: milliseconds per run against the number of runs advanced together.

Usage: python benchmarks/bench_engine.py [--sizes 1,10,100,300,1000] [--runs 1000]

For each batch size R, ``--runs`` baseline runs (2025-01 to 2035-12, 132
months; replications of one point, and the same runs with a different
parameter point per run) are advanced R at a time and turned into the model
outcome table; CPU time of this process (one core) per run, best of
``--repeat`` passes. The compiled kernels are compiled (or loaded from the
cache) before anything is timed: the one-off compilation is excluded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

from sim.engine import outputs
from sim.engine.setup import RunSpec, run_batch
from sim.scenarios import scenario as scenarios
from sim.scenarios.scenario import replication_seed


def specs(runs: int, mixed: bool) -> list[RunSpec]:
    """Baseline runs: replications of the scenario, or one parameter point per run (``mixed``)."""
    sc = scenarios.load("baseline")
    rng = np.random.default_rng(0)
    out = []
    for k in range(runs):
        parameters = dict(sc.parameters)
        if mixed:
            parameters.update(
                confidence_bound=float(rng.uniform(0.15, 0.5)),
                trust_rate=float(rng.uniform(0.05, 0.2)),
                network_self_weight=float(rng.uniform(5.0, 15.0)),
            )
        out.append(
            RunSpec(
                replication_seed(sc.seed, k), sc.start, sc.end, sc.initial_year, list(sc.events), sc.states, parameters
            )
        )
    return out


def per_run_ms(all_specs: list[RunSpec], size: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.process_time()
        for start in range(0, len(all_specs), size):
            batch = run_batch(all_specs[start : start + size])
            outputs.model_columns(batch)
        best = min(best, (time.process_time() - began) / len(all_specs) * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100,300,1000")
    parser.add_argument("--runs", type=int, default=1000, help="runs per measurement (at least the largest size)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; CPU time of one process, best of {args.repeat}")
    run_batch(specs(2, mixed=True))  # compile or load the kernels: not timed
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        runs = max(size, min(args.runs, 100 * size))  # small sizes: fewer runs are enough
        row = {"batch size": size, "runs": runs}
        for mixed in (False, True):
            row["ms/run, one point" if not mixed else "ms/run, a point per run"] = per_run_ms(
                specs(runs, mixed), size, args.repeat
            )
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False, float_format=lambda v: f"{v:.2f}"), flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
