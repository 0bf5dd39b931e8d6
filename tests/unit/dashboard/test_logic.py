"""The functions behind ``cohesion dashboard`` (sim/dashboard/logic.py and app.py): runs, scenario changes, events
and parameter values from the form with their one-line reasons, the medians table, results folders, and the state
of the Solara page."""

from __future__ import annotations

import pytest

from sim.cli import dashboard as serving
from sim.dashboard import logic as dashboard
from sim.util.errors import InputError


def test_simulate_runs_the_scenario_and_the_baseline_with_the_same_seeds():
    scenario = dashboard.changed("us_drawdown", {"confidence_bound": 0.3}, {0}, replications=5, seed=2)
    written = dashboard.load("us_drawdown").events
    assert scenario.parameters["confidence_bound"] == 0.3 and scenario.events == written[1:]
    result = dashboard.simulate(scenario)
    assert result.baseline.name == "baseline"
    assert list(result.results.model["seed"].unique()) == list(result.baseline.model["seed"].unique())
    figure = dashboard.bands(result, ("cohesion", "blocs"))
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 2
    medians = dashboard.final_medians(result, ("cohesion",))
    assert set(medians) == {"cohesion"}
    with pytest.raises(InputError, match="confidence_bound"):
        dashboard.changed("baseline", {"confidence_bound": 9.0})


def test_events_are_added_edited_and_removed_through_the_scenario_file_checks():
    written = [e.model_dump(mode="json") for e in dashboard.load("baseline").events]
    kind, texts = dashboard.event_as_form(dashboard.load("us_drawdown").events[-1])
    assert kind == "us_troops" and texts["unit"] == "thousands" and float(texts["change"]) < 0
    # Every registered type has a form whose fields say what they take.
    assert set(dashboard.event_types()) == set(dashboard.EVENT_TYPES)
    for kind in dashboard.event_types():
        fields = dashboard.event_fields(kind)
        assert fields[0].name == "date" and fields[0].required and all(f.allowed for f in fields)
    hybrid = {f.name: f for f in dashboard.event_fields("hybrid_campaign")}
    assert not hybrid["targets"].required and "ISO3" in hybrid["targets"].allowed
    assert dashboard.event_fields("election")[2].choices == ("mainstream", "accommodationist")

    event = dashboard.event_from_form(
        "hybrid_campaign", {"date": "2027-03", "multiplier": "6", "targets": "[EST, LVA]", "region": ""}, "events[9]"
    )
    assert event == {"type": "hybrid_campaign", "date": "2027-03", "multiplier": 6, "targets": ["EST", "LVA"]}
    added = dashboard.with_event("baseline", written, event)
    assert added[:-1] == written and added[-1] is event
    coercion = {"type": "coercion", "date": "2027-01", "target": "DNK", "size": 0.4}
    edited = dashboard.with_event("baseline", added, coercion, index=len(added) - 1)
    assert edited[-1] == coercion and len(edited) == len(added)

    scenario = dashboard.changed("baseline", events=edited, replications=3, seed=1)
    assert scenario.name == "baseline_changed" and scenario.events[-1].target == "DNK"
    removed = dashboard.changed("baseline", events=edited[:-1], replications=3, seed=1)
    assert len(removed.events) == len(written)
    with pytest.raises(InputError, match="no event 9 any more"):
        dashboard.with_event("baseline", written, coercion, index=8)
    # The file's own events are no change.
    assert dashboard.changed("baseline", events=written).name == "baseline"

    # Bad values are refused with the scenario files' one-line messages, naming the event and field.
    for texts, field, words in [
        ({"date": "2027-01", "target": "XYZ", "size": "0.4"}, "target", "ISO3"),
        ({"date": "2027-01", "target": "DNK", "size": "3"}, "size", "0"),
        ({"date": "2050-01", "target": "DNK", "size": "0.4"}, "date", "outside the run"),
        ({"date": "2027-01", "size": "0.4"}, "target", "missing"),
        ({"date": "2027-01", "target": "DNK", "size": "[0.4"}, "size", "YAML"),
    ]:
        with pytest.raises(InputError) as caught:
            dashboard.with_event("baseline", written, dashboard.event_from_form("coercion", texts, "events[5]"))
        line = caught.value.one_line()
        assert "\n" not in line and f".{field}" in line and words in line, line
        assert caught.value.field.startswith("events[")


