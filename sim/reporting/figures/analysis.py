"""Figures of the analysis commands: scenario comparisons, sensitivity indices, sweeps and discovered boxes.

Styling, the title strip and the footer with :data:`sim.DISCLAIMER` come
from :mod:`sim.reporting.figures.run`, so that these figures look like those of a run.
"""

from __future__ import annotations

import dataclasses
import math
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from sim.about import DISCLAIMER
from sim.inputs.parameters import PARAMETERS
from sim.reporting.figures.run import (
    BAND_COLOUR,
    Context,
    _band,
    _figure,
    _finish,
    _minimum_span,
    _place_labels,
    _quantiles,
    _year_axis,
    _years,
)
from sim.rules import outcomes as registry

if TYPE_CHECKING:
    from sim.analysis.compare import Comparison
    from sim.analysis.discovery import Discovery
    from sim.analysis.sensitivity import Sensitivity
    from sim.analysis.sweeps import Sweep

REFERENCE_COLOUR = "#5d6d7e"
COLOURS = ("#c0392b", "#2471a3", "#7d3c98", "#d68910", "#1e8449", "#a04000")
BAD_COLOUR = "#c0392b"
OK_COLOUR = "#aab7b8"
BOX_COLOURS = ("#1f618d", "#d68910", "#7d3c98")
# Smallest y range shown for a difference, so that a difference in the fourth decimal does not look large.
DIFFERENCE_SPAN = {"spending_pct_gdp": 0.05, "blocs": 0.5, "us_troops_europe": 2.0}


def percent(share: float) -> str:
    """0.25 -> '25 %' (with the space the other reports use)."""
    return f"{100 * share:.0f} %" if np.isfinite(share) else "–"


def label(outcome: str, one_line: bool = True) -> str:
    """An outcome's label from the registry (``sim.rules.outcomes``); other names with spaces for underscores."""
    return registry.label(outcome, one_line)


def short_label(outcome: str) -> str:
    """An outcome's label without its explanation, keeping its unit: 'Cohesion (0-1)', for titles and colour bars."""
    text = label(outcome)
    match = re.match(r"^(.*?) \((.*)\)$", text)
    if not match:
        return text
    units = [part for part in match.group(2).split(", ") if part == "0-1" or "%" in part]
    return match.group(1) + (f" ({units[-1]})" if units else "")


def factor_label(name: str) -> str:
    """A factor as a reader sees it: a model parameter with its unit from the registry, 'confidence_bound (distance
    in position)'; an event field (dotted) or another name as it is."""
    spec = PARAMETERS.get(name)
    return f"{name} ({spec.unit})" if spec is not None and spec.unit else name


@dataclasses.dataclass(frozen=True)
class SweepContext:
    """What every sweep figure says about where it comes from (as :class:`sim.reporting.figures.run.Context`)."""

    name: str
    design: str
    seed: int
    points: int
    replications: int

    sweep: str = ""

    def footer(self) -> str:
        reps = f"{self.replications} replication{'s' * (self.replications != 1)}"
        design = f"{self.design} design, {self.points} points x {reps}, seed {self.seed}"
        return f"{DISCLAIMER}  ·  sweep {self.sweep}: {design}"


def sweep_context(sweep: Sweep) -> SweepContext:
    return SweepContext(
        sweep.scenario_name, sweep.design, sweep.seed, len(sweep.points), sweep.replications, sweep=sweep.name
    )


def _panels(
    count: int,
    width: float = 15.0,
    row_height: float = 4.0,
    header: float = 0.8,
    columns: int = 3,
    sharey: bool = False,
):
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    figure = _figure(width, row_height * rows + 1.0, header=header)
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False, sharey=sharey).ravel())
    for ax in axes[count:]:
        ax.set_visible(False)
    return figure, axes[:count]


