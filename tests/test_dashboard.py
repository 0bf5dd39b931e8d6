"""``cohesion dashboard``: the functions behind the page, and the page itself in headless Chromium.

The browser test starts the server, loads the page with every request that
does not go to the server refused (no CDN, no internet), changes a
parameter, runs, and checks that the chart and the medians changed; then it
adds an event (a bad value first, whose one-line message the page shows),
runs again and checks the chart changed once more; it reads the table by
outcome names at another December, sets 1e400 (refused with the reason),
picks another scenario file (no changes carried over, the file's seed and
replications) and runs it; it keeps screenshots in tests/artefacts/. It is marked slow. Where no browser can be
installed it skips with one line, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from browser import free_port, local_page

from sim.dashboard import logic as dashboard
from sim.util.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "tests" / "artefacts"


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


def test_the_dashboard_binds_to_loopback_by_default_and_checks_the_port(capsys):
    from sim.cli import build_parser, main

    args = build_parser().parse_args(["dashboard"])
    assert args.host == "127.0.0.1" and args.port == 8765
    assert main(["dashboard", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


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


def test_a_non_loopback_host_needs_allow_remote(capsys):
    from sim.cli import main

    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert dashboard.check_host(host, allow_remote=False) is None
    for host in ("0.0.0.0", "::", "", "192.0.2.1"):
        with pytest.raises(InputError, match="--allow-remote"):
            dashboard.check_host(host, allow_remote=False)
        warning = dashboard.check_host(host, allow_remote=True)
        assert warning and "any file this server can read" in warning
    assert main(["dashboard", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--host: '0.0.0.0' is not a loopback address" in err
    assert "--allow-remote" in err and "any file this server can read" in err


def _run_and_wait_for_new_medians(page, before_text: str) -> None:
    """Click "run" and wait until the table of final medians differs from ``before_text``."""
    page.locator(".run-button").click()
    page.wait_for_function(
        "(before) => { const e = document.querySelector('.final-medians'); return e && e.innerText !== before }",
        arg=before_text,
        timeout=60_000,
    )


@pytest.mark.slow
def test_the_page_in_headless_chromium_with_the_network_blocked(tmp_path):
    port = free_port()
    argv = [sys.executable, "-m", "sim", "dashboard", "--port", str(port), "--results", str(tmp_path)]
    url = f"http://127.0.0.1:{port}/"
    with local_page(argv, port, tmp_path, {"width": 1500, "height": 1300}) as (page, outside):
        page.goto(url, timeout=120_000)
        page.get_by_text("not a forecast").first.wait_for(timeout=120_000)

        page.locator(".run-button").click()
        medians = page.locator(".final-medians")
        medians.wait_for(timeout=60_000)
        before_text = medians.inner_text()
        before_image = page.locator("img").first.get_attribute("src")

        field = page.get_by_label("value")
        field.fill("0.45")
        field.press("Enter")
        page.locator(".set-parameter").click()
        page.get_by_text("confidence_bound").last.wait_for(timeout=30_000)
        _run_and_wait_for_new_medians(page, before_text)
        after_image = page.locator("img").first.get_attribute("src")
        assert after_image and after_image != before_image
        text = page.inner_text("body")
        assert "confidence_bound = 0.45" in text, text[-1500:]

        # Add an event of another type: a bad value gets the scenario files' one-line message in the page,
        # a good one joins the list, and the run with it changes the chart.
        before_text = medians.inner_text()
        page.get_by_label("event type").click(force=True)  # the select's own box takes the click
        page.get_by_role("option", name="article5_doubt", exact=True).click()
        page.get_by_text("lowers US Article 5 commitment").wait_for(timeout=30_000)
        page.get_by_label("date").fill("2027-01")
        page.get_by_label("size", exact=True).fill("1.5")
        page.locator(".save-event").click()
        shown = page.locator(".event-message")
        shown.wait_for(timeout=30_000)
        assert shown.inner_text().strip() == (
            "error: baseline (with overrides): events[3].size: 1.5 is not allowed; use a number above 0, up to 1"
        )
        assert "Traceback" not in page.inner_text("body")
        page.get_by_label("size", exact=True).fill("0.9")
        page.get_by_label("decay_months (optional)").fill("60")
        page.locator(".save-event").click()
        page.get_by_text("4 events").wait_for(timeout=30_000)
        assert "2027-01 article5_doubt: size 0.9, decay_months 60" in page.inner_text("body")
        # Edit it: the form fills with its fields; the change replaces it in place.
        page.locator(".edit-event").nth(3).click()
        page.get_by_text("Edit event 4").wait_for(timeout=30_000)
        assert page.get_by_label("size", exact=True).input_value() == "0.9"
        page.get_by_label("size", exact=True).fill("0.8")
        page.locator(".save-event").click()
        page.get_by_text("size 0.8, decay_months 60").wait_for(timeout=30_000)
        assert "4 events" in page.inner_text("body")
        before_image = page.locator("img").first.get_attribute("src")
        _run_and_wait_for_new_medians(page, before_text)
        assert page.locator("img").first.get_attribute("src") != before_image
        page.get_by_text("4 events, as edited").wait_for(timeout=30_000)
        ARTEFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "dashboard-event.png"), full_page=True)
        # Remove one of the file's events: the list shrinks and says it is edited.
        page.locator(".remove-event").first.click()
        page.get_by_text("3 events").wait_for(timeout=30_000)
        # The message is drawn in its own render, which may come after the count's: wait for it.
        page.get_by_text("removed: 2025-06 set").wait_for(timeout=30_000)
        ARTEFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "dashboard.png"), full_page=True)

        # The table names the outcomes and shows any December, not only the last month.
        table = medians.inner_text()
        assert "Blocs (clusters of positions)" in table and "\nblocs\t" not in f"\n{table}", table
        assert f"Median across replications in {dashboard.load('baseline').end}" in table
        page.locator(".table-month").get_by_role("button").first.click(force=True)
        page.get_by_role("option", name="2030-12", exact=True).click()
        page.get_by_text("Median across replications in 2030-12").wait_for(timeout=30_000)

        # A value that is not a finite number is refused with that reason and the range.
        with pytest.raises(InputError) as expected:
            dashboard.parameter_value("confidence_bound", "1e400")
        field.fill("1e400")
        page.locator(".set-parameter").click()
        refused = page.locator(".parameter-message")
        refused.wait_for(timeout=30_000)
        assert refused.inner_text().strip() == "error: " + expected.value.one_line()

        # Another scenario starts from its file: no parameter or event changes; its replications and seed.
        own = tmp_path / "own.yaml"
        own.write_text("name: own\nextends: baseline\nreplications: 7\nseed: 3\n")
        assert "Changed: none" not in page.inner_text("body")
        path_box = page.get_by_label("or your own scenario file (path)")
        path_box.fill(str(own))
        path_box.press("Enter")
        page.get_by_text(f"picked {own}").wait_for(timeout=30_000)
        page.get_by_text("Changed: none").wait_for(timeout=30_000)
        assert page.locator(".replications input").input_value() == "7"
        assert page.locator(".seed input").input_value() == "3"
        assert "(as in the file)" in page.inner_text("body")
        before_text = medians.inner_text()
        _run_and_wait_for_new_medians(page, before_text)
        page.get_by_text("7 replications each").wait_for(timeout=30_000)
        assert "no parameter changed" in page.inner_text("body")
        page.screenshot(path=str(ARTEFACTS / "dashboard-own-file.png"), full_page=True)
    assert not outside, f"the page asked for {outside[:3]}"


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
        dashboard.quiet_cookie_warning()
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


@pytest.mark.parametrize(("host", "url"), [("::1", "http://[::1]:8798/"), ("127.0.0.1", "http://127.0.0.1:8798/")])
def test_the_printed_address_of_an_ipv6_host_has_brackets(monkeypatch, capsys, host, url):
    from sim.cli import main

    pytest.importorskip("solara", reason="the dashboard extra is not installed")
    import uvicorn

    for name in ("SOLARA_APP", "SOLARA_ASSETS_PROXY", "COHESION_RESULTS"):
        monkeypatch.setenv(name, "")  # restored after the test
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
    assert main(["dashboard", "--host", host, "--port", "8798"]) == 0
    assert served == [{"host": host, "port": 8798, "log_level": "warning"}]
    assert f"dashboard on {url} " in capsys.readouterr().err


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
