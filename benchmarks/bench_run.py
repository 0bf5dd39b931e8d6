"""Time one baseline run (37 states, 2025-01 to 2035-12, 132 monthly steps) and the share of each process.

Usage: python benchmarks/bench_run.py [--repeats N]

Prints the median wall time of a whole run on one core (model construction,
132 steps and the model outcomes of every step as a DataFrame), then the
share of that time spent in each process, measured by wrapping the model's
process methods with timers in a separate pass.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

from sim import AllianceModel

PROCESSES = (
    ("1 scenario events", "_apply_due_events"),
    ("2 united states", "_update_united_states"),
    ("3 russia", "_update_russia"),
    ("4 threat", "_update_threat"),
    ("5 us trust", "_update_us_trust"),
    ("6 abandonment fear", "_update_fear"),
    ("7 spending", "_update_spending"),
    ("8 positions", "_update_positions"),
    ("9 decisions", "_take_decisions"),
    ("10 elections", "_hold_elections"),
    ("11 observation", "_observe"),
    ("outcomes table", "model_dataframe"),
    ("random draws", "_draw_random_numbers"),
)
PRELUDE = [
    {"type": "set", "date": "2025-06", "parameter": "pledge_core_pct", "value": 3.5},
    {"type": "us_troops", "date": "2025-10", "change": -0.8, "unit": "thousands", "host": "ROU"},
    {"type": "coercion", "date": "2026-01", "target": "DNK", "size": 0.3},
]


def time_runs(repeats: int) -> list[float]:
    AllianceModel(seed=0, events=PRELUDE).run().model_dataframe()  # warm caches (data files, imports)
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        AllianceModel(seed=seed, events=PRELUDE).run().model_dataframe()
        times.append(time.perf_counter() - start)
    return times


def process_shares(repeats: int) -> dict[str, float]:
    spent: dict[str, float] = defaultdict(float)
    for seed in range(repeats):
        model = AllianceModel(seed=seed, events=PRELUDE)
        for label, name in PROCESSES:
            method = getattr(model, name)

            def timed(*args, _method=method, _label=label, **kwargs):
                start = time.perf_counter()
                result = _method(*args, **kwargs)
                spent[_label] += time.perf_counter() - start
                return result

            setattr(model, name, timed)
        model.run().model_dataframe()
    total = sum(spent.values())
    return {label: spent[label] / total for label, _ in PROCESSES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    times = time_runs(args.repeats)
    print(
        f"baseline run, 132 steps: median {statistics.median(times) * 1000:.1f} ms, "
        f"min {min(times) * 1000:.1f} ms over {args.repeats} runs"
    )
    print("share of step time by process:")
    for label, share in process_shares(max(args.repeats // 5, 5)).items():
        print(f"  {label:<20} {share:6.1%}")


if __name__ == "__main__":
    main()
