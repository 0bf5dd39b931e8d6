"""The model as a whole: construction, determinism, Mesa integration, events, overrides, errors."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import EVENT_TYPES, MODEL_OUTCOMES, AllianceModel, MemberState, UnitedStates
from sim.util.errors import InputError

SHORT = {"start": "2025-01", "end": "2026-12"}


def test_builds_37_states_with_agents_and_runs_the_horizon():
    model = AllianceModel(seed=1).run()
    states = model.agents_by_type[MemberState]
    assert len(states) == 37
    assert len(model.agents_by_type[UnitedStates]) == 1
    frame = model.model_dataframe()
    assert len(frame) == 132
    assert list(frame.columns) == ["step", "date", *MODEL_OUTCOMES]
    assert frame["date"].iloc[0] == "2025-01" and frame["date"].iloc[-1] == "2035-12"
    assert not frame[list(MODEL_OUTCOMES)].isna().any().any()
    agents = model.agent_dataframe()
    assert len(agents) == 132 * 37
    assert set(agents["government"]) <= {"mainstream", "accommodationist"}


def test_agents_are_views_of_the_state_arrays():
    model = AllianceModel(seed=1, **SHORT)
    poland = next(a for a in model.member_states if a.iso3 == "POL")
    poland.threat = 0.77
    assert model.state.threat[poland.index] == 0.77
    assert poland.region == "eastern_flank"
    assert poland.government == "mainstream"
    hungary = next(a for a in model.member_states if a.iso3 == "HUN")
    assert hungary.government == "accommodationist"


def test_same_seed_same_numbers_and_different_seeds_differ():
    a = AllianceModel(seed=42).run()
    b = AllianceModel(seed=42).run()
    c = AllianceModel(seed=43).run()
    pd.testing.assert_frame_equal(a.model_dataframe(), b.model_dataframe())
    pd.testing.assert_frame_equal(a.agent_dataframe(), b.agent_dataframe())
    pd.testing.assert_frame_equal(a.log_dataframe(), b.log_dataframe())
    assert not a.model_dataframe()["russia_aggression"].equals(c.model_dataframe()["russia_aggression"])


def test_common_random_numbers_survive_a_scenario_change():
    """A scenario that changes nothing stochastic leaves each stream's draws untouched."""
    plain = AllianceModel(seed=5).run().model_dataframe()
    doubt = AllianceModel(seed=5, events=[{"type": "article5_doubt", "date": "2027-01", "size": 0.3}]).run()
    other = doubt.model_dataframe()
    # Russia does not react to US rhetoric, so its noisy path is identical.
    assert np.array_equal(plain["russia_aggression"], other["russia_aggression"])
    assert np.array_equal(plain["hybrid_incidents"], other["hybrid_incidents"])


def test_runs_under_mesa_batch_run():
    results = mesa.batch_run(
        AllianceModel,
        parameters={"confidence_bound": [0.2, 0.4], "seed": 3, "end": "2025-12"},
        iterations=1,
        max_steps=20,
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
    )
    rows = pd.DataFrame(results)
    # One row per member state and step (agent reporters), the model outcomes repeated on each.
    assert len(rows) == 2 * 12 * (37 + 2) and rows["state_threat"].notna().sum() == 2 * 12 * 37  # US, Russia: None
    frame = rows.drop_duplicates(["RunId", "Step"])
    assert set(frame["confidence_bound"]) == {0.2, 0.4}
    assert len(frame) == 2 * 12
    assert {"cohesion", "article5_credibility", "Step"} <= set(frame.columns)
    direct = AllianceModel(seed=3, end="2025-12", confidence_bound=0.2).run().model_dataframe()
    batch = frame[frame["confidence_bound"] == 0.2].sort_values("Step")
    assert np.allclose(batch["cohesion"].to_numpy(), direct["cohesion"].to_numpy())


def test_parameter_overrides_by_name_and_bad_ones_are_refused():
    model = AllianceModel(seed=1, confidence_bound=0.25, parameters={"vote_noise_sd": 0.0}, **SHORT)
    assert model.p["confidence_bound"] == 0.25 and model.p["vote_noise_sd"] == 0.0
    with pytest.raises(InputError, match="did you mean 'confidence_bound'"):
        AllianceModel(confidence_bund=0.3)
    with pytest.raises(InputError, match="out of range"):
        AllianceModel(confidence_bound=7.0)
    with pytest.raises(InputError, match="is text; use a number from 0.05 to 1"):
        AllianceModel(confidence_bound="wide")
    with pytest.raises(InputError, match="one of unanimity, qmv"):
        AllianceModel(eu_cfsp_rule="majority")


