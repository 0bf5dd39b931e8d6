"""Pattern tests of burden sharing (docs/ODD.md section 7.7 and the judgement table): pledges that can be met,
bunching at deadlines, the hindcast count at 2 %, threat above the pledge path, US reliance that moves slowly,
a deterrence gap under a US drawdown, and a calm baseline that stands still.

Each test runs the real model over replications in one batch (run k of every arm shares its seed, so arms are
paired) and asserts a pattern with the margin stated in its docstring.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.outputs import model_columns
from sim.engine.setup import RunSpec, run_batch
from sim.inputs.states import load_states
from tests.patterns.stresses import HINDCAST, PRELUDE, STRESSES

pytestmark = pytest.mark.pattern
REPS = 12
DATA = load_states()
ISO = np.array(DATA.iso3)
ALLIES = DATA.nato_member & (ISO != "USA")  # the allies other than the US (all NATO members by 2024)


def batch(reps: int = REPS, **kwargs):
    """``reps`` runs with seeds 0..reps-1 and the same scenario, stepped to the end."""
    return run_batch([RunSpec(seed=seed, **kwargs) for seed in range(reps)])


def month(b, date: str) -> int:
    """Index of ``date`` (YYYY-MM) in the batch's history."""
    year, mon = map(int, date.split("-"))
    return 12 * year + mon - 1 - b.start_month


def outcome(b, name: str) -> np.ndarray:
    """(R, T) model outcome ``name``."""
    return model_columns(b)[name].reshape(b.n_runs, b.n_steps)


def spending(b, date: str) -> np.ndarray:
    """(R, N) spending, % of GDP, at the end of ``date``."""
    return b.history["spending_pct_gdp"][:, month(b, date)]


def with_parameters(scenario: dict, **parameters) -> dict:
    return {**scenario, "parameters": {**scenario.get("parameters", {}), **parameters}}


@pytest.fixture(scope="module")
def baseline():
    return batch(events=PRELUDE)


@pytest.fixture(scope="module")
def hindcast():
    return batch(**HINDCAST)


def test_adherent_allies_meet_the_hague_pledge_and_laggards_lag(baseline):
    """Under the Hague pledge every fully adherent ally ends 2035 within 0.2 points of 3.5 % or above it
    (median over replications); Spain (adherence 0.3, the Hague opt-out) stays at least 1 point below; at
    least 18 allies reach 3.5 % (before the reformulation: at most 4 in any scenario). Within fiscal room
    they meet an earlier deadline too; without it (rises capped at 0.3 points a year) they cannot."""
    end = np.median(spending(baseline, "2035-12"), axis=0)
    adherent = ALLIES & (DATA.pledge_adherence >= 1.0) & (ISO != "ISL")
    assert adherent.sum() >= 15
    assert np.all(end[adherent] >= 3.3), dict(zip(ISO[adherent], end[adherent].round(2), strict=True))
    on_line = adherent & (end < 3.75)  # the rest are pushed above the line by threat (next test)
    assert np.all(np.abs(end[on_line] - 3.5) <= 0.2)
    assert end[ISO == "ESP"][0] < 2.5
    assert np.median(outcome(baseline, "allies_at_3_5pct")[:, -1]) >= 18
    # Fiscal room: a pledge due in 2028 asks the far-behind adherent allies for ~0.6 points a year; with room
    # for 0.8 they meet it by the deadline, with room for 0.3 they cannot.
    soon = {"pledge_deadline_year": 2028}
    far = adherent & (DATA.spending[2024] < 1.8)
    assert far.sum() >= 2
    for cap, meets in ((0.8, True), (0.3, False)):
        runs = batch(reps=4, events=PRELUDE, parameters={**soon, "fiscal_cap_pp_per_year": cap})
        at_deadline = np.median(spending(runs, "2028-12"), axis=0)[far]
        assert np.all(at_deadline >= 3.3) if meets else np.all(at_deadline < 3.3), (cap, at_deadline)


def test_hague_bunching_at_the_line(baseline):
    """As 2035 nears, the allies pile up just at the Hague line: at least half of them end 2035 in
    [3.5, 3.75) %, more than five times as many as in the band just below, [3.25, 3.5)."""
    end = spending(baseline, "2035-12")[:, ALLIES].ravel()
    just_above = np.mean((end >= 3.495) & (end < 3.75))
    just_below = np.mean((end >= 3.25) & (end < 3.495))
    assert just_above >= 0.5
    assert just_above > 5 * just_below


