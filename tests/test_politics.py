"""Unit tests of the decision rules of the institutions and politics, on the real membership and populations."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from sim.analysis.compare import compare
from sim.engine import RunSpec, build_batch, run_batch
from sim.engine.decisions import deliver_ukraine_package, item_linkage
from sim.engine.hooks import RowHooks
from sim.engine.outputs import log_frame
from sim.inputs.states import load_states
from sim.rules import outcomes as metrics
from sim.rules.institutions import DEFAULT_AGENDA, accession_item
from sim.util.errors import InputError
from tests.test_compare import analysis_command, make_folder

DATA = load_states()
ITEMS = {item.name: item for item in DEFAULT_AGENDA}
HUN, SVK, TUR, FIN = (DATA.index(code) for code in ("HUN", "SVK", "TUR", "FIN"))


def one_run(**spec):
    return build_batch([RunSpec(seed=0, **spec)])


def test_no_state_holds_the_summit_hostage():
    held, _ = item_linkage(one_run(), ITEMS["nato_summit"], slice(None))
    assert not held.any()


def test_turkiye_and_hungary_hold_accessions_hostage_and_hungary_only_under_orban():
    b = one_run()
    item = accession_item(FIN, 0)
    held, concession = item_linkage(b, item, slice(None))
    assert held[0, TUR] > 0 and held[0, HUN] > 0
    assert np.count_nonzero(held[0]) == 2
    assert 0 < concession[0, TUR] < 1
    RowHooks(b, 0).set_government(HUN, False)
    held, concession = item_linkage(b, item, slice(None))
    assert held[0, HUN] == 0 and held[0, TUR] > 0  # Turkiye's linkage is the state's, not a government's
    assert concession[0, HUN] == b.linkage[0, HUN]  # back to its general bargaining propensity


def test_hungary_holds_the_nato_ukraine_meeting_hostage_and_slovakia_the_renewals():
    b = one_run()
    held, _ = item_linkage(b, ITEMS["nato_ukraine_partnership"], slice(None))
    assert np.flatnonzero(held[0]).tolist() == [HUN]
    held, _ = item_linkage(b, ITEMS["eu_sanctions_renewal"], slice(None))
    assert set(np.array(DATA.iso3)[held[0] > 0]) == {"HUN", "SVK", "CYP"}


@pytest.mark.parametrize(("probability", "all_pass"), [(1.0, True), (0.0, False)])
def test_a_veto_on_a_must_pass_item_ends_in_a_concession(probability, all_pass):
    """Renewals that most members veto on their positions (a threshold of 0.9): with the must-pass concession
    taken for sure they all end passed after concessions; with none, the vetoes stand."""
    parameters = {"must_pass_concession_probability": probability, "linkage_scale": 0.0, "sanctions_threshold": 0.9}
    b = run_batch([RunSpec(seed=s, parameters=parameters) for s in range(3)])
    for r in range(3):
        log = log_frame(b, r)
        renewals = log[(log["item"] == "eu_sanctions_renewal") & (log["outcome"] != "delayed")]
        assert len(renewals) == 22  # two a year, 2025-2035
        revotes = renewals[renewals["detail"].str.startswith("re-vote")]
        assert len(revotes) > 15
        assert (revotes["outcome"] == "passed_after_concession").all() == all_pass
        assert (revotes["outcome"] == "blocked").all() != all_pass


def test_an_accession_request_is_ratified_by_every_ally_then_the_state_joins():
    """Without linkage every ally consents: Finland joins the month after it applies."""
    spec = {"start": "2022-01", "end": "2023-12", "initial_year": 2022, "parameters": {"linkage_scale": 0.0}}
    events = [{"type": "accession_request", "date": "2022-05", "state": "FIN", "body": "nato"}]
    b = run_batch([RunSpec(seed=s, events=events, **spec) for s in range(3)])
    for r in range(3):
        log = log_frame(b, r)
        vote = log[log["item"] == "nato_accession"]
        assert vote["outcome"].tolist() == ["passed"] and vote["date"].tolist() == ["2022-06"]
        assert vote["yes"].iloc[0] == 30  # the 30 allies of 2022
        assert log[log["item"] == "accession"]["detail"].tolist() == ["FIN joins NATO"]
    assert b.nato_member[:, FIN].all()


def test_an_accession_request_of_a_member_changes_nothing():
    b = one_run()
    assert RowHooks(b, 0).request_accession(TUR) == "TUR already in NATO"
    assert not b.one_offs


def test_the_coalition_of_the_willing_pays_its_gdp_share():
    b = one_run()
    in_favour = b.eu_member[0] & ~np.isin(np.array(DATA.iso3), ["HUN", "SVK"])
    deliver_ukraine_package(b, 0, False, in_favour, ITEMS["eu_ukraine_package"])
    eu = DATA.eu_member
    expected = 1 - DATA.gdp_usd_bn[[HUN, SVK]].sum() / DATA.gdp_usd_bn[eu].sum()
    assert b.aid_eu[0] == 0 and b.aid_coalition[0] == pytest.approx(expected)
    assert 0.97 < expected < 0.995
    deliver_ukraine_package(b, 0, True, in_favour, ITEMS["eu_ukraine_package"])
    assert (b.aid_eu[0], b.aid_coalition[0]) == (1.0, 0.0)


def test_a_mainstream_government_lifts_hungary_s_support_anchor():
    b = one_run()
    before = b.support_anchor[0, HUN]
    RowHooks(b, 0).set_government(HUN, False)
    assert before <= 0.2 and b.support_anchor[0, HUN] == pytest.approx(b.p["mainstream_support_floor"][0])
    RowHooks(b, 0).set_government(HUN, True)
    assert b.support_anchor[0, HUN] == before


def test_cohesion_components_on_their_scales():
    allies = (DATA.nato_member & ~np.isin(np.array(DATA.iso3), ["USA", "CAN"]))[None, :]
    gdp = DATA.gdp_usd_bn
    at_pledge = np.full((1, len(gdp)), 3.5)
    assert metrics.cohesion_burden(at_pledge, np.array([[3.5]]), allies, gdp)[0] == pytest.approx(1.0)
    half = np.full((1, len(gdp)), 1.75)
    assert metrics.cohesion_burden(half, np.array([[3.5]]), allies, gdp)[0] == pytest.approx(0.75)
    split = np.where(np.arange(len(gdp)) % 2 == 0, 3.5, 0.0)[None, :]
    assert metrics.cohesion_burden(split, np.array([[3.5]]), allies, gdp)[0] < 0.6
    even = np.full((1, len(gdp)), 0.8)
    assert metrics.cohesion_credibility(even, allies)[0] == pytest.approx(0.8)
    uneven = np.where(np.arange(len(gdp)) % 2 == 0, 1.0, 0.6)[None, :]
    assert metrics.cohesion_credibility(uneven, allies)[0] < 0.8 - 0.15
    assert metrics.cohesion_decisions(np.array([3, 0]), np.array([1, 0])).tolist() == [0.75, 1.0]


def test_compare_refuses_folders_with_other_outcome_definitions(tmp_path):
    reference = make_folder(tmp_path, name="reference", replications=2)
    old = tmp_path / "old"
    shutil.copytree(make_folder(tmp_path / "o", name="old", replications=2), old)
    manifest = json.loads((old / "manifest.json").read_text())
    assert manifest["outcome_definitions"] == metrics.OUTCOME_DEFINITIONS_VERSION
    del manifest["outcome_definitions"]  # written before the composite
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError) as error:
        compare([reference, old])
    assert "outcome_definitions" in str(error.value) and "\n" not in str(error.value)
    assert "is 1 here but 2" in str(error.value)
    done = analysis_command("compare", reference, old)
    assert done.code == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "outcome_definitions" in done.stderr


def test_the_trust_reference_habituates_at_its_rate():
    """After a month the reference has moved toward trust by trust_habituation_rate of the gap (every state)."""
    from sim.engine.step import step

    b = one_run(parameters={"trust_habituation_rate": 0.1})
    b.trust_reference = b.trust_reference + 0.2  # trust now lies 0.2 below the reference everywhere
    before = b.trust_reference.copy()
    step(b)
    expected = before + 0.1 * (b.us_trust - before)
    np.testing.assert_allclose(b.trust_reference, expected, rtol=0, atol=1e-15)
    b = one_run(parameters={"trust_habituation_rate": 0.0})
    before = b.trust_reference.copy()
    step(b)
    np.testing.assert_array_equal(b.trust_reference, before)


def test_every_linkage_row_has_its_rationale_and_source_in_the_assumptions():
    """Each (holder, item[, applicant]) row of linkage.csv appears as a bracketed entry with a source in the
    holder's rationale in assumptions.csv, and no entry there lacks its linkage row."""
    import re

    from sim.inputs.states import tables

    t = tables()
    rationale = t["assumptions.csv"].set_index("iso3")["rationale"]
    links = t["linkage.csv"]
    expected: dict[str, set[str]] = {}
    for _, row in links.iterrows():
        applicant = row["applicant"] if isinstance(row["applicant"], str) else ""
        expected.setdefault(row["iso3"], set()).add(row["item"] + (f"/{applicant}" if applicant else ""))
    entry = re.compile(r"\[([a-z_]+(?:/[A-Z]{3})?)\] [^\[]*?\(source: [^)]+\)")
    for code in rationale.index:
        found = set(entry.findall(rationale[code]))
        assert found == expected.get(code, set()), code
        assert rationale[code].count("[") == len(found), code  # every entry names its source


