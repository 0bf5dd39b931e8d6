"""Figures of a results folder.

Every figure carries the scenario name, the seed, the number of
replications and the line ``sim.DISCLAIMER``. Bands are across replications
(the model's own randomness under one set of assumptions), not confidence
intervals of a forecast. Figures are drawn with matplotlib's object API on
the Agg canvas, so importing this module never changes the caller's backend;
a figure returned to a notebook shows inline (:class:`sim.reporting.style.InlineFigure`). The frame, bands, year
axis and footer shared with the other figures are in :mod:`sim.reporting.style`.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.inputs.states import REGIONS, load_states
from sim.reporting.style import Context
from sim.reporting.style import band as _band
from sim.reporting.style import finish_figure as _finish_figure
from sim.reporting.style import frame as _figure
from sim.reporting.style import minimum_span as _minimum_span
from sim.reporting.style import month_label as _month_label
from sim.reporting.style import place_labels as _place_labels
from sim.reporting.style import quantiles as _quantiles
from sim.reporting.style import year_axis as _year_axis
from sim.reporting.style import years as _years
from sim.rules.outcomes import HEADLINE_OUTCOMES, OUTCOMES, STATE_OUTCOMES
from sim.runs.replications import Results

REGION_COLOURS = {
    "eastern_flank": "#c0392b",
    "nordic": "#2471a3",
    "western": "#7d3c98",
    "southern": "#d68910",
    "north_america": "#5d6d7e",
    "partner": "#1e8449",
}
OUTCOME_COLOURS = {
    "passed": "#1e8449",
    "passed_after_concession": "#76d7c4",
    "delayed": "#f39c12",
    "blocked": "#c0392b",
}
# Views of the outcome registry under their old names, for callers; the figures read the records
# (sim.rules.outcomes.OUTCOMES, STATE_OUTCOMES) themselves, so a changed record shows in the next figure.
LABELS = {name: record.label for name, record in OUTCOMES.items()}
STATE_LABELS = {name: record.label for name, record in STATE_OUTCOMES.items()}
REFERENCE_COLOUR = "#7f8c8d"
MINIMUM_SPAN = {"spending_pct_gdp": 0.2, "blocs": 2.0}  # smallest y range shown; 0.05 for 0-1 outcomes
PLEDGE_LINES = ((2.0, "2 % (Wales, 2014)"), (3.5, "3.5 % (The Hague, 2025: by 2035)"))


def _dates(model: pd.DataFrame) -> pd.Series:
    return model.drop_duplicates("step").set_index("step")["date"].sort_index()


def scenario_events(events: pd.DataFrame) -> pd.DataFrame:
    """The scenario's events as applied in the first run: date and a short description (``detail``), by date."""
    if events.empty:
        return pd.DataFrame(columns=["date", "item", "detail"])
    first = events[(events["run"] == events["run"].min()) & (events["body"] == "scenario")]
    return first[["date", "item", "detail"]].drop_duplicates().sort_values("date", kind="stable")


def _event_labels(years: list[float], span: float) -> list[tuple[float, str, int]]:
    """(x, label, row) for each month with events: the events' numbers ('2-6' for a run of them, '2,4' else),
    and the row below the top of the panel at which the label stands, the first whose labels it does not overlap.

    ``span`` is the width of the panel in years; a character of the label takes about 1.6 % of it.
    """
    months: dict[float, list[int]] = {}
    for k, year in enumerate(years, start=1):
        months.setdefault(year, []).append(k)
    ends: list[float] = []  # per row, where its last label ends
    labels = []
    for year, numbers in sorted(months.items()):
        run = numbers == list(range(numbers[0], numbers[-1] + 1))
        text = f"{numbers[0]}-{numbers[-1]}" if len(numbers) > 2 and run else ",".join(map(str, numbers))
        width = (0.016 * len(text) + 0.012) * span
        row = next((r for r, end in enumerate(ends) if end <= year), len(ends))
        if row == len(ends):
            ends.append(0.0)
        ends[row] = year + width
        labels.append((year, text, row))
    return labels


