"""Pattern-oriented validation (Grimm et al. 2005): the eight patterns of docs/ODD.md section 1.

Each test runs the real model over replications and asserts a qualitative
pattern with a stated margin. Paired comparisons use the same seeds, so
replication k of both arms shares its random numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from sim.inputs.states import load_states
from tests.patterns.stresses import DRAWDOWN, HINDCAST, PRELUDE, STRESSES, at, eu_cfsp_votes, outcome, region_mask, run

pytestmark = pytest.mark.pattern
REPS = 12


def test_pattern_1_rally_and_drift():
    """Pattern 1 (rally): a surge in Russian aggression narrows the spread of Ukraine support and raises the
    EU pass rate for a while; afterwards the spread drifts back up."""
    surge = [{"type": "russia_aggression", "date": "2026-01", "level": 1.0}]
    sd_before, sd_rally, sd_late, pass_calm, pass_rally = [], [], [], [], []
    for seed in range(REPS):
        calm = run(seed, parameters={"russia_aggression_initial": 0.5})
        hot = run(seed, parameters={"russia_aggression_initial": 0.5}, events=surge)
        frame = hot.model_dataframe().set_index("date")["ukraine_support_sd"]
        sd_before.append(frame.loc["2025-12"])
        sd_rally.append(frame.loc["2026-07":"2027-12"].min())
        sd_late.append(frame.loc["2034-12"])
        for model, sink in ((calm, pass_calm), (hot, pass_rally)):
            votes = eu_cfsp_votes(model)
            window = votes[(votes["date"] >= "2026-01") & (votes["date"] <= "2028-12")]
            sink.append((window["outcome"] == "passed").mean())
    assert np.median(sd_rally) < 0.85 * np.median(sd_before), "rally should narrow dispersion by 15 %+"
    assert np.mean(pass_rally) > np.mean(pass_calm) + 0.1, "rally should raise the EU pass rate by 10 points+"
    assert np.median(sd_late) > np.median(sd_rally) + 0.01, "dispersion should drift back up after the rally"


def test_pattern_2_burden_follows_threat_not_size():
    """Pattern 2: spending ranks with proximity to Russia, not with GDP (NATO 2024: rho 0.57 and 0.07).

    Structural version: all allies start at the same 1.5 % of GDP, Russia turns aggressive; by 2030 the
    model has sorted spending by proximity and not by size. Among the allies, proximity and GDP are
    themselves rank-correlated at about -0.26 (the frontline states are small), so any proximity-driven
    model inherits a mildly negative GDP correlation; "near zero" is asserted as |rho| < 0.4, well below
    the proximity correlation.
    """
    data = load_states()
    allies = data.nato_member & ~np.isin(data.iso3, ["USA"])
    uniform = {code: {"spending_pct_gdp": 1.5} for code in np.array(data.iso3)[allies]}
    surge = [{"type": "russia_aggression", "date": "2025-03", "level": 0.95}]
    rho_proximity, rho_gdp = [], []
    for seed in range(REPS):
        model = run(seed, states=uniform, events=surge, parameters={"russia_aggression_initial": 0.35})
        spending = at(model, "2030-12")["spending_pct_gdp"].to_numpy()[allies]
        rho_proximity.append(spearmanr(spending, model.proximity[allies])[0])
        rho_gdp.append(spearmanr(spending, data.gdp_usd_bn[allies])[0])
    assert np.median(rho_proximity) > 0.5
    assert abs(np.median(rho_gdp)) < 0.4
    assert np.median(rho_proximity) - abs(np.median(rho_gdp)) > 0.3


def test_pattern_2_kept_from_data():
    """Pattern 2, from the 2024 data: the baseline keeps spending ranked by proximity and not by GDP."""
    data = load_states()
    allies = data.nato_member & ~np.isin(data.iso3, ["USA"])
    rho_proximity, rho_gdp = [], []
    for seed in range(REPS):
        model = run(seed, events=PRELUDE)
        spending = at(model, "2030-12")["spending_pct_gdp"].to_numpy()[allies]
        rho_proximity.append(spearmanr(spending, model.proximity[allies])[0])
        rho_gdp.append(spearmanr(spending, data.gdp_usd_bn[allies])[0])
    assert np.median(rho_proximity) > 0.4
    assert abs(np.median(rho_gdp)) < 0.3


def test_pattern_3_hindcast_direction():
    """Pattern 3 (hindcast): from 2022 data through the invasion, the simulated 2022-24 rise in spending ranks
    states like the real rise (real rho with proximity 0.74); allies at 2 % go from 7 toward 18."""
    data = load_states()
    allies = data.nato_member & ~np.isin(data.iso3, ["USA"])
    real_rise = (data.spending[2024] - data.spending[2022])[allies]
    rho_proximity, rho_real, at_2pct_start, at_2pct_2024 = [], [], [], []
    for seed in range(REPS):
        model = run(seed, **HINDCAST)
        rise = at(model, "2024-12")["spending_pct_gdp"].to_numpy()[allies] - data.spending[2022][allies]
        rho_proximity.append(spearmanr(rise, model.proximity[allies])[0])
        rho_real.append(spearmanr(rise, real_rise)[0])
        at_2pct_start.append(outcome(model, "allies_at_2pct", "2022-01"))
        at_2pct_2024.append(outcome(model, "allies_at_2pct", "2024-12"))
    assert np.median(rho_proximity) > 0.5
    assert np.median(rho_real) > 0.35
    assert np.median(at_2pct_start) == 7
    assert 12 <= np.median(at_2pct_2024) <= 24


def _rise(model, mask) -> float:
    return float((at(model, "2030-12")["spending_pct_gdp"] - at(model, "2025-12")["spending_pct_gdp"])[mask].mean())


def test_pattern_4_drawdown_widens_the_gap():
    """Pattern 4: under a US drawdown, eastern-flank spending rises faster than south-western spending.

    Checked twice. Without the Hague ramp, the drawdown alone makes the east rise faster in absolute
    terms. With the Hague ramp (prelude), the south-west rises more in absolute terms because it starts
    further below the pledge, so the pattern is asserted on what the drawdown adds, paired by seed.
    """
    alone_east, alone_sw, extra_east, extra_sw = [], [], [], []
    for seed in range(REPS):
        down = run(seed, events=DRAWDOWN)
        east = region_mask(down, ("eastern_flank",))
        south_west = region_mask(down, ("southern", "western"))
        alone_east.append(_rise(down, east))
        alone_sw.append(_rise(down, south_west))
        base = run(seed, events=PRELUDE)
        hague_down = run(seed, events=STRESSES["us_drawdown"])
        extra_east.append(_rise(hague_down, east) - _rise(base, east))
        extra_sw.append(_rise(hague_down, south_west) - _rise(base, south_west))
    assert np.median(alone_east) > np.median(alone_sw) + 0.04
    assert np.median(extra_east) > 1.5 * np.median(extra_sw)
    assert np.median(extra_east) > 0.04


def test_pattern_5_unanimity_is_fragile():
    """Pattern 5: with the same preferences (same seeds), EU foreign-policy items pass far less often under
    unanimity than under QMV, and unanimity outcomes hinge on the least supportive member: the states
    that block are almost always among the three least supportive members."""
    pass_unanimity, pass_qmv, hinged, blocked = [], [], 0, 0
    for seed in range(REPS):
        events = STRESSES["perfect_storm"]
        model = run(seed, events=events)
        unanimous = eu_cfsp_votes(model)
        qmv = eu_cfsp_votes(run(seed, events=events, parameters={"eu_cfsp_rule": "qmv"}))
        first_u = unanimous[unanimous["outcome"].isin(["passed", "delayed"])]
        first_q = qmv[qmv["outcome"].isin(["passed", "delayed"])]
        pass_unanimity.append((first_u["outcome"] == "passed").mean())
        pass_qmv.append((first_q["outcome"] == "passed").mean())
        agents = model.agent_dataframe()
        for _, row in first_u[first_u["outcome"] == "delayed"].iterrows():
            month = agents[(agents["date"] == row["date"]) & agents["eu_member"]]
            least = set(month.nsmallest(3, "ukraine_support")["iso3"])
            blocked += 1
            hinged += bool(least & set(row["blockers"].split(";")))
    assert np.mean(pass_qmv) > np.mean(pass_unanimity) + 0.3
    assert blocked > 20
    assert hinged / blocked > 0.8


def test_pattern_6_ceasefire_pressure_splits_along_threat_lines():
    """Pattern 6: US ceasefire pressure splits Ukraine support along threat lines (low-threat states fall,
    frontline states hold or rise) instead of shifting everyone evenly."""
    low_change, high_change, rho, spread_ratio = [], [], [], []
    for seed in range(REPS):
        base = at(run(seed, events=PRELUDE), "2027-08")
        pressed = at(run(seed, events=STRESSES["ceasefire_pressure"]), "2027-08")
        mainstream = (base["government"] == "mainstream").to_numpy() & ~base["iso3"].isin(["USA", "UKR"]).to_numpy()
        change = (pressed["ukraine_support"] - base["ukraine_support"])[mainstream]
        threat = base["threat"][mainstream]
        high, low = threat >= threat.quantile(2 / 3), threat <= threat.quantile(1 / 3)
        high_change.append(change[high].mean())
        low_change.append(change[low].mean())
        rho.append(spearmanr(change, threat)[0])
        spread_ratio.append(pressed["ukraine_support"][mainstream].std() / base["ukraine_support"][mainstream].std())
    assert np.median(low_change) < -0.05
    assert np.median(high_change) > np.median(low_change) + 0.08
    assert np.median(rho) > 0.6
    assert np.median(spread_ratio) > 1.15


def test_pattern_7_anchors_keep_dissent_alive():
    """Pattern 7: with stubborn agents dispersion stays above zero at steady state. The outside pushes on
    Ukraine support (rally, fatigue) are switched off in both arms, so only social influence and anchors act;
    without anchors, and with everyone listening to everyone, the same model collapses to consensus."""
    social_only = {"support_threat_coef": 0.0, "war_fatigue_rate": 0.0}
    anchored, unanchored = [], []
    for seed in range(4):
        anchored.append(outcome(run(seed, parameters=social_only), "ukraine_support_sd", "2035-12"))
        loose = run(seed, parameters={**social_only, "stubbornness_scale": 0.0, "confidence_bound": 1.0})
        unanchored.append(outcome(loose, "ukraine_support_sd", "2035-12"))
    assert min(anchored) > 0.05
    assert max(unanchored) < 0.1 * min(anchored)


def test_pattern_8_no_stress_no_drift():
    """Pattern 8: in a calm baseline the cohesion of positions stays within a narrow band; no stress scenario
    raises Article 5 credibility above the baseline (paired by seed)."""
    for seed in range(REPS):
        cohesion = run(seed).model_dataframe()["cohesion_positions"]
        assert cohesion.max() - cohesion.min() < 0.05
    for name, events in STRESSES.items():
        diffs = []
        for seed in range(6):
            base = outcome(run(seed, events=PRELUDE), "article5_credibility", "2030-12")
            stressed = outcome(run(seed, events=events), "article5_credibility", "2030-12")
            diffs.append(stressed - base)
        assert np.median(diffs) <= 0.005, name