def _legend(figure, handles: list, ncols: int | None = None) -> None:
    height = figure.get_figheight()
    figure.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.42 / height),
        ncols=ncols or len(handles),
        fontsize=11,
        frameon=False,
    )


# ====================================================================== comparisons
def _comparison_context(comparison: Comparison) -> Context:
    others = ", ".join(a.label for a in comparison.others)
    return Context(
        f"{others} vs {comparison.reference.label}", comparison.reference.seed, min(comparison.pairs.values())
    )


def comparison_differences(comparison: Comparison, path: Path) -> Path:
    """Mean paired difference over time with its 90 % interval; dotted: the interval without pairing."""
    figure, axes = _panels(len(comparison.outcomes))
    level = percent(comparison.level)
    for ax, outcome in zip(axes, comparison.outcomes, strict=True):
        rows = comparison.differences[comparison.differences["outcome"] == outcome]
        for other, colour in zip(comparison.others, COLOURS, strict=False):
            mine = rows[rows["scenario"] == other.label]
            x = _years(mine["date"])
            ax.fill_between(x, mine["difference_low"], mine["difference_high"], color=colour, alpha=0.25, linewidth=0)
            ax.plot(x, mine["difference"], color=colour, linewidth=2)
            ax.plot(x, mine["unpaired_low"], color=colour, linewidth=1, linestyle=":")
            ax.plot(x, mine["unpaired_high"], color=colour, linewidth=1, linestyle=":")
        ax.axhline(0.0, color="#222222", linewidth=0.9)
        ax.set_title(label(outcome, one_line=False), fontsize=12)
        _year_axis(ax, _years(rows["date"].unique()))
        _minimum_span(ax, DIFFERENCE_SPAN.get(outcome, 0.02))
        if registry.is_count(outcome):
            ax.yaxis.get_major_locator().set_params(integer=True)
    for ax in axes[-3:]:
        ax.set_xlabel("year", fontsize=11)
    for ax in axes[::3]:
        ax.set_ylabel(f"difference from {comparison.reference.label}", fontsize=11)
    handles = [
        Line2D([], [], color=c, linewidth=2, label=f"{a.label} - {comparison.reference.label}")
        for a, c in zip(comparison.others, COLOURS, strict=False)
    ]
    handles += [
        Patch(color="#777777", alpha=0.3, label=f"{level} interval, pairs resampled"),
        Line2D([], [], color="#777777", linestyle=":", label=f"{level} interval ignoring the pairing"),
    ]
    _legend(figure, handles)
    return _finish(figure, _comparison_context(comparison), "Paired differences (mean over replications)", path)


def comparison_levels(comparison: Comparison, path: Path) -> Path:
    """Each scenario's outcomes over time (median and the middle 50 % of replications), reference in grey.

    Outcomes on a 0-1 scale (their ``scale`` in ``sim.rules.outcomes.OUTCOMES``) are drawn on a fixed 0-1 axis, as
    in a run's headline figure, so that small gaps do not look large; the differences figure is where gaps are zoomed.
    """
    figure, axes = _panels(len(comparison.outcomes))
    colours = [REFERENCE_COLOUR, *COLOURS]
    # The reference is drawn wide and solid, the others narrower and dashed on top: where two medians are
    # the same, both stay visible.
    widths = [3.6, *([1.8] * len(COLOURS))]
    styles = ["-", *(["--"] * len(COLOURS))]
    for ax, outcome in zip(axes, comparison.outcomes, strict=True):
        for arm, colour, width, style in zip(comparison.arms, colours, widths, styles, strict=False):
            replications = comparison.pairs.get(arm.label, max(comparison.pairs.values()))
            model = arm.model[arm.model["replication"] < replications]
            q = _quantiles(model, outcome)
            x = _years(model.drop_duplicates("step").sort_values("step")["date"])
            ax.fill_between(x, q["q25"], q["q75"], color=colour, alpha=0.2, linewidth=0)
            ax.plot(x, q["q50"], color=colour, linewidth=width, linestyle=style)
        ax.set_title(label(outcome, one_line=False), fontsize=12)
        _year_axis(ax, x)
        if registry.is_count(outcome):
            ax.yaxis.get_major_locator().set_params(integer=True)
        if registry.zero_one(outcome):
            ax.set_ylim(0, 1)  # as in a run's headline figure: gaps are read on the outcome's whole scale
    handles = [
        Line2D([], [], color=c, linewidth=w, linestyle=st, label=a.label)
        for a, c, w, st in zip(comparison.arms, colours, widths, styles, strict=False)
    ]
    handles.append(Patch(color="#777777", alpha=0.3, label="middle 50 % of replications"))
    _legend(figure, handles)
    return _finish(figure, _comparison_context(comparison), "Outcomes of each scenario (median)", path)


