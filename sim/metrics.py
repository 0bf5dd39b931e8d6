"""Model-level outcomes (MODEL.md section 7), computed from the state arrays."""

from __future__ import annotations

import numpy as np

MODEL_OUTCOMES = (
    "cohesion",
    "blocs",
    "article5_credibility",
    "us_commitment",
    "us_troops_europe",
    "mean_threat",
    "spending_pct_gdp",
    "allies_at_2pct",
    "allies_at_3_5pct",
    "autonomy",
    "ukraine_support",
    "autonomy_sd",
    "ukraine_support_sd",
    "eu_decisions_passed",
    "eu_decisions_blocked",
    "nato_decisions_passed",
    "nato_decisions_blocked",
    "russia_aggression",
    "war_fatigue",
    "burden_grievance",
    "pledge_norm_pct",
    "hybrid_incidents",
    "accommodationist_governments",
)
HEADLINE_OUTCOMES = (
    "cohesion",
    "article5_credibility",
    "spending_pct_gdp",
    "ukraine_support",
    "autonomy",
    "blocs",
)


def pairwise_distance(autonomy: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Euclidean distances in the position plane (autonomy, ukraine_support)."""
    da = autonomy[:, None] - autonomy[None, :]
    du = support[:, None] - support[None, :]
    return np.sqrt(da * da + du * du)


def pair_weights(weight: np.ndarray) -> np.ndarray:
    """Products of weights for all pairs of distinct states, normalised to sum to 1."""
    w = weight[:, None] * weight[None, :]
    np.fill_diagonal(w, 0.0)
    return w / w.sum()


def cohesion(distance: np.ndarray, pair_weight: np.ndarray) -> float:
    """1 - weighted mean pairwise distance in the position plane, scaled to [0, 1].

    Distances are divided by sqrt(2), the largest possible in the unit
    square; ``pair_weight`` comes from :func:`pair_weights` (GDP shares).
    """
    return float(1.0 - (pair_weight * distance).sum() / np.sqrt(2.0))


def blocs(distance: np.ndarray, threshold: float) -> int:
    """Number of clusters: states chained by steps shorter than ``threshold`` in the position plane."""
    close = distance < threshold
    n = len(close)
    labels = np.arange(n)
    # Label propagation: every state takes the smallest label among its close neighbours until stable.
    while True:
        new = np.where(close, labels[None, :], n).min(axis=1)
        if np.array_equal(new, labels):
            return int((labels == np.arange(n)).sum())
        labels = new


def weighted_mean(values: np.ndarray, weight: np.ndarray) -> float:
    return float((values * weight).sum() / weight.sum())


def allies_at(spending: np.ndarray, allies: np.ndarray, level: float) -> int:
    """Allies at or above a level, on figures rounded to 2 decimals as NATO publishes them."""
    return int((spending[allies] >= level - 0.005).sum())
