"""Figures of a calibration (``cohesion calibrate``): the posterior's marginals and pairs, and the predictive
checks of each target."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.inputs.parameters import PARAMETERS
from sim.reporting.style import save_png
from sim.util.files import write_atomically

if TYPE_CHECKING:
    from sim.analysis.calibration import Target


def pairs_figure(chosen: list[str], points: np.ndarray, weights: np.ndarray, path: Path) -> Path:
    """Posterior marginals (diagonal, over the prior range) and pairs of the calibrated parameters, as a PNG.

    ``points``: (particles, len(chosen)) parameter values; ``weights``: (particles,) normalised weights. Panels
    of 1.5 inches at 80 dpi keep the figure of 12 parameters near 1,440 pixels square. Drawn on a Figure of its
    own with the Agg canvas: the caller's matplotlib backend is left alone.
    """
    import PIL.Image
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    k = len(chosen)
    fig = Figure(figsize=(1.5 * k, 1.5 * k), dpi=80)
    axes = fig.subplots(k, k, squeeze=False)
    for i in range(k):
        for j in range(k):
            ax = axes[i][j]
            pi, pj = PARAMETERS[chosen[i]], PARAMETERS[chosen[j]]
            if i == j:
                ax.hist(points[:, i], bins=20, weights=weights, range=(pi.low, pi.high), color="tab:blue")
                ax.set_xlim(pi.low, pi.high)
            else:
                ax.scatter(points[:, j], points[:, i], s=1 + 60 * weights, color="tab:blue", linewidths=0)
                ax.set_xlim(pj.low, pj.high)
                ax.set_ylim(pi.low, pi.high)
            if i == k - 1:
                ax.set_xlabel(chosen[j], fontsize=6)
            if j == 0:
                ax.set_ylabel(chosen[i], fontsize=6)
            ax.tick_params(labelsize=5)
    fig.suptitle("Posterior marginals (diagonal, prior range as x-axis) and pairs")
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    image = PIL.Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    # A palette of 64 colours (Pillow, which matplotlib requires) keeps the 144 panels to a few hundred KiB.
    write_atomically(path, lambda temporary: image.quantize(colors=64).save(temporary, format="png", optimize=True))
    return path


def predictive_checks_figure(targets: Sequence[Target], predictive: dict[str, Any], path: Path) -> Path:
    """One panel per target, four to a row: histograms of the runs at the defaults and from the posterior, and
    the observed value (a line, and in the panel's title), as a PNG at ``path``.

    ``predictive["default"]`` and ``predictive["posterior"]``: (runs, targets) arrays of the targets'
    statistics (:func:`sim.analysis.calibration.fit_check`). Returns ``path``; OSError if it cannot be written.
    """
    from matplotlib.figure import Figure

    n = len(targets)
    cols = 4
    rows_ = (n + cols - 1) // cols
    fig = Figure(figsize=(3.2 * cols, 2.4 * rows_))
    axes = fig.subplots(rows_, cols, squeeze=False)
    for m, t in enumerate(targets):
        ax = axes[m // cols][m % cols]
        ax.hist(predictive["default"][:, m], bins=20, alpha=0.5, label="defaults", color="tab:gray")
        ax.hist(predictive["posterior"][:, m], bins=20, alpha=0.6, label="posterior", color="tab:blue")
        ax.axvline(t.observed, color="black", lw=2, label="observed")
        ax.set_title(f"{t.name} (observed {t.observed:.3g})", fontsize=8)
        ax.tick_params(labelsize=6)
    for m in range(n, rows_ * cols):
        axes[m // cols][m % cols].axis("off")
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    return save_png(fig, path, dpi=110)
