"""``cohesion dashboard``: a local web page to change a scenario and see its bands against the baseline.

The page (:mod:`sim.dashboard.app`, in Solara) calls the functions of this
module, which need neither Solara nor a browser: :func:`simulate` runs a
scenario with the user's changes and the baseline with the same seeds on the
engine, :func:`bands` draws them. Solara serves its own assets (the
``solara-assets`` package; nothing is fetched from a CDN), and the server
binds to 127.0.0.1; another address is refused unless ``--allow-remote`` is
given, since the page reads any file the server can read (the own-scenario
box, results folders). Illustrative scenario exploration, not a forecast:
every view says so.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from pathlib import Path
from typing import Any, Literal

import numpy as np
from matplotlib.figure import Figure

from sim.about import DISCLAIMER
from sim.api import Results, load_results, run
from sim.inputs.parameters import PARAMETERS
from sim.rules.events import EVENT_TYPES, Event, allowed
from sim.rules.outcomes import (
    OUTCOME_DEFINITIONS,  # noqa: F401 (the dashboard's tests name outcomes by it)
    OUTCOMES,
    is_count,
    zero_one,
)
from sim.scenarios.scenario import Scenario, packaged_scenarios, referenced
from sim.scenarios.scenario import load as load_scenario
from sim.util import yamlfile
from sim.util.calendar import fractional_years
from sim.util.errors import InputError, shorten, shown

BASELINE = "baseline"
#: Replications the page runs at most: each runs twice (the scenario and the baseline) in the page's own process,
#: so that 100 take about as long as a reader waits; larger ensembles belong to ``cohesion run``.
MAX_PAGE_REPLICATIONS = 100


@dataclasses.dataclass(frozen=True)
class Run:
    """A scenario with the user's changes, and the baseline over the same months with the same seeds."""

    scenario: Scenario
    results: Results
    baseline: Results


def load(reference: str | Path) -> Scenario:
    """A packaged scenario by name, or a scenario file by path (the page's own-file box), checked and resolved.

    The page may be open to someone who cannot read the server's files: an error in a file named by path
    says which file was read and which field is wrong, never its text (:func:`sim.scenarios.scenario.referenced`).

    Raises:
        InputError: the file cannot be read or is not a valid scenario.
    """
    try:
        return load_scenario(reference)
    except InputError as error:
        if str(reference) in packaged_scenarios():
            raise
        raise referenced(error, None, "scenario file", str(reference)) from None


def scenario_names() -> list[str]:
    """The packaged scenarios, by name."""
    return list(packaged_scenarios())