def _event_markers(axes, events: pd.DataFrame) -> None:
    """A dotted line at each scenario event in every panel, numbered at the top of the panel.

    Events of one month share a label; labels that would overlap stand one row lower.
    """
    years = [float(_years(pd.Series([date]))[0]) for date in events["date"]]
    for ax in axes:
        for year in years:
            ax.axvline(year, color="#555555", linestyle=":", linewidth=1, zorder=1)
        low, high = ax.get_xlim()
        for year, text, row in _event_labels(years, high - low):
            ax.annotate(
                text,
                (year, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2 - 9 * row),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=8,
                color="#555555",
            )


def headline(results: Results, context: Context, path: Path | None = None, reference: Results | None = None) -> Figure:
    """The headline outcomes over time: median, 50 % and 90 % bands across replications.

    ``reference`` (the baseline run with the same seeds, when the scenario extends it) is drawn in grey
    behind the scenario, so that the distance between the two is the scenario's doing.

    Outcomes on a 0-1 scale (their ``scale`` in ``sim.rules.outcomes.OUTCOMES``) get a fixed 0-1 axis, so that the
    figures of two scenarios compare by eye; counts get whole-number ticks; dotted lines mark the scenario's events.
    """
    model = results.model
    x = _years(_dates(model))
    events = scenario_events(results.events)
    rows = -(-len(HEADLINE_OUTCOMES) // 3)
    extra = 0.55 if len(events) else 0.0  # a line or two naming the events above the footer
    height = 4.25 * rows + extra
    figure = _figure(15, height, header=0.8, footer=0.3 + extra)
    axes = figure.subplots(rows, 3, sharex=True).ravel()
    for ax, outcome in zip(axes, HEADLINE_OUTCOMES, strict=False):
        if reference is not None:
            _band(ax, x, _quantiles(reference.model, outcome), colour=REFERENCE_COLOUR, label=False)
        _band(ax, x, _quantiles(model, outcome))
        record = OUTCOMES[outcome]
        ax.set_title(record.label, fontsize=12)
        ax.tick_params(labelsize=10)
        ax.ticklabel_format(axis="y", useOffset=False)  # plain values, not "+4.004e-1" offsets
        _year_axis(ax, x)
        if record.zero_one:
            ax.set_ylim(0.0, 1.0)
        else:
            _minimum_span(ax, MINIMUM_SPAN.get(outcome, 0.05))
        if record.is_count:
            ax.yaxis.get_major_locator().set_params(integer=True)
    for ax in axes[len(HEADLINE_OUTCOMES) :]:
        ax.set_visible(False)
    _event_markers(axes[: len(HEADLINE_OUTCOMES)], events)
    if len(events):
        shown = min(len(events), LISTED_EVENTS["headline"])
        pairs = zip(events["date"][:shown], events["detail"][:shown], strict=True)
        listed = "   ".join(f"{k} {d}: {readable_event(t)}" for k, (d, t) in enumerate(pairs, 1))
        if _more(len(events), shown):
            listed += "   " + _more(len(events), shown)
        figure.text(
            0.5,
            0.3 / height,
            "Scenario events (dotted lines): " + listed,
            ha="center",
            va="bottom",
            fontsize=8.5,
            color="#333333",
            wrap=True,
        )
    handles, labels = axes[0].get_legend_handles_labels()
    if reference is not None:
        handles.append(Line2D([], [], color=REFERENCE_COLOUR, linewidth=6, alpha=0.5))
        labels.append("baseline, same seeds (median, 50 %, 90 %)")
    _top_legend(figure, handles, 0.4 / height, labels=labels, ncols=len(labels))
    return _finish_figure(figure, context, "Headline outcomes", path)


def _top_legend(
    figure: Figure, handles: list, drop: float, labels: list | None = None, ncols: int | None = None
) -> None:
    """One row of legend entries centred above the panels, ``drop`` (a share of the height) below the top."""
    figure.legend(
        handles,
        labels if labels is not None else [h.get_label() for h in handles],
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - drop),
        ncols=ncols or len(handles),
        fontsize=11,
        frameon=False,
    )


def _ordered_states(agents: pd.DataFrame) -> list[tuple[str, str]]:
    """(iso3, region) of every state but the US, grouped by region in a fixed order."""
    data = load_states()
    region = dict(zip(data.iso3, data.region, strict=True))
    shown = set(agents["iso3"].unique()) - {"USA"}
    present = [code for code in data.iso3 if code in shown]
    return sorted(((code, str(region[code])) for code in present), key=lambda cr: (REGIONS.index(cr[1]), cr[0]))


