"""``cohesion dashboard`` as a user meets it: loopback by default, --allow-remote, the printed address, and the page
itself in headless Chromium (the functions behind the page: tests/unit/dashboard/test_logic.py).

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

import pytest

from sim.cli import dashboard as serving
from sim.dashboard import logic as dashboard
from sim.util.errors import InputError
from tests.browser import free_port, local_page
from tests.helpers import ROOT

ARTEFACTS = ROOT / "tests" / "artefacts"


def test_the_dashboard_binds_to_loopback_by_default_and_checks_the_port(capsys):
    from sim.cli import build_parser, main

    args = build_parser().parse_args(["dashboard"])
    assert args.host == "127.0.0.1" and args.port == 8765
    assert main(["dashboard", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


def test_a_non_loopback_host_needs_allow_remote(capsys):
    from sim.cli import main

    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert serving.check_host(host, allow_remote=False) is None
    for host in ("0.0.0.0", "::", "", "192.0.2.1"):
        with pytest.raises(InputError, match="--allow-remote"):
            serving.check_host(host, allow_remote=False)
        warning = serving.check_host(host, allow_remote=True)
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