def test_linkage_on_sweden_is_the_pair_s_and_on_finland_the_holder_s():
    """Turkiye's and Hungary's rows for the (holder, SWE) pair set a lower concession chance on Sweden's request
    than on Finland's; other allies hold neither."""
    b = one_run()
    swe = DATA.index("SWE")
    held_fin, concession_fin = item_linkage(b, accession_item(FIN, 0), slice(None))
    held_swe, concession_swe = item_linkage(b, accession_item(swe, 1), slice(None))
    for holder in (TUR, HUN):
        assert held_swe[0, holder] > 0 and held_fin[0, holder] > 0
        assert 0 < concession_swe[0, holder] < concession_fin[0, holder]
    assert np.count_nonzero(held_swe[0]) == 2
    others = np.ones(DATA.n, dtype=bool)
    others[[TUR, HUN]] = False
    assert np.array_equal(concession_swe[0, others], concession_fin[0, others])


def test_the_price_of_a_hold_rises_with_each_round():
    """Paired hindcast runs: with the concession offered rising each round held (linkage_escalation 1) Sweden
    joins no later than with a constant chance (0) in every run, and sooner in some."""
    spec = {"start": "2022-01", "end": "2025-12", "initial_year": 2022}
    events = [{"type": "accession_request", "date": "2022-05", "state": "SWE", "body": "nato"}]

    def joins(escalation):
        b = run_batch(
            [RunSpec(seed=s, events=events, parameters={"linkage_escalation": escalation}, **spec) for s in range(12)]
        )
        dates = []
        for r in range(12):
            log = log_frame(b, r)
            joined = log.loc[(log["item"] == "accession") & (log["body"] == "NATO"), "date"]
            dates.append(joined.iloc[0] if len(joined) else "9999-99")
        return np.array(dates)

    constant, rising = joins(0.0), joins(1.0)
    assert (rising <= constant).all()
    assert (rising < constant).sum() >= 3


