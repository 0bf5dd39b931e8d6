"""The page of ``cohesion dashboard`` (Solara): pick, change, run, compare with the baseline, open folders.

Served by :func:`sim.cli.dashboard.main`; the work is done by :mod:`sim.dashboard.logic`
and :mod:`sim.api`. Every view carries the line "Illustrative scenario
exploration — not a forecast".
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import solara

from sim.about import DISCLAIMER
from sim.dashboard import logic as dashboard
from sim.inputs.parameters import PARAMETERS
from sim.rules.outcomes import HEADLINE_OUTCOMES, STATE_OUTCOMES
from sim.util.errors import InputError

NUMERIC_PARAMETERS = sorted(name for name, p in PARAMETERS.items() if not p.is_categorical)

_FILE_REPLICATIONS, _FILE_SEED = dashboard.run_settings(dashboard.BASELINE)

scenario_name = solara.reactive(dashboard.BASELINE)
own_file = solara.reactive("")
parameter = solara.reactive("confidence_bound")
# The value as typed: checked by dashboard.parameter_value when set, so that the page says what is wrong with it.
value = solara.reactive(str(PARAMETERS["confidence_bound"].default))
parameter_message = solara.reactive("")
# The parameters the user changed, for the scenario picked: a newly picked scenario starts from its file.
changes: solara.Reactive[dict] = solara.reactive({})
# The user's list of events per scenario reference (mappings as in a scenario file); absent: the file's events.
edited_events: solara.Reactive[dict] = solara.reactive({})
event_kind = solara.reactive("coercion")
event_texts: solara.Reactive[dict] = solara.reactive({})
editing: solara.Reactive[int | None] = solara.reactive(None)
event_message = solara.reactive("")
# The picked scenario file's own, until the user changes them.
replications = solara.reactive(_FILE_REPLICATIONS)
seed = solara.reactive(_FILE_SEED)
last_run = solara.reactive(None)
table_month: solara.Reactive[str | None] = solara.reactive(None)  # None: the last month of the run
message = solara.reactive("")
state_variable = solara.reactive("us_trust")
folder = solara.reactive("")
opened = solara.reactive(None)


def _reference() -> str:
    return own_file.value.strip() or scenario_name.value


def _file_events() -> list[dict]:
    try:
        return [e.model_dump(mode="json") for e in dashboard.load(_reference()).events]
    except InputError:
        return []


def _events() -> list[dict]:
    """The events the next run uses: the user's list for this scenario, or the file's."""
    if _reference() in edited_events.value:
        return edited_events.value[_reference()]
    return _file_events()


def _set_events(events: list[dict]) -> None:
    edited_events.value = {**edited_events.value, _reference(): events}


def _one_line(error: InputError) -> str:
    return "error: " + " ".join(error.one_line().split())


def _new_event_form(kind: str) -> None:
    event_kind.value = kind
    event_texts.value = {f.name: f.default for f in dashboard.event_fields(kind)}
    editing.value = None
    event_message.value = ""


def _save_event() -> None:
    """Add the form's event (or put it in place of the one being edited), checked as a scenario file would be."""
    index = editing.value
    field = f"events[{len(_events()) if index is None else index}]"
    try:
        event = dashboard.event_from_form(event_kind.value, event_texts.value, field)
        updated = dashboard.with_event(_reference(), _events(), event, index)
    except InputError as error:
        event_message.value = _one_line(error)
        return
    _set_events(updated)
    editing.value = None
    verb = "added" if index is None else "changed"
    event_message.value = f"{verb}: {event.get('date', '')} {event_kind.value}; run to see its effect"


def _scenario_changed(_: object = None) -> None:
    """Another scenario picked: start from its file (no parameter or event changes; its replications and seed)."""
    _new_event_form(event_kind.value)  # an unsaved event form belonged to the previous scenario
    parameter_message.value = ""
    changes.value = {}
    edited_events.value = {}
    value.value = str(PARAMETERS[parameter.value].default)
    try:
        replications.value, seed.value = dashboard.run_settings(_reference())
    except InputError:
        return  # the Scenario card shows what is wrong with the file
    message.value = (
        f"picked {_reference()}: its parameters and events as in the file, "
        f"{replications.value} replications and seed {seed.value} from the file"
    )


def _parameter_picked(name: str) -> None:
    """Another parameter: the value field shows its current value (as changed, or its default)."""
    parameter.value = name
    value.value = str(changes.value.get(name, PARAMETERS[name].default))
    parameter_message.value = ""


