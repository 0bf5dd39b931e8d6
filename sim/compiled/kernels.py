"""The two O(N²) kernels of a month, compiled with numba, each with a plain-numpy twin.

* :func:`bounded_confidence_mean`: the weighted mean over the states within the
  confidence bound of each state (Hegselmann & Krause 2002; ``docs/ODD.md``
  section 7.4), for every run of a batch.
* :func:`pairwise_outcomes`: cohesion and the number of blocs from the pairwise
  distances in (autonomy, ukraine_support) (``docs/ODD.md`` section 7.11), for
  any number of (month, run) rows.

Determinism. Every row is computed on its own, by the same loops in a fixed
order, so a row's result never depends on how many rows are in the call or
what they hold: run k alone equals run k inside any batch, bit for bit. For
that reason the kernels are compiled without ``fastmath`` (which lets the
compiler reorder sums) and without ``parallel=True`` (whose reductions round
differently with the number of threads).

The numpy twins (:func:`bounded_confidence_mean_numpy`,
:func:`pairwise_outcomes_numpy`) compute the same definitions with whole-array
operations, as ``sim/rules/dynamics.py`` and ``sim/rules/outcomes.py`` do for one run. They
are the references the tests hold the compiled kernels to: numpy adds long
sums pairwise while a loop adds them in order, so the two agree to about
1e-15 relative, not bit for bit.

Compiled code is cached on disk (``cache=True``). Numba writes the cache next
to this file, or in the user-wide cache directory when the package directory
is read-only; when neither is writable (an installed package under a
read-only home) the cache goes to a private directory in the system temporary
directory instead (:func:`_compiled`). The one-off compilation costs one to
a few seconds per kernel the first time on a machine; later processes load
the compiled code from the cache.

This module depends on numpy and numba only.

Reference: Hegselmann, R. & Krause, U. (2002). Opinion dynamics and bounded
confidence: models, analysis and simulation. *Journal of Artificial Societies
and Social Simulation* 5(3), 2.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable

import numba
import numpy as np

# error_model="numpy": a float division by zero gives inf/NaN as in numpy instead of raising, so the
# kernels and their twins agree on empty sets (no members: cohesion NaN); it does not change rounding.
# nogil: threads of one process (a threaded Dask worker) can run the kernels at the same time.
_OPTIONS = {"cache": True, "error_model": "numpy", "nogil": True}


def _fallback_cache_dir() -> str | None:
    """A private directory for numba's cache in the system temporary directory, or None if none is safe.

    The directory is the user's own (created with mode 0700); one that exists but belongs to someone else
    or can be written by others is refused, since numba loads what it finds there.
    """
    uid = os.getuid() if hasattr(os, "getuid") else None
    path = os.path.join(tempfile.gettempdir(), f"alliance-cohesion-numba-cache-{uid if uid is not None else 'user'}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or (uid is not None and (info.st_uid != uid or info.st_mode & 0o022)):
        return None
    return path


def _compiled(function: Callable) -> Callable:
    """``numba.njit(cache=True)`` that still works when numba finds no writable cache directory.

    Numba picks the cache directory when the function is decorated: ``NUMBA_CACHE_DIR`` if set, else
    ``__pycache__`` next to the source, else the user-wide cache directory (``$XDG_CACHE_HOME/numba``
    or ``~/.cache/numba``), and raises ``RuntimeError`` when none is writable (an installed package
    under a read-only home). Then the cache goes to :func:`_fallback_cache_dir` (numba's setting is put
    back at once, so other packages are not affected); failing that, the function is compiled without a
    disk cache, once per process.
    """
    try:
        return numba.njit(**_OPTIONS)(function)
    except RuntimeError as error:
        if "no locator available" not in str(error):
            raise
    fallback = None if numba.config.CACHE_DIR else _fallback_cache_dir()
    if fallback is not None:
        numba.config.CACHE_DIR = fallback
        try:
            return numba.njit(**_OPTIONS)(function)
        except RuntimeError as error:
            if "no locator available" not in str(error):
                raise
        finally:
            numba.config.CACHE_DIR = ""
    return numba.njit(**{**_OPTIONS, "cache": False})(function)


def _contiguous(values, dtype) -> np.ndarray:
    """C-contiguous and writable, so that every call hits the same compiled signature (numba types
    read-only arrays apart and would compile again for them)."""
    values = np.ascontiguousarray(values, dtype=dtype)
    return values if values.flags.writeable else values.copy()


def _per_row(values, rows: int, name: str) -> np.ndarray:
    """One float64 per row from a number or a (rows,) array."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape == (rows,):
        return _contiguous(values, np.float64)
    if values.ndim:
        raise ValueError(f"{name} must be a number or a ({rows},) array; got shape {values.shape}")
    return np.full(rows, values)


# --------------------------------------------------------------------------- bounded confidence


