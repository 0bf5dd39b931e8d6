"""The look every figure of the package shares: the frame with its title strip and footer, bands across
replications, the year axis, colours, label placement and the atomic PNG save.

Every figure carries a title and, in its footer, where it comes from (scenario or sweep, seed, replications)
and the line ``sim.DISCLAIMER``. Figures are drawn with matplotlib's object API on the Agg canvas, so
importing this module never changes the caller's backend; a figure returned to a notebook shows inline
(:class:`InlineFigure`). :mod:`sim.reporting.figures.run`, ``.comparison`` and ``.sweep`` draw with these.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.about import DISCLAIMER
from sim.util.calendar import fractional_years
from sim.util.files import write_atomically

BAND_COLOUR = "#2e86c1"


@dataclass(frozen=True)
class Context:
    """What every figure says about where it comes from."""

    name: str
    seed: int
    replications: int

    def footer(self) -> str:
        return f"{DISCLAIMER}  ·  scenario {self.name}, seed {self.seed}, {self.replications} replications"


class InlineFigure(Figure):
    """A matplotlib Figure that Jupyter shows inline as a PNG, with no backend chosen and no ``%matplotlib inline``.

    The figures of this package are made without pyplot, so that no backend is chosen or changed; IPython
    shows such a figure through ``_repr_png_``. Where the inline backend is active its own formatter is used
    instead (IPython prefers a formatter registered for the type), so the figure is shown once either way.
    """

    def _repr_png_(self) -> bytes:
        """The figure as PNG bytes, as :meth:`savefig` writes it."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def frame(width: float, height: float, constrained: bool = True, header: float = 0.45, footer: float = 0.3) -> Figure:
    """A figure with a strip of ``header`` inches on top (title, legend) and one of ``footer`` inches below."""
    figure = InlineFigure(figsize=(width, height), dpi=110, layout="constrained" if constrained else None)
    if constrained:
        footer = footer / height
        figure.get_layout_engine().set(rect=(0.0, footer, 1.0, 1.0 - footer - header / height))
    return figure


def finish(figure: Figure, context: Context, title: str, path: Path | None) -> Any:
    """Title and footer, then the figure written to ``path`` (PNG); returns the path, or the figure without one."""
    finish_figure(figure, context, title, path)
    return figure if path is None else path


def finish_figure(figure: Figure, context: Context, title: str, path: Path | None) -> Figure:
    """Title and footer; the figure is written to ``path`` (PNG) when one is given, and returned."""
    height = figure.get_figheight()
    figure.suptitle(f"{title} — scenario {context.name}", fontsize=14, fontweight="bold", y=1 - 0.06 / height, va="top")
    figure.text(0.5, 0.06 / height, context.footer(), ha="center", va="bottom", fontsize=10, color="#333333")
    if path is not None:
        save_png(figure, path)
    return figure


years = fractional_years  # dates -> fractional years (sim.util.calendar)


def quantiles(frame: pd.DataFrame, column: str, by: str | list[str] = "step") -> pd.DataFrame:
    """The 5, 25, 50, 75 and 95 % quantiles of ``column`` in each group of ``by`` (columns q05 ... q95)."""
    grouped = frame.groupby(by, sort=True)[column]
    # Counts (blocs, allies) stay whole numbers: a median of 3.5 blocs reads as nonsense.
    method = "nearest" if pd.api.types.is_integer_dtype(frame[column]) else "linear"
    table = grouped.quantile([0.05, 0.25, 0.5, 0.75, 0.95], interpolation=method).unstack()
    table.columns = ["q05", "q25", "q50", "q75", "q95"]
    return table


def band(ax, x: np.ndarray, q: pd.DataFrame, colour: str = BAND_COLOUR, label: bool = True) -> None:
    """The median line and the bands holding 50 % and 90 % of replications (``q`` from :func:`quantiles`)."""
    ax.fill_between(
        x, q["q05"], q["q95"], color=colour, alpha=0.15, linewidth=0, label="90 % of replications" if label else None
    )
    ax.fill_between(
        x, q["q25"], q["q75"], color=colour, alpha=0.35, linewidth=0, label="50 % of replications" if label else None
    )
    ax.plot(x, q["q50"], color=colour, linewidth=2, label="median" if label else None)


def month_label(year: float, short: bool = False) -> str:
    """A fractional year as 'YYYY-MM' (``short``: 'MM/YY')."""
    whole = int(np.floor(year + 1e-9))
    month = int(round((year - whole) * 12)) + 1
    return f"{month:02d}/{whole % 100:02d}" if short else f"{whole}-{month:02d}"


def year_axis(ax, x: np.ndarray) -> None:
    """Whole years as ticks; months for runs shorter than two years."""
    ax.set_xlim(x[0], x[-1] + 1 / 12)
    span = x[-1] - x[0]
    if span < 2:
        ticks = x[:: max(1, int(round(span * 12 / 6)))]
        ax.set_xticks(ticks, [month_label(t) for t in ticks])
    else:
        ax.set_xticks(np.arange(int(np.ceil(x[0])), int(x[-1]) + 1, 1 if span <= 6 else 2))
    ax.grid(alpha=0.3)


