"""The page of ``cohesion dashboard`` (Solara): pick, change, run, compare with the baseline, open folders.

Served by :func:`sim.dashboard.main`; the work is done by :mod:`sim.dashboard`
and :mod:`sim.api`. Every view carries the line "Illustrative scenario
exploration — not a forecast".
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import solara

from sim import DISCLAIMER, dashboard
from sim.errors import InputError
from sim.metrics import HEADLINE_OUTCOMES
from sim.params import PARAMETERS
from sim.plots import STATE_LABELS

NUMERIC_PARAMETERS = sorted(name for name, p in PARAMETERS.items() if not p.is_categorical)

scenario_name = solara.reactive("baseline")
own_file = solara.reactive("")
parameter = solara.reactive("confidence_bound")
value = solara.reactive(float(PARAMETERS["confidence_bound"].default))
changes: solara.Reactive[dict] = solara.reactive({})
dropped = solara.reactive(frozenset())
replications = solara.reactive(dashboard.DEFAULT_REPLICATIONS)
seed = solara.reactive(0)
last_run = solara.reactive(None)
message = solara.reactive("")
state_variable = solara.reactive("us_trust")
folder = solara.reactive("")
opened = solara.reactive(None)


def _reference() -> str:
    return own_file.value.strip() or scenario_name.value


def _run() -> None:
    try:
        scenario = dashboard.changed(
            _reference(), changes.value, dropped.value, int(replications.value), int(seed.value)
        )
        started = time.perf_counter()
        result = dashboard.simulate(scenario)
        elapsed = time.perf_counter() - started
    except InputError as error:
        message.value = "error: " + " ".join(error.one_line().split())
        return
    last_run.value = result
    shown = ", ".join(f"{k} = {v:g}" for k, v in changes.value.items()) or "no parameter changed"
    message.value = (
        f"ran {scenario.name} and {dashboard.BASELINE}, {scenario.replications} replications each "
        f"in {elapsed:.1f} s ({shown})"
    )


def _set_parameter() -> None:
    try:
        checked = PARAMETERS[parameter.value].check(float(value.value))
    except InputError as error:
        message.value = "error: " + " ".join(error.one_line().split())
        return
    changes.value = {**changes.value, parameter.value: checked}


@solara.component
def Framing():
    solara.Warning(f"{DISCLAIMER}. Bands show the spread across replications of the model's own randomness.")


@solara.component
def Controls():
    with solara.Card("Scenario"):
        solara.Select("packaged scenario", values=dashboard.scenario_names(), value=scenario_name)
        solara.InputText("or your own scenario file (path)", value=own_file, continuous_update=False)
        try:
            events = dashboard.load(_reference()).events
        except InputError as error:
            solara.Error(" ".join(error.one_line().split()))
            events = ()
        if events:
            solara.Markdown("**Events** (untick to leave one out)")
        for k, event in enumerate(events):

            def toggle(on: bool, k: int = k) -> None:
                dropped.value = dropped.value - {k} if on else dropped.value | {k}

            solara.Checkbox(label=f"{event.date} {event.type}", value=k not in dropped.value, on_value=toggle)
    with solara.Card("Parameters"):
        solara.Select("parameter", values=NUMERIC_PARAMETERS, value=parameter)
        p = PARAMETERS[parameter.value]
        solara.Markdown(f"{p.unit}; range {p.low:g} to {p.high:g}; default {p.default}")
        solara.InputFloat("value", value=value, continuous_update=False)
        solara.Button("set", on_click=_set_parameter, classes=["set-parameter"])
        solara.Markdown("Changed: " + (", ".join(f"`{k}` = {v:g}" for k, v in changes.value.items()) or "none"))
        solara.Button("reset", on_click=lambda: changes.set({}), text=True)
    with solara.Card("Run"):
        solara.InputInt("replications", value=replications)
        solara.InputInt("seed", value=seed)
        solara.Button("run with the baseline", on_click=_run, color="primary", classes=["run-button"])
        if message.value:
            solara.Markdown(message.value, style={"font-size": "0.9em"})


@solara.component
def Bands():
    result = last_run.value
    if result is None:
        solara.Info("Press 'run with the baseline' to see the bands.")
        return
    solara.FigureMatplotlib(dashboard.bands(result, HEADLINE_OUTCOMES), format="png")
    rows = "\n".join(
        f"| {name} | {a:.3f} | {b:.3f} | {a - b:+.3f} |"
        for name, (a, b) in dashboard.final_medians(result, HEADLINE_OUTCOMES).items()
    )
    with solara.Div(classes=["final-medians"]):
        solara.Markdown(
            f"Median in the last month\n\n| outcome | {result.scenario.name} | baseline | difference |\n"
            f"|---|---|---|---|\n{rows}"
        )


@solara.component
def PerState():
    result = last_run.value
    if result is None:
        solara.Info("Run a scenario first.")
        return
    solara.Select("state variable", values=list(STATE_LABELS), value=state_variable)
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
            message.value = "error: " + " ".join(error.one_line().split())

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
        with solara.Columns([1, 3]):
            Controls()
            with solara.Column():
                with solara.lab.Tabs():
                    with solara.lab.Tab("Bands against the baseline"):
                        Bands()
                    with solara.lab.Tab("Per state"):
                        PerState()
                    with solara.lab.Tab("Decision timeline"):
                        Decisions()
                    with solara.lab.Tab("Results folders"):
                        Folders()
                Framing()