@_compiled
def _bounded_confidence_mean_rows(x: np.ndarray, influence: np.ndarray, bound: np.ndarray) -> np.ndarray:
    rows, n = x.shape
    shared = influence.shape[0] == 1
    out = np.empty((rows, n))
    # incoming[j, i] = influence[i, j]: the loop runs over j outside and over i inside, so that the inner
    # loop updates n independent sums (one per i) and compiles to vector instructions; each sum still adds
    # its terms in the order j = 0, 1, ..., n - 1, so the result does not depend on how it is vectorised.
    incoming = np.empty((n, n))
    weighted = np.empty(n)
    total = np.empty(n)
    for r in range(rows):
        if r == 0 or not shared:
            matrix = influence[r if not shared else 0]
            for i in range(n):
                for j in range(n):
                    incoming[j, i] = matrix[i, j]
        b = bound[r]
        xr = x[r]
        weighted[:] = 0.0
        total[:] = 0.0
        for j in range(n):
            xj = xr[j]
            column = incoming[j]
            for i in range(n):
                # Same operands as numpy's abs(x[None, :] - x[:, None]) < bound, so the same mask; a weight
                # of 0.0 is still added (as numpy's product is), so NaN and inf propagate alike.
                w = column[i] if abs(xj - xr[i]) < b else 0.0
                weighted[i] += w * xj
                total[i] += w
        for i in range(n):
            out[r, i] = weighted[i] / total[i]
    return out


