"""Property tests (hypothesis): bounds hold under any parameters in their registered ranges, and any file a
user can write is accepted or refused with one line."""

from __future__ import annotations

import contextlib
import copy
import io
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import AllianceModel
from sim.agents import STATE_VARIABLES
from sim.cli import main
from sim.inputs.parameters import PARAMETERS

UNIT_VARIABLES = ("threat", "us_trust", "us_reliance", "abandonment_fear", "autonomy", "ukraine_support")
EVENT_MIX = [
    {"type": "us_troops", "date": "2025-03", "change": -0.9, "over_months": 3},
    {"type": "article5_doubt", "date": "2025-04", "size": 1.0, "decay_months": 1},
    {"type": "ceasefire_pressure", "date": "2025-05", "level": 1.0},
    {"type": "coercion", "date": "2025-06", "target": "DNK", "size": 1.0},
    {"type": "hybrid_campaign", "date": "2025-02", "multiplier": 20, "duration_months": 6},
    {"type": "russia_aggression", "date": "2025-02", "level": 1.0},
]


def _value(name: str):
    spec = PARAMETERS[name]
    if spec.is_categorical:
        return st.sampled_from(spec.choices)
    if spec.integer:  # a whole-number parameter takes whole numbers only
        return st.one_of(st.sampled_from([int(spec.low), int(spec.high)]), st.integers(int(spec.low), int(spec.high)))
    # Extremes are the point: draw the bounds often, and anything in between.
    return st.one_of(st.sampled_from([spec.low, spec.high]), st.floats(spec.low, spec.high))


overrides = st.fixed_dictionaries({}, optional={name: _value(name) for name in PARAMETERS})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=overrides, seed=st.integers(0, 2**32 - 1), stressed=st.booleans())
def test_state_stays_in_bounds_under_extreme_parameters(overrides, seed, stressed):
    model = AllianceModel(seed=seed, end="2026-12", parameters=overrides, events=EVENT_MIX if stressed else ())
    model.run()
    agents = model.agent_dataframe()
    for name in STATE_VARIABLES:
        assert np.isfinite(agents[name]).all(), name
    for name in UNIT_VARIABLES:
        assert agents[name].between(0.0, 1.0).all(), name
    assert (agents["spending_pct_gdp"] >= 0.0).all()
    frame = model.model_dataframe()
    assert frame["cohesion"].between(0.0, 1.0).all()
    assert frame["us_commitment"].between(0.0, 1.0).all()
    assert (frame["us_troops_europe"] >= 0.0).all()
    assert (frame["blocs"] >= 1).all()
    assert frame["eu_decisions_blocked"].is_monotonic_increasing


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**63 - 1))
def test_any_seed_reproduces(seed):
    a = AllianceModel(seed=seed, end="2025-12").run().model_dataframe()
    b = AllianceModel(seed=seed, end="2025-12").run().model_dataframe()
    assert a.equals(b)


# ---------------------------------------------------------------- fuzzing the files a user writes
# Valid scenario and experiment files are mutated in their structure (nesting, aliases, merge keys,
# duplicate keys, huge and non-finite numbers, long strings, wrong types at any field) and checked
# with `cohesion validate` in this process: exit 0, or exit 2 with exactly one line, never a traceback.
LIBRARY_WORDING = re.compile(
    r"Input should|String should|should have at (most|least)|valid (list|dictionary|integer|number|string|boolean)"
    r"|Value error|\[type=|pydantic|Traceback"
)
SCENARIO = {
    "name": "fuzzed",
    "description": "a valid scenario that the property tests mutate",
    "extends": "prelude_2025",
    "end": "2027-12",
    "initial_year": 2024,
    "replications": 3,
    "seed": 1,
    "parameters": {"confidence_bound": 0.3, "eu_cfsp_rule": "qmv", "budget_month": 3},
    "states": {"POL": {"threat": 0.9, "government": "mainstream"}},
    "events": [
        {"date": "2026-01", "type": "us_troops", "change": -0.5, "over_months": 12, "host": "DEU"},
        {"date": "2026-02", "type": "coercion", "target": "DNK", "size": 0.3},
        {"date": "2026-03", "type": "set", "parameter": "us_commitment_target", "value": 0.5},
        {"date": "2026-04", "type": "hybrid_campaign", "targets": ["POL", "LTU"], "duration_months": 3},
        {"date": "2026-05", "type": "accession", "state": "UKR", "body": "eu"},
    ],
}
EXPERIMENT = {
    "name": "fuzzed_sweep",
    "scenario": {
        "extends": "prelude_2025",
        "end": "2027-12",
        "events": [{"date": "2026-06", "type": "article5_doubt", "size": 0.2, "decay_months": 12}],
    },
    "design": "lhs",
    "samples": 8,
    "replications": 2,
    "seed": 5,
    "common_random_numbers": True,
    "factors": {
        "confidence_bound": [0.1, 0.4],
        "budget_month": "range",
        "events.article5_doubt.size": {"low": 0.05, "high": 0.5},
    },
    "outputs": {"model": ["cohesion", "blocs"], "agents": "final"},
}
ODD_VALUES = [
    None,
    True,
    0,
    -1,
    2.5,
    "",
    "text",
    "2035-12-31",
    [1, "a"],
    {"a": 1},
    10**400,
    -(10**30),
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    "y" * 5000,
    "line one\nline two",
]
SCALARS = st.sampled_from(ODD_VALUES) | st.integers() | st.floats() | st.text(max_size=30)


