"""Decision rules on the real member populations (sim/data/member_states.csv)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.inputs.states import load_states
from sim.rules import institutions as inst

DATA = load_states()
EU = DATA.eu_member
NATO = DATA.nato_member
POP = DATA.population_m
EU_CODES = [c for c, m in zip(DATA.iso3, EU, strict=True) if m]


def votes_for(yes: list[str], no: list[str] = (), abstain: list[str] = ()) -> np.ndarray:
    v = np.full(DATA.n, inst.NO)
    for code in yes:
        v[DATA.index(code)] = inst.YES
    for code in abstain:
        v[DATA.index(code)] = inst.ABSTAIN
    return v


def test_the_eu_has_27_members_and_nato_32():
    assert EU.sum() == 27
    assert NATO.sum() == 32


def test_qmv_passes_with_15_states_holding_65_percent():
    big = ["DEU", "FRA", "ITA", "ESP", "POL", "ROU", "NLD", "BEL", "CZE", "SWE", "PRT", "GRC", "HUN", "AUT", "BGR"]
    share = POP[[DATA.index(c) for c in big]].sum() / POP[EU].sum()
    assert share >= 0.65
    outcome = inst.qualified_majority(votes_for(big), EU, POP)
    assert outcome.passed


def test_qmv_fails_on_population_with_the_15_smallest():
    order = sorted(EU_CODES, key=lambda c: POP[DATA.index(c)])
    small = order[:15]
    assert POP[[DATA.index(c) for c in small]].sum() / POP[EU].sum() < 0.65
    outcome = inst.qualified_majority(votes_for(small), EU, POP)
    assert not outcome.passed
    assert outcome.reason == "too little population"


def test_qmv_fails_with_14_states():
    order = sorted(EU_CODES, key=lambda c: -POP[DATA.index(c)])
    outcome = inst.qualified_majority(votes_for(order[:14]), EU, POP)
    assert not outcome.passed and outcome.reason == "too few states"


def test_qmv_blocking_minority_needs_four_states():
    # Germany, France and Italy hold more than 35 % of EU population but are only three states.
    against = ["DEU", "FRA", "ITA"]
    assert POP[[DATA.index(c) for c in against]].sum() / POP[EU].sum() > 0.35
    yes = [c for c in EU_CODES if c not in against]
    assert inst.qualified_majority(votes_for(yes), EU, POP).passed
    yes.remove("ESP")
    assert not inst.qualified_majority(votes_for(yes), EU, POP).passed


def test_qmv_counts_abstention_as_no():
    order = sorted(EU_CODES, key=lambda c: -POP[DATA.index(c)])
    outcome = inst.qualified_majority(votes_for(order[:14], abstain=order[14:]), EU, POP)
    assert not outcome.passed


def test_unanimity_one_veto_blocks_and_abstention_does_not():
    all_yes = votes_for(EU_CODES)
    assert inst.unanimity(all_yes, EU, POP).passed
    veto = votes_for([c for c in EU_CODES if c != "HUN"])
    outcome = inst.unanimity(veto, EU, POP)
    assert not outcome.passed and outcome.blockers[DATA.index("HUN")] and outcome.blockers.sum() == 1
    abstain = votes_for([c for c in EU_CODES if c != "HUN"], abstain=["HUN"])
    assert inst.unanimity(abstain, EU, POP).passed


def test_constructive_abstention_needs_a_third_of_states_and_population():
    small = sorted(EU_CODES, key=lambda c: POP[DATA.index(c)])[:9]  # a third of states, little population
    votes = votes_for([c for c in EU_CODES if c not in small], abstain=small)
    assert inst.unanimity(votes, EU, POP).passed
    big = sorted(EU_CODES, key=lambda c: -POP[DATA.index(c)])[:9]  # a third of states and of population
    votes = votes_for([c for c in EU_CODES if c not in big], abstain=big)
    assert not inst.unanimity(votes, EU, POP).passed


def test_nato_consensus_includes_the_us_and_turkiye():
    allies = [c for c, m in zip(DATA.iso3, NATO, strict=True) if m]
    assert inst.consensus(votes_for(allies), NATO, POP).passed
    for objector in ("USA", "TUR"):
        outcome = inst.consensus(votes_for([c for c in allies if c != objector]), NATO, POP)
        assert not outcome.passed and outcome.blockers[DATA.index(objector)]
    # Non-members' votes do not count.
    assert inst.consensus(votes_for(allies, no=["AUT"]), NATO, POP).passed


def test_vote_thresholds_abstain_band_and_hostage():
    support = np.array([0.9, 0.45, 0.1, 0.9])
    hostage = np.array([False, False, False, True])
    v = inst.vote(support, 0.5, np.zeros(4), 0.1, hostage)
    assert list(v) == [inst.YES, inst.ABSTAIN, inst.NO, inst.NO]


def test_agenda_schedules_recurring_one_off_and_retabled_items():
    agenda = inst.Agenda()
    january, december = 12 * 2026, 12 * 2026 + 11
    assert [item.name for item, _ in agenda.due(january)] == ["eu_sanctions_renewal"]
    assert [item.name for item, _ in agenda.due(december)] == ["eu_ukraine_package"]
    agenda.table_ceasefire_endorsement(january + 1)
    vetoers = np.zeros(3, bool)
    agenda.retable(january + 1, inst.DEFAULT_AGENDA[0], vetoers)
    due = agenda.due(january + 1)
    assert {item.name for item, _ in due} == {
        "eu_ceasefire_endorsement",
        "nato_ceasefire_endorsement",
        "eu_sanctions_renewal",
    }
    assert agenda.due(january + 1) == []


@pytest.mark.parametrize("rule", ["unanimity", "qmv", "consensus"])
def test_rules_pass_when_everyone_agrees(rule):
    assert inst.RULES[rule](np.full(DATA.n, inst.YES), EU, POP).passed