def states(results: Results, context: Context, variable: str, path: Path | None = None) -> Figure:
    """Small multiples: one panel per state, grouped and coloured by region; median and 50 % band."""
    agents = results.agents
    x = _years(_dates(results.model))
    ordered = _ordered_states(agents)
    q = _quantiles(agents, variable, by=["iso3", "step"])
    columns = 8
    rows = int(np.ceil(len(ordered) / columns))
    height = 2.0 * rows + 1.6
    # A fixed grid instead of constrained layout and shared axes: forty panels
    # lay out several times faster, and every panel gets the same limits anyway.
    figure = _figure(16, height, constrained=False)
    grid = {
        "left": 0.04,
        "right": 0.99,
        "top": 1 - 1.05 / height,
        "bottom": 0.65 / height,
        "hspace": 0.5,
        "wspace": 0.1,
    }
    axes = figure.subplots(rows, columns, gridspec_kw=grid).ravel()
    # One scale for all panels, except states far outside the others (Ukraine's wartime spending), which get
    # their own and say so: otherwise one state would flatten every other panel.
    peaks = q["q75"].groupby(level="iso3").max()
    typical = float(peaks.quantile(0.9))
    own_scale = set(peaks[peaks > 2.0 * typical].index) if typical > 0 else set()
    if variable == "us_troops_k":  # troops compare across hosts in absolute numbers: one scale for all
        own_scale = set()
    low = min(0.0, float(q["q25"].min()))
    high = max(4.0 if variable == "spending_pct_gdp" else 1.0, float(peaks.drop(list(own_scale)).max())) * 1.03
    span = x[-1] - x[0]
    if span < 2:
        ticks = np.array([x[0], x[-1]])
        tick_labels = [_month_label(t, short=True) for t in ticks]
    else:
        ticks = np.arange(int(np.ceil(x[0])), int(x[-1]) + 1, 4 if span > 8 else 2)
        tick_labels = [f"’{t % 100:02d}" for t in ticks]
    # The 2 % and 3.5 % pledges are NATO's: their lines go only in the panels of states that are allies.
    allies = set(agents.loc[agents["nato_member"] > 0.5, "iso3"].unique()) if "nato_member" in agents else set()
    for k, (ax, (code, region)) in enumerate(zip(axes, ordered, strict=False)):
        colour = REGION_COLOURS[region]
        series = q.loc[code]
        ax.fill_between(x, series["q25"], series["q75"], color=colour, alpha=0.45, linewidth=0)
        ax.plot(x, series["q50"], color=colour, linewidth=1.4)
        if variable == "spending_pct_gdp" and code in allies:
            for level, _ in PLEDGE_LINES:
                ax.axhline(level, color="#555555", linewidth=0.8, linestyle="--")
        own = code in own_scale
        ax.set_title(f"{code} (own scale)" if own else code, fontsize=11, color=colour, fontweight="bold", pad=2)
        ax.tick_params(labelsize=9, labelleft=own or k % columns == 0)
        ax.grid(alpha=0.3)
        ax.set_xlim(x[0], x[-1] + 1 / 12)
        if not own:
            ax.set_ylim(low, high)
        ax.set_xticks(ticks, tick_labels)
    for ax in axes[len(ordered) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], color=REGION_COLOURS[r], linewidth=3, label=r.replace("_", " "))
        for r in REGIONS
        if any(region == r for _, region in ordered)
    ]
    handles.append(Line2D([], [], color="#999999", linewidth=8, alpha=0.45, label="50 % of replications"))
    if variable == "spending_pct_gdp":
        handles.append(Line2D([], [], color="#555555", linestyle="--", label="2 % and 3.5 % lines (NATO allies)"))
    _top_legend(figure, handles, 0.45 / height)
    return _finish_figure(
        figure, context, f"{STATE_OUTCOMES[variable].label} by state (median across replications)", path
    )


