"""The compiled O(N²) kernels (sim.compiled.kernels): against their numpy twins, against the
single-run rules of the model before the engine (on real model inputs and the golden histories),
row by row independent of the batch, and usable from a read-only installation.

Tolerance: the compiled loops add in order while numpy adds long sums pairwise (and the single-run
rule uses a BLAS product), so floats are compared within 1e-13 relative; bloc counts exactly.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.compiled import kernels
from sim.model import AllianceModel
from sim.rules import dynamics
from sim.rules import outcomes as metrics
from sim.scenarios import scenario

RTOL = 1e-13
N = 37


def _influence(rng: np.random.Generator, *leading: int) -> np.ndarray:
    """Non-negative weights, some zero (no tie), with a positive diagonal as the model's network has."""
    matrix = rng.random((*leading, N, N)) * (rng.random((*leading, N, N)) < 0.6)
    diagonal = np.arange(N)
    matrix[..., diagonal, diagonal] = 0.5 + rng.random((*leading, N))
    return matrix


def _positions(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.random((rows, N)), rng.random((rows, N))


def _outcome_inputs(rng: np.random.Generator, rows: int) -> tuple:
    aut, sup = _positions(rng, rows)
    members = rng.random((rows, N)) < 0.8
    weight = rng.lognormal(3.0, 1.5, (rows, N)) * members
    bloc_distance = rng.uniform(0.02, 0.5, rows)
    return aut, sup, weight, members, bloc_distance


# ------------------------------------------------------------------ bounded confidence


@pytest.mark.parametrize("per_row_influence", [False, True])
def test_bounded_confidence_mean_matches_numpy_twin(per_row_influence):
    rng = np.random.default_rng(11)
    rows = 60
    x = rng.random((rows, N))
    x[:10] = np.round(x[:10], 1)  # ties: many pairs at exactly the same distance
    influence = _influence(rng, rows) if per_row_influence else _influence(rng)
    bound = rng.uniform(0.05, 1.0, rows)
    bound[:5] = 0.1  # exactly at the rounded distances: the strict < decides
    compiled = kernels.bounded_confidence_mean(x, influence, bound)
    twin = kernels.bounded_confidence_mean_numpy(x, influence, bound)
    assert compiled.shape == (rows, N) and compiled.dtype == np.float64
    np.testing.assert_allclose(compiled, twin, rtol=RTOL, atol=0)
    # The row-by-row single-run rule of sim.rules.dynamics agrees too.
    for r in range(rows):
        matrix = influence[r] if per_row_influence else influence
        np.testing.assert_allclose(
            compiled[r], dynamics.bounded_confidence_mean(x[r], matrix, bound[r]), rtol=RTOL, atol=0
        )


def test_bounded_confidence_mean_edge_cases():
    rng = np.random.default_rng(12)
    influence = _influence(rng)
    x = rng.random((3, N))
    # A bound so small that only the state itself is within it: its own position, as in the twin.
    alone = kernels.bounded_confidence_mean(x, influence, 1e-300)
    np.testing.assert_array_equal(alone, kernels.bounded_confidence_mean_numpy(x, influence, 1e-300))
    np.testing.assert_allclose(alone, x, rtol=1e-15, atol=0)
    # All equal: everyone stays where everyone is.
    same = np.full((2, N), 0.37)
    np.testing.assert_allclose(kernels.bounded_confidence_mean(same, influence, 0.3), same, rtol=1e-14, atol=0)
    # Isolated states keep their position; a cluster within the bound moves to its weighted mean.
    spread = np.concatenate([[0.0, 0.01, 0.02], 0.1 + 0.026 * np.arange(N - 3)])[None, :]
    out = kernels.bounded_confidence_mean(spread, influence, 0.025)
    np.testing.assert_allclose(out[0, 3:], spread[0, 3:], rtol=1e-15, atol=0)
    cluster = influence[:3, :3] @ spread[0, :3] / influence[:3, :3].sum(axis=1)
    np.testing.assert_allclose(out[0, :3], cluster, rtol=RTOL, atol=0)
    # A NaN position spoils the same entries as in the twin (0 * NaN is still added).
    broken = x.copy()
    broken[1, 4] = np.nan
    np.testing.assert_array_equal(
        np.isnan(kernels.bounded_confidence_mean(broken, influence, 0.3)),
        np.isnan(kernels.bounded_confidence_mean_numpy(broken, influence, 0.3)),
    )
    # No runs: an empty result.
    assert kernels.bounded_confidence_mean(np.empty((0, N)), influence, np.empty(0)).shape == (0, N)


def test_bounded_confidence_mean_accepts_views_and_rejects_bad_shapes():
    rng = np.random.default_rng(13)
    wide = rng.random((5, 2 * N))
    influence = _influence(rng)
    x = wide[:, ::2]  # strided view
    expected = kernels.bounded_confidence_mean(x.copy(), influence, np.full(5, 0.3))
    transposed = np.asfortranarray(influence)
    read_only = np.broadcast_to(0.3, (5,))
    np.testing.assert_array_equal(kernels.bounded_confidence_mean(x, transposed, read_only), expected)
    np.testing.assert_array_equal(kernels.bounded_confidence_mean(x, influence, 0.3), expected)
    np.testing.assert_array_equal(
        kernels.bounded_confidence_mean(x, np.broadcast_to(influence, (5, N, N)), 0.3), expected
    )
    with pytest.raises(ValueError, match="influence must be"):
        kernels.bounded_confidence_mean(x, influence[:-1], 0.3)
    with pytest.raises(ValueError, match="bound must be"):
        kernels.bounded_confidence_mean(x, influence, np.full(4, 0.3))
    with pytest.raises(ValueError, match="x must be"):
        kernels.bounded_confidence_mean(x[0], influence, 0.3)


# ------------------------------------------------------------------ cohesion and blocs


def test_pairwise_outcomes_match_numpy_twin():
    rng = np.random.default_rng(21)
    inputs = _outcome_inputs(rng, 300)
    cohesion, blocs = kernels.pairwise_outcomes(*inputs)
    twin_cohesion, twin_blocs = kernels.pairwise_outcomes_numpy(*inputs)
    assert cohesion.dtype == np.float64 and blocs.dtype == np.int64 and cohesion.shape == blocs.shape == (300,)
    np.testing.assert_allclose(cohesion, twin_cohesion, rtol=RTOL, atol=0)
    np.testing.assert_array_equal(blocs, twin_blocs)
    assert len(np.unique(blocs)) > 5  # the random rows cover many bloc counts, not one


def test_pairwise_outcomes_edge_cases():
    aut = np.array(
        [
            [0.2, 0.3, 0.9, 0.5],  # one member: cohesion 0/0 -> NaN, one bloc
            [0.2, 0.3, 0.9, 0.5],  # no member: NaN, no bloc
            [0.4, 0.4, 0.4, 0.4],  # all equal: cohesion 1, one bloc
            [0.0, 1.0, 0.0, 1.0],  # corners: isolated, four blocs
            [0.0, 0.1, 0.2, 0.3],  # a chain closer than the bloc distance: one bloc
            [0.0, 0.1, 0.2, 0.3],  # the same chain with a bloc distance of 0: no member is within it of itself
            [0.0, 0.1, np.nan, 0.3],  # a NaN position: NaN cohesion; that member is in no bloc
        ]
    )
    sup = np.array([[0.5] * 4] * 3 + [[0.0, 0.0, 1.0, 1.0]] + [[0.5] * 4] * 3)
    members = np.ones(aut.shape, bool)
    members[0, 1:] = False
    members[1] = False
    weight = members * np.array([3.0, 1.0, 2.0, 5.0])
    bloc_distance = np.array([0.15, 0.15, 0.15, 0.15, 0.15, 0.0, 0.15])
    cohesion, blocs = kernels.pairwise_outcomes(aut, sup, weight, members, bloc_distance)
    twin_cohesion, twin_blocs = kernels.pairwise_outcomes_numpy(aut, sup, weight, members, bloc_distance)
    np.testing.assert_array_equal(blocs, [1, 0, 1, 4, 1, 0, 2])
    np.testing.assert_array_equal(blocs, twin_blocs)
    np.testing.assert_array_equal(np.isnan(cohesion), [True, True, False, False, False, False, True])
    np.testing.assert_allclose(cohesion, twin_cohesion, rtol=RTOL, atol=0)
    assert cohesion[2] == 1.0
    # The single-run definitions of sim.rules.outcomes give the same on every row.
    for row in range(len(aut)):
        da = aut[row][:, None] - aut[row][None, :]
        du = sup[row][:, None] - sup[row][None, :]
        distance = np.sqrt(da * da + du * du)[None]
        assert metrics.blocs_over_time(distance, members[row : row + 1], bloc_distance[row])[0] == blocs[row]
    # Views and other memory layouts give the same as contiguous copies.
    wide = np.repeat(aut, 2, axis=1)[:, ::2]
    views = kernels.pairwise_outcomes(wide, np.asfortranarray(sup), weight, members.astype(float), 0.15)
    copies = kernels.pairwise_outcomes(aut, sup, weight, members, np.full(len(aut), 0.15))
    for got, expected in zip(views, copies, strict=True):
        np.testing.assert_array_equal(got, expected)
    # No rows; bad shapes.
    empty = np.empty((0, 4))
    assert kernels.pairwise_outcomes(empty, empty, empty, empty.astype(bool), 0.15)[1].shape == (0,)
    with pytest.raises(ValueError, match="weight must have the shape"):
        kernels.pairwise_outcomes(aut, sup, weight[:, :2], members, bloc_distance)
    with pytest.raises(ValueError, match="bloc_distance must be"):
        kernels.pairwise_outcomes(aut, sup, weight, members, bloc_distance[:2])


# ------------------------------------------------------------------ row independence


def _rows_alone_and_in_batches(compute, rows: int, arrays: tuple) -> None:
    """Each of the first rows computed alone equals the same row inside batches of 7 and 64, bit for bit."""
    full = compute(*arrays)
    order = np.random.default_rng(3).permutation(rows)
    for k in range(7):
        alone = compute(*(a[k : k + 1] for a in arrays))
        batch7 = np.concatenate([[k], order[order != k][:6]])
        in7 = compute(*(a[batch7] for a in arrays))
        for got, ref, ref7 in zip(_as_tuple(alone), _as_tuple(full), _as_tuple(in7), strict=True):
            assert np.array_equal(got[0], ref[k], equal_nan=True)
            assert np.array_equal(got[0], ref7[0], equal_nan=True)


def _as_tuple(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


def test_rows_are_bit_identical_alone_and_in_batches():
    rng = np.random.default_rng(31)
    rows = 64
    x = rng.random((rows, N))
    bound = rng.uniform(0.05, 1.0, rows)
    shared = _influence(rng)
    _rows_alone_and_in_batches(lambda x, bound: kernels.bounded_confidence_mean(x, shared, bound), rows, (x, bound))
    _rows_alone_and_in_batches(kernels.bounded_confidence_mean, rows, (x, _influence(rng, rows), bound))
    _rows_alone_and_in_batches(kernels.pairwise_outcomes, rows, _outcome_inputs(rng, rows))


# ------------------------------------------------------------------ real model histories


def _recorded_calls(monkeypatch) -> list[tuple]:
    """Baseline seeds 1 and 2 and the 2022 hindcast (accessions change the network), with every call
    of the bounded-confidence kernel recorded as (x, influence, bound)."""
    calls = []

    def recorder(original):
        def recording(x, influence, bound):
            influence = np.broadcast_to(influence, (len(x), *np.shape(influence)[-2:]))
            calls.append((np.array(x, dtype=float), np.array(influence), np.array(bound, dtype=float)))
            return original(x, influence, bound)

        return recording

    for name in ("bounded_confidence_mean", "compiled_bounded_confidence_mean"):
        monkeypatch.setattr(kernels, name, recorder(getattr(kernels, name)))
    AllianceModel(seed=1).run()
    AllianceModel(seed=2).run()
    AllianceModel.from_scenario(scenario.load("hindcast_2022"), 0).run()
    return calls


def _single_run_rule(x: np.ndarray, influence: np.ndarray, bound: float) -> np.ndarray:
    """The single-run rule before the engine: a BLAS product over the bounded-confidence weights."""
    weights = influence * (np.abs(x[None, :] - x[:, None]) < bound)
    return (weights @ x) / weights.sum(axis=1)


def test_kernels_reproduce_the_single_run_rule_on_model_inputs(monkeypatch):
    calls = _recorded_calls(monkeypatch)
    x = np.concatenate([c[0] for c in calls])
    influence = np.concatenate([c[1] for c in calls])
    bound = np.concatenate([np.broadcast_to(c[2], (len(c[0]),)) for c in calls])
    expected = np.stack([_single_run_rule(x[r], influence[r], bound[r]) for r in range(len(x))])
    assert len({matrix.tobytes() for matrix in influence}) > 1  # the network changes over the runs
    np.testing.assert_allclose(kernels.bounded_confidence_mean(x, influence, bound), expected, rtol=RTOL, atol=0)
    np.testing.assert_allclose(kernels.bounded_confidence_mean_numpy(x, influence, bound), expected, rtol=RTOL, atol=0)


def test_kernels_reproduce_the_pre_engine_cohesion_and_blocs_from_golden_histories():
    """The golden tables were written by the model before the engine: its state histories give back its outcomes."""
    golden = Path(__file__).resolve().parent / "golden"
    data = AllianceModel(seed=0).data
    north_america = np.asarray(data.region) == "north_america"
    is_usa = np.array([code == "USA" for code in data.iso3])
    seen_blocs = set()
    batches = []
    for name in ("baseline", "hindcast_2022", "perfect_storm"):
        agents = pd.read_parquet(golden / f"{name}.agents.parquet")
        outcomes = pd.read_parquet(golden / f"{name}.model.parquet")
        for run, rows in agents.groupby("run"):
            assert list(rows["iso3"].iloc[:N]) == list(data.iso3)
            table = {c: rows[c].to_numpy().reshape(-1, N) for c in ("autonomy", "ukraine_support", "eu_member")}
            nato = rows["nato_member"].to_numpy().reshape(-1, N)
            europe = (table["eu_member"] | nato) & ~is_usa & ~north_america
            weight = data.gdp_usd_bn[None, :] * europe
            cohesion, blocs = kernels.pairwise_outcomes(
                table["autonomy"], table["ukraine_support"], weight, europe, 0.15
            )
            expected = outcomes[outcomes["run"] == run]
            np.testing.assert_allclose(cohesion, expected["cohesion_positions"].to_numpy(), rtol=1e-12, atol=0)
            np.testing.assert_array_equal(blocs, expected["blocs"].to_numpy())
            seen_blocs.update(blocs.tolist())
            batches.append((table["autonomy"], table["ukraine_support"], weight, europe))
    assert len(seen_blocs) > 1  # the histories exercise several bloc counts
    # Every month of every run alone equals the same month inside all runs' months together, bit for bit.
    together = kernels.pairwise_outcomes(*(np.concatenate(part) for part in zip(*batches, strict=True)), 0.15)
    start = 0
    for aut, sup, weight, europe in batches:
        for k in range(0, len(aut), 11):
            month = slice(k, k + 1)
            alone = kernels.pairwise_outcomes(aut[month], sup[month], weight[month], europe[month], 0.15)
            assert np.array_equal(alone[0][0], together[0][start + k]) and alone[1][0] == together[1][start + k]
        start += len(aut)


# ------------------------------------------------------------------ read-only installation

_PROBE = textwrap.dedent(
    """
    import json, sys
    import numba
    import numpy as np
    import kernels
    rng = np.random.default_rng(0)
    x = rng.random((4, 6))
    influence = rng.random((6, 6)) + np.eye(6)
    got = kernels.bounded_confidence_mean(x, influence, 0.3)
    assert np.allclose(got, kernels.bounded_confidence_mean_numpy(x, influence, 0.3), rtol=1e-13, atol=0)
    stats = kernels._bounded_confidence_mean_rows.stats
    print(json.dumps({"cache_path": stats.cache_path, "hits": sum(stats.cache_hits.values()),
                      "misses": sum(stats.cache_misses.values()), "numba_cache_dir": numba.config.CACHE_DIR}))
    """
)


def _read_only_copy(tmp_path: Path) -> Path:
    """The kernels module alone in a directory that cannot be written. The owner's write bits are
    removed, and a file stands where ``__pycache__`` would go, so it stays unwritable for root too."""
    package = tmp_path / "installed"
    package.mkdir()
    shutil.copy(Path(kernels.__file__), package / "kernels.py")
    (package / "__pycache__").write_text("not a directory")
    for path in (package / "kernels.py", package / "__pycache__", package):
        path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    return package


def _probe(package: Path, env_changes: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(env_changes, PYTHONPATH=str(package), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_read_only_package_caches_in_the_user_cache_dir(tmp_path):
    package = _read_only_copy(tmp_path)
    user_cache = tmp_path / "user-cache"
    first = _probe(package, {"XDG_CACHE_HOME": str(user_cache)})
    assert Path(first["cache_path"]).is_relative_to(user_cache / "numba")
    assert first["misses"] == 1 and first["hits"] == 0
    assert list(Path(first["cache_path"]).glob("kernels._bounded_confidence_mean_rows-*.nbi"))


def _unwritable_user_cache(tmp_path: Path) -> Path:
    blocker = tmp_path / "a-file"
    blocker.write_text("the user cache dir cannot be created under a file")
    return blocker / "cache"


@pytest.mark.slow
def test_read_only_package_and_user_cache_fall_back_to_the_temporary_dir(tmp_path):
    package = _read_only_copy(tmp_path)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"XDG_CACHE_HOME": str(_unwritable_user_cache(tmp_path)), "TMPDIR": str(temporary)}
    first = _probe(package, env)
    fallback = temporary / f"alliance-cohesion-numba-cache-{os.getuid()}"
    assert Path(first["cache_path"]).is_relative_to(fallback)
    assert first["misses"] == 1 and first["hits"] == 0
    assert first["numba_cache_dir"] == ""  # numba's own setting is left as it was
    assert stat.S_IMODE(fallback.stat().st_mode) == 0o700
    second = _probe(package, env)
    assert second["hits"] == 1 and second["misses"] == 0  # the next process loads the code, not compiles it


@pytest.mark.slow
def test_a_fallback_dir_writable_by_others_is_refused_and_the_kernels_still_work(tmp_path):
    package = _read_only_copy(tmp_path)
    temporary = tmp_path / "tmp"
    shared = temporary / f"alliance-cohesion-numba-cache-{os.getuid()}"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    result = _probe(package, {"XDG_CACHE_HOME": str(_unwritable_user_cache(tmp_path)), "TMPDIR": str(temporary)})
    assert result["cache_path"] is None  # compiled in memory, nothing written to or read from that directory
    assert not list(shared.iterdir())


def test_kernels_are_compiled_without_fastmath_or_parallel():
    for kernel in (kernels._bounded_confidence_mean_rows, kernels._pairwise_outcomes_rows):
        options = kernel.targetoptions
        assert not options.get("fastmath") and not options.get("parallel"), options
        assert kernel._cache.cache_path is not None  # cached on disk