def test_a_run_takes_the_scenario_files_seed_and_replications(tmp_path):
    own = tmp_path / "own.yaml"
    own.write_text("name: own\nextends: baseline\nreplications: 7\nseed: 3\n")
    assert dashboard.run_settings(own) == (7, 3)
    assert dashboard.run_settings("us_drawdown") == (50, 20250625)
    scenario = dashboard.changed(own)
    assert (scenario.replications, scenario.seed) == (7, 3)
    scenario = dashboard.changed(own, {"confidence_bound": 0.3}, replications=2, seed=9)  # edited in the page
    assert (scenario.replications, scenario.seed) == (2, 9)


def test_picking_another_scenario_starts_from_its_file(tmp_path):
    pytest.importorskip("solara", reason="the dashboard extra is not installed")
    from sim.dashboard import app

    own = tmp_path / "own.yaml"
    own.write_text("name: own\nextends: baseline\nreplications: 7\nseed: 3\n")
    assert (app.replications.value, app.seed.value) == dashboard.run_settings("baseline")
    try:
        app.parameter.value, app.value.value = "confidence_bound", "0.45"
        app._set_parameter()
        app.replications.value = 4
        app._set_events(app._events()[1:])
        assert app.changes.value == {"confidence_bound": 0.45} and app.edited_events.value
        app.own_file.value = str(own)
        app._scenario_changed()
        assert app.changes.value == {} and app.edited_events.value == {}
        assert (app.replications.value, app.seed.value) == (7, 3)
        assert len(app._events()) == len(dashboard.load(own).events)
        # The value field follows the parameter picked; a bad value is refused with the reason and the range.
        app._parameter_picked("burden_sensitivity")
        assert app.value.value == str(dashboard.PARAMETERS["burden_sensitivity"].default)
        app.value.value = "1e400"
        app._set_parameter()
        assert "1e400 is not a finite number; use a number from" in app.parameter_message.value
        assert app.changes.value == {}
    finally:
        app.own_file.value = ""
        app._scenario_changed()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1e400", "1e400 is not a finite number; use {allowed}"),
        ("-1e999", "-1e999 is not a finite number; use {allowed}"),
        ("abc", "'abc' is not a number; use {allowed}"),
        ("", "is empty; use {allowed}"),
        ("9", "9.0 is out of range; use {allowed}"),
    ],
)
def test_a_parameter_value_gets_the_real_reason_and_the_range(text, words):
    allowed = dashboard.PARAMETERS["confidence_bound"].allowed()
    assert allowed.startswith("a number from ")
    with pytest.raises(InputError) as caught:
        dashboard.parameter_value("confidence_bound", text)
    assert caught.value.field == "parameters.confidence_bound"
    assert words.format(allowed=allowed) in caught.value.one_line()


def test_numbers_in_event_fields_are_numbers_and_must_be_finite():
    assert dashboard.parameter_value("confidence_bound", "2.5e-1") == 0.25
    event = dashboard.event_from_form("coercion", {"date": "2027-01", "target": "DNK", "size": "4e-1"}, "events[3]")
    assert event["size"] == 0.4  # YAML alone reads '4e-1' as text
    for text in ("1e400", ".inf", "-.inf"):
        with pytest.raises(InputError) as caught:
            dashboard.event_from_form("coercion", {"date": "2027-01", "target": "DNK", "size": text}, "events[3]")
        line = caught.value.one_line()
        assert caught.value.field == "events[3].size" and f"{text} is not a finite number; use a number" in line


