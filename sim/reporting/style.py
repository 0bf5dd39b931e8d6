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
# Distances (points) from a point at which its label may stand (vertically 0.8 of them).
_RADII = (3, 8, 14, 22, 32, 44, 58, 74)
LEADER_RADIUS = 12.0  # points: a label farther than this from its point gets a leader line
# The costs of a label's spot, in pixels² of overlap (a label is about 30 x 15 pixels) or their equivalent.
LABEL_CLASH_COST = 600.0  # each other label a label touches, on top of the area they share
LEADER_CROSSING_COST = 400.0  # a leader line through another label
LEADERS_CROSSING_COST = 150.0  # two leader lines crossing
MISLEADING_COST = 400.0  # a label nearer another point than its own, so that it seems to name that one
CLAIM_DISTANCE = 10.0  # points: a label this close to a point seems to name it, whatever its leader line says
DISTANCE_SCALE = 10.0  # points: a spot r points from its point costs r + r²/DISTANCE_SCALE (long leaders last)
LABEL_MARGIN = 1.5  # points of free space kept around a label's text
REFINING_PASSES = 8  # at most this many rounds in which each label may move to a better spot


def _label_boxes(x: float, y: float, dx: np.ndarray, dy: np.ndarray, width: float, height: float) -> np.ndarray:
    """(n, 4) pixel boxes (left, bottom, right, top) of a label whose nearest edge sits at offsets (dx, dy) from a
    point; a zero offset centres the label on that axis (as ``ha``/``va`` 'center' do)."""
    left = np.where(dx > 0, x + dx, np.where(dx < 0, x + dx - width, x - width / 2))
    bottom = np.where(dy > 0, y + dy, np.where(dy < 0, y + dy - height, y - height / 2))
    return np.column_stack([left, bottom, left + width, bottom + height])


def _overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) areas shared by the boxes ``a`` (n, 4) and ``b`` (m, 4)."""
    across = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    up = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(across, 0.0, None) * np.clip(up, 0.0, None)


def _segments_through_boxes(segments: np.ndarray, boxes: np.ndarray, start: float = 0.15) -> np.ndarray:
    """(n, m) whether each segment (n, 4: x0, y0, x1, y1), from ``start`` of its length on, runs through the
    inside of each box (m, 4) (Liang-Barsky clipping)."""
    x0, y0 = segments[:, None, 0], segments[:, None, 1]
    dx, dy = segments[:, None, 2] - x0, segments[:, None, 3] - y0
    low = np.full((len(segments), len(boxes)), start)
    high = np.ones_like(low)
    missed = np.zeros(low.shape, dtype=bool)
    sides = ((-dx, x0 - boxes[None, :, 0]), (dx, boxes[None, :, 2] - x0), (-dy, y0 - boxes[None, :, 1]))
    for p, q in (*sides, (dy, boxes[None, :, 3] - y0)):
        p, q = np.broadcast_to(p, low.shape), np.broadcast_to(q, low.shape)
        flat = p == 0
        missed |= flat & (q <= 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(flat, 0.0, q / np.where(flat, 1.0, p))
        low = np.where(~flat & (p < 0), np.maximum(low, ratio), low)
        high = np.where(~flat & (p > 0), np.minimum(high, ratio), high)
    return ~missed & (low < high)


def _segments_cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) whether the segments ``a`` (n, 4) and ``b`` (m, 4) (x0, y0, x1, y1) cross each other."""

    def side(p, q, r):  # the sign of the turn p -> q -> r
        return np.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))

    a0, a1 = (a[:, None, 0], a[:, None, 1]), (a[:, None, 2], a[:, None, 3])
    b0, b1 = (b[None, :, 0], b[None, :, 1]), (b[None, :, 2], b[None, :, 3])
    return (side(a0, a1, b0) * side(a0, a1, b1) < 0) & (side(b0, b1, a0) * side(b0, b1, a1) < 0)