def _edit_event(k: int) -> None:
    kind, texts = dashboard.event_as_form(_events()[k])
    event_kind.value = kind
    event_texts.value = {f.name: texts.get(f.name, "") for f in dashboard.event_fields(kind)}
    editing.value = k
    event_message.value = f"editing event {k + 1}: change its fields, then 'save event'"


def _remove_event(k: int) -> None:
    events = _events()
    _set_events(events[:k] + events[k + 1 :])
    editing.value = None
    event_message.value = f"removed: {events[k]['date']} {events[k]['type']}"


def _run() -> None:
    try:
        scenario = dashboard.changed(
            _reference(), changes.value, frozenset(), replications.value, seed.value, events=_events()
        )
        started = time.perf_counter()
        result = dashboard.simulate(scenario)
        elapsed = time.perf_counter() - started
    except InputError as error:
        message.value = _one_line(error)
        return
    shown = ", ".join(f"{k} = {v:g}" for k, v in changes.value.items()) or "no parameter changed"
    if _reference() in edited_events.value:
        shown += f"; {len(scenario.events)} events, as edited"
    message.value = (
        f"ran {scenario.name} and {dashboard.BASELINE}, {scenario.replications} replications each "
        f"in {elapsed:.1f} s ({shown})"
    )
    last_run.value = result  # after the message: the page shows both once the figure is there


def _set_parameter() -> None:
    try:
        checked = dashboard.parameter_value(parameter.value, value.value)
    except InputError as error:
        parameter_message.value = _one_line(error)
        return
    parameter_message.value = ""
    changes.value = {**changes.value, parameter.value: checked}


@solara.component
def Framing():
    solara.Warning(
        f"{DISCLAIMER}. Bands show the spread across replications: the model's own randomness and, when the"
        " scenario's uncertainty is 'posterior' (the default), parameter sets drawn from the calibrated posterior."
    )


@solara.component
def EventsCard():
    events = _events()
    with solara.Card("Events"):
        edited = _reference() in edited_events.value
        solara.Markdown(f"**{len(events)} events**" + (" (edited)" if edited else " (as in the file)"))
        for k, event in enumerate(events):
            details = ", ".join(
                f"{name} {dashboard.form_text(v)}"
                for name, v in event.items()
                if name not in ("date", "type") and v is not None
            )
            with solara.Row(classes=["event-row"], style={"align-items": "center"}):
                solara.Text(f"{k + 1}. {event['date']} {event['type']}" + (f": {details}" if details else ""))
                solara.Button(
                    "edit", on_click=lambda k=k: _edit_event(k), text=True, small=True, classes=["edit-event"]
                )
                solara.Button(
                    "remove", on_click=lambda k=k: _remove_event(k), text=True, small=True, classes=["remove-event"]
                )
        if edited:
            solara.Button(
                "restore the file's events",
                on_click=lambda: edited_events.set({r: e for r, e in edited_events.value.items() if r != _reference()}),
                text=True,
            )
        solara.Markdown("**Add an event**" if editing.value is None else f"**Edit event {editing.value + 1}**")
        solara.Select("event type", values=dashboard.event_types(), value=event_kind.value, on_value=_new_event_form)
        solara.Markdown(dashboard.EVENT_TYPES[event_kind.value].summary, style={"font-size": "0.85em"})
        for spec in dashboard.event_fields(event_kind.value):

            def put(text: str, name: str = spec.name) -> None:
                event_texts.value = {**event_texts.value, name: text if text is not None else ""}

            label = spec.name + ("" if spec.required else " (optional)")
            current = event_texts.value.get(spec.name, spec.default)
            if spec.choices:
                values = list(spec.choices) if spec.required or spec.default else ["", *spec.choices]
                solara.Select(label, values=values, value=current if current in values else None, on_value=put)
            else:
                solara.InputText(
                    label, value=current, on_value=put, continuous_update=True, classes=[f"event-field-{spec.name}"]
                )
            solara.Markdown(f"{spec.allowed}", style={"font-size": "0.8em", "margin-top": "-12px"})
        solara.Button(
            "add event" if editing.value is None else "save event",
            on_click=_save_event,
            color="primary",
            outlined=True,
            classes=["save-event"],
        )
        if editing.value is not None:
            solara.Button("cancel", on_click=lambda: _new_event_form(event_kind.value), text=True)
        if event_message.value.startswith("error"):
            with solara.Div(classes=["event-message"]):
                solara.Error(event_message.value)
        elif event_message.value:
            with solara.Div(classes=["event-message"]):
                solara.Text(event_message.value)


