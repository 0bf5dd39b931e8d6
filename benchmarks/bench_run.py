"""Time one baseline run (37 states, 2025-01 to 2035-12, 132 monthly steps) and the share of each process.

Usage: python benchmarks/bench_run.py [--repeats N]

Prints the median wall time and CPU time of a whole run on one core (model
construction, 132 steps and the model outcomes of every step as a
DataFrame), then the share of that time spent in each process, measured by
wrapping the engine's process functions with timers in a separate pass. The
compiled kernels are loaded (or compiled) by a first, untimed run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

from sim import AllianceModel
from sim import model as model_module
from sim.engine import decisions, outputs, step

PROCESSES = (
    ("1 scenario events", step, "apply_due_events"),
    ("2 united states", step, "update_united_states"),
    ("3 russia", step, "update_russia"),
    ("4 threat", step, "update_threat"),
    ("5 us trust", step, "update_us_trust"),
    ("6 abandonment fear", step, "update_fear"),
    ("7 spending", step, "update_spending"),
    ("8 positions", step, "update_positions"),
    ("9 decisions", decisions, "take_decisions"),
    ("10 elections", decisions, "hold_elections"),
    ("11 observation", step, "observe"),
    ("outcomes table", outputs, "model_columns"),
    ("set-up", model_module, "build_batch"),
)
PRELUDE = [
    {"type": "set", "date": "2025-06", "parameter": "pledge_core_pct", "value": 3.5},
    {"type": "us_troops", "date": "2025-10", "change": -0.8, "unit": "thousands", "host": "ROU"},
    {"type": "coercion", "date": "2026-01", "target": "DNK", "size": 0.3},
]


def time_runs(repeats: int) -> tuple[list[float], list[float]]:
    AllianceModel(seed=0, events=PRELUDE).run().model_dataframe()  # warm caches (data files, imports, kernels)
    times, cpu = [], []
    for seed in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        AllianceModel(seed=seed, events=PRELUDE).run().model_dataframe()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return times, cpu


def process_shares(repeats: int) -> dict[str, float]:
    spent: dict[str, float] = defaultdict(float)
    originals = [(module, name, getattr(module, name)) for _, module, name in PROCESSES]
    try:
        for (label, module, name), (_, _, function) in zip(PROCESSES, originals, strict=True):

            def timed(*args, _function=function, _label=label, **kwargs):
                start = time.perf_counter()
                result = _function(*args, **kwargs)
                spent[_label] += time.perf_counter() - start
                return result

            setattr(module, name, timed)
        for seed in range(repeats):
            AllianceModel(seed=seed, events=PRELUDE).run().model_dataframe()
    finally:
        for module, name, function in originals:
            setattr(module, name, function)
    total = sum(spent.values())
    return {label: spent[label] / total for label, _, _ in PROCESSES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    times, cpu = time_runs(args.repeats)
    print(
        f"baseline run, 132 steps: median {statistics.median(times) * 1000:.1f} ms, "
        f"min {min(times) * 1000:.1f} ms over {args.repeats} runs; CPU time median "
        f"{statistics.median(cpu) * 1000:.1f} ms, min {min(cpu) * 1000:.1f} ms"
    )
    print("share of step time by process:")
    for label, share in process_shares(max(args.repeats // 5, 5)).items():
        print(f"  {label:<20} {share:6.1%}")


if __name__ == "__main__":
    main()