def _text_sizes(figure: Figure, texts: list[str], fontsize: float) -> np.ndarray:
    """(n, 2) width and height in pixels of each text as the figure draws it (matplotlib's own text metrics)."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.text import Text

    renderer = RendererAgg(1, 1, figure.dpi)
    sizes = []
    for text in texts:
        box = Text(0, 0, text, fontsize=fontsize, figure=figure).get_window_extent(renderer)
        sizes.append((box.width, box.height))
    return np.array(sizes, dtype=float).reshape(-1, 2)


def place_labels(ax, xs: np.ndarray, ys: np.ndarray, texts: list[str], colours: list[str], fontsize: float) -> None:
    """Label points without overlaps where possible: each label takes the cheapest spot around its point.

    A spot costs its distance from the point (points), the area it shares with other labels and with the markers
    (pixels², and ``LABEL_CLASH_COST`` for each label it touches), leader lines it lets run through labels or
    across other leader lines, and leaving the frame (never chosen while another spot is inside). Crowded points
    choose first; then, for up to ``REFINING_PASSES`` rounds, every label moves to a cheaper spot if one has
    become free, so that an early choice does not corner a later label. A label pushed away from its point gets a
    thin leader line. Label sizes are measured with matplotlib's text metrics, at the axes' final position
    (call this after the layout is fixed). ``xs``, ``ys``: data coordinates, one per text.
    """
    ax.apply_aspect()
    n = len(texts)
    if n == 0:
        return
    pixels = ax.transData.transform(np.column_stack([xs, ys]))
    frame = ax.bbox.extents
    scale = ax.figure.dpi / 72.0
    margin = LABEL_MARGIN * scale
    sizes = _text_sizes(ax.figure, texts, fontsize)
    marker = 4.0 * scale
    markers = np.column_stack([pixels - marker, pixels + marker])
    offsets = np.array([(ux * r, uy * r * 0.8) for r in _RADII for ux, uy in _DIRECTIONS]) * scale
    radii = np.repeat(np.array(_RADII, dtype=float), len(_DIRECTIONS))
    led = np.hypot(offsets[:, 0], offsets[:, 1]) > LEADER_RADIUS * scale
    # Every spot of every label: its box (the text with the margin) and its leader line (point to the label's edge).
    text = np.stack(
        [_label_boxes(x, y, offsets[:, 0], offsets[:, 1], w, h) for (x, y), (w, h) in zip(pixels, sizes, strict=True)]
    )  # (n, spots, 4): the text alone
    boxes = text + np.array([-margin, -margin, margin, margin])
    outside = (
        (text[..., 0] < frame[0]) | (text[..., 1] < frame[1]) | (text[..., 2] > frame[2]) | (text[..., 3] > frame[3])
    )
    leaders = np.concatenate([np.repeat(pixels[:, None, :], len(offsets), axis=1), pixels[:, None, :] + offsets], -1)
    flat = boxes.reshape(-1, 4)
    fixed = (radii + radii**2 / DISTANCE_SCALE)[None, :] + 1e6 * outside
    fixed += _overlaps(flat, markers).sum(axis=1).reshape(n, -1)
    # A leader line over another point, or a label nearer another point than its own point (or than
    # CLAIM_DISTANCE, for a label with a leader line), would tell the reader the wrong state.
    over = _segments_through_boxes(leaders.reshape(-1, 4), markers).reshape(n, len(offsets), n)
    over[np.arange(n), :, np.arange(n)] = False
    fixed += LEADER_CROSSING_COST * over.sum(axis=2) * led[None, :]
    gap_x = np.maximum(np.maximum(flat[:, None, 0] - pixels[None, :, 0], pixels[None, :, 0] - flat[:, None, 2]), 0)
    gap_y = np.maximum(np.maximum(flat[:, None, 1] - pixels[None, :, 1], pixels[None, :, 1] - flat[:, None, 3]), 0)
    gaps = np.hypot(gap_x, gap_y).reshape(n, len(offsets), n)  # from each spot of each label to each point
    own = gaps[np.arange(n), :, np.arange(n)]
    gaps[np.arange(n), :, np.arange(n)] = np.inf
    fixed += MISLEADING_COST * (gaps.min(axis=2) < np.minimum(own, CLAIM_DISTANCE * scale))

    def costs(i: int, chosen: np.ndarray) -> np.ndarray:
        """The cost of each spot of label ``i``, the other labels standing where ``chosen`` puts them (-1: not yet)."""
        others = [j for j in range(n) if j != i and chosen[j] >= 0]
        total = fixed[i].copy()
        if not others:
            return total
        their_boxes = boxes[others, chosen[others]]
        shared = _overlaps(boxes[i], their_boxes)
        total += shared.sum(axis=1) + LABEL_CLASH_COST * (shared > 0).sum(axis=1)
        their_led = led[chosen[others]]
        their_leaders = leaders[others, chosen[others]][their_led]
        through = _segments_through_boxes(leaders[i], their_boxes).sum(axis=1)
        if len(their_leaders):
            # Other leader lines through this label, and this leader line across theirs.
            through = through * led + _segments_through_boxes(their_leaders, boxes[i]).sum(axis=0)
            total += LEADERS_CROSSING_COST * (_segments_cross(leaders[i], their_leaders).sum(axis=1) * led)
        else:
            through = through * led
        return total + LEADER_CROSSING_COST * through

    chosen = np.full(n, -1)
    distances = np.hypot(*(pixels[:, None, :] - pixels[None, :, :]).transpose(2, 0, 1))
    crowding = (distances < 40 * scale).sum(axis=1)
    order = np.argsort(-crowding, kind="stable")
    for i in order:
        chosen[i] = int(np.argmin(costs(i, chosen)))
    for _ in range(REFINING_PASSES):
        moved = False
        for i in order:
            cost = costs(i, chosen)
            best = int(np.argmin(cost))
            if cost[best] < cost[chosen[i]] - 1e-9:
                chosen[i], moved = best, True
        if not moved:
            break
    for i in range(n):
        dx, dy = offsets[chosen[i]]
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
            if led[chosen[i]]
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
