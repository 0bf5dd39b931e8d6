"""Time the compiled O(N²) kernels (sim.compiled.kernels) against their numpy twins and today's rules.

Usage: python benchmarks/bench_kernels.py [--repeats N] [--cold]

For R = 1, 100 and 1000 runs of N = 37 states:

* bounded-confidence mean of one month: one call on (R, N) positions (random; the kernel's cost does
  not depend on the values), the network shared;
* cohesion and blocs of one month (M = R rows) and of a whole 132-month history (M = 132 R rows), on
  the positions, GDP weights and European members of real baseline runs (seeds 1 to 10, repeated to
  fill R runs; the bloc search costs more on scattered positions than on the model's).

Each figure is the best of several repeats of process CPU time (one core; less disturbed than wall
time when other processes share the machine), in microseconds per call, after a warm-up call: the
one-off compilation (or loading the compiled code from the disk cache; ``--cold`` compiles into a
fresh cache directory) is excluded and timed separately. "today" is the single-run rule of
``sim.rules.dynamics`` called once per run, as the model does now; for cohesion and blocs the numpy twin is
what ``sim.rules.outcomes`` computes today (its 132-month, R = 1 figure is today's cost per run). The script
checks that the compiled and numpy results agree.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

N = 37
MONTHS = 132


def best_of(function, repeats: int) -> float:
    """Best CPU time of one call over ``repeats`` repeats, in microseconds (~50 ms of calls per repeat)."""
    start = time.process_time()
    function()
    once = time.process_time() - start
    number = max(1, int(0.05 / max(once, 1e-7)))
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(number):
            function()
        best = min(best, (time.process_time() - start) / number)
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


def model_histories(seeds: range = range(1, 11)) -> list[tuple]:
    """(autonomy, support, weight, members) of every month of real baseline runs: (132, N) arrays each."""
    from sim.model import AllianceModel

    histories = []
    for seed in seeds:
        model = AllianceModel(seed=seed).run()
        agents = model.agent_dataframe()
        order = list(model.data.iso3)

        def table(column: str, agents=agents, order=order) -> np.ndarray:
            return agents.pivot(index="step", columns="iso3", values=column)[order].to_numpy(dtype=float)

        months = model.steps
        europe = np.broadcast_to(np.asarray(model.europe, dtype=float), (months, len(order)))
        weight = model.data.gdp_usd_bn[None, :] * europe
        histories.append((table("autonomy"), table("ukraine_support"), weight, europe))
    return histories


def bench_outcomes(kernels, histories: list[tuple], months: int, runs: int, repeats: int) -> str:
    """One table row: cohesion and blocs of ``months`` months of ``runs`` runs (M = months x runs rows)."""
    picked = [histories[k % len(histories)] for k in range(runs)]
    a = tuple(np.concatenate([h[part][:months] for h in picked]) for part in range(4)) + (0.15,)
    compiled = best_of(lambda: kernels.pairwise_outcomes(*a), repeats)
    rows = months * runs
    # The twin holds several (M, N, N) arrays: skipped where they would pass ~1 GB.
    if rows * N * N * 8 * 6 < 1e9:
        got, ref = kernels.pairwise_outcomes(*a), kernels.pairwise_outcomes_numpy(*a)
        np.testing.assert_allclose(got[0], ref[0], rtol=1e-13)
        np.testing.assert_array_equal(got[1], ref[1])
        twin = best_of(lambda: kernels.pairwise_outcomes_numpy(*a), repeats)
        twin_text, ratio = f"{twin:,.1f}", f"{twin / compiled:.1f}x"
    else:
        twin_text, ratio = "(too large)", ""
    label = "cohesion and blocs, one month" if months == 1 else f"cohesion and blocs, {months} months"
    return f"| {label} | {runs} | {compiled:,.1f} | {twin_text} | | {ratio} |"


def bench_mean(kernels, runs: int, repeats: int) -> str:
    """One table row: the bounded-confidence mean of one month over ``runs`` runs."""
    from sim.rules import dynamics

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
    parser.add_argument("--cold", action="store_true", help="compile into a fresh cache directory (time compilation)")
    args = parser.parse_args()
    if args.cold:
        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-kernels-")

    start = time.perf_counter()
    from sim.compiled import kernels

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
    print("| kernel | R | compiled µs/call | numpy twin µs/call | today's rule, R calls, µs | compiled vs twin |")
    print("|---|---|---|---|---|---|")
    for runs in (1, 100, 1000):
        print(bench_mean(kernels, runs, args.repeats))
    histories = model_histories()
    for months in (1, MONTHS):
        for runs in (1, 100, 1000):
            print(bench_outcomes(kernels, histories, months, runs, args.repeats))


if __name__ == "__main__":
    main()
