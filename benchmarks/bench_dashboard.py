"""What the dashboard waits for: a scenario and the baseline, 50 replications each, run and drawn.

Run with ``python benchmarks/bench_dashboard.py [--replications 50] [--repeats 5]``; prints the wall
time of the engine runs (scenario + baseline, one process) and of drawing the bands figure, median over
the repeats, after one warm-up (compilation of the kernels).
"""

from __future__ import annotations

import argparse
import statistics
import time

from sim.dashboard import logic as dashboard
from sim.rules.outcomes import HEADLINE_OUTCOMES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scenario", default="perfect_storm")
    args = parser.parse_args()
    scenario = dashboard.changed(args.scenario, {"confidence_bound": 0.4}, replications=args.replications)
    dashboard.simulate(scenario.with_overrides(replications=2))  # warm-up: compile or load the kernels
    runs, draws = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = dashboard.simulate(scenario)
        runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        dashboard.bands(result, HEADLINE_OUTCOMES).savefig("/dev/null", format="png")
        draws.append(time.perf_counter() - started)
    print(
        f"{args.scenario} + baseline, {args.replications} replications each: "
        f"run {statistics.median(runs):.2f} s, bands figure {statistics.median(draws):.2f} s "
        f"(median of {args.repeats})"
    )


if __name__ == "__main__":
    main()
