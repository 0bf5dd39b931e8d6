"""report.md: the sentences a reader needs, each with the run's own numbers.

The baseline's drift (its change without any shock, from the first year after its last event to the last
year), who stopped which decision and what unblocking it cost, and what drives spending.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

import sim
from sim.inputs.parameters import PARAMETERS
from sim.reporting.reports import run as report
from sim.scenarios.scenario import load


@pytest.fixture(scope="module")
def drawdown():
    # At the registry defaults: the unblocking table's months are then veto_delay_months itself (a posterior
    # run draws it per replication).
    results = sim.run("us_drawdown", replications=6, seed=2, uncertainty="none")
    reference = results._behind.baseline  # run with it, once
    return results, reference


def _window_change(model: pd.DataFrame, outcome: str, first: list[str], last: list[str]) -> tuple[float, ...]:
    """Medians over runs of the mean of ``outcome`` in each window, and of its per-run change (by hand)."""
    month = model["date"].astype(str).str[:7]
    early = model[month.isin(first)].groupby("run")[outcome].mean()
    late = model[month.isin(last)].groupby("run")[outcome].mean()
    return early.median(), late.median(), (late - early).median()


def test_the_report_states_the_baseline_drift_with_its_numbers(drawdown):
    results, reference = drawdown
    assert reference is not None
    text = report.render(results.manifest, results._tables, [], reference)
    drift = text.split("**Baseline drift.**")[1].split("\n")[0]
    last_event = max(e.date for e in load("baseline").events)
    assert f"With no shock after {last_event}" in drift
    months = sorted(str(d)[:7] for d in reference.model["date"].unique())
    first = [m for m in months if m > last_event][:12]
    last = months[-12:]
    assert f"({first[0]} to {first[-1]})" in drift and f"({last[0]} to {last[-1]})" in drift
    for outcome, words in (("cohesion", "Cohesion"), ("ukraine_support", "Support for Ukraine")):
        before, after, change = _window_change(reference.model, outcome, first, last)
        assert f"{words} {change:+.2f} ({before:.2f} to {after:.2f})" in drift, drift
        own = _window_change(results._tables.model, outcome, first, last)[2]
        net = drift.split("own change over the same years is about:")[1]
        assert f"{words} {own - change:+.2f}" in net, net
    # The channel of the drift, counted: accommodationist governments at the start and the end.
    governments = re.search(r"accommodationist governments go from (\d+\.\d) to (\d+\.\d)", drift)
    assert governments, drift
    agents = reference.agents.assign(month=reference.agents["date"].astype(str).str[:7])
    per = agents.assign(a=agents["government"] == "accommodationist").groupby(["run", "month"])["a"].sum()
    per = per.reset_index()
    assert float(governments.group(2)) == pytest.approx(
        per[per["month"].isin(last)].groupby("run")["a"].mean().median(), abs=0.05
    )
    assert "`cohesion compare`" in drift
    assert "What drives spending" in text
    # Each state that moved most is set beside its own move in the baseline, same seeds.
    moved = text.split("## States that moved most")[1].split("## Figures")[0]
    first = re.search(r"- \*\*([A-Z]{3})\*\*: (trust in the US|support for Ukraine|preference for autonomy)", moved)
    assert first, moved
    variable = {v: k for k, v in report.MOVERS.items()}[first.group(2)]
    steps = reference.agents["step"]
    rows = reference.agents[(reference.agents["iso3"] == first.group(1)) & steps.isin([steps.min(), steps.max()])]
    start, end = rows.groupby("step")[variable].median().to_numpy()
    assert f"In the baseline, same seeds: from {start:.2f} to {end:.2f}." in moved.split("\n- ")[1], moved


def test_the_baseline_report_explains_its_own_drift_and_others_say_why_not():
    base = sim.run("baseline", replications=3, seed=5)
    text = report.render(base.manifest, base._tables, [], None)
    drift = text.split("**Baseline drift.**")[1].split("\n")[0]
    assert "cohesion moves most through its" in drift and "Net of" not in drift
    hindcast = sim.run("hindcast_2022", replications=2, seed=1)
    assert "cannot be set against the packaged baseline" in report.render(hindcast.manifest, hindcast._tables, [], None)


def test_the_report_names_who_stopped_what_and_what_unblocking_cost(drawdown):
    results, _ = drawdown
    events = results._tables.events
    table = report.unblocking_table(events, results.replications)
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in table.splitlines()[2:]}
    renewal = rows["eu sanctions renewal"]
    # Renewals are stopped by the states that link them, and pass after a concession
    # veto_delay_months later (docs/ODD.md, 7.9.2).
    stoppers = set(re.findall(r"[A-Z]{3}", renewal[2]))
    assert stoppers & {"HUN", "SVK", "CYP"}
    assert float(renewal[3]) > 0 and renewal[4] == f"{PARAMETERS['veto_delay_months'].default}"
    votes = events[events["item"] == "eu_sanctions_renewal"]
    conceded = votes[votes["outcome"] == "passed_after_concession"]
    assert float(renewal[3]) == pytest.approx(round(len(conceded) / results.replications, 1))
    assert set(re.findall(r"[A-Z]{3}", renewal[5])) <= set(
        code for detail in conceded["detail"] for code in re.findall(r"[A-Z]{3}", detail)
    )
    assert report.unblocking_table(events.iloc[0:0], 1) == ""


def test_the_report_takes_labels_formats_and_definitions_from_the_outcome_registry(monkeypatch):
    import dataclasses

    from sim.rules.outcomes import OUTCOMES

    short = sim.run(load("baseline").with_overrides(end="2026-03"), replications=2, seed=1)
    changed = {
        "blocs": dataclasses.replace(OUTCOMES["blocs"], label="Camps\n(groups of states)", definition="camps"),
        "cohesion": dataclasses.replace(OUTCOMES["cohesion"], decimals=4),
    }
    for name, record in changed.items():
        monkeypatch.setitem(OUTCOMES, name, record)
    text = report.render(short.manifest, short._tables, [], None)
    assert re.search(r"^\| Camps \(groups of states\) \| \d+ \[", text, flags=re.MULTILINE)
    assert "- **Camps (groups of states)**: camps." in text
    assert re.search(r"^\| Cohesion \(mean of .*?\) \| \d\.\d{4} \[\d\.\d{4}–\d\.\d{4}\] \|", text, flags=re.MULTILINE)
    assert "Blocs (clusters of positions)" not in text


def test_the_report_names_the_trust_channel_of_each_european_ally(drawdown):
    results, reference = drawdown
    text = report.render(results.manifest, results._tables, [], reference)
    order = [text.index(h) for h in ("## States that moved most", "## What drove trust in the US", "## Figures")]
    assert order == sorted(order)
    section = text.split("## What drove trust in the US")[1].split("## Figures")[0]
    assert "trust, paired change" in section
    rows = {
        cells[0]: cells[1:]
        for line in section.splitlines()
        if re.fullmatch(r"[A-Z]{3}", (cells := [c.strip() for c in line.strip("|").split("|")])[0])
    }
    agents, base = results._tables.agents, reference.agents
    steps = agents["step"]
    allies = agents[(steps == steps.min()) & agents["nato_member"] & ~agents["iso3"].isin(["USA", "CAN"])]["iso3"]
    assert set(rows) == set(allies.astype(str))
    # Germany's garrison is cut first: its troops part carries its paired change, read through its own garrison.
    assert rows["DEU"][4] == "US troops: its own garrison"

    # Each paired change is the scenario's change minus the baseline's, same run, then the median (by hand).
    def change(table: pd.DataFrame, iso3: str) -> pd.Series:
        rows = table[(table["iso3"] == iso3) & table["step"].isin([steps.min(), steps.max()])].sort_values("step")
        return rows.groupby("run")["us_trust"].agg(lambda s: s.iloc[-1] - s.iloc[0])

    paired = {code: (change(agents, code) - change(base, code)).median() for code in rows}
    assert rows["DEU"][0] == f"{paired['DEU']:+.3f}"
    spread = pd.Series(paired).std(ddof=0)
    assert f"standard deviation of {spread:.3f}" in " ".join(section.split())


def test_an_old_folder_without_the_trust_parts_still_renders(drawdown):
    results, _ = drawdown
    tables = results._tables
    old = type(tables)(tables.model, tables.agents.drop(columns=["trust_words", "trust_boots"]), tables.events)
    text = report.render(results.manifest, old, [], None)
    section = text.split("## What drove trust in the US")[1].split("## Figures")[0]
    assert "older version of the model" in section and "|" not in section
