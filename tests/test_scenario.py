"""Scenario files: the packaged scenarios, extends, seeds per replication, and errors blamed on the right file."""

from __future__ import annotations

import copy
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import AllianceModel
from sim.scenarios.scenario import Scenario, from_mapping, load, packaged_scenarios, replication_seed
from sim.util.errors import InputError

HEADLINE_SCENARIOS = (
    "baseline",
    "us_drawdown",
    "article5_doubt",
    "ceasefire_pressure",
    "perfect_storm",
    "us_reassurance",
    "hindcast_2022",
)


def write(folder, name: str, content: dict | str) -> str:
    path = folder / f"{name}.yaml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return str(path)


# ---------------------------------------------------------------- the packaged scenarios
def test_every_headline_scenario_is_packaged_loads_and_tells_its_story():
    packaged = packaged_scenarios()
    for name in (*HEADLINE_SCENARIOS, "prelude_2025"):
        assert name in packaged
        scenario = load(packaged[name])
        assert scenario.name == name
        assert scenario.description
        assert len(scenario.story.splitlines()) >= 5, f"{name} needs an opening comment that tells its story"


def test_scenarios_built_on_the_prelude_share_its_record_seed_and_horizon():
    prelude = load("prelude_2025")
    for name in ("baseline", "us_drawdown", "article5_doubt", "ceasefire_pressure", "perfect_storm", "us_reassurance"):
        scenario = load(name)
        assert scenario.extends == ("prelude_2025",)
        assert scenario.events[: len(prelude.events)] == prelude.events
        assert (scenario.start, scenario.end, scenario.seed) == (prelude.start, prelude.end, prelude.seed)
    assert load("baseline").events == prelude.events


def test_prelude_records_the_hague_pledge_romania_and_greenland():
    events = {(e.type, e.date): e for e in load("prelude_2025").events}
    assert events[("set", "2025-06")].parameter == "pledge_core_pct"
    assert events[("set", "2025-06")].value == 3.5
    assert events[("us_troops", "2025-10")].host == "ROU"
    assert events[("coercion", "2026-01")].target == "DNK"


def test_perfect_storm_is_exactly_the_three_shocks_together():
    prelude = len(load("prelude_2025").events)
    own = {
        name: load(name).events[prelude:]
        for name in ("us_drawdown", "article5_doubt", "ceasefire_pressure", "perfect_storm")
    }
    combined = own["us_drawdown"] + own["article5_doubt"] + own["ceasefire_pressure"]
    assert sorted(own["perfect_storm"], key=repr) == sorted(combined, key=repr)


def test_hindcast_starts_in_2022_from_2022_data():
    scenario = load("hindcast_2022")
    assert (scenario.start, scenario.end, scenario.initial_year) == ("2022-01", "2025-12", 2022)
    assert scenario.parameters["us_troops_europe_initial_k"] == 80.0
    assert {("accession_request", "FIN"), ("accession_request", "SWE")} <= {
        (e.type, getattr(e, "state", None)) for e in scenario.events
    }


# ---------------------------------------------------------------- seeds
def test_replication_seed_is_child_k_of_the_seed_sequence_whatever_the_count():
    for k in range(5):
        child = np.random.SeedSequence(7).spawn(10)[k]
        assert replication_seed(7, k) == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    assert load("baseline").with_overrides(replications=3).seeds() == load("baseline").seeds()[:3]
    assert len(set(load("baseline").seeds())) == load("baseline").replications
    assert all(0 <= s < 2**63 for s in load("baseline").seeds())


def test_replication_k_of_two_scenarios_shares_its_seed():
    assert load("baseline").seeds() == load("perfect_storm").seeds()
    assert (
        AllianceModel.from_scenario(load("baseline"), 3).seed
        == AllianceModel.from_scenario(load("us_drawdown"), 3).seed
    )


# ---------------------------------------------------------------- extends
def test_child_overrides_settings_merges_parameters_and_states_and_appends_events(tmp_path):
    write(
        tmp_path,
        "parent",
        {
            "name": "parent",
            "start": "2025-01",
            "end": "2030-12",
            "replications": 5,
            "seed": 3,
            "parameters": {"confidence_bound": 0.2, "vote_noise_sd": 0.1},
            "states": {"POL": {"threat": 0.9, "autonomy": 0.3}},
            "events": [{"date": "2026-01", "type": "article5_doubt", "size": 0.2}],
        },
    )
    child = load(
        write(
            tmp_path,
            "child",
            {
                "name": "child",
                "extends": "parent",
                "end": "2028-12",
                "replications": 2,
                "parameters": {"confidence_bound": 0.4},
                "states": {"POL": {"threat": 0.5}, "DNK": {"us_trust": 0.4}},
                "events": [{"date": "2027-01", "type": "coercion", "target": "dnk", "size": 0.3}],
            },
        )
    )
    assert (child.name, child.start, child.end, child.replications, child.seed) == ("child", "2025-01", "2028-12", 2, 3)
    assert child.parameters == {"confidence_bound": 0.4, "vote_noise_sd": 0.1}
    assert child.states == {"POL": {"threat": 0.5, "autonomy": 0.3}, "DNK": {"us_trust": 0.4}}
    assert [e.type for e in child.events] == ["article5_doubt", "coercion"]
    assert child.events[1].target == "DNK"
    assert child.extends == ("parent",)
    assert child.to_dict()["events"][1] == {"type": "coercion", "date": "2027-01", "target": "DNK", "size": 0.3}


