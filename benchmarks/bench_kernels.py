"""Time the compiled O(N²) kernels (sim.engine.kernels) against their numpy twins and today's rules.

Usage: python benchmarks/bench_kernels.py [--repeats N]

For R = 1, 100 and 1000 runs of N = 37 states:

* bounded-confidence mean of one month (one call on (R, N) positions, the network shared);
* cohesion and blocs of one month (M = R rows) and of a whole 132-month history (M = 132 R rows).

Each figure is the best of several repeats of wall time, in microseconds per call, after a warm-up
call: the one-off compilation (or loading the compiled code from the disk cache) is excluded and
timed separately. "today" is the single-run rule of ``sim.dynamics`` called once per run, as the model
does now; for cohesion and blocs the numpy twin is what ``sim.metrics`` computes today (its 132-month,
R = 1 figure is today's cost per run). The script checks that the compiled and numpy results agree.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

N = 37
MONTHS = 132


def best_of(function, repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in microseconds (at least ~50 ms of calls per repeat)."""
    start = time.perf_counter()
    function()
    once = time.perf_counter() - start
    number = max(1, int(0.05 / max(once, 1e-7)))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def inputs(rows: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    influence = rng.random((N, N)) * (rng.random((N, N)) < 0.6)
    np.fill_diagonal(influence, 1.0)
    members = rng.random((rows, N)) < 0.8
    return {
        "x": rng.random((rows, N)),
        "influence": influence,
        "bound": np.full(rows, 0.3),
        "aut": rng.random((rows, N)),
        "sup": rng.random((rows, N)),
        "weight": rng.lognormal(3.0, 1.5, (rows, N)) * members,
        "members": members,
        "bloc_distance": np.full(rows, 0.15),
    }


def bench_mean(kernels, runs: int, repeats: int) -> str:
    """One table row: the bounded-confidence mean of one month over ``runs`` runs."""
    from sim import dynamics

    d = inputs(runs)
    x, influence, bound = d["x"], d["influence"], d["bound"]
    np.testing.assert_allclose(
        kernels.bounded_confidence_mean(x, influence, bound),
        kernels.bounded_confidence_mean_numpy(x, influence, bound),
        rtol=1e-13,
    )
    compiled = best_of(lambda: kernels.bounded_confidence_mean(x, influence, bound), repeats)
    twin = best_of(lambda: kernels.bounded_confidence_mean_numpy(x, influence, bound), repeats)
    today = best_of(lambda: [dynamics.bounded_confidence_mean(row, influence, 0.3) for row in x], repeats)
    return (
        f"| bounded-confidence mean, one month | {runs} | {compiled:,.1f} | {twin:,.1f} | {today:,.1f} "
        f"| {twin / compiled:.1f}x |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    from sim.engine import kernels

    imported = time.perf_counter() - start
    warm = inputs(2)
    start = time.perf_counter()
    kernels.bounded_confidence_mean(warm["x"], warm["influence"], warm["bound"])
    first_mean = time.perf_counter() - start
    start = time.perf_counter()
    kernels.pairwise_outcomes(warm["aut"], warm["sup"], warm["weight"], warm["members"], warm["bloc_distance"])
    first_outcomes = time.perf_counter() - start
    print(
        f"import numba + kernels {imported:.2f} s; first call (compile or load from the disk cache): "
        f"bounded_confidence_mean {first_mean:.2f} s, pairwise_outcomes {first_outcomes:.2f} s"
    )
    print()
    print("| kernel | R | compiled µs/call | numpy twin µs/call | today's rule, per run, µs/call | compiled vs twin |")
    print("|---|---|---|---|---|---|")
    for runs in (1, 100, 1000):
        print(bench_mean(kernels, runs, args.repeats))
    for months in (1, MONTHS):
        for runs in (1, 100, 1000):
            rows = months * runs
            d = inputs(rows)
            a = (d["aut"], d["sup"], d["weight"], d["members"], d["bloc_distance"])
            compiled = best_of(lambda a=a: kernels.pairwise_outcomes(*a), args.repeats)
            # The twin and today's function hold (rows, N, N) arrays: skipped where that exceeds ~1 GB.
            if rows * N * N * 8 * 6 < 1e9:
                got, ref = kernels.pairwise_outcomes(*a), kernels.pairwise_outcomes_numpy(*a)
                np.testing.assert_allclose(got[0], ref[0], rtol=1e-13)
                np.testing.assert_array_equal(got[1], ref[1])
                twin = best_of(lambda a=a: kernels.pairwise_outcomes_numpy(*a), args.repeats)
                twin_text, ratio = f"{twin:,.1f}", f"{twin / compiled:.1f}x"
            else:
                twin_text, ratio = "(too large)", ""
            label = "cohesion and blocs, one month" if months == 1 else f"cohesion and blocs, {months} months"
            print(f"| {label} | {runs} | {compiled:,.1f} | {twin_text} | | {ratio} |")


if __name__ == "__main__":
    main()