def test_bad_run_settings_are_refused():
    with pytest.raises(InputError, match="before start"):
        AllianceModel(start="2030-01", end="2029-12")
    with pytest.raises(InputError, match="initial_year"):
        AllianceModel(initial_year=2023)
    with pytest.raises(InputError, match="outside the run"):
        AllianceModel(events=[{"type": "article5_doubt", "date": "2040-01", "size": 0.2}])
    with pytest.raises(InputError, match="DNK"):
        AllianceModel(states={"DNKK": {"threat": 0.5}})
    with pytest.raises(InputError, match="cannot be set per state"):
        AllianceModel(states={"POL": {"happiness": 0.5}})


def test_state_overrides_hold():
    model = AllianceModel(seed=1, states={"POL": {"threat": 0.9, "spending_pct_gdp": 5.0}}, **SHORT).run()
    poland = model.agent_dataframe().query("iso3 == 'POL'")
    assert poland["threat"].iloc[0] == pytest.approx(0.9, abs=0.05)
    assert poland["threat"].iloc[-1] == pytest.approx(0.9, abs=0.1)
    # The first row is the end of January, after that month's budget: close to the override, not exact.
    assert poland["spending_pct_gdp"].iloc[0] == pytest.approx(5.0, abs=0.15)


def test_initial_state_from_2022_or_2024_data():
    early = AllianceModel(seed=1, start="2022-01", end="2022-06")
    late = AllianceModel(seed=1)
    fin = early.data.index("FIN")
    assert not early.state.nato_member[fin] and late.state.nato_member[fin]
    assert early.state.spending_pct_gdp[early.data.index("POL")] == pytest.approx(2.21)
    assert late.state.spending_pct_gdp[late.data.index("POL")] == pytest.approx(3.79)
    assert not early.state.accommodationist[early.data.index("SVK")]
    assert late.state.accommodationist[late.data.index("SVK")]


def test_a_calm_run_starts_at_rest():
    """No stress, no drift: the first month looks like the set-up state."""
    model = AllianceModel(
        seed=1,
        parameters={"hybrid_incident_rate": 0.0, "russia_aggression_noise_sd": 0.0, "us_commitment_noise_sd": 0.0},
        **SHORT,
    )
    threat0, trust0 = model.state.threat.copy(), model.state.us_trust.copy()
    model.step()
    assert np.allclose(model.state.threat, threat0, atol=1e-9)
    assert np.allclose(model.state.us_trust, trust0, atol=1e-9)


def _paired(events, **kwargs):
    base = AllianceModel(seed=7, **SHORT, **kwargs).run()
    shocked = AllianceModel(seed=7, events=events, **SHORT, **kwargs).run()
    return base, shocked


def test_every_event_type_is_registered_and_documented():
    assert set(EVENT_TYPES) == {
        "us_troops",
        "article5_doubt",
        "us_reassurance",
        "ceasefire_pressure",
        "ceasefire",
        "russia_aggression",
        "hybrid_campaign",
        "coercion",
        "election",
        "accession",
        "accession_request",
        "set",
    }
    for cls in EVENT_TYPES.values():
        assert cls.summary


def test_us_troops_drawdown_over_months_and_per_host():
    base, cut = _paired([{"type": "us_troops", "date": "2025-03", "change": -0.5, "over_months": 10}])
    troops = cut.model_dataframe().set_index("date")["us_troops_europe"]
    assert troops["2025-02"] == pytest.approx(100.0)
    assert troops["2025-07"] == pytest.approx(75.0)
    assert troops["2025-12"] == pytest.approx(50.0)
    assert (
        cut.model_dataframe()["article5_credibility"].iloc[-1] < base.model_dataframe()["article5_credibility"].iloc[-1]
    )
    _, host = _paired([{"type": "us_troops", "date": "2025-03", "change": -10, "unit": "thousands", "host": "DEU"}])
    germany = host.agent_dataframe().query("iso3 == 'DEU'")["us_troops_k"]
    assert germany.iloc[0] - germany.iloc[-1] == pytest.approx(10.0)
    deu, esp = (
        host.agent_dataframe().query(f"iso3 == '{c}' and date == '2026-12'")["us_trust"].item() for c in ("DEU", "ESP")
    )
    assert deu < esp  # the host loses most