# ====================================================================== sensitivity
MAX_BARS = 20
MAX_LABELS = 12
MAX_FACTOR_PANELS = 12
# Garcia Sanchez et al. (2014, doi:10.1016/j.enbuild.2014.07.052): sigma / mu* below 0.1 reads as a linear
# effect, below 0.5 monotonic, below 1 almost monotonic, above 1 non-linear or interacting.
MORRIS_RAYS = (0.1, 0.5, 1.0)


def _date_text(date: str) -> str:
    return f"in {date}"


def sensitivity_figure(result: Sensitivity, context: SweepContext, path: Path) -> Path:
    """Sobol': S1 and ST bars with their intervals. Morris: mu* bars, and the (mu*, sigma) plane."""
    if result.method == "sobol":
        return _sobol_figure(result, context, path)
    return _morris_figure(result, context, path)


def _top(table: pd.DataFrame, count: int = MAX_BARS) -> tuple[pd.DataFrame, str]:
    if len(table) <= count:
        return table, ""
    return table.head(count), f" (the {count} most influential of {len(table)})"


def _sobol_figure(result: Sensitivity, context: SweepContext, path: Path) -> Path:
    table, shown = _top(result.table)
    height = 0.42 * len(table) + 2.6
    figure = _figure(12, height, header=0.8)
    ax = figure.subplots()
    y = np.arange(len(table))
    ax.barh(y - 0.2, table["ST"], height=0.38, color="#1f618d", label="total index ST (alone and with interactions)")
    ax.errorbar(table["ST"], y - 0.2, xerr=table["ST_conf"], fmt="none", ecolor="#222222", elinewidth=1, capsize=3)
    ax.barh(y + 0.2, table["S1"], height=0.38, color="#85c1e9", label="first-order index S1 (alone)")
    ax.errorbar(table["S1"], y + 0.2, xerr=table["S1_conf"], fmt="none", ecolor="#222222", elinewidth=1, capsize=3)
    ax.set_yticks(y, [factor_label(name) for name in table.index], fontsize=11)
    ax.invert_yaxis()
    ax.axvline(0.0, color="#222222", linewidth=0.8)
    ax.set_xlabel(f"share of the variance of {short_label(result.outcome)} {_date_text(result.date)}", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="#222222", linewidth=1, label="95 % interval (bootstrap)"))
    _legend(figure, handles)
    title = f"Sobol' indices of {short_label(result.outcome)} {_date_text(result.date)}{shown}"
    return _finish(figure, context, title, path)