def _check_positions(x: np.ndarray, influence: np.ndarray, bound: np.ndarray | float) -> tuple:
    x = _contiguous(x, np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must be a (runs, states) array; got shape {x.shape}")
    rows, n = x.shape
    influence = np.asarray(influence, dtype=np.float64)
    if influence.shape == (n, n):
        influence = influence[None]
    elif influence.shape != (rows, n, n):
        raise ValueError(
            f"influence must be ({n}, {n}) shared by all runs or ({rows}, {n}, {n}); got shape {influence.shape}"
        )
    return x, _contiguous(influence, np.float64), _per_row(bound, rows, "bound")


def bounded_confidence_mean(x: np.ndarray, influence: np.ndarray, bound: np.ndarray | float) -> np.ndarray:
    """Weighted mean of the positions within the confidence bound of each state, for every run (compiled).

    ``out[r, i] = sum_j w[r, i, j] x[r, j] / sum_j w[r, i, j]`` with
    ``w[r, i, j] = influence[(r,) i, j] * (abs(x[r, j] - x[r, i]) < bound[r])``
    (Hegselmann & Krause 2002): state i listens to the states whose position is
    strictly closer than the bound, itself included.

    Args:
        x: (R, N) positions of the N states in each of R runs (unit interval, dimensionless).
        influence: (N, N) influence weights shared by all runs, or (R, N, N) one matrix per run;
            non-negative with a positive diagonal, so that no set is empty.
        bound: (R,) confidence bound per run, or one number for all (distance in position).

    Returns:
        (R, N) float64 array. A row depends only on that row's inputs, bit for bit.

    Raises:
        ValueError: if the shapes do not fit together.
    """
    x, influence, bound = _check_positions(x, influence, bound)
    return _bounded_confidence_mean_rows(x, influence, bound)


def compiled_bounded_confidence_mean(x: np.ndarray, influence: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """:func:`bounded_confidence_mean` without the checks, for callers whose arrays already fit.

    Args: x (R, N) float64 C-contiguous; influence (R, N, N) or (1, N, N) float64 C-contiguous; bound (R,) float64.
    """
    return _bounded_confidence_mean_rows(x, influence, bound)


def bounded_confidence_mean_numpy(x: np.ndarray, influence: np.ndarray, bound: np.ndarray | float) -> np.ndarray:
    """Plain-numpy twin of :func:`bounded_confidence_mean`: same arguments, shapes and definition.

    Built as ``sim.rules.dynamics.bounded_confidence_mean`` is for one run (the sums are numpy's, so they
    may differ from the compiled loop in the last bits).
    """
    x, influence, bound = _check_positions(x, influence, bound)
    weights = influence * (np.abs(x[:, None, :] - x[:, :, None]) < bound[:, None, None])
    return (weights * x[:, None, :]).sum(axis=2) / weights.sum(axis=2)


# --------------------------------------------------------------------------- cohesion and blocs


@_compiled
def _pairwise_outcomes_rows(
    aut: np.ndarray, sup: np.ndarray, weight: np.ndarray, members: np.ndarray, bloc_distance: np.ndarray
) -> tuple:
    rows, n = aut.shape
    cohesion = np.empty(rows)
    blocs = np.zeros(rows, dtype=np.int64)
    distance = np.empty((n, n))
    column_sums = np.empty(n)
    bloc = np.empty(n, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    root_two = np.sqrt(2.0)
    for r in range(rows):
        a, s, w = aut[r], sup[r], weight[r]
        # All distances, the diagonal included (0, or NaN for a NaN position: as in sim.rules.outcomes, a member
        # that is not within the bloc distance of itself belongs to no bloc), and sum_{i, j} w_i w_j d_ij
        # as n running sums over j updated one i at a time: the inner loop is over independent sums, so it
        # compiles to vector instructions without changing the order in which any sum adds its terms.
        column_sums[:] = 0.0
        for i in range(n):
            ai, si, wi = a[i], s[i], w[i]
            for j in range(n):
                da = ai - a[j]
                du = si - s[j]
                d = np.sqrt(da * da + du * du)
                distance[i, j] = d
                column_sums[j] += wi * w[j] * d
        pairs = 0.0
        total = 0.0
        squares = 0.0
        for j in range(n):
            pairs += column_sums[j]
            total += w[j]
            squares += w[j] * w[j]
        cohesion[r] = 1.0 - pairs / (total * total - squares) / root_two
        # Blocs: connected components of the members, linked when closer than the bloc distance.
        threshold = bloc_distance[r]
        bloc[:] = -1
        count = 0
        for start in range(n):
            if not members[r, start] or bloc[start] >= 0 or not distance[start, start] < threshold:
                continue
            bloc[start] = count
            stack[0] = start
            top = 1
            while top > 0:
                top -= 1
                i = stack[top]
                for j in range(n):
                    if members[r, j] and bloc[j] < 0 and distance[i, j] < threshold:
                        bloc[j] = count
                        stack[top] = j
                        top += 1
            count += 1
        blocs[r] = count
    return cohesion, blocs


def _check_outcome_inputs(aut, sup, weight, members, bloc_distance) -> tuple:
    aut = _contiguous(aut, np.float64)
    if aut.ndim != 2:
        raise ValueError(f"aut must be an (M, states) array; got shape {aut.shape}")
    shape = aut.shape
    checked = [aut]
    for name, values, dtype in (("sup", sup, np.float64), ("weight", weight, np.float64), ("members", members, bool)):
        values = _contiguous(values, dtype)
        if values.shape != shape:
            raise ValueError(f"{name} must have the shape of aut {shape}; got shape {values.shape}")
        checked.append(values)
    checked.append(_per_row(bloc_distance, shape[0], "bloc_distance"))
    return tuple(checked)


def pairwise_outcomes(
    aut: np.ndarray, sup: np.ndarray, weight: np.ndarray, members: np.ndarray, bloc_distance: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Cohesion and the number of blocs of each row (compiled); a row is one month of one run.

    With ``d_ij`` the Euclidean distance between states i and j in (autonomy, ukraine_support):

    * ``cohesion = 1 - sum_{i != j} w_i w_j d_ij / ((sum_i w_i)^2 - sum_i w_i^2) / sqrt(2)``: one minus
      the weighted mean distance between two different states, over the largest distance possible
      in the unit square (``docs/ODD.md`` section 7.11; ``sim.rules.outcomes.history_outcomes``).
    * ``blocs``: the number of connected components among the members, two members linked when
      ``d_ij < bloc_distance`` (``sim.rules.outcomes.blocs_over_time``).

    Args:
        aut, sup: (M, N) autonomy and support for Ukraine (unit interval). M is any number of rows,
            e.g. months x runs flattened.
        weight: (M, N) weight of each state in cohesion (GDP, USD bn, of the European states; 0 for
            the others).
        members: (M, N) bool, the states counted in blocs.
        bloc_distance: (M,) or one number: the distance below which two members are linked.

    Returns:
        ``(cohesion, blocs)``: (M,) float64 and (M,) int64. With fewer than two states of positive
        weight, cohesion is NaN (0/0, as in ``sim.rules.outcomes``); with no member, blocs is 0. As in
        ``sim.rules.outcomes``, a member counts only if it is within the bloc distance of itself, so a NaN
        position or a bloc distance of 0 or less counts no bloc. A row depends only on that row's
        inputs, bit for bit.

    Raises:
        ValueError: if the shapes do not fit together.
    """
    return _pairwise_outcomes_rows(*_check_outcome_inputs(aut, sup, weight, members, bloc_distance))


def pairwise_outcomes_numpy(
    aut: np.ndarray, sup: np.ndarray, weight: np.ndarray, members: np.ndarray, bloc_distance: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy twin of :func:`pairwise_outcomes`: same arguments, shapes and definitions.

    Built as ``sim.rules.outcomes.history_outcomes`` and ``sim.rules.outcomes.blocs_over_time`` are (an (M, N, N)
    distance array, so memory grows as M N²; for tests and small M).
    """
    aut, sup, weight, members, bloc_distance = _check_outcome_inputs(aut, sup, weight, members, bloc_distance)
    da = aut[:, :, None] - aut[:, None, :]
    du = sup[:, :, None] - sup[:, None, :]
    distance = np.sqrt(da * da + du * du)
    weighted = np.einsum("ti,tij,tj->t", weight, distance, weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        cohesion = 1.0 - weighted / (weight.sum(axis=1) ** 2 - (weight * weight).sum(axis=1)) / np.sqrt(2.0)
    # Blocs: every member takes the smallest label among its linked members until nothing changes.
    rows, n = members.shape
    close = (distance < bloc_distance[:, None, None]) & members[:, :, None] & members[:, None, :]
    labels = np.where(members, np.arange(n)[None, :], n)
    while True:
        new = np.min(np.broadcast_to(labels[:, None, :], close.shape), axis=2, where=close, initial=n)
        if np.array_equal(new, labels):
            break
        labels = new
    blocs = ((labels == np.arange(n)[None, :]) & members).sum(axis=1).astype(np.int64)
    return cohesion, blocs
