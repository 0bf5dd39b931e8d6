"""Experiment files (sim/scenarios/experiment.py): the shipped ones, event factors, errors blamed on the file and
field, and the seed of each run of a sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.inputs.parameters import NUMERIC_PARAMETERS
from sim.scenarios.experiment import load, run_seed
from sim.scenarios.scenario import replication_seed
from sim.util.errors import InputError
from tests.helpers import EXPERIMENTS, SHORT_SCENARIO, experiment_file


def test_shipped_experiments_are_valid() -> None:
    grid = load(EXPERIMENTS / "drawdown_vs_doubt.yaml")
    assert grid.design == "grid" and {f.name for f in grid.factors} == {
        "events.us_troops[-1].change",
        "events.article5_doubt.size",
    }
    assert grid.n_points == 25
    sobol = load(EXPERIMENTS / "sobol_key_parameters.yaml")
    assert sobol.design == "sobol" and len(sobol.factors) >= 8
    morris = load(EXPERIMENTS / "morris_all_parameters.yaml")
    assert morris.design == "morris"
    assert [f.parameter for f in morris.factors] == list(NUMERIC_PARAMETERS)


def test_event_factor_targets_every_event_of_its_type_or_one_by_index(tmp_path: Path) -> None:
    scenario = dict(
        SHORT_SCENARIO, events=[*SHORT_SCENARIO["events"], {"date": "2026-09", "type": "us_troops", "change": -0.1}]
    )
    every = load(experiment_file(tmp_path, "every", scenario=scenario, factors={"events.us_troops.change": [-0.2]}))
    last = load(experiment_file(tmp_path, "last", scenario=scenario, factors={"events.us_troops[-1].change": [-0.2]}))
    events = every.scenario.events
    troops = [i for i, e in enumerate(events) if e.type == "us_troops"]
    assert len(troops) == 3  # the prelude's Romania rotation and the two above
    assert every.factors[0].targets == tuple(troops)
    assert last.factors[0].targets == (troops[-1],)
    changed = list(events)
    last.factors[0].apply({}, changed, -0.2)
    assert [e.change for e in changed if e.type == "us_troops"] == [events[troops[0]].change, -0.5, -0.2]


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"desing": "grid"}, "desing", "did you mean 'design'"),
        ({"design": "gird"}, "design", "did you mean 'grid'"),
        ({"factors": {"confidence_bund": [0.2]}}, "factors.confidence_bund", "did you mean 'confidence_bound'"),
        ({"factors": {"confidence_bound": [0.1, 1.5]}}, "factors.confidence_bound", "out of range"),
        ({"factors": {"events.us_trops.change": [0.1]}}, "factors.events.us_trops.change", "did you mean 'us_troops'"),
        ({"factors": {"events.us_troops.chnge": [0.1]}}, "factors.events.us_troops.chnge", "did you mean 'change'"),
        ({"factors": {"events.ceasefire.aggression": [0.1]}}, "factors.events.ceasefire.aggression", "no ceasefire"),
        ({"factors": {"events.us_troops[5].change": [0.1]}}, "factors.events.us_troops[5].change", "out of range"),
        ({"factors": {"events.us_troops.change": [-3]}}, "factors.events.us_troops.change", "out of range"),
        ({"factors": {"events.article5_doubt.date": ["2027-05"]}}, "factors.events.article5_doubt.date", "outside"),
        ({"factors": {}}, "factors", "at least one factor"),
        ({"design": "lhs", "samples": 8, "factors": {"eu_cfsp_rule": [0, 1]}}, "factors.eu_cfsp_rule", "not numeric"),
        (
            {"design": "lhs", "samples": 8, "factors": {"confidence_bound": [0.5, 0.1]}},
            "factors.confidence_bound",
            "below",
        ),
        ({"design": "sobol", "samples": 100, "factors": {"confidence_bound": "range"}}, "samples", "power of 2"),
        ({"design": "morris", "factors": {"confidence_bound": "range"}}, "samples", "missing"),
        ({"samples": 10}, "samples", "remove samples"),
        (
            {"design": "lhs", "samples": 100_000_000, "factors": {"confidence_bound": "range"}},
            "samples",
            "from 1 to 1000000",
        ),
        (
            {"design": "lhs", "samples": 600_000, "replications": 2, "factors": {"confidence_bound": "range"}},
            "samples",
            "1,200,000 runs (600,000 points x 2 replications); at most 1,000,000",
        ),
        (
            {"factors": {"confidence_bound": [0.1] * 1000, "budget_month": list(range(1, 13)) * 30}},
            "factors",
            "use fewer levels or replications",
        ),
        ({"second_order": True}, "second_order", "only a sobol"),
        ({"replications": 0}, "replications", "not allowed"),
        ({"outputs": {"model": ["cohesoin"]}}, "outputs.model", "did you mean 'cohesion'"),
        ({"outputs": {"agents": "weekly"}}, "outputs.agents", "none, final, yearly, monthly"),
        ({"scenario": "no_such_scenario"}, "scenario", "no scenario file 'no_such_scenario' next to this experiment"),
    ],
)
def test_bad_experiment_files_name_file_and_field(tmp_path: Path, changes: dict, field: str, fragment: str) -> None:
    path = experiment_file(tmp_path, **changes)
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.field == field
    assert fragment in caught.value.message
    assert caught.value.source == str(path)


def test_inline_scenario_errors_point_into_the_experiment_file(tmp_path: Path) -> None:
    scenario = dict(SHORT_SCENARIO, events=[{"date": "2026-02", "type": "article5_doubt", "size": 3.0}])
    path = experiment_file(tmp_path, scenario=scenario, factors={"confidence_bound": [0.2]})
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.source == str(path) and caught.value.field.startswith("scenario.events[0]")


def test_run_seeds_derive_from_the_file_seed_per_point_and_replication() -> None:
    seeds = [[run_seed(11, p, k) for k in range(4)] for p in range(5)]
    tree = np.random.SeedSequence(11).spawn(5)
    for p in range(5):
        for k, child in enumerate(tree[p].spawn(4)):
            assert seeds[p][k] == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    assert len({s for row in seeds for s in row}) == 20 and all(0 <= s < 2**63 for row in seeds for s in row)
    # Common random numbers: every point shares replication k's seed, the one `cohesion run` uses.
    assert [run_seed(11, 3, k, common_random_numbers=True) for k in range(4)] == [
        replication_seed(11, k) for k in range(4)
    ]