def test_description_and_name_are_not_inherited(tmp_path):
    write(tmp_path, "parent", {"name": "parent", "description": "the parent"})
    child = load(write(tmp_path, "my child", {"extends": "parent"}))
    assert child.name == "my_child"
    assert child.description == ""


def test_a_child_that_narrows_the_horizon_is_blamed_for_leaving_out_an_inherited_event(tmp_path):
    write(tmp_path, "parent", {"events": [{"date": "2030-01", "type": "ceasefire"}]})
    child = write(tmp_path, "child", {"extends": "parent", "end": "2029-12"})
    with pytest.raises(InputError) as error:
        load(child)
    assert error.value.source == child
    assert error.value.field == "end"
    assert "events[0]" in error.value.message


def test_an_error_in_a_parent_is_the_childs_extends_naming_the_parent_file_and_field(tmp_path):
    parent = write(
        tmp_path, "parent", {"events": [{"date": "2026-01", "type": "coercion", "target": "XXX", "size": 0.1}]}
    )
    child = write(tmp_path, "child", {"extends": "parent"})
    with pytest.raises(InputError) as error:
        load(child)
    assert (error.value.source, error.value.field) == (child, "extends")
    assert f"the file read, {Path(parent).resolve()}, is not a usable scenario" in error.value.message
    assert "its field 'events[0].target' is not valid" in error.value.message and "XXX" not in error.value.message


def test_a_bad_state_value_found_by_the_model_names_the_file_that_set_it(tmp_path):
    parent = write(tmp_path, "parent", {"states": {"POL": {"threat": 2.0}}})
    child = write(tmp_path, "child", {"extends": "parent"})
    with pytest.raises(InputError) as error:
        load(child)
    assert (error.value.source, error.value.field) == (child, "extends")
    assert f"{Path(parent).resolve()}, is not a usable scenario (its field 'states.POL.threat'" in error.value.message


def test_lower_case_codes_are_accepted(tmp_path):
    scenario = load(write(tmp_path, "codes", "start: 2025-01\nend: 2026-06\nstates: {pol: {threat: 0.8}}\n"))
    assert (scenario.start, scenario.end) == ("2025-01", "2026-06")
    assert scenario.states == {"POL": {"threat": 0.8}}


@pytest.mark.parametrize("written", ["2035-12-31", "'2035-12-31'", '"2035-12-31"', "2035-12-31 10:00:00"])
def test_a_full_date_is_refused_quoted_or_not_not_cut_to_its_month(tmp_path, written):
    path = write(tmp_path, "full_date", f"end: {written}\n")
    with pytest.raises(InputError) as error:
        load(path)
    assert (error.value.source, error.value.field) == (path, "end")
    assert "is a full date; write the year-month YYYY-MM (e.g. 2035-12)" in error.value.message


# ---------------------------------------------------------------- never a traceback
VALID = {
    "name": "property",
    "description": "a valid scenario that the property test mutates",
    "extends": "prelude_2025",
    "start": "2025-01",
    "end": "2027-12",
    "initial_year": 2024,
    "replications": 3,
    "seed": 1,
    "parameters": {"confidence_bound": 0.3, "eu_cfsp_rule": "qmv"},
    "states": {"POL": {"threat": 0.9, "government": "mainstream"}, "HUN": {"ukraine_support": 0.2}},
    "events": [
        {"date": "2026-01", "type": "us_troops", "change": -0.5, "over_months": 12, "host": "DEU"},
        {"date": "2026-02", "type": "coercion", "target": "DNK", "size": 0.3},
        {"date": "2026-03", "type": "set", "parameter": "us_commitment_target", "value": 0.5},
        {"date": "2026-04", "type": "hybrid_campaign", "targets": ["POL", "LTU"], "duration_months": 3},
        {"date": "2026-05", "type": "election", "state": "SVK", "government": "accommodationist"},
        {"date": "2026-06", "type": "russia_aggression", "level": 0.9},
        {"date": "2026-07", "type": "ceasefire_pressure", "level": 0.5},
    ],
}
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3000)
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1))
    | st.sampled_from(
        [
            "2026-03",
            "2019-01",
            "DNK",
            "dnk",
            "XXX",
            "coercion",
            "set",
            "nato",
            "qmv",
            "prelude_2025",
            "threat",
            "2035-13",
            "",
            "1e3",
        ]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6) | st.sampled_from(["date", "type", "size"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from _paths(item, (*prefix, index))


@st.composite
def mutated_scenarios(draw):
    data = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        paths = sorted(_paths(data), key=repr)
        if not paths:
            break
        *parent_path, key = draw(st.sampled_from(paths))
        parent = data
        for step in parent_path:
            parent = parent[step]
        operation = draw(st.sampled_from(["drop", "replace", "retype", "rename"]))
        if operation == "drop":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(VALUES)
        elif operation == "retype":
            value = parent[key]
            parent[key] = draw(st.sampled_from([str(value), [value], {"x": value}, None, math.nan]))
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=6) | st.integers())] = parent.pop(key)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_scenarios())
def test_any_mutation_of_a_valid_scenario_is_accepted_or_an_input_error(content):
    try:
        scenario = from_mapping(content, source="mutated.yaml")
    except InputError as error:
        # Only the mutated file changed, so the error is always its own, never the packaged parent's.
        assert error.source == "mutated.yaml", error
        assert error.field
    else:
        assert isinstance(scenario, Scenario)
