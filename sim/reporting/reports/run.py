"""report.md: a results folder explained to a policy reader.

The report tells the scenario's story (its description and the comment that
opens its file), gives key outcomes in December 2030 and 2035 with their
spread across replications, shows the figures, summarises the decisions,
and says plainly what the numbers are and are not.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.about import DISCLAIMER
from sim.reporting.figures.run import blocker_counts, scenario_events
from sim.rules.outcomes import COHESION_COMPONENTS, HEADLINE_OUTCOMES, KEY_OUTCOMES, OUTCOMES, label
from sim.runs.replications import Results
from sim.util.files import write_atomically

# What the bands of the headline figure hold: chance alone, or the posterior's parameters with chance.
HEADLINE_SPREAD = {
    False: "the spread the model's own randomness (incidents, elections, votes, noise) gives under these "
    "assumptions, not a forecast error",
    True: "the spread of the calibrated parameters' posterior draws together with the model's own randomness, "
    "not a forecast error (the last section separates the two)",
}
HEADLINE_CAPTION = (
    "Headline outcomes. The line is the median over replications, the bands hold the middle "
    "50 % and 90 % of replications: {spread}."
)
FIGURE_CAPTIONS = {
    "headline.png": HEADLINE_CAPTION.format(spread=HEADLINE_SPREAD[False]),
    "spending.png": "Defence spending of European allies (GDP-weighted) against the 2 % and 3.5 % lines, with the "
    "pledge path the model's states measure themselves against, and how many allies reach each line.",
    "positions.png": "Where the states stand: preference for European autonomy (across) and support for Ukraine "
    "(up), median over replications, at four dates. Closer points mean a more cohesive alliance. The four panels "
    "share one frame, fitted to the part of the 0-1 square the states occupy (read the axes).",
    "decisions.png": "Top: the decisions of one typical run (the one whose final cohesion is the median) and the "
    "states that delayed or blocked them. Bottom: who stops decisions most often, over all runs.",
    "states_threat.png": "Perceived threat by state (median over replications), grouped by region.",
    "states_us_trust.png": "Trust in the US by state (median over replications), grouped by region.",
    "states_spending_pct_gdp.png": "Defence spending by state (median over replications), with the 2 % and 3.5 % "
    "lines for NATO allies.",
    "states_autonomy.png": "Preference for European autonomy by state (median over replications).",
    "states_ukraine_support.png": "Support for Ukraine by state (median over replications).",
    "states_us_troops_k.png": "US troops stationed in each state, thousands (median over replications).",
}


def caption(figure: str, posterior: bool = False) -> str:
    """The caption of a figure of the report by its file name ('' for another); ``posterior``: the run drew
    its parameters from the posterior, so the headline bands hold parameters and chance together."""
    if figure == "headline.png":
        return HEADLINE_CAPTION.format(spread=HEADLINE_SPREAD[posterior])
    return FIGURE_CAPTIONS.get(figure, "")


def _label(outcome: str) -> str:
    return label(outcome)


def _cell(values: pd.Series, outcome: str) -> str:
    low, median, high = values.quantile([0.05, 0.5, 0.95])
    record = OUTCOMES[outcome]
    return f"{record.text(median)} [{record.text(low)}–{record.text(high)}]"


def report_dates(dates: list[str]) -> list[str]:
    """The first month, December 2030 and 2035 when inside the run, and the last month if not already there."""
    chosen = [dates[0]] + [d for d in ("2030-12", "2035-12") if d in dates[1:]]
    if dates[-1] not in chosen:
        chosen.append(dates[-1])
    return chosen


def outcomes_table(model: pd.DataFrame) -> str:
    dates = sorted(model["date"].unique())
    columns = report_dates(dates)
    header = "| outcome | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns) + "\n"
    rows = []
    for outcome in KEY_OUTCOMES:
        cells = [_cell(model.loc[model["date"] == d, outcome], outcome) for d in columns]
        rows.append(f"| {_label(outcome)} | " + " | ".join(cells) + " |")
    return header + "\n".join(rows) + "\n"


def decisions_table(events: pd.DataFrame, runs: int) -> str:
    votes = events[events["body"].isin(["EU", "NATO"]) & (events["rule"] != "coalition_of_the_willing")]
    if votes.empty:
        return "No EU or NATO decision came up in this period.\n"
    lines = [
        "| decision | body | rule | votes per run | passed | passed after concession | delayed | blocked |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (item, body), group in votes.groupby(["item", "body"], sort=True):
        share = group["outcome"].value_counts(normalize=True)
        rule = ", ".join(sorted(group["rule"].unique()))
        cells = [
            f"{100 * share.get(o, 0.0):.0f} %" for o in ("passed", "passed_after_concession", "delayed", "blocked")
        ]
        lines.append(
            f"| {item.replace('_', ' ')} | {body} | {rule} | {len(group) / runs:.1f} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def _blockers_sentence(events: pd.DataFrame, runs: int) -> str:
    table = blocker_counts(events, runs).head(5)
    if table.empty:
        return "No state delayed or blocked a decision in any run."
    parts = [
        f"{state} ({row['total']:.1f} times per run, {row['blocked']:.1f} of them final blocks)"
        for state, row in table.iterrows()
    ]
    sentence = "The states that most often delay or block decisions: " + ", ".join(parts) + "."
    us = events[events["blockers"].astype(str).str.contains("USA")]
    if not us.empty:
        items = ", ".join(sorted({str(i).replace("_", " ") for i in us["item"]}))
        sentence += (
            f" The United States, a NATO ally, delayed or blocked NATO decisions {len(us) / runs:.1f} times per "
            f"run ({items}): in the model the US backs NATO posture decisions only while its commitment to "
            "Europe is at or above `us_nato_commitment_threshold`, and votes no below it."
        )
    return sentence


def _codes(blockers: Any) -> list[str]:
    """ISO3 codes of a blockers cell: a list, or text joined with ';' (the engine's tables)."""
    if isinstance(blockers, str):
        return [code for code in blockers.split(";") if code]
    return [str(code) for code in blockers]


def unblocking_table(events: pd.DataFrame, runs: int) -> str:
    """Who blocked what, and what it cost to unblock it, per decision item.

    For each item: how often per run a vote was stopped, the states that stopped it most often, how often
    a re-vote then passed with a concession, the median months between the stopped vote and that re-vote,
    the states the concessions went to, and how often the item was blocked for good. Empty if no vote
    was ever stopped.
    """
    votes = events[events["body"].isin(["EU", "NATO"]) & (events["rule"] != "coalition_of_the_willing")]
    votes = votes.sort_values(["run", "item", "step"])
    stopped = votes["outcome"].isin(["delayed", "blocked"])
    if not stopped.any():
        return ""
    previous_step = votes.groupby(["run", "item"], observed=True)["step"].shift()
    lines = [
        "| decision | stopped (per run) | stopped most often by | passed after a concession (per run) "
        "| months lost (median) | concessions went to | blocked for good (per run) |",
        "|---|---|---|---|---|---|---|",
    ]
    for item, group in votes.groupby("item", sort=True, observed=True):
        halted = group[group["outcome"].isin(["delayed", "blocked"])]
        if halted.empty:
            continue
        blockers = pd.Series([code for codes in halted["blockers"] for code in _codes(codes)], dtype=object)
        top = ", ".join(f"{code} ({n / runs:.1f})" for code, n in blockers.value_counts().head(3).items()) or "—"
        conceded = group[group["outcome"] == "passed_after_concession"]
        lost = (conceded["step"] - previous_step.loc[conceded.index]).dropna()
        receivers = conceded["detail"].astype(str).str.extract(r"concession to ([A-Z;]+)")[0].dropna()
        receivers = pd.Series([c for codes in receivers for c in codes.split(";")], dtype=object)
        went_to = ", ".join(f"{code} ({n / runs:.1f})" for code, n in receivers.value_counts().head(3).items()) or "—"
        months = f"{lost.median():.0f}" if not lost.empty else "—"
        final = (group["outcome"] == "blocked").sum()
        lines.append(
            f"| {str(item).replace('_', ' ')} | {len(halted) / runs:.1f} | {top} | {len(conceded) / runs:.1f} | "
            f"{months} | {went_to} | {final / runs:.1f} |"
        )
    return "\n".join(lines) + "\n"


def _year_windows(dates: list[str], after: str | None) -> tuple[list[str], list[str]]:
    """The first twelve months after ``after`` (or from the start) and the last twelve months of ``dates``."""
    later = [d for d in dates if after is None or d > after] or dates
    return later[:12], dates[-12:]


def _window_label(window: list[str]) -> str:
    return window[0] if len(window) == 1 else f"{window[0]} to {window[-1]}"


def drift(model: pd.DataFrame, after: str | None, outcomes: tuple[str, ...] = HEADLINE_OUTCOMES) -> pd.DataFrame:
    """Each outcome's change from the first year after ``after`` (YYYY-MM) to the last year of the run.

    Per replication, the mean over the twelve months after ``after`` (the run's first twelve months if
    None) and over the run's last twelve months; returns one row per outcome with the medians over
    replications of ``first``, ``last`` and ``change`` (their difference per replication), and the two
    windows as text (``from``, ``to``).
    """
    dates = sorted(str(d)[:7] for d in model["date"].unique())
    first, last = _year_windows(dates, after)
    month = model["date"].astype(str).str[:7]
    early = model[month.isin(first)].groupby("run")[list(outcomes)].mean()
    late = model[month.isin(last)].groupby("run")[list(outcomes)].mean()
    table = pd.DataFrame(
        {"first": early.median(), "last": late.median(), "change": (late - early).median()}, index=list(outcomes)
    )
    return table.assign(**{"from": _window_label(first), "to": _window_label(last)})


def _short_label(outcome: str) -> str:
    return re.sub(r"\s*\(.*?\)", "", _label(outcome)).strip()


def _change_words(row: pd.Series, outcome: str) -> str:
    record = OUTCOMES[outcome]
    first, last = record.text(row["first"], averaged=True), record.text(row["last"], averaged=True)
    return f"{_short_label(outcome)} {row['change']:+.2f} ({first} to {last})"


def drift_sentences(
    scenario: dict[str, Any], model: pd.DataFrame, agents: pd.DataFrame, reference: Results | None
) -> str:
    """One or two plain sentences on the baseline's drift, so a reader knows what moves without any shock.

    The baseline's change in the headline outcomes (:func:`drift`) from the first year after its last
    event to the last year, medians over replications; for a scenario run with the baseline behind
    (``reference``, same seeds), the scenario's own change beside it. For the baseline itself the count
    of accommodationist governments, the main channel of the drift, is given too.
    """
    is_baseline = reference is None and scenario.get("name") == "baseline"
    if reference is None and not is_baseline:
        return (
            "This run cannot be set against the packaged baseline (other months, parents or data), so its "
            "drift without shocks is not shown; `cohesion run baseline` shows the baseline's own drift."
        )
    base_model = model if is_baseline else reference.model
    base_events = scenario.get("events", []) if is_baseline else []
    if not is_baseline:
        from sim.scenarios.scenario import load

        base_events = [e.model_dump(mode="json") for e in load("baseline").events]
    after = max((str(e["date"]) for e in base_events), default=None)
    base = drift(base_model, after)
    changes = "; ".join(_change_words(base.loc[o], o) for o in base.index)
    since = f"after {after}" if after else "at all"
    parts = drift(base_model, after, COHESION_COMPONENTS)["change"]
    biggest = parts.abs().idxmax()
    governments = ""
    base_agents = agents if is_baseline else reference.agents
    if not base_agents.empty and "government" in base_agents:
        month = base_agents["date"].astype(str).str[:7]
        first, last = _year_windows(sorted(month.unique()), after)
        counts = base_agents.assign(acc=base_agents["government"].astype(str) == "accommodationist", month=month)
        per = counts.groupby(["run", "month"])["acc"].sum().reset_index()
        early = per[per["month"].isin(first)].groupby("run")["acc"].mean().median()
        late = per[per["month"].isin(last)].groupby("run")["acc"].mean().median()
        governments = (
            f", and in the model meeting the pledge costs governments votes (`election_cost_coef`): "
            f"accommodationist governments go from {early:.1f} to {late:.1f}, which weighs on support for Ukraine"
        )
    text = (
        f"**Baseline drift.** With no shock {since}, the baseline still moves from its first year after that "
        f"({base['from'].iloc[0]}) to the last ({base['to'].iloc[0]}), medians over replications: {changes}. "
        f"This part of any scenario's movement is there without a shock: the allies follow their plans to the "
        f"spending pledge, cohesion moves most through its {biggest.removeprefix('cohesion_')} part "
        f"({parts[biggest]:+.2f}){governments}."
    )
    if is_baseline:
        return text
    own = drift(model, after)
    net = "; ".join(f"{_short_label(o)} {own.loc[o, 'change'] - base.loc[o, 'change']:+.2f}" for o in own.index)
    return text + (
        f" Net of it, this scenario's own change over the same years is about: {net} "
        "(`cohesion compare` gives it month by month, paired, with intervals)."
    )


def _coalitions_and_elections(events: pd.DataFrame, runs: int) -> str:
    lines = []
    coalitions = events[events["rule"] == "coalition_of_the_willing"]
    if not coalitions.empty:
        lines.append(
            f"When the EU Ukraine package was blocked, a coalition of the willing went ahead outside the "
            f"EU framework {len(coalitions) / runs:.1f} times per run on average."
        )
    elections = events[events["body"] == "national"]
    if not elections.empty:
        changes = elections[elections["outcome"] == "change"]
        to_accommodation = changes["detail"].str.endswith("accommodationist").sum()
        lines.append(
            f"{len(elections) / runs:.1f} national elections per run; {len(changes) / runs:.1f} changed "
            f"the government's line, {to_accommodation / runs:.1f} of them toward accommodation with "
            "Moscow."
        )
        turned = changes[changes["detail"].str.endswith("accommodationist")]["detail"].str.split(":").str[0]
        if not turned.empty:
            shares = (turned.value_counts() / runs).head(6)
            named = ", ".join(f"{code} ({share:.0%} of runs)" for code, share in shares.items())
            lines.append(f"The elections that most often brought an accommodationist government: {named}.")
    return " ".join(lines)


def spending_sentence(model: pd.DataFrame, agents: pd.DataFrame) -> str:
    """One sentence on what drives spending at the end of the runs: the pledge, motives above it, or lag.

    Each ally other than the US is counted, per run, as at the pledge path (within 0.05 below to 0.25
    above it, % of GDP), above it (its own motives, threat first, exceed the pledge) or below it (low
    adherence or no fiscal room); the sentence gives the medians over runs. Empty without agent rows.
    """
    if agents.empty or model.empty:
        return ""
    last = model["date"].max()
    line = model.loc[model["date"] == last, ["run", "pledge_norm_pct"]]
    rows = agents[(agents["date"] == last) & agents["nato_member"] & (agents["iso3"] != "USA")]
    rows = rows.merge(line, on="run")
    gap = rows["spending_pct_gdp"] - rows["pledge_norm_pct"]
    rows = rows.assign(at=(gap >= -0.05) & (gap < 0.25), above=gap >= 0.25, below=gap < -0.05)
    counts = rows.groupby("run")[["at", "above", "below"]].sum().median()
    pledge = float(line["pledge_norm_pct"].median())
    return (
        f"What drives spending: by {last} the pledge path ({pledge:.2f} % of GDP) holds a median of "
        f"{counts['at']:.0f} allies at its line, their own motives (threat first) lift {counts['above']:.0f} "
        f"above it, and {counts['below']:.0f} stay below it (low adherence or too little fiscal room)."
    )


def _events_table(scenario: dict[str, Any]) -> str:
    events = sorted(scenario.get("events", []), key=lambda e: e["date"])
    if not events:
        return "No scenario events.\n"
    lines = ["| date | event | details |", "|---|---|---|"]
    for event in events:
        details = ", ".join(f"{k} {v}" for k, v in event.items() if k not in ("date", "type") and v is not None)
        lines.append(f"| {event['date']} | {event['type']} | {details} |")
    return "\n".join(lines) + "\n"


def definitions(outcomes: tuple[str, ...] = KEY_OUTCOMES) -> str:
    """Each outcome of the key-outcomes table in plain words (the ``definition`` of ``sim.rules.outcomes.OUTCOMES``)."""
    return "\n".join(f"- **{_label(name)}**: {OUTCOMES[name].definition}." for name in outcomes)


MOVERS = {
    "us_trust": "trust in the US",
    "ukraine_support": "support for Ukraine",
    "autonomy": "preference for autonomy",
}


def states_that_moved(
    agents: pd.DataFrame, events: pd.DataFrame, count: int = 5, reference: pd.DataFrame | None = None
) -> str:
    """The states whose median position moved most from the first to the last month, and the events naming them.

    With ``reference`` (the agents table of the baseline run with the same seeds), each line also gives the
    same state's move in the baseline, so that the part due to the scenario shows.
    """
    if agents.empty:
        return ""
    first, last = agents["step"].min(), agents["step"].max()
    ends = agents[agents["step"].isin([first, last])]
    medians = ends.groupby(["iso3", "step"])[list(MOVERS)].median()
    moves = []
    for variable, words in MOVERS.items():
        table = medians[variable].unstack("step")
        change = table[last] - table[first]
        for iso3, delta in change.items():
            moves.append((abs(delta), iso3, words, table.loc[iso3, first], table.loc[iso3, last]))
    moves.sort(key=lambda m: (-m[0], m[1], m[2]))
    named = scenario_events(events)
    base = None
    if reference is not None and not reference.empty and {first, last} <= set(reference["step"].unique()):
        ends = reference[reference["step"].isin([first, last])]
        base = ends.groupby(["iso3", "step"])[list(MOVERS)].median()
    lines = []
    for _, iso3, words, before, after in moves[:count]:
        mentioned = [f"{d} {t}" for d, t in zip(named["date"], named["detail"], strict=True) if iso3 in str(t)]
        why = f" The scenario's events name it: {'; '.join(mentioned)}." if mentioned else ""
        if base is not None and iso3 in base.index.get_level_values("iso3"):
            variable = next(v for v, w in MOVERS.items() if w == words)
            start, end = base.loc[(iso3, first), variable], base.loc[(iso3, last), variable]
            why += f" In the baseline, same seeds: from {start:.2f} to {end:.2f}."
        lines.append(
            f"- **{iso3}**: {words} {'rose' if after > before else 'fell'} from {before:.2f} to {after:.2f}.{why}"
        )
    return "\n".join(lines)


# The parts of a state's monthly trust signal in the agents table (ODD 7.5): from US words and from US troops.
TRUST_PARTS = ("trust_words", "trust_boots")
# A change smaller than this prints as 0.00: trust (or a part of it) held still.
TRUST_STILL = 0.005
# All European allies are listed up to this many rows; beyond it the largest changes only.
TRUST_ROWS_ALL = 32
TRUST_ROWS_TOP = 12
# A rank correlation from which the report says the order of the changes follows a weight (else: only loosely).
TRUST_ORDER_FOLLOWS = 0.7
NOT_EUROPEAN = ("USA", "CAN")


def european_allies(agents: pd.DataFrame) -> list[str]:
    """ISO3 codes of the European allies at the first month of ``agents``: NATO members other than the US and
    Canada (every state but those two if the table has no ``nato_member`` column), sorted."""
    first = agents[agents["step"] == agents["step"].min()]
    if "nato_member" in first:
        first = first[first["nato_member"].astype(bool)]
    return sorted(str(code) for code in first["iso3"].unique() if str(code) not in NOT_EUROPEAN)


def _ends(agents: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """Per (run, iso3), the change from step ``first`` to ``last`` of trust and of its two parts, and the rest."""
    columns = ["us_trust", *TRUST_PARTS]
    ends = agents[agents["step"].isin([first, last])].assign(iso3=lambda t: t["iso3"].astype(str))
    table = ends.set_index(["run", "iso3", "step"])[columns].unstack("step")
    change = pd.DataFrame({c: table[(c, last)] - table[(c, first)] for c in columns})
    return change.assign(rest=change["us_trust"] - change["trust_words"] - change["trust_boots"])


def trust_changes(agents: pd.DataFrame, reference: pd.DataFrame | None = None) -> tuple[pd.DataFrame, bool]:
    """Per European ally, medians over replications of the change from the first to the last month of
    ``us_trust``, ``trust_words`` and ``trust_boots``, and of the rest (trust's change minus the signal's).

    With ``reference`` (the agents table of the baseline with the same seeds, holding the two columns, the same
    first and last steps and the same runs), each change is the paired difference, scenario minus baseline for
    the same run, before the median. Returns the table (index ``iso3``, columns ``us_trust``, ``trust_words``,
    ``trust_boots``, ``rest``, all 0-1 scale differences) and whether it is paired. Raises KeyError if
    ``agents`` lacks the two parts.
    """
    first, last = agents["step"].min(), agents["step"].max()
    own = _ends(agents, first, last)
    paired = (
        reference is not None
        and not reference.empty
        and set(TRUST_PARTS) <= set(reference.columns)
        and {first, last} <= set(reference["step"].unique())
        and set(agents["run"].unique()) <= set(reference["run"].unique())
    )
    if paired:
        base = _ends(reference, first, last)
        own = (own - base.reindex(own.index)).dropna()
    allies = european_allies(agents)
    medians = own.groupby(level="iso3").median()
    return medians.loc[[code for code in allies if code in medians.index]], paired


def _start(agents: pd.DataFrame, allies: list[str]) -> pd.DataFrame:
    """Per European ally, medians over replications at the first month: the weight on troops (the troops part,
    presence being 1 at the start), the US troops it hosts (thousands) and its threat rank (1 = highest)."""
    first = agents[agents["step"] == agents["step"].min()].assign(iso3=lambda t: t["iso3"].astype(str))
    first = first[first["iso3"].isin(allies)]
    start = first.groupby("iso3")[["trust_boots", "us_troops_k", "threat"]].median()
    start["threat_rank"] = start["threat"].rank(ascending=False, method="min").astype(int)
    return start.rename(columns={"trust_boots": "troops_weight"})


# Parameters that change how a state weighs US words against US troops (ODD 7.5: the words' weight falls with
# exposure, a host weighs its own garrison by its size): a `set` of one moves the two parts with no US act.
SIGNAL_WEIGHT_PARAMETERS = (
    "trust_commitment_weight",
    "trust_exposure_tilt",
    "host_half_saturation_k",
    "exposure_sea_weight",
    "exposure_arctic_weight",
    "exposure_history_weight",
    "proximity_length_km",
    "proximity_border_weight",
    "proximity_ukraine_border_weight",
)


def _weight_sets(events: pd.DataFrame, reference_events: pd.DataFrame | None) -> list[tuple[str, str]]:
    """(date YYYY-MM, parameter) of the run's `set` events of :data:`SIGNAL_WEIGHT_PARAMETERS`, first run; those
    the reference shares left out."""

    def listed(table: pd.DataFrame | None) -> list[tuple[str, str]]:
        if table is None or table.empty or not {"item", "detail"} <= set(table.columns):
            return []
        named = scenario_events(table)
        rows = named[named["item"].astype(str) == "set"]
        found = [
            (str(date)[:7], str(detail), match.group(1))
            for date, detail in zip(rows["date"], rows["detail"], strict=True)
            if (match := re.match(r"(\w+) = ", str(detail))) and match.group(1) in SIGNAL_WEIGHT_PARAMETERS
        ]
        return sorted(set(found))

    shared = set(listed(reference_events))
    return [(date, name) for date, detail, name in listed(events) if (date, detail, name) not in shared]


def _coercions(events: pd.DataFrame, reference_events: pd.DataFrame | None) -> list[tuple[str, str]]:
    """(date YYYY-MM, target ISO3) of the run's coercion events, first run; those the reference shares left out."""

    def listed(table: pd.DataFrame | None) -> list[tuple[str, str]]:
        if table is None or table.empty or not {"item", "detail"} <= set(table.columns):
            return []
        named = scenario_events(table)
        rows = named[named["item"].astype(str) == "coercion"]
        found = [
            (str(date)[:7], match.group(1))
            for date, detail in zip(rows["date"], rows["detail"], strict=True)
            if (match := re.search(r"coercion of ([A-Z]{3})", str(detail)))
        ]
        return sorted(set(found))

    shared = set(listed(reference_events))
    return [c for c in listed(events) if c not in shared]


def trust_channel(
    iso3: str, change: pd.Series, hosted_k: float, half_saturation_k: float, coercions: list[tuple[str, str]]
) -> str:
    """The main channel of one state's trust change, in words.

    ``change`` holds the (paired) changes ``us_trust``, ``trust_words``, ``trust_boots`` and ``rest``: the part
    of largest size names the channel. Troops: "its own garrison" when the state hosts at least
    ``half_saturation_k`` thousand US troops (it then weighs its own garrison more than the alliance total,
    ODD 7.5), else "US troops in Europe". The rest: "coercion" when a coercion event (``coercions``: date,
    target) names the state or another one, else trust still catching up with its signal. "held still" when
    no change reaches :data:`TRUST_STILL`.
    """
    sizes = change[["us_trust", "trust_words", "trust_boots", "rest"]].abs()
    if sizes.max() < TRUST_STILL:
        return "held still"
    main = sizes[["trust_words", "trust_boots", "rest"]].idxmax()
    if main == "trust_words":
        return "US words"
    if main == "trust_boots":
        return "US troops: its own garrison" if hosted_k >= half_saturation_k else "US troops in Europe"
    own = [date for date, target in coercions if target == iso3]
    if own:
        return f"coercion: its own ({', '.join(own)})"
    if coercions:
        return "coercion: spillover from " + ", ".join(f"{target}'s ({date})" for date, target in coercions)
    return "catching up: trust still short of its signal"


def _channel_kind(channel: str) -> str:
    """A channel of :func:`trust_channel` without its dates, for counting: e.g. "coercion (spillover)"."""
    if channel.startswith("coercion: its own"):
        return "coercion (its own)"
    if channel.startswith("coercion: spillover"):
        return "coercion (spillover)"
    return channel.split(":")[0] if channel.startswith("catching up") else channel


def _rank_correlation(x: pd.Series, y: pd.Series) -> float:
    """Spearman's rank correlation of two aligned series (NaN if either is constant)."""
    from scipy.stats import spearmanr

    if x.nunique() < 2 or y.nunique() < 2:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def _signed(value: float) -> str:
    """A change with its sign at three decimals; one that rounds to zero is shown as 0.000, unsigned."""
    return "0.000" if abs(value) < 0.0005 else f"{value:+.3f}"


def _paragraph(text: str) -> str:
    """A paragraph of the report wrapped at 110 characters, as the report's own text is."""
    return textwrap.fill(text, width=110, break_long_words=False, break_on_hyphens=False)


def _half_saturation(parameters: dict[str, Any]) -> float | None:
    """The scenario's ``host_half_saturation_k`` (thousand troops) if it sets one, else None (the default)."""
    value = parameters.get("host_half_saturation_k")
    return None if value is None else float(value)


def trust_section(
    agents: pd.DataFrame,
    events: pd.DataFrame,
    reference: Results | None = None,
    half_saturation_k: float | None = None,
) -> str:
    """Markdown body of "What drove trust in the US": per European ally, the change in trust split into the parts
    of its signal (US words, US troops) and the rest, the main channel named, and why it reads it so strongly.

    Medians over replications from the first month to the last (:func:`trust_changes`), paired against
    ``reference`` (the baseline with the same seeds) when it has the columns. The table lists the states by the
    size of their change (all European allies up to :data:`TRUST_ROWS_ALL`, else the top
    :data:`TRUST_ROWS_TOP`), then sentences on the spread (SD across the allies) and the order. One sentence
    instead when the tables predate the two parts or hold no European ally; "held still" when nothing moved.
    ``half_saturation_k`` (thousand troops) is the run's ``host_half_saturation_k`` (the registry default if None).
    """
    if agents.empty:
        return "The run has no agent rows, so what drove trust is not shown."
    missing = [c for c in (*TRUST_PARTS, "us_troops_k", "threat") if c not in agents.columns]
    if missing:
        return (
            "This folder's agents table has no " + ", ".join(f"`{c}`" for c in missing) + " column (it was "
            "written by an older version of the model), so what drove trust is not shown."
        )
    if half_saturation_k is None:
        from sim.inputs.parameters import PARAMETERS

        half_saturation_k = float(PARAMETERS["host_half_saturation_k"].default)
    changes, paired = trust_changes(agents, None if reference is None else reference.agents)
    if changes.empty:
        return "The run holds no European ally, so what drove trust is not shown."
    allies = list(changes.index)
    start = _start(agents, allies)
    coercions = _coercions(events, reference.events if paired and reference is not None else None)
    channels = pd.Series(
        {
            code: trust_channel(code, changes.loc[code], start.loc[code, "us_troops_k"], half_saturation_k, coercions)
            for code in allies
        }
    )
    how = (
        "each the scenario's change minus the baseline's in the same replication, same seeds, then the median "
        "over replications: what the scenario did"
        if paired
        else "medians over replications"
    )
    intro = _paragraph(
        "Each state's trust follows a monthly signal at its own speed (its attention to the US, docs/ODD.md 7.5). "
        "The signal has two parts: US words, and US troops (its own garrison and the alliance total as it sees "
        "them), which the more exposed states weigh more. Below, the change from the first month to the last of "
        f"trust and of each part ({how}); the rest is trust's change minus the signal's: the part of the signal's "
        "change trust has not yet followed (it moves at its own speed)"
        + (", and the direct hit of a coercion or its spillover" if coercions else "")
        + ". *Weight on troops* is the troops part "
        "at the first month (presence is 1 then); *threat rank* orders the European allies by the threat they "
        "perceive at the first month (1 = highest), a proxy for their exposure."
    )
    if (changes.abs().max(axis=1) < TRUST_STILL).all():
        whose = "than in the baseline with the same seeds" if paired else "from the first month to the last"
        still = _paragraph(
            "Trust in the US held still: no European ally's trust, nor either part of its signal, moved by "
            f"{TRUST_STILL} or more {whose} (medians over replications)."
        )
        return f"{intro}\n\n{still}"
    order = changes["us_trust"].abs().sort_values(ascending=False, kind="stable").index
    shown = list(order if len(order) <= TRUST_ROWS_ALL else order[:TRUST_ROWS_TOP])
    word = "paired change" if paired else "change"
    lines = [
        f"| state | trust, {word} | from US words | from US troops | rest | main channel | weight on troops "
        "| US troops hosted (thousands) | threat rank |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for code in shown:
        row, first = changes.loc[code], start.loc[code]
        parts = " | ".join(_signed(row[c]) for c in ("us_trust", "trust_words", "trust_boots", "rest"))
        lines.append(
            f"| {code} | {parts} | {channels[code]} | {first['troops_weight']:.2f} | {first['us_troops_k']:.2f} | "
            f"{int(first['threat_rank'])} of {len(allies)} |"
        )
    table = "\n".join(lines)
    if len(shown) < len(allies):
        others = changes.loc[[c for c in allies if c not in shown], "us_trust"]
        table += "\n\n" + _paragraph(
            f"The other {len(others)} European allies moved by {_signed(others.min())} to "
            f"{_signed(others.max())}; their main channels: "
            + ", ".join(f"{name} ({n})" for name, n in channels[others.index].map(_channel_kind).value_counts().items())
            + "."
        )
    summary = _trust_summary(changes, channels, start, paired)
    reweighted = _weight_sets(events, reference.events if paired and reference is not None else None)
    if reweighted:
        summary += (
            " The run sets "
            + ", ".join(f"{name} ({date})" for date, name in reweighted)
            + ": from then on the states weigh US words and US troops differently, so part of the change of "
            "each part is that re-weighting, not a US act."
        )
    return f"{intro}\n\n{table}\n\n{_paragraph(summary)}"


def _trust_summary(changes: pd.DataFrame, channels: pd.Series, start: pd.DataFrame, paired: bool) -> str:
    """The sentences under the trust table: the spread across the allies, the channels counted and the order."""
    trust = changes["us_trust"]
    word = "paired change" if paired else "change"
    low, high = trust.idxmin(), trust.idxmax()
    text = (
        f"Across the {len(trust)} European allies the {word} in trust has a standard deviation of "
        f"{trust.std(ddof=0):.3f} (from {_signed(trust[low])} in {low} to {_signed(trust[high])} in {high})."
    )
    short = channels.map(_channel_kind)
    text += " Main channel: " + ", ".join(f"{name} in {n}" for name, n in short.value_counts().items()) + "."
    kinds = channels.str.split(":").str[0].replace({"US troops in Europe": "US troops"})
    moved = kinds[kinds != "held still"]
    if moved.empty:
        return text
    kind = moved.value_counts().idxmax()
    size = trust.abs()
    if kind == "US troops":
        weight, what = start["troops_weight"], "weight on US troops"
    elif kind == "US words":
        weight, what = 1.0 - start["troops_weight"], "weight on US words (1 minus the weight on troops)"
    else:
        weight = None
    if weight is not None and weight.nunique() < 2:
        text += f" Every state puts the same {what} ({weight.iloc[0]:.2f})."
    elif weight is not None:
        by_weight = _rank_correlation(weight, size)
        by_threat = _rank_correlation(start["threat"], size)
        exposed = start["threat_rank"].nsmallest(3, keep="first").index
        follows = "follows" if by_weight >= TRUST_ORDER_FOLLOWS else "follows only loosely"
        troops = start["troops_weight"]
        text += (
            f" The order {follows} each state's {what}: rank correlation {by_weight:.2f} between it and the size "
            f"of the change, {by_threat:.2f} between the threat at the first month and that size (the most "
            f"exposed by threat: {', '.join(f'{c} {_signed(trust[c])}' for c in exposed)}). The weight on troops "
            f"runs from {troops.min():.2f} in {troops.idxmin()} to {troops.max():.2f} in {troops.idxmax()}."
        )
    elif kind == "coercion":
        text += (
            " A coerced state loses most; the others lose by how similar their position is to the target's "
            "(land border, shared small formats, shared exposures: docs/ODD.md 7.5)."
        )
    return text


def chance_section(full: pd.DataFrame, chance: pd.DataFrame, figure_name: str) -> str:
    """Markdown, the report's last section for a posterior run: the band of chance alone (``chance``, the model
    table of the same replications at the defaults) and the full band (``full``) at the last month for each
    headline outcome, what they mean, and the figure ``figure_name``."""
    from sim.analysis.chance import bands, outcomes_of

    last = full["date"].max()
    lines = [
        "",
        "## Chance and parameters",
        "",
        "This run drew each replication's parameter set from the shipped posterior (`uncertainty: posterior`).",
        "The same replications were also run at the registry defaults (`uncertainty: none`), whose spread is",
        "chance alone (incidents, elections, vote noise). The wider band adds what the record up to 2024",
        "leaves uncertain about the calibrated parameters; the rest of the parameters stay at their defaults,",
        "so even the wider band understates the model's uncertainty. An outcome that rests on parameters the",
        "record cannot inform keeps a band close to chance alone: Article 5 credibility, for one, depends most on",
        "`us_trust_initial` (the Pew 2019 median), `us_commitment_initial` and `us_commitment_target`",
        "(docs/SENSITIVITY.md), which the posterior does not hold. Read a narrow band there as the consequence of",
        "a datum and two judgements, not as certainty.",
        "",
        f"| outcome ({last}) | chance alone, 5-95 % | parameters and chance, 5-95 % | width ratio |",
        "|---|---|---|---|",
    ]
    for outcome in outcomes_of(full):
        a = bands(chance, outcome).loc[last]
        b = bands(full, outcome).loc[last]
        width_a, width_b = a["high"] - a["low"], b["high"] - b["low"]
        ratio = width_b / width_a if width_a > 0 else np.inf
        shown = label(outcome)
        lines.append(
            f"| {shown} | {a['low']:.3g} to {a['high']:.3g} | {b['low']:.3g} to {b['high']:.3g} | {ratio:.1f} |"
        )
    lines += ["", f"![chance and parameters]({figure_name})", ""]
    return "\n".join(lines)


def render(
    manifest: dict[str, Any],
    results: Results,
    figures: list[Path],
    reference: Results | None = None,
    chance: pd.DataFrame | None = None,
) -> str:
    """The text of report.md, from tables alone.

    ``figures`` are the figures shown with their captions; ``reference`` is the baseline run with the same
    seeds (None if there is none); ``chance`` the model table of the same replications at the defaults, for
    a run with ``uncertainty: posterior``: the report then ends with the section that sets the band of
    chance alone beside the full band (:func:`chance_section`, its figure
    ``figures/chance_and_parameters.png``).
    """
    scenario = manifest["scenario"]
    runs = int(results.model["run"].nunique())
    parents = scenario.get("extends") or []
    builds_on = f" It builds on {', '.join(f'`{p}`' for p in parents)}." if parents else ""
    story = manifest.get("scenario_story") or "(The scenario file has no opening comment.)"
    revision = manifest.get("code_revision", {}).get("commit") or "not recorded (no git)"
    parameters = scenario.get("parameters") or {}
    parameter_text = ", ".join(f"`{k}` = {v}" for k, v in parameters.items()) or "none (all defaults)"
    states = scenario.get("states") or {}
    states_text = (
        "; ".join(f"{code}: " + ", ".join(f"{k} {v}" for k, v in values.items()) for code, values in states.items())
        or "none"
    )
    posterior = scenario.get("uncertainty") == "posterior"
    figure_lines = "\n\n".join(f"![{p.stem}](figures/{p.name})\n\n*{caption(p.name, posterior)}*" for p in figures)
    chance_text = ""
    if chance is not None:
        from sim.reporting.figures.chance import FIGURE

        chance_text = chance_section(results.model, chance, f"figures/{FIGURE}")
    spread = (
        "The replications differ in their parameter sets, each drawn from the calibration posterior, and in the\n"
        "model's random draws; the spread says how much the calibrated parameters and chance together move an\n"
        "outcome (the last section shows the part of chance alone)."
        if posterior
        else "The replications\ndiffer only in the model's random draws (hybrid incidents, elections, votes, "
        "noise in US and Russian\n"
        "behaviour); the spread says how much chance alone moves an outcome under these assumptions."
    )
    intervals = (
        "- Intervals are across replications whose calibrated parameters are drawn from the posterior\n"
        "  (`docs/CALIBRATION.md`); the parameters the calibration left at their defaults, and the scenario's own\n"
        "  assumptions, are not varied: see `docs/SENSITIVITY.md` for which of them matter."
        if posterior
        else "- Intervals are across replications of one set of assumptions. "
        "They do not include uncertainty about the\n"
        "  assumptions themselves; a sensitivity analysis over parameters is needed for that."
    )
    return f"""# Scenario `{scenario["name"]}`

**{DISCLAIMER}.**

{scenario.get("description", "")}{builds_on}

| | |
|---|---|
| period | {scenario["start"]} to {scenario["end"]} |
| replications | {runs} |
| seed | {scenario["seed"]} |
| scenario hash | `{manifest["scenario_hash"]}` |
| model version | {manifest["version"]}, code revision {revision} |
| run started | {manifest["started"]} |

## The story

{story}

Parameters changed from their defaults: {parameter_text}. Per-state overrides: {states_text}.

Events, in date order (inherited ones included):

{_events_table(scenario)}
## Key outcomes

Median over {runs} replications, with the interval that holds 90 % of them in brackets. {spread}

{outcomes_table(results.model)}
{spending_sentence(results.model, results.agents)}

{drift_sentences(scenario, results.model, results.agents, reference)}

What the outcomes mean:

{definitions()}

## States that moved most

Median over replications, first month against last; the states whose trust in the US, support for
Ukraine or preference for autonomy moved most. Each moves with the threat it perceives, US behaviour
towards it and the pull of its neighbours' positions (docs/ODD.md); an event of the scenario that names
the state is given with it.

{states_that_moved(results.agents, results.events, reference=None if reference is None else reference.agents)}

## What drove trust in the US

{trust_section(results.agents, results.events, reference, _half_saturation(parameters))}

## Figures

{figure_lines}

## Decisions

Share of all votes on each item, over all runs. A *delayed* decision was vetoed and tabled again a few
months later with a concession; *blocked* means it failed again and was dropped.

{decisions_table(results.events, runs)}
{_blockers_sentence(results.events, runs)} {_coalitions_and_elections(results.events, runs)}

Who stopped what, and what it cost to unblock it: a stopped vote is tabled again after a delay
(`veto_delay_months`) with a concession to the states holding it up; the months lost are counted from the
stopped vote to the re-vote that passed. Counts are per run, with how often each state was involved.

{unblocking_table(results.events, runs) or "No vote was stopped in any run."}

## How to read this; what this is not

- This is an illustrative exploration of a scenario, **not a forecast**. It shows what follows from the
  assumptions of the model and of this scenario file, and how much {
        "the calibrated parameters and chance move" if posterior else "chance alone moves"
    } the outcomes.
- The numbers are only as good as the assumptions. The model's rules, parameters and their justifications
  are documented in `docs/ODD.md` and `sim/inputs/parameters.py`; the data and their sources in `sim/data/SOURCES.md`;
  the judgemental starting values (positions, reliance, stubbornness) in `sim/data/assumptions.csv`.
- Compare scenarios rather than reading single values: all packaged scenarios share a seed, so replication
  *k* of two scenarios draws the same random numbers{" and the same parameter set" if posterior else ""} and
  their difference is due to the assumptions. Run the baseline with the same seed and replications
  (`cohesion run baseline --seed {scenario["seed"]} --replications {runs}`), then
  `cohesion compare <the baseline's folder> <this folder>` gives the paired differences with their intervals.
{intervals}
{chance_text}"""


def write_report(
    path: Path,
    manifest: dict[str, Any],
    results: Results,
    figures: list[Path],
    reference: Results | None = None,
    chance: pd.DataFrame | None = None,
) -> Path:
    """Write report.md (:func:`render`) atomically; ``reference`` is the baseline behind, if any, and
    ``chance`` the model table of the runs at the defaults of a posterior run, if any."""
    text = render(manifest, results, figures, reference, chance)
    write_atomically(path, text.encode("utf-8"))
    return path
