"""Matrix-vector products over the states of one run at a time, compiled (the O(N^2) kernels are in kernels.py).

Every reduction here runs over the trailing (state) axis of one row in a fixed
order, so a run's numbers do not depend on how many runs share the batch (a
BLAS matrix product over the batch would change its rounding with the batch
size). No ``fastmath``, no parallel reductions.
"""

from __future__ import annotations

import numpy as np

from sim.compiled.kernels import _compiled


@_compiled
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


@_compiled
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
    if (
        isinstance(x, np.ndarray)
        and x.ndim == 2
        and x.flags.c_contiguous
        and x.dtype == np.float64
        and m.dtype == np.float64
        and m.flags.c_contiguous
    ):
        return _matvec_shared(m, x) if m.ndim == 2 else _matvec_rows(m, x)  # the engine's arrays as they are
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(1, -1) if x.ndim == 1 else np.ascontiguousarray(x)
    m = np.ascontiguousarray(m, dtype=np.float64)
    out = _matvec_shared(m, flat) if m.ndim == 2 else _matvec_rows(m, flat)
    return out.reshape(x.shape)