def validate_in_process(documents: dict[str, str], target: str, command: str | None = None) -> tuple[int, str]:
    """Write the files, run ``cohesion validate target`` here; (exit code, stderr).

    When validate refuses the file and ``command`` (run or sweep) is given, that command is run on it too
    and must refuse it with one line (``run``: the same line), leaving no results folder behind.
    """
    err = io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        for name, text in documents.items():
            (Path(folder) / name).write_text(text, encoding="utf-8")
        path, out = str(Path(folder) / target), Path(folder) / "results"
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["validate", path])
        if code == 2 and command is not None:
            again = io.StringIO()
            with contextlib.redirect_stderr(again), contextlib.redirect_stdout(io.StringIO()):
                assert main([command, path, "--out", str(out), "--workers", "1"]) == 2, again.getvalue()
            if command == "run":
                assert again.getvalue() == err.getvalue(), (again.getvalue(), err.getvalue())
            assert_one_line_or_accepted(2, again.getvalue(), command)
            assert not out.exists(), "bad input must not leave a results folder"
    return code, err.getvalue()


def assert_one_line_or_accepted(code: int, err: str, context: object) -> None:
    lines = err.splitlines()
    assert "Traceback" not in err, (context, err)
    assert code in (0, 2), (context, err)
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), (context, err)
        assert not LIBRARY_WORDING.search(lines[0]), (context, lines[0])
        assert len(lines[0]) < 1000, (context, len(lines[0]))
    else:
        assert all(line.startswith(("note: ", "warning: ")) for line in lines), (context, err)


def _containers(value, path=(), seen=None):
    """(path, container) of every list and mapping in a document, the document itself first, each once."""
    seen = set() if seen is None else seen
    if isinstance(value, dict | list) and id(value) not in seen:
        seen.add(id(value))
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in list(items):
            yield from _containers(item, (*path, key), seen)


def _slots(document):
    """(container, key) of every value in a document."""
    return [
        (container, key)
        for _, container in _containers(document)
        for key in (container if isinstance(container, dict) else range(len(container)))
    ]


@st.composite
def mutated_documents(draw, valid):
    """YAML text of ``valid`` after one to four structural mutations."""
    document = copy.deepcopy(valid)
    merges = []
    for _ in range(draw(st.integers(1, 4))):
        slots = _slots(document)
        container, key = draw(st.sampled_from(slots))
        operation = draw(
            st.sampled_from(["replace", "nest", "alias", "self", "drop", "rename", "merge", "duplicate", "long"])
        )
        if operation == "replace":
            container[key] = copy.deepcopy(draw(SCALARS))  # never the shared ODD_VALUES objects themselves
        elif operation == "nest":
            value = container[key]
            for _ in range(draw(st.integers(1, 40))):
                value = draw(st.sampled_from([[value], {"k": value}]))
            container[key] = value
        elif operation == "alias":  # the same object twice: YAML writes an anchor and an alias
            other, other_key = draw(st.sampled_from(slots))
            container[key] = other[other_key]
        elif operation == "self":  # an alias that refers to a node holding it
            if isinstance(container[key], dict | list):
                inner = container[key]
                if isinstance(inner, dict):
                    inner["self"] = inner
                else:
                    inner.append(inner)
        elif operation == "drop":
            del container[key]
        elif operation == "rename" and isinstance(container, dict):
            container[draw(st.text(max_size=12) | st.integers() | st.sampled_from(["<<", "date", "type"]))] = (
                container.pop(key)
            )
        elif operation in ("merge", "duplicate"):
            merges.append((operation, draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))))
        elif operation == "long":
            container[key] = draw(st.sampled_from(["z" * 100_000, "[" * 50 + "]" * 50, "\x00\x01", "\u202e"]))
    dumper = yaml.SafeDumper(io.StringIO(), allow_unicode=True)
    node = dumper.represent_data(document)
    mappings = [n for n in _nodes(node) if isinstance(n, yaml.MappingNode)]
    for operation, a, b in merges:  # on the nodes: '<<: *other' or a key written twice
        if not mappings:
            break
        target, source = mappings[a % len(mappings)], mappings[b % len(mappings)]
        if operation == "merge":
            target.value.append((yaml.ScalarNode("tag:yaml.org,2002:merge", "<<"), source))
        elif target.value:
            target.value.append(target.value[b % len(target.value)])
    return yaml.serialize(node, Dumper=yaml.SafeDumper, allow_unicode=True)


def _nodes(node, seen=None):
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    yield node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _nodes(key, seen)
            yield from _nodes(value, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _nodes(item, seen)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=mutated_documents(SCENARIO))
def test_any_structural_mutation_of_a_scenario_file_is_accepted_or_one_line(text):
    code, err = validate_in_process({"fuzzed.yaml": text}, "fuzzed.yaml", command="run")
    assert_one_line_or_accepted(code, err, text[:2000])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=mutated_documents(EXPERIMENT))
def test_any_structural_mutation_of_an_experiment_file_is_accepted_or_one_line(text):
    code, err = validate_in_process({"fuzzed.yaml": text}, "fuzzed.yaml", command="sweep")
    assert_one_line_or_accepted(code, err, text[:2000])


@pytest.mark.parametrize("valid", [SCENARIO, EXPERIMENT], ids=["scenario", "experiment"])
def test_a_wrong_value_at_every_field_is_accepted_or_one_line(valid):
    """Not sampled: every value slot of the document gets every odd value in turn."""
    count = 0
    for index in range(len(_slots(valid))):
        for value in ODD_VALUES:
            document = copy.deepcopy(valid)
            container, key = _slots(document)[index]
            container[key] = copy.deepcopy(value)
            text = yaml.safe_dump(document, allow_unicode=True)
            code, err = validate_in_process({"file.yaml": text}, "file.yaml")
            assert_one_line_or_accepted(code, err, (index, key, value if not isinstance(value, str) else value[:50]))
            count += 1
    assert count == len(_slots(valid)) * len(ODD_VALUES)