def test_doubt_and_reassurance_move_commitment_both_ways():
    base, doubt = _paired([{"type": "article5_doubt", "date": "2025-06", "size": 0.3, "decay_months": 6}])
    _, calm = _paired([{"type": "us_reassurance", "date": "2025-06", "size": 0.2}])
    at = "2025-06"
    b = base.model_dataframe().set_index("date").loc[at, "us_commitment"]
    assert doubt.model_dataframe().set_index("date").loc[at, "us_commitment"] < b - 0.2
    assert calm.model_dataframe().set_index("date").loc[at, "us_commitment"] > b + 0.15


def test_ceasefire_pressure_tables_endorsement_votes_and_ceasefire_lowers_aggression():
    _, pressed = _paired([{"type": "ceasefire_pressure", "date": "2025-04", "level": 0.8}])
    log = pressed.log_dataframe()
    assert {"eu_ceasefire_endorsement", "nato_ceasefire_endorsement"} <= set(log.query("date == '2025-05'")["item"])
    base, truce = _paired([{"type": "ceasefire", "date": "2025-04", "aggression": 0.2}])
    assert truce.model_dataframe()["russia_aggression"].iloc[-1] < 0.35
    assert truce.model_dataframe()["war_fatigue"].iloc[-1] < base.model_dataframe()["war_fatigue"].iloc[-1]


def test_russia_aggression_and_hybrid_campaign():
    base, hot = _paired(
        [
            {"type": "russia_aggression", "date": "2025-03", "change": 0.25},
            {
                "type": "hybrid_campaign",
                "date": "2025-03",
                "multiplier": 5,
                "duration_months": 12,
                "region": "eastern_flank",
            },
        ]
    )
    assert hot.model_dataframe()["mean_threat"].iloc[-1] > base.model_dataframe()["mean_threat"].iloc[-1] + 0.05
    assert hot.model_dataframe()["hybrid_incidents"].sum() > base.model_dataframe()["hybrid_incidents"].sum()


def test_coercion_hits_the_target_and_pushes_autonomy():
    base, coerced = _paired([{"type": "coercion", "date": "2025-03", "target": "DNK", "size": 0.4}])
    trust = coerced.agent_dataframe().query("date == '2025-03'").set_index("iso3")["us_trust"]
    before = base.agent_dataframe().query("date == '2025-03'").set_index("iso3")["us_trust"]
    assert before["DNK"] - trust["DNK"] == pytest.approx(0.4, abs=0.05)
    assert 0 < before["NLD"] - trust["NLD"] < 0.2
    assert coerced.model_dataframe()["autonomy"].iloc[8] > base.model_dataframe()["autonomy"].iloc[8]


def test_election_and_accession_and_set():
    _, forced = _paired(
        [
            {"type": "election", "date": "2025-03", "state": "POL", "government": "accommodationist"},
            {"type": "set", "date": "2025-03", "parameter": "vote_noise_sd", "value": 0.0},
        ]
    )
    assert forced.agent_dataframe().query("iso3 == 'POL'")["government"].iloc[-1] == "accommodationist"
    assert forced.p["vote_noise_sd"] == 0.0
    early = AllianceModel(
        seed=1,
        start="2023-01",
        end="2023-12",
        initial_year=2022,
        events=[{"type": "accession", "date": "2023-04", "state": "FIN", "body": "nato"}],
    ).run()
    fin = early.agent_dataframe().query("iso3 == 'FIN'").set_index("date")["nato_member"]
    assert not fin["2023-03"] and fin["2023-04"]


def test_hague_pledge_ramps_the_norm_to_the_deadline():
    model = AllianceModel(
        seed=1, events=[{"type": "set", "date": "2025-06", "parameter": "pledge_core_pct", "value": 3.5}]
    ).run()
    norm = model.model_dataframe().set_index("date")["pledge_norm_pct"]
    assert norm["2025-05"] == pytest.approx(2.0)
    assert 2.6 < norm["2030-06"] < 2.9
    assert norm["2035-12"] == pytest.approx(3.5)
    assert model.model_dataframe()["spending_pct_gdp"].iloc[-1] > 2.3


def test_decision_log_rows_name_blockers():
    model = AllianceModel(seed=3).run()
    log = model.log_dataframe()
    decisions = log[log["body"].isin(["EU", "NATO"]) & (log["outcome"] != "applied")]
    assert {"eu_sanctions_renewal", "eu_ukraine_package", "eu_defence_industry", "nato_summit"} <= set(
        decisions["item"]
    )
    blocked = decisions[decisions["outcome"].isin(["delayed", "blocked"])]
    assert (blocked["blockers"].str.len() > 0).all()
    assert set(decisions["rule"]) <= {"unanimity", "qmv", "consensus", "coalition_of_the_willing"}
    counts = model.model_dataframe().iloc[-1]
    assert (
        counts["eu_decisions_passed"]
        == (decisions.query("body == 'EU'")["outcome"].isin(["passed", "passed_after_concession"])).sum()
        - decisions["item"].str.endswith("_coalition").sum()
    )


