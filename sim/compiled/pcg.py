"""numpy's PCG64 generator for many runs at once, compiled: the same numbers as ``Generator.random``.

Each run of a batch keeps its own votes stream (a ``numpy.random.PCG64``).
Drawing a few rows of it for hundreds of runs one run at a time costs more in
Python calls than in arithmetic, so the engine takes each stream's 128-bit
state and increment once and advances and draws for all runs in one compiled
loop. The arithmetic is numpy's (``numpy/random/src/pcg64``): the LCG step
``state = state * M + inc`` modulo 2**128, the XSL-RR output, a double from
the top 53 bits, and the jump-ahead of ``PCG64.advance``. The tests hold it to
numpy's own generator, number for number.
"""

from __future__ import annotations

import numpy as np

from sim.compiled.kernels import _compiled

_MASK32 = np.uint64(0xFFFFFFFF)
_MULT_HIGH = np.uint64(2549297995355413924)
_MULT_LOW = np.uint64(4865540595714422341)


@_compiled
def _mul64(a, b):  # pragma: no cover - compiled
    """Full 128-bit product of two uint64: (high, low)."""
    mask = np.uint64(0xFFFFFFFF)
    shift = np.uint64(32)
    a0, a1 = a & mask, a >> shift
    b0, b1 = b & mask, b >> shift
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    middle = (p00 >> shift) + (p01 & mask) + (p10 & mask)
    low = (p00 & mask) | (middle << shift)
    high = p11 + (p01 >> shift) + (p10 >> shift) + (middle >> shift)
    return high, low


@_compiled
def _mul128(ah, al, bh, bl):  # pragma: no cover - compiled
    """(ah, al) * (bh, bl) modulo 2**128."""
    high, low = _mul64(al, bl)
    return high + ah * bl + al * bh, low


@_compiled
def _add128(ah, al, bh, bl):  # pragma: no cover - compiled
    low = al + bl
    carry = np.uint64(1) if low < al else np.uint64(0)
    return ah + bh + carry, low


@_compiled
def _advance(sh, sl, ih, il, delta):  # pragma: no cover - compiled
    """The state ``delta`` steps ahead (jump-ahead of the LCG, as ``PCG64.advance``)."""
    acc_mh, acc_ml = np.uint64(0), np.uint64(1)
    acc_ph, acc_pl = np.uint64(0), np.uint64(0)
    cur_mh, cur_ml = _MULT_HIGH, _MULT_LOW
    cur_ph, cur_pl = ih, il
    one = np.uint64(1)
    while delta > 0:
        if delta & one:
            acc_mh, acc_ml = _mul128(acc_mh, acc_ml, cur_mh, cur_ml)
            th, tl = _mul128(acc_ph, acc_pl, cur_mh, cur_ml)
            acc_ph, acc_pl = _add128(th, tl, cur_ph, cur_pl)
        th, tl = _add128(cur_mh, cur_ml, np.uint64(0), one)
        cur_ph, cur_pl = _mul128(th, tl, cur_ph, cur_pl)
        cur_mh, cur_ml = _mul128(cur_mh, cur_ml, cur_mh, cur_ml)
        delta >>= one
    th, tl = _mul128(acc_mh, acc_ml, sh, sl)
    return _add128(th, tl, acc_ph, acc_pl)


@_compiled
def _next_double(sh, sl, ih, il):  # pragma: no cover - compiled
    """One step and one double in [0, 1): (new high, new low, value)."""
    th, tl = _mul128(sh, sl, _MULT_HIGH, _MULT_LOW)
    sh, sl = _add128(th, tl, ih, il)
    value = sh ^ sl
    rot = sh >> np.uint64(58)
    word = (value >> rot) | (value << ((np.uint64(64) - rot) & np.uint64(63)))
    return sh, sl, np.float64(word >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@_compiled
def _draw_rows(state, inc, position, rows, targets, counts, out):  # pragma: no cover - compiled
    """For each listed run: skip its stream to ``targets[j]`` (in doubles) and draw ``counts[j]`` doubles."""
    for j in range(rows.shape[0]):
        r = rows[j]
        sh, sl = state[r, 0], state[r, 1]
        ih, il = inc[r, 0], inc[r, 1]
        skip = np.uint64(targets[j] - position[r])
        if targets[j] > position[r]:
            sh, sl = _advance(sh, sl, ih, il, skip)
        for k in range(counts[j]):
            sh, sl, out[j, k] = _next_double(sh, sl, ih, il)
        state[r, 0], state[r, 1] = sh, sl
        position[r] = targets[j] + counts[j]


class Streams:
    """The PCG64 streams of R runs: their states as (R, 2) uint64 arrays (high and low 64 bits) and positions.

    Args:
        generators: one ``numpy.random.Generator`` on a ``PCG64`` per run, not yet drawn from.
    Raises:
        TypeError: a generator whose bit generator is not PCG64.
    """

    def __init__(self, generators: list[np.random.Generator]) -> None:
        self.state = np.empty((len(generators), 2), dtype=np.uint64)
        self.inc = np.empty((len(generators), 2), dtype=np.uint64)
        for r, generator in enumerate(generators):
            description = generator.bit_generator.state
            if description["bit_generator"] != "PCG64":
                raise TypeError(f"PCG64 streams only, not {description['bit_generator']}")
            for target, value in ((self.state, description["state"]["state"]), (self.inc, description["state"]["inc"])):
                target[r] = (value >> 64, value & 0xFFFFFFFFFFFFFFFF)
        self.position = np.zeros(len(generators), dtype=np.int64)  # doubles drawn or skipped so far

    def draw_segments(self, rows: np.ndarray, targets: np.ndarray, count: int) -> np.ndarray:
        """(len(rows), count) doubles: segment j is run ``rows[j]``'s stream from position ``targets[j]`` on.

        Segments of one run must come in increasing order of target, each at or after the end of the one
        before (streams only go forward); they are drawn in the order given.
        """
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        targets = np.ascontiguousarray(targets, dtype=np.int64)
        out = np.empty((len(rows), count))
        _draw_rows(self.state, self.inc, self.position, rows, targets, np.full(len(rows), count, np.int64), out)
        return out

    def draw(self, rows: np.ndarray, targets: np.ndarray, count: int) -> np.ndarray:
        """(len(rows), count) doubles: run ``rows[j]``'s stream from position ``targets[j]`` on.

        Positions count doubles from the stream's start; a target may not lie behind the run's position.
        """
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        targets = np.ascontiguousarray(targets, dtype=np.int64)
        if np.any(targets < self.position[rows]):
            raise ValueError("a stream cannot go back")
        out = np.empty((len(rows), count))
        _draw_rows(self.state, self.inc, self.position, rows, targets, np.full(len(rows), count, np.int64), out)
        return out
