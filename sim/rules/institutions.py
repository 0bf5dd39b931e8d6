"""Decision rules of the EU Council and the North Atlantic Council, and the agenda.

Votes are coded 1 (yes), 0 (abstain), -1 (no). Rules take the votes of all
states, a mask of the body's members and their populations, and return
whether the act passes and who blocked it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

YES, ABSTAIN, NO = 1, 0, -1

QMV_MEMBER_SHARE = 0.55  # Art. 16(4) TEU
QMV_POPULATION_SHARE = 0.65
QMV_BLOCKING_MINIMUM = 4
CONSTRUCTIVE_ABSTENTION_SHARE = 1.0 / 3.0  # Art. 31(1) TEU: states and population


class Outcome(NamedTuple):
    passed: bool
    blockers: np.ndarray  # bool mask of members whose vote defeated the act
    reason: str


def vote(
    support: np.ndarray,
    threshold: float,
    noise: np.ndarray,
    abstain_band: float,
    hostage: np.ndarray,
) -> np.ndarray:
    """Each state votes its position plus noise: yes above the threshold, abstain just below, no otherwise.

    ``hostage`` marks states that withhold a yes for an unrelated grievance (linkage).
    """
    score = support + noise
    votes = np.where(score >= threshold, YES, np.where(score >= threshold - abstain_band, ABSTAIN, NO))
    return np.where(hostage, NO, votes)


def unanimity(votes: np.ndarray, members: np.ndarray, population: np.ndarray) -> Outcome:
    """EU CFSP unanimity with constructive abstention (Art. 31(1) TEU).

    One no blocks. Abstention does not, unless the abstainers are at least a
    third of the members holding at least a third of the population.
    """
    no = members & (votes == NO)
    if no.any():
        return Outcome(False, no, "veto")
    abstain = members & (votes == ABSTAIN)
    share_states = abstain.sum() / members.sum()
    share_population = population[abstain].sum() / population[members].sum()
    if share_states >= CONSTRUCTIVE_ABSTENTION_SHARE and share_population >= CONSTRUCTIVE_ABSTENTION_SHARE:
        return Outcome(False, abstain, "abstentions reach one third of states and population")
    return Outcome(True, np.zeros_like(members), "unanimous")


def qualified_majority(votes: np.ndarray, members: np.ndarray, population: np.ndarray) -> Outcome:
    """EU qualified majority (Art. 16(4) TEU): 55 % of members holding 65 % of the population.

    Abstention counts as no. A blocking minority needs at least four members;
    with fewer, the qualified majority is deemed attained.
    """
    yes = members & (votes == YES)
    against = members & (votes != YES)
    enough_states = yes.sum() >= QMV_MEMBER_SHARE * members.sum() - 1e-9
    enough_people = population[yes].sum() >= QMV_POPULATION_SHARE * population[members].sum() - 1e-9
    if enough_states and enough_people:
        return Outcome(True, np.zeros_like(members), "qualified majority")
    if enough_states and against.sum() < QMV_BLOCKING_MINIMUM:
        return Outcome(True, np.zeros_like(members), "no blocking minority of four")
    reason = "too few states" if not enough_states else "too little population"
    return Outcome(False, against, reason)


def consensus(votes: np.ndarray, members: np.ndarray, population: np.ndarray) -> Outcome:
    """North Atlantic Council: passes unless an ally objects."""
    no = members & (votes == NO)
    if no.any():
        return Outcome(False, no, "objection")
    return Outcome(True, np.zeros_like(members), "consensus")


RULES = {"unanimity": unanimity, "qmv": qualified_majority, "consensus": consensus}


@dataclass(frozen=True)
class AgendaItem:
    """A recurring or one-off decision.

    ``rule`` is a rule name, or ``param:NAME`` to read it from a parameter.
    ``position`` is the state variable (or derived position of the batch) that
    drives support; ``inverse`` flips it (no shipped item uses it: the
    ceasefire endorsements read ``ceasefire_acceptance``). ``must_pass`` marks an item whose lapse the
    members will not accept (the sanctions renewals): at its re-vote every
    state still withholding a yes is offered a concession and takes it with
    probability ``must_pass_concession_probability``. ``persistent`` marks an
    item that is re-tabled until it passes (the ratification of an accession);
    ``candidate`` is the state an accession item is about and ``slot`` keeps
    the random numbers of two requests apart; ``rounds`` counts the re-votes
    already held on a persistent item (the price offered to its holders rises
    with each, see ``linkage_escalation``).
    """

    name: str
    body: str  # "EU" | "NATO"
    rule: str
    position: str
    threshold_parameter: str
    months: tuple[int, ...] = ()
    inverse: bool = False
    fallback_coalition: bool = False
    must_pass: bool = False
    persistent: bool = False
    candidate: int = -1
    slot: int = -1
    rounds: int = 0

    @property
    def kind(self) -> str:
        """The vote kind whose rows of random numbers this item draws (see ``ITEM_KINDS``)."""
        return self.name if self.slot < 0 else f"{self.name}#{self.slot}"


DEFAULT_AGENDA = (
    AgendaItem(
        "eu_sanctions_renewal",
        "EU",
        "param:eu_cfsp_rule",
        "ukraine_support",
        "sanctions_threshold",
        (1, 7),
        must_pass=True,
    ),
    AgendaItem(
        "eu_ukraine_package",
        "EU",
        "param:eu_cfsp_rule",
        "ukraine_support",
        "ukraine_package_threshold",
        (12,),
        fallback_coalition=True,
    ),
    AgendaItem("eu_defence_industry", "EU", "qmv", "european_preference", "defence_industry_threshold", (3,)),
    AgendaItem("nato_summit", "NATO", "consensus", "posture_support", "nato_posture_threshold", (7,)),
    AgendaItem("nato_ukraine_partnership", "NATO", "consensus", "ukraine_support", "nato_partnership_threshold", (4,)),
    AgendaItem("nato_eu_cooperation", "NATO", "consensus", "eu_cooperation", "nato_eu_cooperation_threshold", (11,)),
)
CEASEFIRE_ITEMS = (
    AgendaItem(
        "eu_ceasefire_endorsement",
        "EU",
        "param:eu_cfsp_rule",
        "ceasefire_acceptance",
        "ceasefire_endorsement_threshold",
    ),
    AgendaItem(
        "nato_ceasefire_endorsement",
        "NATO",
        "consensus",
        "ceasefire_acceptance",
        "ceasefire_endorsement_threshold",
    ),
)
# Items the US itself proposes: it votes yes in the North Atlantic Council whatever its other positions.
US_PROPOSED_ITEMS = frozenset({"nato_ceasefire_endorsement"})
# Accession requests of one run take these slots in turn, so that two requests voted on in the same month
# (Finland's and Sweden's) draw different random numbers.
ACCESSION_SLOTS = 4


def accession_item(candidate: int, slot: int) -> AgendaItem:
    """The ratification of NATO membership for state ``candidate`` (an index of the data): every ally must agree."""
    return AgendaItem(
        "nato_accession",
        "NATO",
        "consensus",
        "consent",
        "accession_threshold",
        persistent=True,
        candidate=candidate,
        slot=slot % ACCESSION_SLOTS,
    )


# Fixed order of vote kinds: each item, first vote and re-vote, has its own row of random numbers
# every month, so that common random numbers hold across scenarios with different agendas.
ITEM_KINDS = tuple(
    f"{kind}{suffix}"
    for suffix in ("", ":revote")
    for kind in [item.name for item in DEFAULT_AGENDA + CEASEFIRE_ITEMS]
    + [f"nato_accession#{slot}" for slot in range(ACCESSION_SLOTS)]
)


class Agenda:
    """What comes up for decision in a month: the recurring items, one-offs, and re-tabled vetoes."""

    def __init__(self, items: tuple[AgendaItem, ...] = DEFAULT_AGENDA) -> None:
        self.items = items
        self.one_offs: list[tuple[int, AgendaItem]] = []
        self.retabled: list[tuple[int, AgendaItem, np.ndarray]] = []  # (month, item, vetoing states)

    def table_ceasefire_endorsement(self, month: int) -> None:
        self.one_offs.extend((month, item) for item in CEASEFIRE_ITEMS)

    def retable(self, month: int, item: AgendaItem, vetoers: np.ndarray) -> None:
        self.retabled.append((month, item, vetoers))

    def due(self, month: int) -> list[tuple[AgendaItem, np.ndarray | None]]:
        """Items due this month, each with the states whose earlier veto is being bought off (or None)."""
        month_of_year = month % 12 + 1
        due: list[tuple[AgendaItem, np.ndarray | None]] = [
            (item, None) for item in self.items if month_of_year in item.months
        ]
        due += [(item, None) for when, item in self.one_offs if when == month]
        due += [(item, vetoers) for when, item, vetoers in self.retabled if when == month]
        self.one_offs = [entry for entry in self.one_offs if entry[0] > month]
        self.retabled = [entry for entry in self.retabled if entry[0] > month]
        return due