@solara.component
def Controls():
    with solara.Card("Scenario"):
        solara.Select(
            "packaged scenario", values=dashboard.scenario_names(), value=scenario_name, on_value=_scenario_changed
        )
        solara.InputText(
            "or your own scenario file (path)", value=own_file, continuous_update=False, on_value=_scenario_changed
        )
        try:
            dashboard.load(_reference())
        except InputError as error:
            solara.Error(" ".join(error.one_line().split()))
    with solara.Card("Run"):
        solara.Markdown(
            "Replications and seed start from the scenario file's; change them here "
            f"(at most {dashboard.MAX_PAGE_REPLICATIONS} replications in the page)."
        )
        solara.InputInt("replications", value=replications, classes=["replications"])
        solara.InputInt("seed", value=seed, classes=["seed"])
        solara.Button("run with the baseline", on_click=_run, color="primary", classes=["run-button"])
        if message.value:
            solara.Markdown(message.value, style={"font-size": "0.9em"})
    EventsCard()
    with solara.Card("Parameters"):
        solara.Select("parameter", values=NUMERIC_PARAMETERS, value=parameter.value, on_value=_parameter_picked)
        p = PARAMETERS[parameter.value]
        solara.Markdown(f"{p.unit}; range {p.low:g} to {p.high:g}; default {p.default}")
        solara.InputText("value", value=value, continuous_update=True, classes=["parameter-value"])
        solara.Button("set", on_click=_set_parameter, classes=["set-parameter"])
        if parameter_message.value:
            with solara.Div(classes=["parameter-message"]):
                solara.Error(parameter_message.value)
        solara.Markdown("Changed: " + (", ".join(f"`{k}` = {v:g}" for k, v in changes.value.items()) or "none"))
        solara.Button("reset", on_click=lambda: changes.set({}), text=True)


@solara.component
def Bands():
    result = last_run.value
    if result is None:
        solara.Info("Press 'run with the baseline' to see the bands.")
        return
    solara.FigureMatplotlib(dashboard.bands(result, HEADLINE_OUTCOMES), format="png")
    offered = dashboard.table_months(result)
    month = table_month.value if table_month.value in dashboard.months(result) else offered[0]
    solara.Select(
        "month of the table (each December and the last month)",
        values=offered,
        value=month,
        on_value=table_month.set,
        classes=["table-month"],
    )
    with solara.Div(classes=["final-medians"]):
        solara.Markdown(dashboard.medians_table(result, HEADLINE_OUTCOMES, month))


@solara.component
def PerState():
    result = last_run.value
    if result is None:
        solara.Info("Run a scenario first.")
        return
    solara.Select("state variable", values=list(STATE_OUTCOMES), value=state_variable)
    solara.FigureMatplotlib(result.results.plot("states", state_variable.value), format="png")


@solara.component
def Decisions():
    result = last_run.value
    if result is None:
        solara.Info("Run a scenario first.")
        return
    solara.FigureMatplotlib(result.results.plot("decisions"), format="png")


@solara.component
def Folders():
    root = os.environ.get("COHESION_RESULTS", "results")
    found = [str(p) for p in dashboard.results_folders(root)]
    solara.Markdown(f"Complete results folders under `{root}`: {len(found)}")
    if found:
        solara.Select("results folder", values=found, value=folder)
    else:
        solara.InputText("results folder (path)", value=folder, continuous_update=False)

    def do_open() -> None:
        try:
            opened.value = dashboard.open_folder(Path(folder.value))
        except InputError as error:
            message.value = _one_line(error)

    solara.Button("open", on_click=do_open)
    if opened.value is not None:
        solara.Markdown(f"`{opened.value.path}`: {opened.value!r}")
        solara.FigureMatplotlib(opened.value.plot("headline"), format="png")


@solara.component
def Page():
    solara.Title("Alliance cohesion — dashboard")
    with solara.Column():
        solara.Markdown("## Alliance cohesion under transatlantic stress")
        Framing()
        with solara.Columns([2, 5]):
            Controls()
            with solara.Column():
                with solara.lab.Tabs(lazy=True):
                    with solara.lab.Tab("Bands against the baseline"):
                        Bands()
                    with solara.lab.Tab("Per state"):
                        PerState()
                    with solara.lab.Tab("Decision timeline"):
                        Decisions()
                    with solara.lab.Tab("Results folders"):
                        Folders()
                Framing()
