"""Small compiled loops that reduce over the states of one run at a time.

Every reduction here runs over the trailing (state) axis of one row in a fixed
order, so a run's numbers do not depend on how many runs share the batch (a
BLAS matrix product over the batch would change its rounding with the batch
size). No ``fastmath``, no parallel reductions.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _matvec_shared(m: np.ndarray, x: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    rows, n = x.shape
    out = np.empty((rows, m.shape[0]))
    for r in range(rows):
        for i in range(m.shape[0]):
            acc = 0.0
            for j in range(n):
                acc += m[i, j] * x[r, j]
            out[r, i] = acc
    return out


@numba.njit(cache=True)
def _matvec_rows(m: np.ndarray, x: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    rows, n = x.shape
    out = np.empty((rows, m.shape[1]))
    for r in range(rows):
        for i in range(m.shape[1]):
            acc = 0.0
            for j in range(n):
                acc += m[r, i, j] * x[r, j]
            out[r, i] = acc
    return out


def matvec(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``m @ x`` for every row: ``out[r, i] = sum_j m[(r,) i, j] * x[r, j]`` summed in order of ``j``.

    Args:
        m: (N, N) shared by all rows, or (R, N, N).
        x: (N,) or (R, N) float.
    Returns:
        the shape of ``x`` (float64).
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(1, -1) if x.ndim == 1 else np.ascontiguousarray(x)
    m = np.ascontiguousarray(m, dtype=np.float64)
    out = _matvec_shared(m, flat) if m.ndim == 2 else _matvec_rows(m, flat)
    return out.reshape(x.shape)


@numba.njit(cache=True)
def _bounded_confidence(x: np.ndarray, influence: np.ndarray, bound: np.ndarray, shared: bool) -> np.ndarray:
    # pragma: no cover - compiled
    rows, n = x.shape
    out = np.empty((rows, n))
    for r in range(rows):
        b = bound[r]
        for i in range(n):
            num = 0.0
            den = 0.0
            xi = x[r, i]
            for j in range(n):
                if abs(x[r, j] - xi) < b:
                    w = influence[0, i, j] if shared else influence[r, i, j]
                    num += w * x[r, j]
                    den += w
            out[r, i] = num / den
    return out


def bounded_confidence_mean(x: np.ndarray, influence: np.ndarray, bound: float | np.ndarray) -> np.ndarray:
    """Hegselmann-Krause mean of every row: ``sum_j w_ij x_j / sum_j w_ij``, ``w_ij = influence_ij [|x_j - x_i| < b]``.

    Args:
        x: (N,) or (R, N) positions.
        influence: (N, N) shared, or (R, N, N); a positive diagonal keeps every set non-empty.
        bound: scalar or (R,) confidence bound.
    Returns:
        the shape of ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(1, -1) if x.ndim == 1 else np.ascontiguousarray(x)
    influence = np.ascontiguousarray(influence, dtype=np.float64)
    shared = influence.ndim == 2
    stack = influence.reshape(1, *influence.shape) if shared else influence
    bounds = np.broadcast_to(np.asarray(bound, dtype=np.float64), (flat.shape[0],)).copy()
    return _bounded_confidence(flat, stack, bounds, shared).reshape(x.shape)


@numba.njit(cache=True)
def _pairwise(aut, sup, weight, members, threshold):  # pragma: no cover - compiled
    m, n = aut.shape
    cohesion = np.empty(m)
    blocs = np.empty(m, dtype=np.int64)
    labels = np.empty(n, dtype=np.int64)
    scale = np.sqrt(2.0)
    for t in range(m):
        weighted = 0.0
        total = 0.0
        squares = 0.0
        for i in range(n):
            total += weight[t, i]
            squares += weight[t, i] * weight[t, i]
            labels[i] = i if members[t, i] else n
        for i in range(n):
            for j in range(n):
                da = aut[t, i] - aut[t, j]
                du = sup[t, i] - sup[t, j]
                weighted += weight[t, i] * np.sqrt(da * da + du * du) * weight[t, j]
        cohesion[t] = 1.0 - weighted / (total * total - squares) / scale
        # Blocs: connected components of "closer than threshold" among members (min-label propagation).
        changed = True
        while changed:
            changed = False
            for i in range(n):
                if not members[t, i]:
                    continue
                best = labels[i]
                for j in range(n):
                    if members[t, j] and labels[j] < best:
                        da = aut[t, i] - aut[t, j]
                        du = sup[t, i] - sup[t, j]
                        if np.sqrt(da * da + du * du) < threshold[t]:
                            best = labels[j]
                if best < labels[i]:
                    labels[i] = best
                    changed = True
        count = 0
        for i in range(n):
            if members[t, i] and labels[i] == i:
                count += 1
        blocs[t] = count
    return cohesion, blocs


def pairwise_outcomes(
    aut: np.ndarray, sup: np.ndarray, weight: np.ndarray, members: np.ndarray, bloc_distance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cohesion and bloc count of every row (month x run), as :func:`sim.metrics.history_outcomes` defines them.

    Args:
        aut, sup, weight: (M, N) float; members: (M, N) bool; bloc_distance: (M,) float.
    Returns:
        cohesion (M,) float64 and blocs (M,) int64.
    """
    return _pairwise(
        np.ascontiguousarray(aut, dtype=np.float64),
        np.ascontiguousarray(sup, dtype=np.float64),
        np.ascontiguousarray(weight, dtype=np.float64),
        np.ascontiguousarray(members, dtype=np.bool_),
        np.ascontiguousarray(bloc_distance, dtype=np.float64),
    )