def test_the_table_names_outcomes_and_shows_any_december():
    result = dashboard.simulate(dashboard.changed("us_drawdown", replications=3, seed=2))
    months = dashboard.months(result)
    offered = dashboard.table_months(result)
    assert offered[0] == months[-1] and "2030-12" in offered and all(m in months for m in offered)
    table = dashboard.medians_table(result, ("cohesion", "blocs"), "2030-12")
    assert "Median across replications in 2030-12" in table and "Blocs (clusters of positions)" in table
    assert "| blocs |" not in table and "| cohesion |" not in table
    assert dashboard.medians_at(result, ("cohesion",), months[-1]) == dashboard.final_medians(result, ("cohesion",))
    assert dashboard.medians_at(result, ("cohesion",), "2030-12") != dashboard.final_medians(result, ("cohesion",))
    with pytest.raises(InputError, match="not a month of the run"):
        dashboard.medians_at(result, ("cohesion",), "1999-12")
    for name in dashboard.OUTCOME_DEFINITIONS:  # every outcome of the registry has a name in words
        assert dashboard.outcome_label(name) != name and "\n" not in dashboard.outcome_label(name)


def test_results_folders_on_disk_are_listed_and_opened(tmp_path):
    import sim

    folder = sim.run(sim.Scenario.load("baseline").with_overrides(end="2026-03"), replications=2, seed=1).save(
        tmp_path / "baseline-1"
    )
    (tmp_path / "not-a-results-folder").mkdir()
    assert dashboard.results_folders(tmp_path) == [folder]
    assert dashboard.results_folders(tmp_path / "missing") == []
    opened = dashboard.open_folder(folder)
    assert opened.replications == 2 and opened.path == folder
    with pytest.raises(InputError):
        dashboard.open_folder(tmp_path / "not-a-results-folder")


def test_solaras_cookie_advice_over_plain_http_is_not_printed(recwarn):
    import warnings

    with warnings.catch_warnings():
        serving.quiet_cookie_warning()
        warnings.warn(
            "Cookies with samesite=none require https, but according to the asgi framework, the scheme is 'http'",
            UserWarning,
            stacklevel=1,
        )
        warnings.warn("any other warning", UserWarning, stacklevel=1)
    assert [str(w.message) for w in recwarn] == ["any other warning"]


def test_the_page_runs_at_most_a_stated_number_of_replications():
    limit = dashboard.MAX_PAGE_REPLICATIONS
    assert dashboard.changed("baseline", replications=limit).replications == limit
    with pytest.raises(InputError) as caught:
        dashboard.changed("baseline", replications=100_000)
    line = caught.value.one_line()
    assert line.startswith("replications: 100000 ") and f"at most {limit}" in line and "\n" not in line


def test_the_page_says_so_in_one_line_when_asked_for_too_many_replications():
    pytest.importorskip("solara", reason="the dashboard extra is not installed")
    from sim.dashboard import app

    before = app.replications.value
    try:
        app.replications.value = 100_000
        app._run()
        assert app.message.value.startswith("error: replications: 100000 "), app.message.value
        assert f"at most {dashboard.MAX_PAGE_REPLICATIONS}" in app.message.value
    finally:
        app.replications.value = before
        app.message.value = ""


def test_the_dashboard_takes_labels_and_the_0_1_axis_from_the_outcome_registry(monkeypatch):
    import dataclasses

    import sim
    from sim.rules.outcomes import OUTCOMES

    scenario = sim.Scenario.load("baseline").with_overrides(end="2026-03")
    short = sim.run(scenario, replications=2, seed=1)
    result = dashboard.Run(scenario, short, short)
    outcomes = ("cohesion_positions", "war_fatigue", "blocs")
    figure = dashboard.bands(result, outcomes)
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_ylim() == (0.0, 1.0) for ax in panels] == [True, True, False]  # every 0-1 outcome of the registry
    monkeypatch.setitem(OUTCOMES, "blocs", dataclasses.replace(OUTCOMES["blocs"], label="Camps\n(groups)"))
    assert dashboard.outcome_label("blocs") == "Camps (groups)"
    assert dashboard.bands(result, ("blocs",)).axes[0].get_title() == "Camps\n(groups)"