def _morris_figure(result: Sensitivity, context: SweepContext, path: Path) -> Path:
    table, shown = _top(result.table)
    height = max(0.36 * len(table) + 2.6, 7.0)
    figure = _figure(16, height, header=0.8)
    bars, plane = figure.subplots(1, 2, width_ratios=[1, 1.2])
    y = np.arange(len(table))
    bars.barh(y, table["mu_star"], color="#1f618d", height=0.7)
    bars.errorbar(table["mu_star"], y, xerr=table["mu_star_conf"], fmt="none", ecolor="#222222", capsize=3)
    bars.set_yticks(y, [factor_label(name) for name in table.index], fontsize=10)
    bars.invert_yaxis()
    bars.set_xlabel(f"mu*: mean absolute effect of one design step on {short_label(result.outcome)}", fontsize=11)
    bars.set_title(f"Influence{shown}", fontsize=12)
    bars.grid(axis="x", alpha=0.3)
    everything = result.table
    colours = ["#1f618d"] * len(everything)
    plane.scatter(everything["mu_star"], everything["sigma"], s=36, color="#1f618d", zorder=3)
    top = max(float(everything["mu_star"].max()), 1e-12) * 1.08
    high = max(float(everything["sigma"].max()), 1e-12) * 1.12
    for ratio, style in zip(MORRIS_RAYS, (":", "--", "-."), strict=True):
        plane.plot(
            [0, top], [0, ratio * top], color="#7f8c8d", linestyle=style, linewidth=1, label=f"sigma = {ratio:g} mu*"
        )
    plane.set_xlim(0, top)
    plane.set_ylim(0, high)
    labelled = everything.head(MAX_LABELS)
    _place_labels(
        plane,
        labelled["mu_star"].to_numpy(),
        labelled["sigma"].to_numpy(),
        list(labelled.index),
        colours[: len(labelled)],
        9,
    )
    plane.set_xlabel("mu* (influence)", fontsize=11)
    plane.set_ylabel("sigma (non-linearity or interactions)", fontsize=11)
    plane.set_title(f"Morris plane; the {min(MAX_LABELS, len(everything))} most influential labelled", fontsize=12)
    plane.grid(alpha=0.3)
    plane.legend(loc="upper left", fontsize=10, frameon=False)
    bars.plot([], [], color="#222222", label="95 % interval of mu* (bootstrap)")
    bars.legend(loc="lower right", fontsize=10, frameon=False)
    title = f"Morris screening of {short_label(result.outcome)} {_date_text(result.date)}"
    return _finish(figure, context, title, path)