def minimum_span(ax, span: float) -> None:
    """Widen a nearly flat axis so that noise in the fourth decimal does not look like a trend."""
    low, high = ax.get_ylim()
    if high - low < span:
        middle = (low + high) / 2
        ax.set_ylim(middle - span / 2, middle + span / 2)


# Sixteen directions around a point: the eight of the compass first, then the eight between them.
_DIRECTIONS = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)] + [
    (round(float(np.cos(a)), 3), round(float(np.sin(a)), 3)) for a in np.deg2rad(np.arange(22.5, 360, 45))
]
LEADER_CROSSING_COST = 400.0  # pixels² charged when a leader line would run through another label


def _crossings(px: float, py: float, dx: float, dy: float, boxes: list[tuple[float, ...]]) -> int:
    """How many of ``boxes`` the leader line from a point to its label offset (dx, dy) runs through."""
    ts = np.linspace(0.25, 0.9, 6)
    xs, ys = px + ts * dx, py + ts * dy
    return sum(bool(np.any((xs > b[0]) & (xs < b[2]) & (ys > b[1]) & (ys < b[3]))) for b in boxes)


def _label_box(x: float, y: float, dx: float, dy: float, width: float, height: float) -> tuple[float, ...]:
    """Pixel box of a label whose nearest edge sits at offset (dx, dy) from a point."""
    left = x + dx if dx > 0 else x + dx - width if dx < 0 else x - width / 2
    bottom = y + dy if dy > 0 else y + dy - height if dy < 0 else y - height / 2
    return left, bottom, left + width, bottom + height


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def place_labels(ax, xs: np.ndarray, ys: np.ndarray, texts: list[str], colours: list[str], fontsize: float) -> None:
    """Label points without overlaps where possible: each label takes the nearest free spot around its point.

    Crowded points choose first; a label pushed away from its point gets a thin leader line.
    """
    ax.apply_aspect()
    pixels = ax.transData.transform(np.column_stack([xs, ys]))
    frame = ax.bbox.extents
    scale = ax.figure.dpi / 72.0
    height = fontsize * scale * 1.15
    marker = 4.0 * scale
    obstacles = [(px - marker, py - marker, px + marker, py + marker) for px, py in pixels]
    labels: list[tuple[float, ...]] = []
    distances = np.hypot(*(pixels[:, None, :] - pixels[None, :, :]).transpose(2, 0, 1))
    crowding = (distances < 40 * scale).sum(axis=1)
    for i in np.argsort(-crowding, kind="stable"):
        px, py = pixels[i]
        width = 0.68 * fontsize * scale * len(texts[i])
        best, best_cost = None, np.inf
        for radius in (3, 8, 14, 22, 32, 44):
            for ux, uy in _DIRECTIONS:
                dx, dy = ux * radius * scale, uy * radius * scale * 0.8
                box = _label_box(px, py, dx, dy, width, height)
                outside = box[0] < frame[0] or box[1] < frame[1] or box[2] > frame[2] or box[3] > frame[3]
                cost = sum(_overlap(box, other) for other in obstacles) + (1e6 if outside else 0.0) + radius
                if radius > 12:  # a leader line is drawn: keep it clear of other labels
                    cost += LEADER_CROSSING_COST * _crossings(px, py, dx, dy, labels)
                if cost < best_cost:
                    best, best_cost = (dx, dy, box), cost
            if best_cost < radius + 1:  # a free spot at this radius: take the nearest
                break
        dx, dy, box = best
        obstacles.append(box)
        labels.append(box)
        ax.annotate(
            texts[i],
            (xs[i], ys[i]),
            xytext=(dx / scale, dy / scale),
            textcoords="offset points",
            fontsize=fontsize,
            color=colours[i],
            ha="left" if dx > 0 else "right" if dx < 0 else "center",
            va="bottom" if dy > 0 else "top" if dy < 0 else "center",
            arrowprops={"arrowstyle": "-", "color": colours[i], "lw": 0.6, "shrinkA": 0, "shrinkB": 3}
            if np.hypot(dx, dy) > 12 * scale
            else None,
        )


def save_png(figure: Figure, path: Path, **options: Any) -> Path:
    """Write ``figure`` to ``path`` as a PNG, atomically (a reader never sees half a file); returns ``path``.

    ``options`` go to :meth:`matplotlib.figure.Figure.savefig` (``dpi``, for one). Raises OSError if the
    folder cannot be written.
    """
    write_atomically(path, lambda temporary: figure.savefig(temporary, format="png", **options))
    return path


def panels(
    count: int,
    width: float = 15.0,
    row_height: float = 4.0,
    header: float = 0.8,
    columns: int = 3,
    sharey: bool = False,
) -> tuple[Figure, np.ndarray]:
    """A frame of ``count`` panels, ``columns`` to a row, each ``row_height`` inches high; the unused ones hidden.

    Returns the figure and the ``count`` axes, row by row.
    """
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    figure = frame(width, row_height * rows + 1.0, header=header)
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False, sharey=sharey).ravel())
    for ax in axes[count:]:
        ax.set_visible(False)
    return figure, axes[:count]


def legend(figure: Figure, handles: list, ncols: int | None = None) -> None:
    """One legend for the whole figure, centred in its title strip (``ncols``: all handles on one row)."""
    height = figure.get_figheight()
    figure.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.42 / height),
        ncols=ncols or len(handles),
        fontsize=11,
        frameon=False,
    )