def test_ceasefire_acceptance_reads_alignment_support_and_threat():
    """On the real membership: without a US push acceptance is 1 - support less the frontline term; a push
    raises it most for the states that rely on and trust the US; Hungary's accommodationist government accepts
    far more than Finland; a mainstream government in Hungary lowers its acceptance."""
    b = one_run()
    calm = b.ceasefire_acceptance[0].copy()
    expected = np.clip(1 - b.ukraine_support[0] - b.p["ceasefire_frontline_weight"][0] * b.threat[0], 0, 1)
    assert np.allclose(calm, expected)
    RowHooks(b, 0).press_for_ceasefire(0.7, 12)
    pushed = b.ceasefire_acceptance[0]
    est, fra = DATA.index("EST"), DATA.index("FRA")
    assert pushed[est] - calm[est] > pushed[fra] - calm[fra] > 0  # Estonia relies on the US far more than France
    assert pushed[HUN] > pushed[FIN] + 0.4
    before = pushed[HUN]
    RowHooks(b, 0).set_government(HUN, False)
    assert b.ceasefire_acceptance[0, HUN] < before


def test_the_us_votes_for_its_own_ceasefire_plan():
    """In the North Atlantic Council the US votes yes on the endorsement it proposes whatever its position: with
    a threshold only accommodationist governments reach (and no vote noise) the US, whose own acceptance is near
    0.5, is not among the objectors while Finland is."""
    from sim.rules.institutions import US_PROPOSED_ITEMS

    assert {"nato_ceasefire_endorsement"} == US_PROPOSED_ITEMS
    events = [{"type": "ceasefire_pressure", "date": "2026-03", "level": 0.7, "duration_months": 18}]
    parameters = {"ceasefire_endorsement_threshold": 0.99, "vote_noise_sd": 0.0, "abstain_band": 0.0}
    b = run_batch([RunSpec(seed=s, events=events, parameters=parameters, end="2026-06") for s in range(3)])
    usa = DATA.index("USA")
    for r in range(3):
        log = log_frame(b, r)
        nato = log[log["item"] == "nato_ceasefire_endorsement"].iloc[0]
        assert b.ceasefire_acceptance[r, usa] < 0.99  # on its position alone the US would object
        assert nato["outcome"] == "delayed"  # first vote: re-tabled with concessions
        assert "USA" not in nato["blockers"].split(";") and "FIN" in nato["blockers"].split(";")