def test_wales_bunching_under_us_pressure(hindcast):
    """In the 2022 hindcast, the allies below 2 % in 2022 pile up just above 2 % by the Wales deadline (2024):
    the band [2, 2.25) % holds more of them than the band just below, [1.75, 2), and at least 30 %; without
    US deadline pressure (deadline_pressure_coef 0, paired seeds) the pile-up shrinks by at least 10 points."""
    below = ALLIES & (DATA.spending[2022] < 1.995)
    end = spending(hindcast, "2024-12")[:, below].ravel()
    above_share = np.mean((end >= 1.995) & (end < 2.25))
    below_share = np.mean((end >= 1.75) & (end < 1.995))
    assert above_share > below_share
    assert above_share >= 0.3
    calm = batch(**with_parameters(HINDCAST, deadline_pressure_coef=0.0))
    calm_end = spending(calm, "2024-12")[:, below].ravel()
    assert above_share >= np.mean((calm_end >= 1.995) & (calm_end < 2.25)) + 0.1


def test_hindcast_count_at_two_percent(hindcast):
    """The hindcast matches the count of allies other than the US at 2 % or more in 2024 (17 in
    member_states.csv) within +-3 (median over replications), and still starts from the 6 of 2022."""
    nato = hindcast.history["nato_member"]
    at_2 = (hindcast.history["spending_pct_gdp"] >= 2.0 - 0.005) & nato & (ISO != "USA")
    real_2024 = int(((DATA.spending[2024] >= 1.995) & ALLIES).sum())
    assert real_2024 == 17
    assert np.median(at_2[:, month(hindcast, "2022-01")].sum(axis=1)) == 6
    assert abs(np.median(at_2[:, month(hindcast, "2024-12")].sum(axis=1)) - real_2024) <= 3


def test_threat_sets_spending_above_the_pledge_path():
    """Where threat is high, spending goes above the pledge path: with Russia at aggression 0.95 from 2026,
    each frontline ally of highest threat (Poland and the Baltic states) spends above the 2030 path (median), on average
    at least 0.5 points above it, and more than under the calm baseline (paired) by at least 0.2 points."""
    surge = PRELUDE + [{"type": "russia_aggression", "date": "2026-01", "level": 0.95}]
    hot, calm = batch(reps=6, events=surge), batch(reps=6, events=PRELUDE)
    front = np.isin(ISO, ["POL", "EST", "LVA", "LTU"])
    path = hot.pledge_path[:, month(hot, "2030-12")]
    above = np.median(spending(hot, "2030-12")[:, front] - path[:, None], axis=0)
    assert np.all(above > 0.1) and above.mean() >= 0.5, above
    assert np.all(np.median(spending(hot, "2030-12")[:, front] - spending(calm, "2030-12")[:, front], axis=0) > 0.2)


def test_us_reliance_falls_slowly_with_investment_and_industry(baseline):
    """US reliance moves: with the Hague investment and the defence-industrial measure in force, European
    reliance falls by 0.05 to 0.25 over 2025-2035, by no more than 0.02 in any year (slowly); blocking the
    measure (paired seeds) leaves reliance at least 0.02 higher; without sustained investment above the
    level and without the measure, reliance stays within 0.005 of its start."""
    europe = baseline.europe[0]
    mean = baseline.history["us_reliance"][:, :, europe].mean(axis=2)  # (R, T)
    fall = mean[:, 0] - mean[:, -1]
    assert baseline.industry_in_force.all()
    assert np.all((fall >= 0.05) & (fall <= 0.25))
    yearly = mean[:, ::12]
    assert np.all(yearly[:, :-1] - yearly[:, 1:] <= 0.02)
    blocked = batch(events=PRELUDE, parameters={"defence_industry_threshold": 1.0})
    assert not blocked.industry_in_force.any()
    assert np.all(blocked.history["us_reliance"][:, -1, europe].mean(axis=1) >= mean[:, -1] + 0.02)
    still = batch(reps=4, parameters={"defence_industry_threshold": 1.0, "reliance_investment_level_pct": 4.0})
    start = still.history["us_reliance"][:, 0, europe].mean(axis=1)
    assert np.all(np.abs(still.history["us_reliance"][:, -1, europe].mean(axis=1) - start) <= 0.005)