def _snapshot_steps(n_steps: int, dates: pd.Series) -> list[int]:
    """Four dates: the first month, the Decembers nearest a third and two thirds of the run, the last month."""
    last = n_steps - 1
    decembers = [int(step) for step, date in dates.items() if str(date).endswith("-12") and 0 < step < last]
    chosen = {0, last}
    for target in (last / 3, 2 * last / 3):
        free = [step for step in decembers if step not in chosen]
        if free:
            chosen.add(min(free, key=lambda step: abs(step - target)))
    return sorted(chosen)


def positions(results: Results, context: Context, path: Path | None = None) -> Figure:
    """Median positions of the states in the (autonomy, Ukraine support) plane at a few dates."""
    agents = results.agents[results.agents["iso3"] != "USA"]
    dates = _dates(results.model)
    steps = _snapshot_steps(len(dates), dates)
    medians = agents[agents["step"].isin(steps)].groupby(["step", "iso3"])[["autonomy", "ukraine_support"]].median()
    cohesion = results.model.groupby("step")["cohesion_positions"].median()
    region = dict(_ordered_states(agents))
    columns = 2 if len(steps) > 1 else 1
    rows = int(np.ceil(len(steps) / columns))
    width, height = 14.0, 6.6 * rows + 1.6
    # A fixed grid (not constrained layout) so that label placement can use the final axes positions.
    figure = _figure(width, height, constrained=False)
    grid = {
        "left": 0.07,
        "right": 0.98,
        "top": 1 - 1.25 / height,
        "bottom": 1.0 / height,
        "hspace": 0.22,
        "wspace": 0.12,
    }
    axes = np.atleast_1d(figure.subplots(rows, columns, gridspec_kw=grid)).ravel()
    # One frame for all panels (dates compare by eye), fitted to the states' range rounded out to tenths within
    # 0-1: the states crowd a part of the square, and a frame of the whole square piles their labels up.
    limits = {}
    for column in ("autonomy", "ukraine_support"):
        low, high = float(medians[column].min()), float(medians[column].max())
        low, high = max(0.0, np.floor(low * 10 - 0.3) / 10), min(1.0, np.ceil(high * 10 + 0.3) / 10)
        limits[column] = (low - 0.01, high + 0.01)
    for ax, step in zip(axes, steps, strict=False):
        frame = medians.loc[step]
        colours = [REGION_COLOURS[region[c]] for c in frame.index]
        ax.scatter(
            frame["autonomy"],
            frame["ukraine_support"],
            c=colours,
            s=40,
            edgecolor="white",
            linewidth=0.5,
            zorder=3,
            clip_on=False,  # a state at 0 or 1 is drawn whole on the frame, not cut
        )
        ax.set_xlim(*limits["autonomy"])
        ax.set_ylim(*limits["ukraine_support"])
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=10)
        ax.set_title(f"{dates[step]}  ·  median cohesion of positions {cohesion[step]:.2f}", fontsize=12)
        ax.set_xlabel("preference for European autonomy (0-1)", fontsize=11)
        ax.set_ylabel("support for Ukraine (0-1)", fontsize=11)
        _place_labels(
            ax, frame["autonomy"].to_numpy(), frame["ukraine_support"].to_numpy(), list(frame.index), colours, 8.5
        )
    for ax in axes[len(steps) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=REGION_COLOURS[r], markersize=8, label=r.replace("_", " "))
        for r in REGIONS
        if r in set(region.values())
    ]
    _top_legend(figure, handles, 0.5 / height)
    return _finish_figure(figure, context, "Positions of the states (median across replications)", path)


def representative_run(model: pd.DataFrame) -> int:
    """The run whose final cohesion is closest to the median final cohesion (lowest run on ties)."""
    final = model.groupby("run")["cohesion"].last()
    return int((final - final.median()).abs().sort_values(kind="stable").index[0])


