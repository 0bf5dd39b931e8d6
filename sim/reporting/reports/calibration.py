"""report.md of a calibration (``cohesion calibrate``): the method, the posterior marginals, predictive checks,
the fit against the defaults, and what the data cannot identify."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis import calibration as cal
from sim.inputs.parameters import PARAMETERS
from sim.reporting.text import write_text

if TYPE_CHECKING:
    from sim.analysis.calibration import Target


def write_report(
    path: Path,
    chosen: Sequence[str],
    points: np.ndarray,
    weights: np.ndarray,
    targets: Sequence[Target],
    predictive: dict[str, Any],
    screening: dict[str, Any],
    provenance: dict[str, Any],
) -> Path:
    """:func:`render` written to ``path`` atomically; returns ``path``. OSError if it cannot be written."""
    return write_text(path, render(chosen, points, weights, targets, predictive, screening, provenance))


def render(
    chosen: Sequence[str],
    points: np.ndarray,
    weights: np.ndarray,
    targets: Sequence[Target],
    predictive: dict[str, Any],
    screening: dict[str, Any],
    provenance: dict[str, Any],
) -> str:
    """The calibration report's Markdown.

    ``chosen``: the calibrated parameters; ``points`` (particles, len(chosen)) and ``weights`` (particles,)
    the weighted posterior; ``predictive`` the fit check (:func:`sim.analysis.calibration.fit_check`: arrays
    ``posterior`` and ``default`` of (runs, targets)); ``screening`` the Morris ranking; ``provenance`` what
    provenance.json records (command, settings, generations, distance scales, fit, draws).
    """
    draws = provenance["fit"]["draws"]
    lines = [
        "# Calibration report",
        "",
        f"Command: `{provenance['command']}` (seed {provenance['seed']}, {provenance['mode']} mode, "
        f"{provenance['seconds']} s). Sampler: {provenance['sampler']}.",
        "",
        "Method: " + provenance["method"] + f". Simulator: {provenance['simulator']}.",
        "",
        f"Generations run: {len(provenance['generations'])} of {provenance['settings']['generations']} "
        f"(evaluation budget: {provenance['settings']['max_simulations'] or 'none'}); acceptance thresholds "
        + ", ".join(f"{g['epsilon']:.3g}" for g in provenance["generations"])
        + "; evaluations per generation "
        + ", ".join(str(g["samples"]) for g in provenance["generations"])
        + ".",
        "",
        "## Posterior marginals",
        "",
        f"Effective sample size: {cal.shown_sample_size(provenance['effective_sample_size'])} "
        f"of {len(weights)} particles "
        "(Kish's, from the weights).",
        "",
    ]
    if provenance["effective_sample_size"] < cal.MIN_PARTICLES:
        lines += [
            f"**Too few particles for these intervals**: with fewer than {cal.MIN_PARTICLES} effective particles "
            "(two in each 5 % tail) an end of a 90 % interval rests on one particle, so the intervals below are "
            "too narrow and say little about what the data identify. Calibrate with more particles.",
            "",
        ]
    lines += [
        "| parameter | prior range | default | posterior median | 90 % interval | width / prior width |",
        "|---|---|---|---|---|---|",
    ]
    unidentified = []
    for j, name in enumerate(chosen):
        p = PARAMETERS[name]
        lo, hi = cal.interval(points[:, j], weights)
        med = cal.interval(points[:, j], weights, 0.0)[0]
        ratio = (hi - lo) / (p.high - p.low)
        if ratio > 0.6:
            unidentified.append(name)
        lines.append(
            f"| {name} | {p.low:g} to {p.high:g} | {p.default:g} | {med:.3g} | {lo:.3g} to {hi:.3g} | {ratio:.2f} |"
        )
    lines += ["", "![pairs](figures/posterior_pairs.png)", "", "## Posterior predictive checks", ""]
    lines += [
        f"Each target: the observed value, and the 5th, 50th and 95th percentiles of {draws} hindcast "
        f"runs drawn from the posterior and of {draws} runs at the defaults (the hindcast's values).",
        "",
        "| target | observed | posterior 5 / 50 / 95 % | defaults 5 / 50 / 95 % | observed inside posterior 90 %? |",
        "|---|---|---|---|---|",
    ]
    for m, t in enumerate(targets):
        q = np.percentile(predictive["posterior"][:, m], [5, 50, 95])
        d = np.percentile(predictive["default"][:, m], [5, 50, 95])
        inside = "yes" if q[0] <= t.observed <= q[2] else "no"
        lines.append(
            f"| {t.name} ({t.what}) | {t.observed:.3g} | {q[0]:.3g} / {q[1]:.3g} / {q[2]:.3g} | "
            f"{d[0]:.3g} / {d[1]:.3g} / {d[2]:.3g} | {inside} |"
        )
    fit = provenance["fit"]
    lines += [
        "",
        "![checks](figures/predictive_checks.png)",
        "",
        "## Fit against the defaults",
        "",
        "Each target's score: the continuous ranked probability score (CRPS) of the runs above against the "
        "observed value (their mean absolute error less half the mean absolute difference between two runs: a "
        "proper score, which neither rewards a spread the data do not need nor punishes one they do), divided "
        "by the target's distance scale (the mean error of runs drawn from the prior, so the prior scores "
        "about 1). The posterior's runs and the defaults' share their seeds. Aggregate: the mean over the "
        "targets. The mean absolute errors alone (which count any spread against a distribution) are beside.",
        "",
        "| target | scale | posterior score | defaults score | posterior error | defaults error |",
        "|---|---|---|---|---|---|",
    ]
    for t in targets:
        lines.append(
            f"| {t.name} | {provenance['distance_scales'][t.name]:.3g} | {fit['score_posterior'][t.name]:.3f} | "
            f"{fit['score_default'][t.name]:.3f} | {fit['error_posterior'][t.name]:.3f} | "
            f"{fit['error_default'][t.name]:.3f} |"
        )
    verdict = "beats" if fit["beats_defaults"] else "does not beat"
    worse = ", ".join(fit["headline_clearly_worse"]) or "none"
    lines += [
        f"| **aggregate** | | **{fit['aggregate_posterior']:.3f}** | **{fit['aggregate_default']:.3f}** | "
        f"{fit['aggregate_error_posterior']:.3f} | {fit['aggregate_error_default']:.3f} |",
        "",
        f"The posterior {verdict} the defaults: a lower aggregate score, and on no headline target "
        f"({', '.join(fit['headline_targets'])}) a score more than {fit['clearly_worse_margin']} above the "
        f"defaults'. Headline targets clearly worse: {worse}.",
    ]
    lines += ["", "## What the data cannot identify", ""]
    if unidentified:
        lines.append(
            "Posterior 90 % intervals wider than 60 % of the prior range (the data barely narrow them): "
            + ", ".join(unidentified)
            + "."
        )
    else:
        lines.append("Every calibrated parameter's 90 % interval is narrower than 60 % of its prior range.")
    fixed = provenance["fixed_at_default"]
    lines += [
        "",
        f"The Morris screening found the other {len(fixed)} numeric parameters less influential on these targets; "
        "they stay at their defaults (or at the hindcast scenario's values), and the data say nothing about them "
        "through this calibration. Many act only after 2024 (pledges, elections, a ceasefire, US drawdown) or on "
        "outcomes that no target measures. They are: " + ", ".join(fixed) + ".",
        "",
        "Screening (mean scaled mu* over the targets), top 15:",
        "",
        "| parameter | mu* | calibrated |",
        "|---|---|---|",
    ]
    for name, score in screening["ranking"][:15]:
        lines.append(f"| {name} | {score:.3g} | {'yes' if name in chosen else 'no'} |")
    return "\n".join(lines) + "\n"