def test_drawdown_opens_a_deterrence_gap_but_does_not_cut_reliance(baseline):
    """A US drawdown raises perceived threat: mean threat in 2029-2031 under ``us_drawdown`` exceeds the paired
    baseline in every replication, by at least 0.005 on the median, most on the eastern flank; US reliance
    is not lowered by decree (within 0.002 of the baseline's in 2028-12)."""
    down = batch(events=STRESSES["us_drawdown"])
    window = slice(month(down, "2029-01"), month(down, "2031-12") + 1)
    gap = outcome(down, "mean_threat")[:, window].mean(axis=1) - outcome(baseline, "mean_threat")[:, window].mean(1)
    assert np.all(gap > 0.0) and np.median(gap) >= 0.005
    east = np.isin(DATA.region, ["eastern_flank"]) & ALLIES
    west = np.isin(DATA.region, ["western", "southern"]) & ALLIES
    rise = down.history["threat"][:, window].mean(axis=1) - baseline.history["threat"][:, window].mean(axis=1)
    assert np.median(rise[:, east].mean(axis=1)) > 2 * np.median(rise[:, west].mean(axis=1))
    europe = baseline.europe[0]
    k = month(down, "2028-12")
    reliance_gap = down.history["us_reliance"][:, k, europe].mean(1) - baseline.history["us_reliance"][
        :, k, europe
    ].mean(1)
    assert np.all(np.abs(reliance_gap) <= 0.002)


def test_calm_baseline_stands_still(baseline):
    """With no shock after the 2025 record the baseline stands still through 2035 (medians over replications,
    every month): war fatigue within 0.02 of its 2025 level (war_fatigue_initial 0.3); accommodationist
    governments within 1 of the start (2), and their mean over replications and 2031-2035 at most 3;
    mean support for Ukraine within 0.03 of January 2025; cohesion's yearly mean within 0.04 of its 2027
    value from 2027 on (2026 carries the coercion of Denmark, the last event of the record). Before voters'
    spending reference habituated (ODD 7.10), meeting 3.5 % drifted governments to about 4 (mean 3.5 in
    2031-2035) and support down by 0.032 to 0.037, which fails these bands."""
    fatigue = outcome(baseline, "war_fatigue")
    assert np.all(np.abs(fatigue - 0.3) <= 0.02)
    governments = baseline.history["government"].sum(axis=2)  # (R, T)
    median = np.median(governments, axis=0)
    assert median[0] == 2
    assert np.all(np.abs(median - 2) <= 1)
    assert governments[:, month(baseline, "2031-01") :].mean() <= 3.0
    support = np.median(outcome(baseline, "ukraine_support"), axis=0)
    assert np.all(np.abs(support - support[0]) <= 0.03), np.abs(support - support[0]).max()
    cohesion = outcome(baseline, "cohesion")
    yearly = np.median(cohesion.reshape(baseline.n_runs, -1, 12).mean(axis=2), axis=0)  # 2025..2035
    assert np.all(np.abs(yearly[2:] - yearly[2]) <= 0.04), yearly.round(3)


def switches_in(b, first: str, last: str) -> int:
    """Elections won by an accommodationist government over months ``first``..``last``, all runs together."""
    government = b.history["government"][:, month(b, first) : month(b, last) + 1]
    return int((government[:, 1:] & ~government[:, :-1]).sum())


def test_a_spending_rise_costs_votes_while_it_happens():
    """The baseline stands still because voters get used to a new level, not because the cost of defence is
    off: with the Hague pledge due in 2028 (a ramp about three times as steep as the baseline's), elections
    in 2026-2029 bring at least 1.5 times as many accommodationist governments as on the same ramp with the
    cost left out (election_cost_coef 0, paired seeds); in 2030-2035, the new level being normal, the two
    arms differ by at most 3 such elections (a cost over the government's term would still be felt then)."""
    fast = with_parameters({"events": PRELUDE}, pledge_deadline_year=2028)
    steep, free = batch(**fast), batch(**with_parameters(fast, election_cost_coef=0.0))
    during = switches_in(steep, "2026-01", "2029-12"), switches_in(free, "2026-01", "2029-12")
    assert during[1] >= 3 and during[0] >= 1.5 * during[1], during
    after = switches_in(steep, "2030-01", "2035-12"), switches_in(free, "2030-01", "2035-12")
    assert abs(after[0] - after[1]) <= 3, after