def note_letter(k: int) -> str:
    """The letter of the ``k``-th note (from 0): 'a' to 'z', then 'aa', 'ab', ... 'az', 'ba', ... without end."""
    letters = ""
    k += 1
    while k > 0:
        k, rest = divmod(k - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


#: At most this many scenario events are listed by name in a figure; the rest are counted, with a pointer
#: to report.md, which lists them all.
LISTED_EVENTS = {"headline": 12, "decisions": 30}


def _more(total: int, listed: int) -> str:
    """'and M more: see report.md' for the events not listed in a figure ('' when all are)."""
    return f"and {total - listed} more: see report.md" if total > listed else ""


def _blocker_label(blockers: str, notes: list[str] | None = None) -> str:
    """Up to three ISO3 codes as they are; more become a lettered note (``notes`` collects the full lists)."""
    states = [code for code in str(blockers).split(";") if code]
    if len(states) <= 3 or notes is None:
        return " ".join(states) if len(states) <= 3 else f"{len(states)} states"
    listed = " ".join(states)
    if listed not in notes:
        notes.append(listed)
    return f"({note_letter(notes.index(listed))}) {len(states)} states"


#: Plain words for the parameters that scenario files most often ``set`` by an event (others: the name in words).
EVENT_WORDS = {
    "pledge_core_pct": "NATO core spending pledge",
    "pledge_deadline_year": "pledge deadline",
    "us_commitment_target": "US commitment target",
    "war_fatigue_rate": "war-fatigue rate",
    "eu_cfsp_rule": "EU foreign-policy voting rule",
}


def readable_event(detail: str) -> str:
    """An event's log line in words: 'pledge_core_pct = 3.5' becomes 'NATO core spending pledge set to 3.5 % of GDP'."""
    from sim.inputs.parameters import PARAMETERS

    match = re.fullmatch(r"\s*(\w+)\s*=\s*(.+?)\s*", str(detail))
    if match is None or match.group(1) not in PARAMETERS:
        return str(detail)
    name, value = match.groups()
    unit = PARAMETERS[name].unit
    choice = bool(PARAMETERS[name].choices)
    shown_unit = f" {unit}" if unit and not choice and unit not in ("-", "0-1", "choice") else ""
    return f"{EVENT_WORDS.get(name, name.replace('_', ' '))} set to {value}{shown_unit}"


NOTE_LINE_CHARACTERS = 150  # the longest line of lettered notes under the decisions panel


def _wrapped_notes(notes: list[str]) -> list[str]:
    """The lettered notes, '(a) AUT BEL ...', as lines of at most ``NOTE_LINE_CHARACTERS`` characters.

    A line breaks between notes; only a note longer than a line breaks inside, never between its letter and
    its first state (a letter alone at the end of a line would name nothing).
    """
    glue = "\0"  # stands for a space no line may break at, while wrapping
    units = []
    for k, text in enumerate(notes):
        note = f"({note_letter(k)}) {text}"
        if len(note) <= NOTE_LINE_CHARACTERS:
            units.append(note.replace(" ", glue))
        else:
            units.append(note.replace(" ", glue, 1))
    lines = textwrap.wrap("   ".join(units), NOTE_LINE_CHARACTERS, break_long_words=False, break_on_hyphens=False)
    return [line.replace(glue, " ") for line in lines]


def _note_lines(one: pd.DataFrame) -> int:
    """How many lines the lettered notes under the decisions panel take, for the run's events ``one``."""
    notes: list[str] = []
    stopped = one[(one["body"] != "scenario") & one["outcome"].isin(["delayed", "blocked"])]
    for blockers in stopped["blockers"]:
        _blocker_label(blockers, notes)
    return len(_wrapped_notes(notes))


def decisions(results: Results, context: Context, path: Path | None = None) -> Figure:
    """One typical run's decisions over time, and who delays or blocks across all runs."""
    events, model = results.events, results.model
    run = representative_run(model)
    x_dates = _years(_dates(model))
    one = events[(events["run"] == run) & events["body"].isin(["EU", "NATO", "scenario"])]
    items = sorted(one.loc[one["body"] != "scenario", "item"].unique())
    rows = [*items, "scenario events"]
    applied = one[one["body"] == "scenario"].reset_index(drop=True)
    notes: list[str] = []  # the states of a delay or block by more than three, named under the panel
    note_lines = _note_lines(one)
    top_height = 0.62 * len(rows) + 1.2 + 0.16 * note_lines
    figure = _figure(16, top_height + 5.8)
    top, bottom = figure.subplots(2, 1, height_ratios=[top_height, 4.3])
    for row, item in enumerate(items):
        hits = one[one["item"] == item]
        for outcome, colour in OUTCOME_COLOURS.items():
            chosen = hits[hits["outcome"] == outcome]
            top.plot(
                _years(chosen["date"]),
                np.full(len(chosen), row),
                marker="o",
                linestyle="",
                color=colour,
                markersize=7,
                markeredgecolor="white",
            )
        stopped = hits[hits["outcome"].isin(["delayed", "blocked"])]
        span = max(x_dates[-1] - x_dates[0], 1e-9)
        last_x = {True: -np.inf, False: -np.inf}
        tier = {True: 0, False: 0}
        for date, blockers, outcome in zip(stopped["date"], stopped["blockers"], stopped["outcome"], strict=True):
            # Delays are labelled below the row, blocks above, so that a delay and the block two months later
            # do not write over each other; labels close in time on the same side alternate in height.
            below, xv = outcome == "delayed", _years([date])[0]
            tier[below] = 1 - tier[below] if xv - last_x[below] < 0.8 else 0
            last_x[below] = xv
            offset = 8 + 10 * tier[below]
            # Labels stay inside the frame: those near an edge lean away from it.
            where = (xv - x_dates[0]) / span
            top.annotate(
                _blocker_label(blockers, notes),
                (xv, row),
                xytext=(0, -offset if below else offset),
                textcoords="offset points",
                fontsize=7.5,
                ha="left" if where < 0.04 else "right" if where > 0.96 else "center",
                annotation_clip=True,
                va="top" if below else "bottom",
                color=OUTCOME_COLOURS[outcome],
            )
    row = len(items)
    numbers = pd.Series(range(1, len(applied) + 1), index=applied.index)
    for k, (date, group) in enumerate(numbers.groupby(applied["date"], sort=True)):
        xv = _years([date])[0]
        top.plot(xv, row, marker="D", color="#34495e", markersize=6, linestyle="")
        top.annotate(
            ",".join(map(str, group)),
            (xv, row),
            xytext=(0, 7 if k % 2 == 0 else -7),
            textcoords="offset points",
            fontsize=8,
            ha="center",
            va="bottom" if k % 2 == 0 else "top",
            color="#34495e",
        )
    # The key beside the panel lists as many events as its height holds; the rest are counted.
    fits = max(int(top_height * 72 / (8.5 * 1.25)) - 2, 4)
    shown = min(len(applied), LISTED_EVENTS["decisions"], fits)
    lines = [
        f"{n}  {d}  {readable_event(text)[:46]}"
        for n, (d, text) in enumerate(zip(applied["date"][:shown], applied["detail"][:shown], strict=True), start=1)
    ]
    if _more(len(applied), shown):
        lines.append(_more(len(applied), shown))
    key = "\n".join(lines)
    top.text(
        1.01,
        0.0,
        "Scenario events\n" + (key or "(none)"),
        transform=top.transAxes,
        fontsize=8.5,
        va="bottom",
        ha="left",
        color="#34495e",
        family="monospace",
    )
    top.set_yticks(range(len(rows)), [r.replace("_", " ") for r in rows], fontsize=10)
    top.set_ylim(len(rows) - 0.4, -0.7)
    _year_axis(top, x_dates)
    top.set_title(
        f"Decisions in run {run}, the run whose final cohesion is the median of all runs; "
        "labels name who delayed (below) or blocked (above)",
        fontsize=12,
        pad=28,
    )
    handles = [
        Line2D([], [], marker="o", linestyle="", color=c, markersize=8, label=o.replace("_", " "))
        for o, c in OUTCOME_COLOURS.items()
    ]
    handles.append(Line2D([], [], marker="D", linestyle="", color="#34495e", markersize=7, label="scenario event"))
    top.legend(
        handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(handles), fontsize=10, frameon=False
    )
    if notes:
        named = "\n".join(_wrapped_notes(notes))
        top.text(0.0, -0.1, named, transform=top.transAxes, fontsize=8, va="top", ha="left", color="#333333")
    _blockers(bottom, events, model["run"].nunique())
    return _finish_figure(figure, context, "Decisions: what passed, was delayed or blocked, and by whom", path)


def blocker_counts(events: pd.DataFrame, runs: int) -> pd.DataFrame:
    """Mean times per run each state delayed or blocked an EU or NATO decision, by outcome."""
    stopped = events[events["body"].isin(["EU", "NATO"]) & events["outcome"].isin(["delayed", "blocked"])]
    stopped = stopped[stopped["blockers"].astype(str) != ""]
    exploded = stopped.assign(state=stopped["blockers"].str.split(";")).explode("state")
    table = exploded.groupby(["state", "outcome"]).size().unstack(fill_value=0) / max(runs, 1)
    for outcome in ("delayed", "blocked"):
        if outcome not in table:
            table[outcome] = 0.0
    table = table[["delayed", "blocked"]]
    return table.assign(total=table.sum(axis=1)).sort_values("total", ascending=False)


def _blockers(ax, events: pd.DataFrame, runs: int) -> None:
    table = blocker_counts(events, runs).head(15)
    if table.empty:
        ax.text(
            0.5,
            0.5,
            "No decision was delayed or blocked in any run",
            ha="center",
            va="center",
            fontsize=12,
            transform=ax.transAxes,
        )
        ax.set_axis_off()
        return
    y = np.arange(len(table))
    ax.barh(y, table["delayed"], color=OUTCOME_COLOURS["delayed"], label="delayed (then re-tabled)")
    ax.barh(y, table["blocked"], left=table["delayed"], color=OUTCOME_COLOURS["blocked"], label="blocked")
    ax.set_yticks(y, table.index, fontsize=10)
    ax.invert_yaxis()
    ax.set_xlabel(f"times per run, mean over all {runs} runs", fontsize=11)
    ax.set_title("Who stops decisions: the 15 states that delay or block most often", fontsize=12)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=10, frameon=False)