def changed(
    reference: str | Path,
    parameters: dict[str, Any] | None = None,
    dropped_events: set[int] | frozenset[int] = frozenset(),
    replications: int | None = None,
    seed: int | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Scenario:
    """The scenario ``reference`` (a name or a path) with the user's changes.

    ``parameters`` are merged in; ``events`` (mappings as in a scenario file, see :func:`event_from_form`),
    when given, replace the scenario's events (inherited ones included); the events at the positions
    ``dropped_events`` are then left out; ``replications`` and ``seed`` default to the file's own
    (:func:`run_settings`). The result is checked by the same code as a scenario file.

    Raises InputError for a bad file, parameter value, event or replication count (the page runs at most
    :data:`MAX_PAGE_REPLICATIONS`), naming the field
    (``events[k].size``, ...) and what it takes.
    """
    scenario = load(reference)
    written = [e.model_dump(mode="json") for e in scenario.events]
    if events is not None and events == written:
        events = None  # the file's own events: not a change
    listed = written if events is None else list(events)
    kept = [e for k, e in enumerate(listed) if k not in dropped_events]
    if parameters or dropped_events or events is not None:
        # Named apart from the file's, so that a changed baseline is not shown as "baseline".
        scenario = scenario.with_overrides(name=f"{scenario.name}_changed", parameters=parameters or {}, events=kept)
    scenario = scenario.with_overrides(replications=replications, seed=seed)
    if scenario.replications > MAX_PAGE_REPLICATIONS:
        raise InputError(
            "replications",
            f"{scenario.replications} is more than the page runs: at most {MAX_PAGE_REPLICATIONS} here "
            "(each run twice, with the baseline, in the page's process); use 'cohesion run' for more",
        )
    return scenario


def run_settings(reference: str | Path) -> tuple[int, int]:
    """The scenario file's own (replications, seed): what the page's run fields show for a newly picked scenario.

    Raises InputError for a file that cannot be read as a scenario.
    """
    scenario = load(reference)
    return scenario.replications, scenario.seed


# The form's number syntax: what a user types for a number (YAML reads '1e5' or '1e400' as text).
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def parameter_value(name: str, text: str) -> float | int:
    """The value typed for numeric parameter ``name`` (a text such as ``0.3`` or ``2e-3``), checked against its range.

    Raises InputError naming ``parameters.<name>`` with the reason (empty, not a number, not a finite number
    such as ``1e400``, out of range) and the allowed range.
    """
    parameter = PARAMETERS[name]
    field = f"parameters.{name}"
    text = str(text).strip()
    if not text:
        raise InputError(field, f"is empty; use {parameter.allowed()}")
    if not _NUMBER.fullmatch(text):
        raise InputError(field, f"{shown(text)} is not a number; use {parameter.allowed()}")
    value = float(text)
    if not math.isfinite(value):
        raise InputError(field, f"{shorten(text)} is not a finite number; use {parameter.allowed()}")
    return parameter.check(value)


# ---------------------------------------------------------------------- events in a form
@dataclasses.dataclass(frozen=True)
class EventField:
    """One field of an event type as the page's form shows it.

    ``allowed`` says what it takes (the words of the scenario files' error messages); ``choices`` lists
    the values of a field with a fixed set (empty otherwise); ``required`` is False for a field that may
    be left out (its default then applies); ``default`` is that default as the form writes it.
    """

    name: str
    allowed: str
    required: bool
    choices: tuple[str, ...]
    default: str


def event_types() -> list[str]:
    """The registered event types (:data:`sim.rules.events.EVENT_TYPES`), sorted."""
    return sorted(EVENT_TYPES)


def event_fields(kind: str) -> list[EventField]:
    """The fields of event type ``kind`` after ``type`` (``date`` first); InputError for an unknown type."""
    if kind not in EVENT_TYPES:
        raise InputError("type", f"unknown event type '{kind}'; use one of {', '.join(event_types())}")
    fields = []
    for name, info in EVENT_TYPES[kind].model_fields.items():
        if name == "type":
            continue
        annotation = info.annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        target = args[0] if len(args) == 1 else annotation
        if typing.get_origin(target) is Literal:
            choices = tuple(str(v) for v in typing.get_args(target))
        elif target is bool:
            choices = ("true", "false")
        else:
            choices = ()
        required = info.is_required()
        default = "" if required or info.default is None else form_text(info.default)
        fields.append(EventField(name, allowed(kind, name), required, choices, default))
    return fields


def form_text(value: Any) -> str:
    """A field's value as a scenario file writes it: ``0.3``, ``DNK``, ``[EST, LVA]``, ``true``; '' for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(form_text(v) for v in value) + "]"
    return str(value)


def event_as_form(event: Event | dict[str, Any]) -> tuple[str, dict[str, str]]:
    """(type, {field: text}) of an event, to fill the form for editing it."""
    mapping = event.model_dump(mode="json") if isinstance(event, Event) else dict(event)
    return str(mapping["type"]), {k: form_text(v) for k, v in mapping.items() if k != "type"}


def event_from_form(kind: str, texts: dict[str, str], field: str = "event") -> dict[str, Any]:
    """The event mapping a scenario file would hold, from the form's texts (each read as a YAML value).

    Empty texts are left out (the field's default applies). A number is read as a number whatever its
    form (``1e5``, which YAML alone reads as text). The mapping is not checked here beyond that:
    :func:`changed` checks it with the scenario's other events. Raises InputError naming
    ``field.name`` for a text that is not a YAML value or a number that is not finite (``1e400``, ``.inf``).
    """
    mapping: dict[str, Any] = {"type": kind}
    for name, text in texts.items():
        text = str(text).strip()
        if not text:
            continue
        try:
            value = yamlfile.parse(text, f"{field}.{name}")
        except InputError as error:
            raise InputError(f"{field}.{name}", f"{error.message}; write it as in a scenario file") from None
        if isinstance(value, str) and _NUMBER.fullmatch(text):
            value = float(text)
        if isinstance(value, float) and not math.isfinite(value):
            what = allowed(kind, name) if name in EVENT_TYPES[kind].model_fields else "a finite number"
            raise InputError(f"{field}.{name}", f"{shorten(text)} is not a finite number; use {what}")
        mapping[name] = value
    return mapping


def with_event(
    reference: str | Path, events: list[dict[str, Any]], event: dict[str, Any], index: int | None = None
) -> list[dict[str, Any]]:
    """``events`` with ``event`` added (``index`` None) or put in place of event ``index``, checked.

    The whole list is checked as the events of scenario ``reference`` would be in a scenario file
    (fields, ranges, ISO3 codes, the date inside the run); InputError naming ``events[k].field`` otherwise.
    Returns the new list (``events`` is not changed).
    """
    updated = list(events)
    if index is not None and not 0 <= index < len(updated):  # the list changed under the form (another scenario)
        raise InputError("events", f"there is no event {index + 1} any more; add the event instead")
    if index is None:
        updated.append(event)
    else:
        updated[index] = event
    load(reference).with_overrides(events=updated)
    return updated


def baseline_for(scenario: Scenario) -> Scenario:
    """The packaged baseline over the months of ``scenario``, with its seed and replications."""
    base = load(BASELINE)
    if (base.start, base.end, base.initial_year) != (scenario.start, scenario.end, scenario.initial_year):
        try:
            base = base.with_overrides(start=scenario.start, end=scenario.end)
        except InputError:  # a horizon the baseline cannot take (another data year): the scenario as written
            base = load(scenario.source) if Path(scenario.source).is_file() else load(scenario.name)
    return base.with_overrides(replications=scenario.replications, seed=scenario.seed)


def simulate(scenario: Scenario) -> Run:
    """Run ``scenario`` and its baseline (:func:`baseline_for`) on the engine, in this process.

    The page draws the two itself: the runs a results folder stores beside them (``behind``) are not made.
    """
    return Run(scenario, run(scenario, behind=False), run(baseline_for(scenario), behind=False))


def _band(ax: Any, results: Results, outcome: str, colour: str, label: str) -> None:
    model = results._tables.model
    grouped = model.groupby("step", sort=True)[outcome]
    q = grouped.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    x = fractional_years(model.drop_duplicates("step").sort_values("step")["date"])
    ax.fill_between(x, q[0.05], q[0.95], color=colour, alpha=0.15, linewidth=0)
    ax.fill_between(x, q[0.25], q[0.75], color=colour, alpha=0.35, linewidth=0)
    ax.plot(x, q[0.5], color=colour, linewidth=2, label=label)


def bands(run_: Run, outcomes: tuple[str, ...]) -> Figure:
    """One panel per outcome: median, 50 % and 90 % bands of the scenario (blue) and the baseline (grey) behind.

    The baseline's median is drawn once more, dashed, over the scenario's, so that it stays visible where the
    two coincide. Returns a matplotlib Figure (not saved).
    """
    figure = Figure(figsize=(12, 3.6 * ((len(outcomes) + 2) // 3)), dpi=90, layout="constrained")
    axes = np.atleast_1d(figure.subplots((len(outcomes) + 2) // 3, min(3, len(outcomes)), squeeze=False)).ravel()
    for ax, outcome in zip(axes, outcomes, strict=False):
        _band(ax, run_.baseline, outcome, "#7f8c8d", f"{BASELINE} (median, 50 %, 90 %)")
        _band(ax, run_.results, outcome, "#2e86c1", f"{run_.scenario.name} (median, 50 %, 90 %)")
        # The baseline's median again, dashed on top: visible where the scenario's lies on it.
        model = run_.baseline._tables.model
        x = fractional_years(model.drop_duplicates("step").sort_values("step")["date"])
        ax.plot(x, model.groupby("step", sort=True)[outcome].median(), color="#4d5656", linewidth=1, linestyle="--")
        ax.set_title(outcome_label(outcome, one_line=False), fontsize=9)
        ax.grid(alpha=0.3)
        if zero_one(outcome):
            ax.set_ylim(0, 1)
        if is_count(outcome):
            ax.yaxis.get_major_locator().set_params(integer=True)
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8, loc="best")
    figure.suptitle(
        f"{run_.scenario.name} against {BASELINE}: {run_.scenario.replications} replications each, same seeds\n"
        f"{DISCLAIMER}",
        fontsize=10,
    )
    return figure


def final_medians(run_: Run, outcomes: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Per outcome, the median in the last month: (scenario, baseline)."""
    return medians_at(run_, outcomes, months(run_)[-1])


def months(run_: Run) -> list[str]:
    """The months of a run, 'YYYY-MM', first to last."""
    model = run_.results._tables.model
    return [str(d)[:7] for d in model.drop_duplicates("step").sort_values("step")["date"]]


def table_months(run_: Run) -> list[str]:
    """The months the page's table offers first: each December and the last month (the latest first)."""
    every = months(run_)
    return [m for m in every if m.endswith("-12") or m == every[-1]][::-1]


def medians_at(run_: Run, outcomes: tuple[str, ...], month: str) -> dict[str, tuple[float, float]]:
    """Per outcome, the median across replications in ``month`` ('YYYY-MM'): (scenario, baseline).

    Raises InputError when ``month`` is not a month of the run.
    """
    every = months(run_)
    if month not in every:
        raise InputError("month", f"{shown(month)} is not a month of the run; use {every[0]} to {every[-1]}")
    step = every.index(month)
    out = {}
    for outcome in outcomes:
        values = []
        for results in (run_.results, run_.baseline):
            model = results._tables.model
            values.append(float(model.loc[model["step"] == model["step"].min() + step, outcome].median()))
        out[outcome] = (values[0], values[1])
    return out


def outcome_label(name: str, one_line: bool = True) -> str:
    """An outcome's name in words: its label in the registry (``sim.rules.outcomes.OUTCOMES``), on one line for
    tables unless ``one_line`` is False (figure titles), e.g. 'Blocs (clusters of positions)'; other names as given.
    """
    record = OUTCOMES.get(name)
    if record is None:
        return name
    return record.one_line() if one_line else record.label


def medians_table(run_: Run, outcomes: tuple[str, ...], month: str) -> str:
    """The medians in ``month`` as a Markdown table: outcome (by name), scenario, baseline, difference."""
    rows = "\n".join(
        f"| {outcome_label(name)} | {a:.3f} | {b:.3f} | {a - b:+.3f} |"
        for name, (a, b) in medians_at(run_, outcomes, month).items()
    )
    return (
        f"Median across replications in {month}\n\n| outcome | {run_.scenario.name} | {BASELINE} | difference |\n"
        f"|---|---|---|---|\n{rows}"
    )


def results_folders(root: str | Path) -> list[Path]:
    """Complete results folders of ``cohesion run`` directly under ``root``, newest name last."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.iterdir()):
        manifest = path / "manifest.json"
        if manifest.is_file() and '"complete"' in manifest.read_text(encoding="utf-8", errors="replace"):
            found.append(path)
    return found


def open_folder(path: str | Path) -> Results:
    """A results folder read back (:func:`sim.api.load_results`); InputError naming it otherwise."""
    return load_results(path)


# ---------------------------------------------------------------------- command line