def test_constructor_names_every_parameter_for_mesa_visualisation():
    import inspect

    from sim.inputs.parameters import PARAMETERS

    signature = inspect.signature(AllianceModel.__init__)
    kinds = {p.kind for p in signature.parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds and inspect.Parameter.VAR_POSITIONAL not in kinds
    # Mesa's SolaraViz refuses a model whose constructor has a parameter without a default it is not given.
    missing = [n for n, p in signature.parameters.items() if n != "self" and p.default is inspect.Parameter.empty]
    assert missing == []
    assert set(PARAMETERS) <= set(signature.parameters)
    model = AllianceModel(seed=4, end="2025-06", confidence_bound=0.3, eu_cfsp_rule="qmv", trust_rate=None)
    assert model.p["confidence_bound"] == 0.3 and model.p["eu_cfsp_rule"] == "qmv"
    assert model.p["trust_rate"] == AllianceModel(seed=4).p["trust_rate"]  # None keeps the default


def test_batch_run_with_seeds_gives_the_runs_of_the_seeds_alone():
    results = mesa.batch_run(
        AllianceModel,
        parameters={"seed": [1, 2, 3], "end": "2026-06"},
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
    )
    frame = pd.DataFrame(results).drop_duplicates(["RunId", "Step"])
    for seed in (1, 2, 3):
        alone = AllianceModel(seed=seed, end="2026-06").run().model_dataframe()
        ours = frame[frame["seed"] == seed].sort_values("Step")
        assert ours["Step"].tolist() == alone["step"].tolist()
        # spending_pct_gdp, autonomy, ukraine_support: outcomes sharing a state variable's name, kept apart
        for name in ("cohesion", "us_commitment", "eu_decisions_passed", "spending_pct_gdp", "autonomy"):
            np.testing.assert_array_equal(ours[name].to_numpy(), alone[name].to_numpy())


def test_datacollector_is_a_real_mesa_collector():
    model = AllianceModel(seed=5, end="2025-06")
    collector = model.datacollector
    assert isinstance(collector, mesa.DataCollector)
    model.step()
    model.step()
    collector.collect(model)  # Mesa's own collection: the reporters read attributes of the model and agents
    collector.collect(model)  # twice in a month: recorded once
    variables = collector.get_model_vars_dataframe()
    assert len(variables) == 2  # month 0 from the history, month 1 through the reporters
    reference = model.model_dataframe()
    for name in ("cohesion", "blocs", "us_commitment", "spending_pct_gdp"):
        assert variables[name].tolist() == reference[name].tolist()
    model.step()
    collector.collect(model)  # the classic Mesa loop: step, collect
    model.run()
    collected = model.datacollector.get_model_vars_dataframe()["cohesion"]
    assert collected.tolist() == model.model_dataframe()["cohesion"].tolist()
    agents = model.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 6 * (37 + 2) and agents["state_threat"].notna().sum() == 6 * 37  # the US and Russia: None
    assert {"state_iso3", "state_threat", "state_spending_pct_gdp", "state_government"} <= set(agents.columns)
    poland = model.member_states[model.data.index("POL")]
    last = agents.xs(poland.unique_id, level="AgentID").iloc[-1]
    assert last["state_threat"] == poland.threat and last["state_government"] == poland.government
    assert last["state_iso3"] == "POL"


def test_writing_a_parameter_acts_as_a_set_event():
    from sim.util.errors import InputError

    model = AllianceModel(seed=3, end="2025-06")
    before = model.engine.incident_weight[0].copy()
    model.p["incident_proximity_exponent"] = 3.0  # the targeting weights follow, as after a set event
    assert model.p["incident_proximity_exponent"] == 3.0
    assert not np.array_equal(model.engine.incident_weight[0], before)
    with pytest.raises(InputError, match="confidence_bound"):
        model.p["confidence_bound"] = 5.0


# ------------------------------------------------------------------ the Mesa front door
def test_the_plain_model_is_the_baseline_scenario_at_the_registry_values():
    from sim.scenarios.scenario import load, replication_seed

    baseline = load("baseline").with_overrides(uncertainty="none")
    model = AllianceModel(seed=replication_seed(baseline.seed, 1), end="2026-06")
    built = AllianceModel.from_scenario(baseline.with_overrides(end="2026-06"), 1)
    pd.testing.assert_frame_equal(model.run().model_dataframe(), built.run().model_dataframe())
    pd.testing.assert_frame_equal(model.log_dataframe(), built.log_dataframe())
    applied = model.log_dataframe().query("body == 'scenario'")
    assert len(applied) == len(baseline.events) == 3  # the record of 2025: pledge, Romania, Greenland
    # Events outside the run are left out; a list replaces them; based_on=None is the bare model.
    assert AllianceModel(seed=1, start="2030-01", end="2030-06").log_dataframe().query("body == 'scenario'").empty
    assert AllianceModel(seed=1, end="2026-06", events=[]).run().log_dataframe().query("body == 'scenario'").empty
    assert AllianceModel(seed=1, end="2026-06", based_on=None).run().log_dataframe().query("body == 'scenario'").empty
    drawdown = AllianceModel(seed=1, end="2027-12", based_on="us_drawdown").run().log_dataframe()
    assert len(drawdown.query("body == 'scenario'")) > 3
    # Another scenario brings its horizon and initial data too: the hindcast starts in 2022 from 2022's data.
    hindcast = load("hindcast_2022").with_overrides(uncertainty="none")
    alone = AllianceModel(seed=replication_seed(hindcast.seed, 0), based_on="hindcast_2022")
    assert (alone.start_month, alone.end_month, alone.initial_year) == (
        AllianceModel.from_scenario(hindcast, 0).start_month,
        AllianceModel.from_scenario(hindcast, 0).end_month,
        2022,
    )
    pd.testing.assert_frame_equal(
        alone.run().model_dataframe(), AllianceModel.from_scenario(hindcast, 0).run().model_dataframe()
    )
    with pytest.raises(InputError, match="based_on: 3 is not allowed"):
        AllianceModel(based_on=3)


def test_a_seed_is_a_whole_number_or_its_digits_as_text():
    text = AllianceModel(seed="12", end="2025-03").run().model_dataframe()
    pd.testing.assert_frame_equal(text, AllianceModel(seed=12, end="2025-03").run().model_dataframe())
    for bad in ("twelve", -1, 1.5, True, 2**63):
        with pytest.raises(InputError, match="seed: .* is not allowed; use a whole number from 0 to"):
            AllianceModel(seed=bad)


def test_a_step_past_the_last_month_says_the_run_is_over():
    model = AllianceModel(seed=2, end="2025-03").run()
    assert not model.running
    with pytest.raises(RuntimeError, match=r"the run is over: its last month, 2025-03, is done \(3 steps\)"):
        model.step()
    assert len(model.model_dataframe()) == 3


def test_batch_run_warns_when_its_runs_are_identical():
    from sim.model import IdenticalRunsWarning

    short = {"end": "2025-02"}
    with pytest.warns(IdenticalRunsWarning, match=r"3 runs have the same parameters and the same fixed seed \(7\)"):
        rows = mesa.batch_run(
            AllianceModel, parameters={"seed": 7, **short}, iterations=3, display_progress=False, number_processes=1
        )
    frame = pd.DataFrame(rows).drop_duplicates(["RunId", "Step"])
    assert frame.groupby("RunId")["cohesion"].apply(tuple).nunique() == 1  # what the warning is about
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", IdenticalRunsWarning)
        mesa.batch_run(AllianceModel, parameters={"seed": [1, 2], **short}, display_progress=False)
        mesa.batch_run(AllianceModel, parameters=short, iterations=2, display_progress=False)  # seeds drawn
        AllianceModel(seed=7, **short)  # not in a batch


def test_a_set_of_an_exposure_weight_derives_exposure_again():
    # Exposure (ODD 7.0) is derived from its weights: a `set` of one takes effect from its month on.
    events = [{"type": "set", "date": "2025-03", "parameter": "exposure_arctic_weight", "value": 0.0}]
    model = AllianceModel(seed=1, start="2025-01", end="2025-04", events=events)
    isl, aut = model.data.index("ISL"), model.data.index("AUT")  # an Arctic Council member and a state that is not
    before, weight = model.engine.exposure[0].copy(), model.p["exposure_arctic_weight"]
    assert 0 < weight < 1 - before[isl]  # Iceland's exposure is not clipped: the weight shows in full
    for _ in range(3):
        model.step()
    after = model.engine.exposure[0]
    assert after[isl] == pytest.approx(before[isl] - weight)
    assert after[aut] == pytest.approx(before[aut])
