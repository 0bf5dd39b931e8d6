"""The influence network between states, built from data.

A state listens to another in proportion to their ties (a land border,
each small format they share, each institution they share) and to the
other's economic size. The weights are parameters (``network_*``).
"""

from __future__ import annotations

import numpy as np


def tie_strength(
    borders: np.ndarray,
    groupings: list[np.ndarray],
    eu: np.ndarray,
    nato: np.ndarray,
    border_weight: float,
    grouping_weight: float,
    comembership_weight: float,
) -> np.ndarray:
    """Symmetric tie strength: borders + shared formats + shared institutions (zero diagonal)."""
    shared_formats = sum((g[:, None] & g[None, :]).astype(float) for g in groupings)
    shared_bodies = (eu[:, None] & eu[None, :]).astype(float) + (nato[:, None] & nato[None, :])
    ties = border_weight * borders + grouping_weight * shared_formats + comembership_weight * shared_bodies
    np.fill_diagonal(ties, 0.0)
    return ties


def influence_matrix(
    ties: np.ndarray, gdp: np.ndarray, participants: np.ndarray, size_exponent: float, self_weight: float
) -> np.ndarray:
    """Row i: how much state i listens to each state j (not normalised).

    Larger economies are listened to more (size = (GDP / largest GDP)**exponent).
    Only ``participants`` take part; the rest have a self-loop only, so
    their positions are neither pulled nor pulling. The diagonal is
    ``self_weight`` times the row's total tie weight, so a state's own view
    always counts.
    """
    size = (gdp / gdp[participants].max()) ** size_exponent
    both = participants[:, None] & participants[None, :]
    weights = np.where(both, ties * size[None, :], 0.0)
    total = weights.sum(axis=1)
    # A tiny floor keeps the own weight positive at self_weight = 0, so a state with nobody within
    # its confidence bound keeps its position instead of dividing by zero.
    np.fill_diagonal(weights, np.where(total > 0, np.maximum(self_weight * total, 1e-9 * total), 1.0))
    return weights


def row_normalised(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum(axis=1, keepdims=True)