def overview_figure(results: Sequence[Sensitivity], context: SweepContext, path: Path) -> Path:
    """Every outcome's indices side by side: ST (Sobol'), or mu* scaled to the largest of each outcome (Morris)."""
    from sim.analysis.sensitivity import headline_table

    table = headline_table(results)
    total = len(results[0].table)
    shown = f" (the {len(table)} most influential of {total})" if len(table) < total else ""
    method = results[0].method
    values = table.to_numpy(dtype="float64")
    if method == "morris":
        values = values / np.where(np.nanmax(values, axis=0) > 0, np.nanmax(values, axis=0), 1.0)
    height = 0.42 * len(table) + 3.2
    figure = _figure(max(12.0, 3.0 + 1.9 * len(table.columns)), height, header=0.5)
    ax = figure.subplots()
    image = ax.imshow(np.clip(values, 0, 1), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        raw = table.iat[i, j]
        text = f"{raw:.2f}" if method == "sobol" else f"{raw:.3g}"
        ax.text(j, i, text, ha="center", va="center", fontsize=10, color="white" if value > 0.6 else "#222222")
    names = ["\n".join(textwrap.wrap(short_label(c), 18)) for c in table.columns]
    ax.set_xticks(range(len(table.columns)), names, fontsize=10)
    ax.set_yticks(range(len(table)), [factor_label(name) for name in table.index], fontsize=10)
    bar = figure.colorbar(image, ax=ax, shrink=0.8)
    # An estimate above 1 (sampling error of a small design) takes the colour of 1; its number is printed.
    bar.set_label(
        "total index ST (colour capped at 1)" if method == "sobol" else "mu* / largest mu* of the outcome",
        fontsize=10,
    )
    what = "Total Sobol' indices" if method == "sobol" else "Morris mu*"
    return _finish(figure, context, f"{what} of each outcome {_date_text(results[0].date)}{shown}", path)


# ====================================================================== sweeps
def _decimals(values: pd.DataFrame | np.ndarray, least: int = 2) -> int:
    """Enough decimals to tell the cells apart: two significant digits of their range (at most 5)."""
    values = np.asarray(values, dtype="float64")
    span = np.nanmax(values) - np.nanmin(values) if np.isfinite(values).any() else 0.0
    if span <= 0:
        return least
    return int(np.clip(1 - np.floor(np.log10(span)), least, 5))


def heatmap_figure(
    runs: pd.DataFrame,
    x: str,
    y: str,
    outcome: str,
    date: str,
    context: SweepContext,
    path: Path,
    pooled: Sequence[str],
) -> Path:
    """Median of an outcome over a two-factor grid, and the spread across replications of each cell."""
    grouped = runs.groupby([y, x], sort=True)[outcome]
    median = grouped.median().unstack(x)
    low, high = grouped.quantile(0.05).unstack(x), grouped.quantile(0.95).unstack(x)
    spread = high - low
    rows, columns = median.shape
    decimals = {"median": _decimals(median), "spread": _decimals(spread, least=1)}
    width = min(8.0 + 2.2 * columns, 22.0)
    figure = _figure(width, 1.0 * rows + 3.4, header=0.5)
    left, right = figure.subplots(1, 2)
    for ax, values, cmap, title, key in (
        (left, median, "viridis", "median over replications (90 % of them in brackets)", "median"),
        (right, spread, "Oranges", "spread: width of the range holding 90 % of replications", "spread"),
    ):
        # The spread starts at zero, so that its colour says how large it is, not only which cell has more.
        bottom = 0.0 if key == "spread" else None
        image = ax.imshow(values.to_numpy(dtype="float64"), cmap=cmap, aspect="auto", origin="lower", vmin=bottom)
        bar = figure.colorbar(image, ax=ax, shrink=0.85)
        what = "median" if key == "median" else "90 % range across replications"
        bar.set_label(f"{short_label(outcome)}: {what}", fontsize=10)
        norm = image.norm
        for i in range(rows):
            for j in range(columns):
                value = values.iat[i, j]
                if not np.isfinite(value):
                    continue
                d = decimals[key]
                text = f"{value:.{d}f}"
                if key == "median":
                    text += f"\n[{low.iat[i, j]:.{d}f}–{high.iat[i, j]:.{d}f}]"
                dark = norm(value) < 0.55 if cmap == "viridis" else norm(value) > 0.6
                ax.text(j, i, text, ha="center", va="center", fontsize=9, color="white" if dark else "#222222")
        ax.set_xticks(range(columns), [_level(v) for v in median.columns], fontsize=10)
        ax.set_yticks(range(rows), [_level(v) for v in median.index], fontsize=10)
        ax.set_xlabel(factor_label(x), fontsize=11)
        ax.set_ylabel(factor_label(y), fontsize=11)
        ax.set_title(title, fontsize=11)
    other = f" (pooled over {', '.join(pooled)})" if pooled else ""
    return _finish(figure, context, f"{short_label(outcome)} {_date_text(date)} over the grid{other}", path)


def _level(value: object) -> str:
    return f"{value:g}" if isinstance(value, float | np.floating) else str(value)


BINS = 10


def factor_figure(
    runs: pd.DataFrame,
    factors: Sequence[str],
    outcome: str,
    date: str,
    context: SweepContext,
    path: Path,
    note: str = "",
) -> Path:
    """The outcome against each factor: median and the bands holding 50 % and 90 % of the runs."""
    shown = list(factors)[:MAX_FACTOR_PANELS]
    # One y scale for all panels, so that a steep panel means an influential factor.
    figure, axes = _panels(len(shown), width=15.0, row_height=3.6, columns=min(3, len(shown)), sharey=True)
    for ax, name in zip(axes, shown, strict=True):
        column = runs[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        distinct = column.nunique()
        if not numeric:
            levels = sorted(column.unique(), key=str)
            frame = runs.assign(_bin=column.map({v: k for k, v in enumerate(levels)}))
            q = _quantiles(frame, outcome, by="_bin")
            ax.set_xticks(range(len(levels)), [str(v) for v in levels])
            xs = q.index.to_numpy(dtype="float64")
        elif distinct <= BINS:
            q = _quantiles(runs.assign(_bin=column), outcome, by="_bin")
            xs = q.index.to_numpy(dtype="float64")
        else:
            bins = pd.qcut(column, BINS, labels=False, duplicates="drop")
            frame = runs.assign(_bin=bins)
            q = _quantiles(frame, outcome, by="_bin")
            xs = frame.groupby("_bin")[name].median().reindex(q.index).to_numpy(dtype="float64")
        if len(xs) == 1:
            ax.plot(xs, q["q50"], marker="o", color=BAND_COLOUR)
        else:
            _band(ax, xs, q, label=False)
            ax.plot(xs, q["q50"], marker="o", markersize=4, color=BAND_COLOUR, linewidth=0)
        ax.set_xlabel(factor_label(name), fontsize=11)
        ax.grid(alpha=0.3)
    for ax in axes[:: min(3, len(shown))]:
        ax.set_ylabel(short_label(outcome), fontsize=10)
    handles = [
        Line2D([], [], color=BAND_COLOUR, linewidth=2, marker="o", markersize=4, label="median of the runs"),
        Patch(color=BAND_COLOUR, alpha=0.45, label="50 % of runs"),
        Patch(color=BAND_COLOUR, alpha=0.15, label="90 % of runs"),
    ]
    _legend(figure, handles)
    more = (
        f" ({len(shown)} of {len(factors)} factors{note})"
        if len(shown) < len(factors)
        else note and f" ({note.strip('; ')})"
    )
    return _finish(figure, context, f"{short_label(outcome)} {_date_text(date)} against each factor{more}", path)


# ====================================================================== discovery
JITTER_LEVELS = 12


def _positions(column: pd.Series, seed: int) -> tuple[np.ndarray, list[str] | None]:
    """Plot positions of a factor: its values, or codes of its levels; jittered when there are few levels
    (a grid), so that the runs of one cell do not hide behind each other."""
    rng = np.random.default_rng(seed)  # a seed per axis: the same jitter on both would line the runs up
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype="float64")
        levels = np.unique(values)
        if 1 < len(levels) <= JITTER_LEVELS:
            values = values + rng.uniform(-0.2, 0.2, len(values)) * np.diff(levels).min()
        return values, None
    levels = sorted(column.unique(), key=str)
    codes = column.map({v: k for k, v in enumerate(levels)}).to_numpy(dtype="float64")
    return codes + rng.uniform(-0.2, 0.2, len(codes)), [str(v) for v in levels]


def _scatter_axes(discovery: Discovery, x: pd.DataFrame | Sequence[str]) -> list[str]:
    """The factors of the discovery scatter: those the boxes restrict first, then the sweep's others, at most two."""
    columns = list(x.columns) if isinstance(x, pd.DataFrame) else list(x)
    chosen: list[str] = []
    for box in discovery.boxes:
        chosen += [name for name in box.limits if name not in chosen]
    chosen += [name for name in columns if name not in chosen]
    return chosen[:2]


def discovery_plane(discovery: Discovery, factors: Sequence[str]) -> str:
    """What the discovery scatter shows across and up, in words, for its caption (:func:`discovery_figure`)."""
    names = _scatter_axes(discovery, factors)
    restricted = {name for box in discovery.boxes for name in box.limits}
    parts = []
    for name, where in zip(names, ("across", "up"), strict=False):
        kind = "restricted by a box" if name in restricted else "not restricted by any box"
        parts.append(f"`{name}` ({where}, {kind})")
    if len(names) == 1:
        parts.append("the outcome (up; the dashed line is the threshold)")
    return " against ".join(parts) if len(parts) == 2 else parts[0]


def discovery_figure(
    discovery: Discovery, x: pd.DataFrame, values: pd.Series, context: SweepContext, path: Path
) -> Path:
    """Where the bad runs are (with the boxes drawn), each box's limits, and PRIM's coverage-density trade-off."""
    panels = 3 if discovery.trajectory is not None else 2
    ratios = [1.0, 1.0, 0.9][:panels]
    figure = _figure(7.0 * panels, 7.0, header=0.8)
    axes = figure.subplots(1, panels, width_ratios=ratios)
    scatter, limits = axes[0], axes[1]
    bad = discovery.condition.holds(values)
    names = _scatter_axes(discovery, x)
    xs, x_levels = _positions(x[names[0]], 0)
    if len(names) > 1:
        ys, y_levels = _positions(x[names[1]], 1)
        y_name = names[1]
    else:
        ys, y_levels, y_name = (
            values.to_numpy(dtype="float64"),
            None,
            f"{discovery.condition.outcome} in {discovery.date}",
        )
        scatter.axhline(discovery.condition.threshold, color=BAD_COLOUR, linestyle="--", linewidth=1)
    size = 14 if len(xs) > 1000 else 26
    scatter.scatter(xs[~bad], ys[~bad], s=size, color=OK_COLOUR, alpha=0.6, linewidth=0, label="other runs")
    scatter.scatter(xs[bad], ys[bad], s=size, color=BAD_COLOUR, alpha=0.7, linewidth=0, label=f"{discovery.condition}")
    for k, box in enumerate(discovery.boxes):
        _draw_box(scatter, box, names[0], y_name if len(names) > 1 else None, xs, ys, BOX_COLOURS[k % 3], k + 1, x)
    if x_levels:
        scatter.set_xticks(range(len(x_levels)), x_levels)
    if y_levels:
        scatter.set_yticks(range(len(y_levels)), y_levels)
    scatter.set_xlabel(factor_label(names[0]), fontsize=11)
    scatter.set_ylabel(factor_label(y_name), fontsize=11)
    scatter.set_title(
        f"Runs where {discovery.condition} in {discovery.date}: {discovery.bad} of {discovery.cases}", fontsize=12
    )
    scatter.legend(loc="upper left", bbox_to_anchor=(0.0, -0.12), fontsize=10, frameon=False, ncols=2)
    scatter.grid(alpha=0.3)
    _limits_panel(limits, discovery, x)
    if discovery.trajectory is not None:
        _tradeoff_panel(axes[2], discovery)
    method = "PRIM (EMA Workbench)" if discovery.method == "prim" else "decision tree (scikit-learn)"
    return _finish(figure, context, f"Scenario discovery with a {method}", path)


def _draw_box(ax, box, x_name: str, y_name: str | None, xs, ys, colour: str, number: int, x: pd.DataFrame) -> None:
    def span(name: str | None, positions: np.ndarray) -> tuple[float, float]:
        low, high = float(np.nanmin(positions)), float(np.nanmax(positions))
        pad = 0.02 * (high - low or 1.0)
        if name is None or name not in box.limits:
            return low - pad, high + pad
        limit = box.limits[name]
        if limit[0] == "levels":
            levels = sorted(x[name].unique(), key=str)
            codes = [k for k, v in enumerate(levels) if v in limit[1]]
            return min(codes) - 0.3, max(codes) + 0.3
        return (low - pad if limit[0] is None else limit[0]), (high + pad if limit[1] is None else limit[1])

    (x0, x1), (y0, y1) = span(x_name, xs), span(y_name, ys)
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour, linewidth=2.2, zorder=4))
    ax.annotate(
        f"box {number}",
        (x0, y1),
        xytext=(4, -4),
        textcoords="offset points",
        color=colour,
        fontsize=11,
        fontweight="bold",
        va="top",
    )