def spending(results: Results, context: Context, path: Path | None = None) -> Figure:
    """European spending against the 2 % and 3.5 % lines, and how many allies reach them."""
    model = results.model
    x = _years(_dates(model))
    figure = _figure(15, 5.8)
    left, right = figure.subplots(1, 2)
    _band(left, x, _quantiles(model, "spending_pct_gdp"))
    left.plot(
        x,
        model.groupby("step")["pledge_norm_pct"].median(),
        color="#555555",
        linestyle=":",
        linewidth=2,
        label="pledge path the model uses",
    )
    for (level, label), colour in zip(PLEDGE_LINES, ("#7f8c8d", "#922b21"), strict=True):
        left.axhline(level, color=colour, linestyle="--", linewidth=1.2, label=label)
    left.set_title(OUTCOMES["spending_pct_gdp"].one_line(), fontsize=12)
    left.set_ylabel("% of GDP", fontsize=11)
    left.set_ylim(
        bottom=min(1.5, float(model["spending_pct_gdp"].min()) - 0.1),
        top=max(4.4, float(model["spending_pct_gdp"].max()) + 0.6),
    )
    left.legend(loc="upper left", fontsize=10, frameon=True, framealpha=0.9, ncols=2)
    _year_axis(left, x)
    for outcome, colour in (("allies_at_2pct", "#2e86c1"), ("allies_at_3_5pct", "#c0392b")):
        _band(right, x, _quantiles(model, outcome), colour=colour, label=False)
        right.plot(
            [], [], color=colour, linewidth=6, alpha=0.5, label=f"{OUTCOMES[outcome].label} (median, 50 %, 90 %)"
        )
    right.set_title("NATO allies at or above each line", fontsize=12)
    right.set_ylabel("allies", fontsize=11)
    right.set_ylim(bottom=0)
    right.yaxis.get_major_locator().set_params(integer=True)
    right.legend(loc="upper left", fontsize=10, frameon=False)
    _year_axis(right, x)
    return _finish_figure(figure, context, "Defence spending and the pledges", path)


def draw_all(results: Results, context: Context, folder: Path, reference: Results | None = None) -> list[Path]:
    """Every figure of a results folder, into ``folder``; returns the paths.

    ``reference``: the baseline with the same seeds, drawn behind the headline outcomes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, draw in KINDS.items():
        if kind == "states":
            for variable in STATE_OUTCOMES:
                paths.append(folder / f"states_{variable}.png")
                draw(results, context, variable, paths[-1])
        else:
            paths.append(folder / f"{kind}.png")
            if kind == "headline":
                draw(results, context, paths[-1], reference)
            else:
                draw(results, context, paths[-1])
    return paths


# The figures of a results folder by kind, in the order they are drawn (Results.plot(kind) in sim.api).
KINDS = {"headline": headline, "spending": spending, "positions": positions, "decisions": decisions, "states": states}
