"""Institutional decisions and elections over the rows of a batch (processes 9 and 10).

The agenda is shared (recurring items) or per row (one-off endorsement votes
tabled by events, vetoed items re-tabled with a concession). Votes and
decision rules are masked reductions per row; the log keeps one list of
entries per run, with blockers as masks named only when the log is read.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from scipy.special import ndtri

from sim.engine.hooks import RowHooks
from sim.engine.state import Batch
from sim.rules import dynamics
from sim.rules.institutions import (
    ABSTAIN,
    CONSTRUCTIVE_ABSTENTION_SHARE,
    DEFAULT_AGENDA,
    ITEM_KINDS,
    NO,
    QMV_BLOCKING_MINIMUM,
    QMV_MEMBER_SHARE,
    QMV_POPULATION_SHARE,
    US_PROPOSED_ITEMS,
    YES,
    AgendaItem,
    vote,
)

N_KINDS = len(ITEM_KINDS)


def normal_from_uniform(u: np.ndarray) -> np.ndarray:
    """Standard normal deviates from uniforms (inverse CDF), so one stream serves noise and coin flips alike."""
    return ndtri(np.minimum(np.maximum(u, 1e-12), 1.0 - 1e-12))  # np.clip's values, fewer Python calls


def vote_uniforms(b: Batch, due: list[list[int]]) -> np.ndarray:
    """(R, 3 x 12, N) vote uniforms of this month, filled in the rows of the vote kinds due in each run.

    ``due[r]`` lists the vote kinds (indexes of ``ITEM_KINDS``) voted on in run ``r``. Each month has its own
    block of 3 x 12 rows of N uniforms in a run's votes stream (the noise, hostage and concession rows of
    each vote kind); only the rows used are drawn, for all runs in one compiled loop, and the rest is
    skipped (the stream's position moves on), which leaves every drawn number where drawing the whole
    block every month would put it. Rows not drawn are zero.
    """
    n = b.n_states
    out = np.zeros((b.n_runs, 3 * N_KINDS, n))
    groups: dict[tuple[int, ...], list[int]] = {}
    for r, slots in enumerate(due):
        if slots:
            groups.setdefault(tuple(slots), []).append(r)
    month_start = b.steps * 3 * N_KINDS * n
    for slots, members in groups.items():
        rows = _vote_rows(slots)
        runs = np.repeat(np.array(members, dtype=np.int64), len(rows))
        targets = np.tile(month_start + rows * n, len(members))
        drawn = b.votes.draw_segments(runs, targets, n).reshape(len(members), len(rows), n)
        out[np.array(members)[:, None], rows[None, :]] = drawn
    return out


@functools.cache
def _vote_rows(slots: tuple[int, ...]) -> np.ndarray:
    """Rows of the vote block used by the vote kinds ``slots``, in increasing order."""
    return np.array(sorted({offset + slot for slot in slots for offset in (0, N_KINDS, 2 * N_KINDS)}))


# The recurring items of each month of the year (index 0 is January).
RECURRING = tuple(tuple(item for item in DEFAULT_AGENDA if m + 1 in item.months) for m in range(12))


def due_items(b: Batch) -> list[list[tuple[AgendaItem, np.ndarray | None]]]:
    """Per run, the items due this month in order: recurring, one-offs, re-tabled (with their vetoers)."""
    month_of_year = b.month % 12 + 1
    recurring = [(item, None) for item in DEFAULT_AGENDA if month_of_year in item.months]
    due: list[list[tuple[AgendaItem, np.ndarray | None]]] = [list(recurring) for _ in range(b.n_runs)]
    for r, item in b.one_offs.pop(b.month, ()):
        due[r].append((item, None))
    for r, item, vetoers in b.retabled.pop(b.month, ()):
        due[r].append((item, vetoers))
    for table in (b.one_offs, b.retabled):
        for month in [m for m in table if m < b.month]:
            del table[month]
    return due


def take_decisions(b: Batch) -> None:
    """Process 9: every item due in any run is voted on, rows with the same item at the same place together."""
    if not (RECURRING[b.month % 12] or b.month in b.one_offs or b.month in b.retabled):
        return  # nothing due in any run (the agenda tables hold no month already past)
    due = due_items(b)
    if not any(due):
        return
    kinds = [[ITEM_KINDS.index(item.kind if v is None else f"{item.kind}:revote") for item, v in d] for d in due]
    uniforms = vote_uniforms(b, kinds)
    for position in range(max(len(items) for items in due)):
        groups: dict[tuple[AgendaItem, bool], list[int]] = {}
        for r, items in enumerate(due):
            if position < len(items):
                item, vetoers = items[position]
                groups.setdefault((item, vetoers is not None), []).append(r)
        for (item, revote), rows in groups.items():
            vetoers = [due[r][position][1] for r in rows]
            decide(b, rows, item, np.array(vetoers) if revote else None, uniforms)


def decide(b: Batch, rows: list[int], item: AgendaItem, vetoers: np.ndarray | None, uniforms: np.ndarray) -> None:
    """One item put to the vote in ``rows`` (a first vote if ``vetoers`` is None, else a re-vote with concessions).

    ``uniforms`` is the (R, 3 x 12, N) block of vote uniforms of this month (rows with a decision filled).
    """
    n = b.n_states
    slot = ITEM_KINDS.index(item.kind if vetoers is None else f"{item.kind}:revote")
    sel = slice(None) if len(rows) == b.n_runs else np.array(rows)  # all rows: views, not copies
    noise_u, hostage_u, concession_u = (uniforms[sel, offset + slot] for offset in (0, N_KINDS, 2 * N_KINDS))
    members = (b.eu_member if item.body == "EU" else b.nato_member)[sel]
    support = getattr(b, item.position)[sel]
    support = 1.0 - support if item.inverse else support.copy()

    def p(name: str) -> np.ndarray:
        return b.p[name][sel]

    if item.body == "NATO" and (item.name in US_PROPOSED_ITEMS or item.name == "nato_summit"):
        # The US votes its own line: it proposes a ceasefire plan, and backs posture only while committed.
        committed = b.commitment_now[sel] >= p("us_nato_commitment_threshold")
        support[:, b.is_usa] = np.where((item.name in US_PROPOSED_ITEMS) | committed, 1.0, 0.0)[:, None]
    noise = p("vote_noise_sd")[:, None] * normal_from_uniform(noise_u)
    held, concession = item_linkage(b, item, sel)
    if vetoers is None:
        # The less a state supports the item, the cheaper it is to hold it hostage (an accession's merits are
        # not in question: consent is 1, and only the record's chance counts).
        stake = 1.0 if item.position == "consent" else 1.0 - np.clip(support, 0.0, 1.0)
        hostage = hostage_u < held * p("linkage_scale")[:, None] * stake
        conceded = None
    else:
        # The price offered rises with each round a persistent item is held (an accession): the chance of taking
        # it compounds as if the round's offer were 1 + linkage_escalation x (rounds held) offers at once.
        escalation = 1.0 + p("linkage_escalation")[:, None] * item.rounds
        conceded = vetoers & (concession_u < 1.0 - (1.0 - concession) ** escalation)
        # A state that holds the item hostage and is not bought off this time goes on holding it.
        hostage = vetoers & (held > 0.0) & ~conceded
    votes = vote(support, p(item.threshold_parameter)[:, None], noise, p("abstain_band")[:, None], hostage & members)
    if vetoers is not None and item.must_pass:
        # The act must not lapse: whoever still withholds a yes is offered a concession and almost always takes it.
        must = members & (votes != YES) & (concession_u < p("must_pass_concession_probability")[:, None])
        conceded = conceded | must
    if conceded is not None:
        votes = np.where(conceded, YES, votes)
    rules = p(item.rule.split(":", 1)[1]) if item.rule.startswith("param:") else [item.rule] * len(rows)
    kinds = set(rules)
    if len(kinds) == 1:
        passed, blockers, reasons = RULES[rules[0]](votes, members, b.population)
    else:
        passed = np.zeros(len(rows), dtype=bool)
        blockers = np.zeros((len(rows), n), dtype=bool)
        reasons = np.zeros(len(rows), dtype=np.int64)
        for rule in kinds:
            which = np.array([value == rule for value in rules])
            passed[which], blockers[which], reasons[which] = RULES[rule](votes[which], members[which], b.population)
    in_favour = members & (votes == YES)
    yes = in_favour.sum(axis=1)
    no = (members & (votes == NO)).sum(axis=1)
    abstain = (members & (votes == ABSTAIN)).sum(axis=1)
    lowest = np.where(members, support, np.inf).min(axis=1)
    delay = p("veto_delay_months").tolist()
    any_conceded = [False] * len(rows) if conceded is None else conceded.any(axis=1).tolist()
    column = {"EU": 0, "NATO": 2}[item.body]
    passed, yes, no, abstain, lowest = passed.tolist(), yes.tolist(), no.tolist(), abstain.tolist(), lowest.tolist()
    for j, r in enumerate(rows):
        if passed[j]:
            outcome = "passed_after_concession" if any_conceded[j] else "passed"
            if item.name in EUROPEAN_PREFERENCE_ITEMS:
                b.industry_in_force[r] = True  # the defence-industrial measure with European preference
            b.counts[r, column] += 1
        elif vetoers is None or item.persistent:
            outcome = "delayed"
            again = item if vetoers is None else dataclasses.replace(item, rounds=item.rounds + 1)
            RowHooks(b, r).retable(b.month + int(delay[j]), again, blockers[j])
        else:
            outcome = "blocked"
            b.counts[r, column + 1] += 1
        detail = REASONS[reasons[j]] + (f"; concession to {names(b, conceded[j])}" if any_conceded[j] else "")
        if item.candidate >= 0:
            detail = f"{b.data.iso3[item.candidate]}: {detail}"
        if vetoers is not None:
            detail = f"re-vote: {detail}"
        counts = (yes[j], no[j], abstain[j], lowest[j])
        log(b, r, item.body, item.name, rules[j], outcome, blockers[j].copy(), counts, detail)
        if item.fallback_coalition and (passed[j] or outcome == "blocked"):
            deliver_ukraine_package(b, r, passed[j], in_favour[j], item)
        if passed[j] and item.candidate >= 0:
            log(b, r, "NATO", "accession", "", "applied", detail=RowHooks(b, r).join(item.candidate, "nato"))


def deliver_ukraine_package(b: Batch, r: int, passed: bool, in_favour: np.ndarray, item: AgendaItem) -> None:
    """The year's Ukraine package: through the EU if it passed, else the willing go ahead with their share.

    The coalition's share of the planned package is the GDP share of the EU members that voted yes (each pays
    its part of the EU budget key, approximated by GDP); the rest of the package is not delivered.
    """
    if passed:
        b.aid_eu[r], b.aid_coalition[r] = 1.0, 0.0
        return
    members = b.eu_member[r]
    gdp = b.data.gdp_usd_bn
    share = float(gdp[in_favour & members].sum() / gdp[members].sum())
    b.aid_eu[r], b.aid_coalition[r] = 0.0, share
    detail = f"{int(in_favour.sum())} willing states go ahead outside the EU framework ({share:.0%} of the package)"
    log(b, r, item.body, item.name + "_coalition", "coalition_of_the_willing", "passed", detail=detail)


def item_linkage(b: Batch, item: AgendaItem, sel) -> tuple[np.ndarray, np.ndarray]:
    """(R', N) chance that each state holds ``item`` hostage at a first vote, and that it concedes at a re-vote.

    A state links only the items it has held hostage in the record (``linkage.csv``), with that record's
    chances, taken from the row for the (holder, applicant) pair where the record gives one (Turkiye's and
    Hungary's longer hold on Sweden); a linkage that belongs to a government (Hungary's, Slovakia's) lapses
    while the state has a mainstream government. A state without linkage on the item never holds it hostage
    and, having blocked it on its position, concedes at a re-vote with its general bargaining propensity ``linkage``.
    """
    generic = b.linkage[sel]
    key = item.name
    if item.candidate >= 0 and f"{key}:{b.data.iso3[item.candidate]}" in b.data.linkage_hostage:
        key = f"{key}:{b.data.iso3[item.candidate]}"  # a grievance against this applicant (Turkiye on Sweden)
    hostage = b.data.linkage_hostage.get(key)
    if hostage is None:
        return np.zeros_like(generic), generic
    active = b.accommodationist[sel] | ~b.data.linkage_government[key]
    held = np.where(active, hostage, 0.0)
    concession = np.where(held > 0.0, b.data.linkage_concession[key], generic)
    return held, concession


# Items whose passage puts a defence-industrial measure with European preference in force (lowers US reliance).
EUROPEAN_PREFERENCE_ITEMS = frozenset({"eu_defence_industry"})


# ------------------------------------------------------------------ decision rules over rows
# Each rule returns (passed (R,), blockers (R, N), reason codes (R,)); REASONS[code] is the logged text.
REASONS = (
    "veto",
    "abstentions reach one third of states and population",
    "unanimous",
    "qualified majority",
    "no blocking minority of four",
    "too few states",
    "too little population",
    "objection",
    "consensus",
)
VETO, ABSTENTIONS, UNANIMOUS, QUALIFIED, NO_MINORITY, FEW_STATES, FEW_PEOPLE, OBJECTION, CONSENSUS = range(9)


def unanimity(votes: np.ndarray, members: np.ndarray, population: np.ndarray):
    """EU CFSP unanimity with constructive abstention (Art. 31(1) TEU), per row of ``votes`` (R, N)."""
    no = members & (votes == NO)
    vetoed = no.any(axis=1)
    abstain = members & (votes == ABSTAIN)
    share_states = abstain.sum(axis=1) / members.sum(axis=1)
    share_population = (population * abstain).sum(axis=1) / (population * members).sum(axis=1)
    abstained = (
        ~vetoed & (share_states >= CONSTRUCTIVE_ABSTENTION_SHARE) & (share_population >= CONSTRUCTIVE_ABSTENTION_SHARE)
    )
    blockers = np.where(vetoed[:, None], no, abstained[:, None] & abstain)
    reasons = np.where(vetoed, VETO, np.where(abstained, ABSTENTIONS, UNANIMOUS))
    return ~vetoed & ~abstained, blockers, reasons


def qualified_majority(votes: np.ndarray, members: np.ndarray, population: np.ndarray):
    """EU qualified majority (Art. 16(4) TEU), per row: 55 % of members holding 65 % of the population."""
    yes = members & (votes == YES)
    against = members & (votes != YES)
    enough_states = yes.sum(axis=1) >= QMV_MEMBER_SHARE * members.sum(axis=1) - 1e-9
    enough_people = (population * yes).sum(axis=1) >= QMV_POPULATION_SHARE * (population * members).sum(axis=1) - 1e-9
    majority = enough_states & enough_people
    no_minority = enough_states & ~enough_people & (against.sum(axis=1) < QMV_BLOCKING_MINIMUM)
    passed = majority | no_minority
    reasons = np.where(
        majority, QUALIFIED, np.where(no_minority, NO_MINORITY, np.where(~enough_states, FEW_STATES, FEW_PEOPLE))
    )
    return passed, np.where(passed[:, None], False, against), reasons


def consensus(votes: np.ndarray, members: np.ndarray, population: np.ndarray):
    """North Atlantic Council, per row: passes unless an ally objects."""
    no = members & (votes == NO)
    objected = no.any(axis=1)
    return ~objected, no, np.where(objected, OBJECTION, CONSENSUS)


RULES = {"unanimity": unanimity, "qmv": qualified_majority, "consensus": consensus}


# ------------------------------------------------------------------ elections
def hold_elections(b: Batch, uniforms: np.ndarray) -> None:
    """Process 10: the states whose election falls this month vote; a government may change."""
    # Voters feel defence spending against the level they are used to, which habituates every month: a rise
    # costs votes while it is fresh, and the cost fades once the new level is normal.
    rise = b.spending_pct_gdp - b.spending_reference
    b.spending_reference = b.spending_reference + b.col("spending_habituation_rate") * rise
    due = b.elections_due.get(b.month)
    if due is None:
        return
    win = dynamics.accommodationist_win_probability(
        np.maximum(b.war_fatigue - b.fatigue0, 0.0)[:, None],  # fatigue beyond 2025's: the base rate holds 2025
        rise,
        b.threat,
        b.col("election_base_switch"),
        b.col("election_fatigue_coef"),
        b.col("election_cost_coef"),
    )
    switch_in = due & ~b.accommodationist & (uniforms < win)
    switch_out = due & b.accommodationist & (uniforms < b.col("election_return_probability"))
    changed = switch_in | switch_out
    if changed.any():
        b.accommodationist = b.accommodationist ^ changed  # switch_in was mainstream, switch_out accommodationist
        anchor = dynamics.government_support_anchor(
            b.support_initial,
            b.accommodationist,
            b.col("accommodationist_support_anchor"),
            b.col("mainstream_support_floor"),
        )
        b.support_anchor = np.where(changed, anchor, b.support_anchor)
    states = np.flatnonzero(due)
    codes = [b.data.iso3[i] for i in states]
    date = b.date
    accommodationist = b.accommodationist[:, states].tolist()
    for r, (row_changed, row_government) in enumerate(zip(changed[:, states].tolist(), accommodationist, strict=True)):
        entries = b.logs[r]
        for code, change, government in zip(codes, row_changed, row_government, strict=True):
            detail = f"{code}: {'accommodationist' if government else 'mainstream'}"
            outcome = "change" if change else "no_change"
            entries.append((b.steps, date, "national", "election", "election", outcome, None, *NO_COUNTS, detail))


# ------------------------------------------------------------------ log
NO_COUNTS = (-1, -1, -1, float("nan"))


def log(
    b: Batch,
    r: int,
    body: str,
    item: str,
    rule: str,
    outcome: str,
    blockers: np.ndarray | None = None,
    counts: tuple[int, int, int, float] = NO_COUNTS,
    detail: str = "",
) -> None:
    """Append one entry to run ``r``'s log: step, date, body, item, rule, outcome, blockers, yes, no, abstain, ..."""
    b.logs[r].append((b.steps, b.date, body, item, rule, outcome, blockers, *counts, detail))


def names(b: Batch, mask: np.ndarray) -> str:
    """ISO3 codes of the states in ``mask``, joined by ';'."""
    return ";".join(code for code, hit in zip(b.data.iso3, mask, strict=True) if hit)