def _limits_panel(ax, discovery: Discovery, x: pd.DataFrame) -> None:
    """Each box a group of bars: a factor's whole range in grey, the box's part of it in colour."""
    if not discovery.boxes:
        text = "\n".join(discovery.notes) or "No box found."
        ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, wrap=True, transform=ax.transAxes)
        ax.set_axis_off()
        return
    ticks, y = [], 0.0
    for k, box in enumerate(discovery.boxes):
        colour = BOX_COLOURS[k % 3]
        ticks.append((y, f"box {k + 1}: coverage {percent(box.coverage)}, density {percent(box.density)}", True))
        y += 1
        for name, limit in box.limits.items():
            column = x[name]
            ax.barh(y, 1.0, left=0.0, color="#eaeded", height=0.55)
            if limit[0] == "levels":
                levels = sorted(column.unique(), key=str)
                for j, value in enumerate(levels):
                    if value in limit[1]:
                        ax.barh(y, 1.0 / len(levels), left=j / len(levels), color=colour, height=0.55)
                ends = (str(levels[0]), str(levels[-1]))
                text = f"{name} in {{{', '.join(map(str, limit[1]))}}}"
            else:
                low, high = float(column.min()), float(column.max())
                scale = (high - low) or 1.0
                a = 0.0 if limit[0] is None else (limit[0] - low) / scale
                b = 1.0 if limit[1] is None else (limit[1] - low) / scale
                ax.barh(y, b - a, left=a, color=colour, height=0.55)
                ends = (f"{low:.3g}", f"{high:.3g}")
                if limit[0] is not None and limit[1] is not None:
                    text = f"{limit[0]:.3g} ≤ {name} ≤ {limit[1]:.3g}"
                else:
                    text = f"{name} ≥ {limit[0]:.3g}" if limit[0] is not None else f"{name} ≤ {limit[1]:.3g}"
            for end, position, align in ((ends[0], 0.01, "left"), (ends[1], 0.99, "right")):
                ax.text(position, y + 0.3, end, ha=align, va="top", fontsize=8.5, color="#566573")
            ticks.append((y, text, False))
            y += 1.2
        y += 0.4
    ax.set_yticks([t[0] for t in ticks], [t[1] for t in ticks], fontsize=10)
    for tick, (_, _, bold) in zip(ax.get_yticklabels(), ticks, strict=True):
        if bold:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(y - 0.4, -0.8)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 1], ["lowest in sweep", "highest in sweep"])
    ax.set_title("Box limits within each factor's range (box in colour)", fontsize=12)


def _tradeoff_panel(ax, discovery: Discovery) -> None:
    trajectory = discovery.trajectory
    restricted = trajectory["res_dim"].astype(int)
    points = ax.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=restricted,
        cmap="viridis",
        vmin=restricted.min() - 0.5,
        vmax=restricted.max() + 0.5,
        s=28,
        zorder=3,
    )
    bar = ax.figure.colorbar(points, ax=ax, shrink=0.8, ticks=range(restricted.min(), restricted.max() + 1))
    bar.set_label("factors restricted", fontsize=10)
    if discovery.boxes:
        kept = discovery.boxes[0]
        ax.scatter(
            [kept.coverage], [kept.density], s=180, facecolor="none", edgecolor=BAD_COLOUR, linewidth=2, zorder=4
        )
        ax.annotate(
            "box 1 (kept)",
            (kept.coverage, kept.density),
            xytext=(-12, -12),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=11,
            color=BAD_COLOUR,
        )
    ax.set_xlabel("coverage (share of bad runs inside)", fontsize=11)
    ax.set_ylabel("density (share of runs inside that are bad)", fontsize=11)
    ax.set_xlim(0, 1.03)
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.set_title("PRIM peeling trajectory of box 1", fontsize=12)
