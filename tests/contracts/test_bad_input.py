"""Bad input is bad input, whatever breaks: one line naming the user's file and field, exit 2, never a traceback.

Each test is one example of a kind of fault (issue "Hardening"): a failure to
read or parse (operating system, recursion, decoding, YAML), a message that
blames the wrong file or field, the library's own wording, a value echoed at
full length, a suggestion that misleads, and values that do not mean what
they say (fractions of whole numbers, no-op events, a silently dropped record).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import AllianceModel
from sim.cli import main
from sim.inputs.parameters import PARAMETERS
from sim.scenarios.designs import Axis, points, whole_numbers
from sim.scenarios.experiment import from_mapping as experiment_from_mapping
from sim.scenarios.experiment import load as load_experiment
from sim.scenarios.scenario import from_mapping, load
from sim.util import yamlfile
from sim.util.errors import InputError
from tests.helpers import ROOT

# The schema library's own phrasing: none of it may reach a user.
LIBRARY_WORDING = re.compile(
    r"Input should|String should|should have at (most|least)|valid (list|dictionary|integer|number|string|boolean)"
    r"|Value error|Assertion failed|\[type=|pydantic|Traceback"
)
LONG = "x" * 300


def run_cli(capsys, *argv: str) -> tuple[int, list[str], str]:
    """(exit code, stderr lines, stdout) of ``cohesion argv`` run in this process."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.err.splitlines(), captured.out


def one_error(capsys, *argv: str) -> str:
    code, lines, _ = run_cli(capsys, *argv)
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    assert not LIBRARY_WORDING.search(lines[0]), lines[0]
    return lines[0]


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- whatever breaks
@pytest.mark.parametrize(
    "argv",
    [["validate", LONG], ["run", LONG], ["sweep", LONG], ["plot", LONG], ["analyze", LONG], ["compare", LONG, LONG]],
    ids=["validate", "run", "sweep", "plot", "analyze", "compare"],
)
def test_a_command_line_path_of_300_characters_is_bad_input(capsys, argv):
    line = one_error(capsys, *argv)
    assert "xxxxxxxx...xxxxxxxx" in line, "the name is shown, cut in the middle"
    assert re.search(r": (file|folder): ", line), line


def test_an_out_folder_of_300_characters_is_bad_input(tmp_path, capsys):
    line = one_error(capsys, "run", "baseline", "--replications", "1", "--out", LONG)
    assert "--out: cannot make a results folder in 'xxx" in line and "(File name too long)" in line
    assert "x" * 70 not in line, line
    experiment = write(
        tmp_path, "tiny.yaml", "scenario: {end: 2025-03}\ndesign: grid\nfactors: {budget_month: [1, 2]}\n"
    )
    assert main(["sweep", experiment, "--workers", "1", "--quiet", "--out", str(tmp_path / "sweep")]) == 0
    capsys.readouterr()
    line = one_error(capsys, "analyze", str(tmp_path / "sweep"), "--out", str(tmp_path / LONG))
    assert "--out: cannot make the folder" in line and "x" * 70 not in line, line


def test_an_extends_value_of_300_characters_is_bad_input(tmp_path, capsys):
    path = write(tmp_path, "child.yaml", f"extends: {LONG}\n")
    line = one_error(capsys, "validate", path)
    assert line.startswith(f"error: {path}: extends: no scenario 'xxx")
    assert "...'" in line and len(line) < 250


def test_deeply_nested_yaml_is_bad_input(tmp_path, capsys):
    for name, text in [
        ("flow.yaml", "events: " + "[" * 3000 + "]" * 3000 + "\n"),  # beyond the parser's recursion
        ("nested.yaml", "states: " + "{a: " * 40 + "1" + "}" * 40 + "\n"),  # beyond the nesting limit
        ("alias.yaml", "events: &loop [*loop]\n"),  # an alias that contains itself
    ]:
        path = write(tmp_path, name, text)
        line = one_error(capsys, "validate", path)
        assert line.startswith(f"error: {path}: top level: nested too deeply"), line


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path, capsys):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    assert "more than 200,000 values" in one_error(capsys, "validate", path)


def test_a_long_chain_of_extends_is_bad_input(tmp_path, capsys):
    for k in range(30):
        write(tmp_path, f"s{k}.yaml", f"extends: s{k + 1}\n" if k < 29 else "name: s29\n")
    line = one_error(capsys, "validate", str(tmp_path / "s0.yaml"))
    assert ": extends: 's" in line and "a chain of more than 20 files" in line


def test_an_experiment_file_that_is_not_text_or_not_yaml_is_bad_input(tmp_path, capsys):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"design: grid\n\xff\xfe\x81")
    assert f"{binary}: file: is not text (UTF-8)" in one_error(capsys, "sweep", str(binary))
    duplicate = write(tmp_path, "twice.yaml", "design: grid\ndesign: lhs\n")
    assert f"{duplicate}: line 2: not valid YAML (duplicate key 'design')" in one_error(capsys, "sweep", duplicate)


def test_a_pipe_a_device_or_a_huge_file_is_bad_input_and_not_read(tmp_path, capsys, monkeypatch):
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)  # reading it would wait for a writer for ever
    for command in ("validate", "run", "sweep"):
        assert f"{pipe}: file: is not a regular file" in one_error(capsys, command, str(pipe))
    assert "/dev/zero: file: is not a regular file" in one_error(capsys, "validate", "/dev/zero")
    big = write(tmp_path, "big.yaml", "# " + "x" * 2000 + "\nname: big\n")
    monkeypatch.setattr(yamlfile, "MAX_BYTES", 1000)
    assert f"{big}: file: is larger than 1,000 bytes" in one_error(capsys, "validate", big)


# ---------------------------------------------------------------- blame the user's file and field
def test_an_event_before_an_inherited_start_is_the_childs_event_not_the_preludes_start(tmp_path, capsys):
    path = write(tmp_path, "child.yaml", "extends: baseline\nevents:\n  - {date: 2024-02, type: ceasefire}\n")
    line = one_error(capsys, "validate", path)
    assert line.startswith(f"error: {path}: events[0].date: 2024-02 is outside the run 2025-01 to 2035-12"), line
    assert "start set in" in line and "prelude_2025.yaml)" in line
    assert "inherited" not in line


def test_a_child_start_after_the_inherited_end_blames_the_childs_start(tmp_path, capsys):
    path = write(tmp_path, "late.yaml", "extends: baseline\nstart: 2036-01\n")
    line = one_error(capsys, "validate", path)
    assert line.startswith(f"error: {path}: start: 2036-01 is after end 2035-12 (end set in "), line


def test_a_child_end_before_the_inherited_start_blames_the_childs_end(tmp_path, capsys):
    path = write(tmp_path, "early.yaml", "extends: baseline\nend: 2024-12\n")
    assert one_error(capsys, "validate", path).startswith(f"error: {path}: end: 2024-12 is before start 2025-01")


def test_a_child_that_narrows_the_horizon_is_still_blamed_for_the_parents_event(tmp_path, capsys):
    write(tmp_path, "parent.yaml", "events:\n  - {date: 2030-01, type: ceasefire}\n")
    child = write(tmp_path, "child.yaml", "extends: parent\nend: 2029-12\n")
    line = one_error(capsys, "validate", child)
    assert line.startswith(f"error: {child}: end: 2029-12 leaves out events[0] (ceasefire, 2030-01) of "), line


def test_an_unknown_scenario_in_an_experiment_names_the_experiment_file_and_field(tmp_path, capsys):
    path = write(tmp_path, "exp.yaml", "scenario: bogus\ndesign: grid\nfactors: {confidence_bound: [0.1, 0.2]}\n")
    for command in ("validate", "sweep"):
        line = one_error(capsys, command, path)
        assert line.startswith(f"error: {path}: scenario: no scenario file 'bogus' next to this experiment file"), line
        assert "baseline" in line


def test_a_single_value_where_a_list_is_needed_shows_the_list(tmp_path, capsys):
    path = write(tmp_path, "t.yaml", "events:\n  - {date: 2026-02, type: hybrid_campaign, targets: EST}\n")
    line = one_error(capsys, "validate", path)
    assert line == f"error: {path}: events[0].targets: 'EST' is not a list; write a list, e.g. [EST]"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("UK", "GBR"),
        ("Britain", "GBR"),
        ("Great Britain", "GBR"),
        ("Holland", "NLD"),
        ("the Netherlands", "NLD"),
        ("Czech Republic", "CZE"),
        ("Czechia", "CZE"),
        ("Turkey", "TUR"),
        ("Türkiye", "TUR"),
        ("Germany", "DEU"),
        ("DE", "DEU"),
        ("US", "USA"),
        ("DNKK", "DNK"),
    ],
)
def test_states_are_suggested_by_name_and_short_form(tmp_path, capsys, written, code):
    path = write(tmp_path, "c.yaml", f"events:\n  - {{date: 2026-02, type: coercion, target: {written}, size: 0.2}}\n")
    line = one_error(capsys, "validate", path)
    assert f"events[0].target: '{written}' is not a state of the model (did you mean '{code}', " in line, line


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("replications: [3]\n", "replications", "[3] is a list; use a whole number from 1 to 100000"),
        ("replications: 2.5\n", "replications", "2.5 is not a whole number; use a whole number from 1 to 100000"),
        ("seed: 99999999999999999999999\n", "seed", "is too large; use a whole number from 0 to 9223372036854775807"),
        ("name: [a]\n", "name", "[a] is a list; use a name of 1 to 80 letters"),
        (
            "name: " + "n" * 90 + "\n",
            "name",
            "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' is not allowed; use a name of 1 to 80",
        ),
        ("description: {a: 1}\n", "description", "{a: 1} is a mapping; use text"),
        ("events: {date: 2026-01}\n", "events", "{date: 2026-01} is a mapping; use a list of events"),
        ("parameters: [1]\n", "parameters", "[1] is a list; use a mapping of parameter: value"),
        ("parameters: {confidence_bound: .nan}\n", "parameters.confidence_bound", ".nan is not a finite number"),
        ("parameters: {confidence_bound: -.inf}\n", "parameters.confidence_bound", "-.inf is not a finite number"),
        ("parameters: {eu_cfsp_rule: [qmv]}\n", "parameters.eu_cfsp_rule", "[qmv] is not allowed; use one of"),
        (
            "events:\n  - {date: 2026-01, type: us_troops, change: -0.5, unit: percent}\n",
            "events[0].unit",
            "'percent' is not allowed; use one of fraction, thousands",
        ),
        (
            "events:\n  - {date: 2026-01, type: us_troops, change: -0.5, over_months: 2.5}\n",
            "events[0].over_months",
            "2.5 is not a whole number; use a whole number from 1 to 120",
        ),
        (
            "events:\n  - {date: 2026-01, type: us_troops, change: '-0.5'}\n",
            "events[0].change",
            "'-0.5' is text; use a number",
        ),
        (
            "events:\n  - {date: 2026-01, type: ceasefire_pressure, level: 0.5, endorsement_vote: 1}\n",
            "events[0].endorsement_vote",
            "1 is a number; use true or false",
        ),
        (
            "events:\n  - {date: 2026-01, type: coercion, size: 0.3}\n",
            "events[0].target",
            "missing; a coercion event needs it: an ISO3 code of the model",
        ),
        (
            "events:\n  - {date: 2026-01, type: us_troops, change: 5}\n",
            "events[0].change",
            "5.0 is out of range for unit fraction; use a number from -1 to 2",
        ),
        ("events:\n  - {date: 2026-01, size: 0.3}\n", "events[0].type", "missing; give the event type, one of"),
        (
            "events:\n  - {date: 2026-01, type: set, parameter: confidence_bound, value: [1]}\n",
            "events[0].value",
            "[1] is a list; use a number from 0.05 to 1 (the range of confidence_bound)",
        ),
        (
            "events:\n  - {date: 2026-01, type: hybrid_campaign, targets: [1]}\n",
            "events[0].targets[0]",
            "1 is a number; use an ISO3 code of the model",
        ),
        ("start: 2026\n", "start", "2026 is not a year-month; write YYYY-MM"),
        ("end: 2035-12-31\n", "end", "'2035-12-31' is a full date; write the year-month YYYY-MM (e.g. 2035-12)"),
        ("end: '2035-12-31'\n", "end", "'2035-12-31' is a full date; write the year-month YYYY-MM (e.g. 2035-12)"),
    ],
)
def test_messages_say_what_was_given_and_what_is_allowed_in_our_words(tmp_path, capsys, text, field, fragment):
    path = write(tmp_path, "s.yaml", text)
    line = one_error(capsys, "validate", path)
    assert line.startswith(f"error: {path}: {field}: "), line
    assert fragment in line, line


def test_every_allowed_text_of_a_number_field_matches_what_the_field_accepts():
    """For each bounded event field: the bounds the message states are accepted, a step beyond them refused."""
    from sim.rules.events import EVENT_TYPES, allowed, make_event

    base = {
        "us_troops": {"change": 0.1},
        "article5_doubt": {"size": 0.1},
        "us_reassurance": {"size": 0.1},
        "ceasefire_pressure": {"level": 0.5},
        "ceasefire": {},
        "russia_aggression": {"level": 0.5},
        "hybrid_campaign": {},
        "coercion": {"target": "DNK", "size": 0.1},
        "election": {"state": "POL", "government": "mainstream"},
        "accession": {"state": "UKR", "body": "eu"},
        "set": {"parameter": "confidence_bound", "value": 0.3},
    }
    checked = 0
    for kind, cls in EVENT_TYPES.items():
        for name in cls.model_fields:
            text = allowed(kind, name)
            match = re.match(r"a (whole )?number (from|above) (-?[\d.]+),? (to|up to) (-?[\d.]+)", text)
            if not match or (kind, name) in (("russia_aggression", "change"),):
                continue
            low, high = float(match.group(3)), float(match.group(5))
            whole = match.group(1) is not None
            spec = {"type": kind, "date": "2026-01", **base[kind]}
            if kind == "russia_aggression":
                spec.pop("level")
            step = 1 if whole else 1e-9
            inclusive_low = match.group(2) == "from"
            for value, ok in ((low, inclusive_low), (high, True), (low - step, False), (high + step, False)):
                value = int(value) if whole else value
                try:
                    make_event({**spec, name: value})
                    accepted = True
                except InputError:
                    accepted = False
                assert accepted == ok, (kind, name, text, value)
            checked += 1
    assert checked >= 10


def test_parameter_allowed_texts_match_the_checks():
    for spec in PARAMETERS.values():
        if spec.is_categorical:
            for choice in spec.choices:
                assert spec.check(choice) == choice
            with pytest.raises(InputError, match=re.escape(spec.allowed())):
                spec.check("none of those")
            continue
        assert spec.check(spec.low) == spec.low and spec.check(spec.high) == spec.high
        for outside in (spec.low - 1, spec.high + 1):
            with pytest.raises(InputError, match=re.escape(spec.allowed())):
                spec.check(outside)


def test_a_long_value_is_echoed_short_and_on_one_line(tmp_path, capsys):
    value = "DNK " + "y" * 500 + "\\nsecond line"
    path = write(tmp_path, "long.yaml", f'events:\n  - {{date: 2026-01, type: coercion, target: "{value}", size: 1}}\n')
    line = one_error(capsys, "validate", path)
    echoed = re.search(r"'([^']*)' is not a state", line).group(1)
    assert len(echoed) <= 40 and echoed.endswith("...")
    unknown_key = write(tmp_path, "key.yaml", "k" * 400 + ": 1\n")
    assert len(one_error(capsys, "validate", unknown_key)) < 400


# ---------------------------------------------------------------- YAML: merge keys and dates
def test_merge_keys_work_as_standard_yaml_and_duplicate_keys_are_still_refused(tmp_path, capsys):
    merged = write(
        tmp_path,
        "merged.yaml",
        "events:\n"
        "  - &coerce {date: 2026-01, type: coercion, target: DNK, size: 0.2}\n"
        "  - {<<: *coerce, date: 2026-03}\n"
        "  - <<: *coerce\n"
        "    date: 2026-05\n"
        "    size: 0.4\n",
    )
    scenario = load(merged)
    assert [(e.date, e.target, e.size) for e in scenario.events] == [
        ("2026-01", "DNK", 0.2),
        ("2026-03", "DNK", 0.2),
        ("2026-05", "DNK", 0.4),
    ]
    code, _, out = run_cli(capsys, "validate", merged)
    assert code == 0 and "3 events" in out
    twice = write(tmp_path, "twice.yaml", "events:\n  - {date: 2026-01, type: ceasefire, date: 2026-02}\n")
    assert "not valid YAML (duplicate key 'date')" in one_error(capsys, "validate", twice)
    merged_twice = write(
        tmp_path, "merged_twice.yaml", "events:\n  - &e {date: 2026-01, type: ceasefire}\n  - {<<: *e, <<: *e}\n"
    )
    assert "duplicate key '<<'" in one_error(capsys, "validate", merged_twice)


def test_merge_keys_in_an_experiment_file(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text(
        "scenario: {extends: baseline, end: 2026-12, events: [&e {date: 2026-02, type: article5_doubt, size: 0.1},"
        " {<<: *e, date: 2026-06}]}\n"
        "design: grid\nfactors: {events.article5_doubt.size: [0.1, 0.2]}\n"
    )
    experiment = load_experiment(path)
    assert [f.targets for f in experiment.factors] == [(3, 4)]


# ---------------------------------------------------------------- values that mean what they say
WHOLE_NUMBER_PARAMETERS = ("budget_month", "pledge_deadline_year", "veto_delay_months", "wales_deadline_year")


def test_every_parameter_the_model_uses_as_a_whole_number_is_declared_one():
    source = "\n".join(p.read_text() for p in (ROOT / "sim").rglob("*.py"))
    # The ways the engine reads a parameter as a whole number: int(...p["name"]...), p["name"].astype(np.int64),
    # and a value read with p("name") that is then passed through int(...).
    truncated = set(re.findall(r"int\([^()\n]*p\[\"(\w+)\"\]", source))
    truncated |= set(re.findall(r"p\[\"(\w+)\"\]\.astype\(np\.int", source))
    for variable, name in re.findall(r"(\w+) = p\(\"(\w+)\"\)", source):
        if re.search(rf"int\({variable}\[", source):
            truncated.add(name)
    assert {"budget_month", "pledge_deadline_year", "veto_delay_months"} <= truncated, (
        "the patterns must find the model's whole-number parameters"
    )
    assert truncated <= set(WHOLE_NUMBER_PARAMETERS)
    assert {name for name, spec in PARAMETERS.items() if spec.integer} == set(WHOLE_NUMBER_PARAMETERS)


@pytest.mark.parametrize("name", WHOLE_NUMBER_PARAMETERS)
def test_a_fraction_of_a_whole_number_parameter_is_refused(tmp_path, capsys, name):
    spec = PARAMETERS[name]
    path = write(tmp_path, "p.yaml", f"parameters: {{{name}: {spec.low + 0.5}}}\n")
    line = one_error(capsys, "validate", path)
    assert line == (
        f"error: {path}: parameters.{name}: {spec.low + 0.5} is not a whole number; "
        f"use a whole number from {spec.low:g} to {spec.high:g}"
    )
    scenario = from_mapping({"parameters": {name: float(spec.high)}})
    assert scenario.parameters[name] == spec.high and isinstance(scenario.parameters[name], int)


@pytest.mark.parametrize("design", ["lhs", "sobol", "morris"])
def test_sampled_designs_draw_every_whole_number_of_the_range_the_top_one_included(design):
    axes = [Axis("budget_month", low=1, high=12, integer=True), Axis("x", low=0.0, high=1.0)]
    samples = {"lhs": 600, "sobol": 256, "morris": 100}[design]
    table = points(design, axes, samples, seed=7, options={})
    months = table["budget_month"]
    assert months.dtype == "int64"
    assert set(months) <= set(range(1, 13))
    if design == "morris":  # four levels: 1, 5, 9 and the top, 12
        assert set(months) == {1, 5, 9, 12}
    else:
        counts = months.value_counts()
        assert set(counts.index) == set(range(1, 13))
        assert counts.min() >= 0.6 * len(months) / 12, counts.to_dict()
    again = points(design, axes, samples, seed=7, options={})
    assert again.equals(table), "same seed, same points"


def test_whole_numbers_cut_the_range_into_equal_bins():
    values = np.linspace(1, 12, 12 * 1000 + 1)
    mapped = whole_numbers(values, 1, 12)
    counts = np.bincount(mapped)[1:]
    assert mapped.min() == 1 and mapped.max() == 12 and counts.max() - counts.min() <= 1


def test_a_sweep_records_the_whole_number_it_ran(tmp_path):
    experiment = experiment_from_mapping(
        {
            "scenario": {"end": "2025-06"},
            "design": "lhs",
            "samples": 24,
            "seed": 3,
            "factors": {"budget_month": "range", "pledge_deadline_year": [2030, 2040]},
        }
    )
    table = experiment.points()
    assert str(table["budget_month"].dtype) == "int64" and str(table["pledge_deadline_year"].dtype) == "int64"
    assert table["budget_month"].max() == 12 and table["pledge_deadline_year"].max() == 2040
    factor = experiment.factors[0]
    for value in table["budget_month"]:
        parameters: dict = {}
        factor.apply(parameters, [], experiment.factors[0].canonical(value))
        assert parameters["budget_month"] == value
    grid = experiment_from_mapping(
        {
            "scenario": {"end": "2025-06"},
            "design": "grid",
            "factors": {"budget_month": {"low": 1, "high": 12, "levels": 4}},
        }
    )
    assert list(grid.points()["budget_month"]) == [1, 5, 8, 12]
    with pytest.raises(InputError, match="11.99 is not a whole number"):
        experiment_from_mapping(
            {"scenario": {"end": "2025-06"}, "design": "grid", "factors": {"budget_month": [1, 11.99]}}
        )


def test_an_accession_of_a_member_is_a_warning_and_logged_as_no_change(tmp_path, capsys):
    path = write(
        tmp_path,
        "join.yaml",
        "extends: baseline\nend: 2026-06\nevents:\n"
        "  - {date: 2026-02, type: accession, state: POL, body: nato}\n"
        "  - {date: 2026-03, type: accession, state: UKR, body: eu}\n"
        "  - {date: 2026-04, type: accession, state: UKR, body: eu}\n",
    )
    code, lines, out = run_cli(capsys, "validate", path)
    assert code == 0 and out.startswith(f"ok: {path}")
    assert lines == [
        f"warning: {path}: events[0]: POL is already in NATO in 2026-02; the accession changes nothing "
        "(the events log says no_change)",
        f"warning: {path}: events[2]: UKR is already in EU in 2026-04; the accession changes nothing "
        "(the events log says no_change)",
    ]
    log = AllianceModel.from_scenario(load(path), 0).run().log_dataframe()
    joins = log[log["item"] == "accession"][["date", "outcome"]].astype(str).values.tolist()
    assert joins == [["2026-02", "no_change"], ["2026-03", "applied"], ["2026-04", "no_change"]]


def test_an_accession_request_of_a_member_is_a_warning_and_logged_as_no_change(tmp_path, capsys):
    path = write(
        tmp_path,
        "request.yaml",
        "extends: baseline\nend: 2026-06\nevents:\n"
        "  - {date: 2026-02, type: accession_request, state: USA, body: nato}\n"
        "  - {date: 2026-03, type: accession_request, state: UKR, body: nato}\n"
        "  - {date: 2026-04, type: accession_request, state: UKR, body: nato}\n",
    )
    code, lines, out = run_cli(capsys, "validate", path)
    assert code == 0 and out.startswith(f"ok: {path}")
    # UKR is not yet a member at its second request: every ally must ratify first, so only USA is warned of
    assert lines == [
        f"warning: {path}: events[0]: USA is already in NATO in 2026-02; the accession request changes nothing "
        "(the events log says no_change)"
    ]
    log = AllianceModel.from_scenario(load(path), 0).run().log_dataframe()
    first = log[log["item"] == "accession_request"][["date", "outcome"]].astype(str).values.tolist()[0]
    assert first == ["2026-02", "no_change"]


def test_a_missing_field_names_the_event_type_with_its_article(tmp_path, capsys):
    path = write(tmp_path, "r.yaml", "events:\n  - {date: 2026-01, type: accession_request, body: nato}\n")
    assert "events[0].state: missing; an accession_request event needs it" in one_error(capsys, "validate", path)


def test_an_alignment_override_for_the_usa_is_refused(tmp_path, capsys):
    # Alignment is each government's closeness to the US administration: the USA's own is not read.
    path = write(tmp_path, "a.yaml", "extends: baseline\nstates:\n  usa: {administration_alignment: 0.2}\n")
    line = one_error(capsys, "validate", path)
    assert line.startswith(f"error: {path}: states.USA.administration_alignment: the USA's own is not read"), line
    assert "set it for the other states" in line, line


def test_a_coercion_of_the_usa_is_refused(tmp_path, capsys):
    # The US coerces its allies: a target USA would take trust from the USA and spill over to every ally.
    path = write(tmp_path, "c.yaml", "events:\n  - {date: 2026-01, type: coercion, target: usa, size: 0.5}\n")
    line = one_error(capsys, "validate", path)
    assert line.startswith(
        f"error: {path}: events[0].target: the USA is the coercer; give the ISO3 of the state it coerces"
    )
    with pytest.raises(InputError):
        AllianceModel(events=[{"date": "2026-01", "type": "coercion", "target": "USA", "size": 0.5}])


def test_an_election_for_the_usa_is_refused_naming_the_us_events(tmp_path, capsys):
    path = write(
        tmp_path, "e.yaml", "events:\n  - {date: 2026-01, type: election, state: usa, government: mainstream}\n"
    )
    line = one_error(capsys, "validate", path)
    assert line.startswith(f"error: {path}: events[0].state: the USA has no election in the model")
    assert "us_troops, article5_doubt, us_reassurance, ceasefire_pressure, coercion" in line
    with pytest.raises(InputError):
        AllianceModel(events=[{"date": "2026-01", "type": "election", "state": "USA", "government": "mainstream"}])


def test_a_start_in_2025_without_the_prelude_says_the_record_is_left_out(tmp_path, capsys, monkeypatch):
    import sim.reporting.figures.run

    monkeypatch.setattr(
        sim.reporting.figures.run, "draw_all", lambda *args, **kwargs: []
    )  # the note is the point, not figures
    path = write(tmp_path, "bare.yaml", "end: 2025-07\nreplications: 1\n")
    code, lines, _ = run_cli(capsys, "validate", path)
    assert code == 0 and len(lines) == 1
    assert lines[0].startswith(f"note: {path}: start: 2025-01 without the record of 2025 in prelude_2025 (set 2025-06)")
    assert "add 'extends: baseline'" in lines[0]
    code, lines, _ = run_cli(capsys, "run", path, "--out", str(tmp_path / "results"), "--quiet")
    assert code == 0 and lines == [lines[0]] and lines[0].startswith("note: ")
    for quiet in ("extends: baseline\nend: 2026-06\n", "start: 2026-02\nend: 2026-06\n", "start: 2022-01\n"):
        other = write(tmp_path, "quiet.yaml", quiet)
        code, lines, _ = run_cli(capsys, "validate", other)
        assert (code, lines) == (0, []), quiet
    copied = yaml.safe_load((Path(load("prelude_2025").source)).read_text())
    keeps = write(tmp_path, "copy.yaml", yaml.safe_dump({"events": copied["events"], "end": "2026-06"}))
    assert run_cli(capsys, "validate", keeps)[:2] == (0, [])


def test_option_values_are_echoed_short_too():
    from sim.analysis.compare import check_outcomes
    from sim.analysis.discovery import Condition

    for check in (lambda: check_outcomes(["o" * 300]), lambda: Condition.parse("c" * 300 + " <", ["cohesion"])):
        with pytest.raises(InputError) as error:
            check()
        assert "o" * 41 not in error.value.message and "c" * 41 not in error.value.message
        assert "...'" in error.value.message


def test_notes_on_an_inline_scenario_point_into_the_experiment_file(tmp_path, capsys):
    path = write(
        tmp_path,
        "exp.yaml",
        "scenario: {end: 2025-08, events: [{date: 2025-03, type: accession, state: POL, body: eu}]}\n"
        "design: grid\nfactors: {budget_month: [1, 2]}\n",
    )
    code, lines, out = run_cli(capsys, "validate", path)
    assert code == 0 and out.startswith(f"ok: {path}: experiment")
    assert [line.split(": ")[:3] for line in lines] == [
        ["warning", path, "scenario.events[0]"],
        ["note", path, "scenario.start"],
    ]


def test_validate_checks_an_experiment_without_its_design_as_an_experiment(tmp_path, capsys):
    path = write(tmp_path, "exp.yaml", "scenario: baseline\nsamples: 8\nfactors: {confidence_bound: [0.1, 0.2]}\n")
    line = one_error(capsys, "validate", path)
    assert line == f"error: {path}: design: missing; give one of grid, lhs, sobol, morris"
    assert one_error(capsys, "sweep", path) == line


def test_an_os_error_is_bad_input_only_on_a_path_the_user_gave():
    import argparse
    import errno

    from sim.util.errors import bad_path as _bad_path

    args = argparse.Namespace(folder="res/run-1", out="results")
    missing = FileNotFoundError(errno.ENOENT, "No such file or directory", "res/run-1/model.parquet")
    error = _bad_path(args, missing)
    assert error.one_line() == "res/run-1: folder: cannot be used: model.parquet (No such file or directory)"
    assert _bad_path(args, FileNotFoundError(errno.ENOENT, "No such file", "/usr/lib/x.so")) is None
    full = OSError(errno.ENOSPC, "No space left on device", "results/x/model.parquet")
    assert _bad_path(args, full) is None, "a full disk is not bad input"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda sim: sim.load_sweep(5), "SWEEP_DIR: 5 is not a folder"),
        (lambda sim: sim.load_sweep(None), "SWEEP_DIR: null is not a folder"),
        (lambda sim: sim.load_results(3), "RESULTS_DIR: 3 is not a folder"),
        (lambda sim: sim.compare("results/a", 7), "RESULTS_DIR: 7 is not a folder"),
        (lambda sim: sim.run_sweep(5, "unused"), "experiment: 5 is not an experiment"),
        (lambda sim: sim.run_sweep({"name": "x"}, "unused"), "experiment: {name: x} is not an experiment"),
        (lambda sim: sim.run_sweep("drawdown_vs_doubt", 5), "out: 5 is not a folder"),
        (lambda sim: sim.run_sweep("drawdown_vs_doubt", "unused", workers="2"), "workers: '2' is not a whole number"),
        (lambda sim: sim.run_sweep("drawdown_vs_doubt", "unused", chunk_runs=2.5), "chunk_runs: 2.5 is not allowed"),
    ],
)
def test_the_python_api_names_a_wrongly_typed_argument(call, field, tmp_path, monkeypatch):
    import sim

    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=re.escape(field)):
        call(sim)
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"replications": "5"}, "replications: '5' is not a whole number"),
        ({"replications": 5.5}, "replications: 5.5 is not a whole number"),
        ({"seed": 7.0}, "seed: 7.0 is not a whole number"),
        ({"parameters": [1, 2]}, "parameters: [1, 2] is not a mapping"),
        ({"states": {"POL": 0.5}}, "states.POL: 0.5 is not a mapping"),
        ({"add_events": {"date": "2026-01", "type": "ceasefire"}}, "add_events: {date: 2026-01, type: ceasefire} is"),
        ({"events": ["ceasefire"]}, "events: [ceasefire] is not a list of events"),
    ],
)
def test_with_overrides_names_a_wrongly_typed_argument(overrides, field):
    base = load("baseline")
    with pytest.raises(InputError, match="^" + re.escape(field)):  # the argument's name, not a command-line option
        base.with_overrides(**overrides)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("iso3", "XXX", "linkage.csv: line 2.iso3: 'XXX' is not a state of the model"),
        ("item", "eu_sanction_renewal", "linkage.csv: line 2.item: 'eu_sanction_renewal' is not an item of the agenda"),
        ("government", "orban", "linkage.csv: line 2.government: 'orban' is not allowed; use one of accommodationist"),
        ("hostage_probability", 1.5, "linkage.csv: line 2.hostage_probability: 1.5 is not allowed; use a number"),
        ("concession_probability", float("nan"), "linkage.csv: line 2.concession_probability: .nan is not allowed"),
        ("applicant", "SWE", "linkage.csv: line 2.applicant: only a nato_accession row names an applicant"),
    ],
)
def test_a_bad_row_of_linkage_csv_is_named_by_line_and_column(column, value, message):
    from sim.inputs.states import check_linkage, tables

    rows = tables()["linkage.csv"].copy()
    check_linkage(rows)  # the shipped file is whole
    assert rows.loc[0, "item"] != "nato_accession"
    rows[column] = rows[column].astype(object)
    rows.loc[0, column] = value
    with pytest.raises(InputError, match=re.escape(message)):
        check_linkage(rows)


def test_a_repeated_row_of_linkage_csv_is_refused():
    from sim.inputs.states import check_linkage, tables

    rows = tables()["linkage.csv"]
    doubled = pd.concat([rows, rows.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=rf"linkage.csv: line {len(rows) + 2}: .* is already given on line 2"):
        check_linkage(doubled)


def test_sweeping_a_scenario_by_name_says_it_is_a_scenario_and_lists_the_experiments(capsys):
    line = one_error(capsys, "sweep", "baseline")
    assert line.startswith("error: baseline: file: no such experiment file ('baseline' is a scenario: run it with")
    assert line.endswith(
        "give a path or a packaged experiment: drawdown_vs_doubt, morris_all_parameters, "
        "sobol_all_parameters, sobol_key_parameters"
    )


@pytest.mark.parametrize(
    ("resamples", "message"),
    [(10**11, "--resamples: 100000000000 is too many; use a whole number up to 20000"), (2.5, "2.5 is not a whole")],
)
def test_compare_refuses_resamples_it_cannot_hold(resamples, message, capsys):
    import sim

    with pytest.raises(InputError, match=re.escape(message)):
        sim.compare("results/a", "results/b", resamples=resamples)  # refused before any folder is read
    if isinstance(resamples, int):
        assert one_error(capsys, "compare", "a", "b", "--resamples", str(resamples)).startswith(f"error: {message}")


# ---------------------------------------------------------------- files named by a file: never echoed
SECRET = "hunter2secret"
# Files a scenario or experiment may name by path (extends: /etc/passwd, scenario: ../../x), each with the
# secret where a message could quote it: a line of text, a key, a value, an event type, a YAML alias, a state.
NAMED_FILES = {
    "text": f"root:x:0:0:{SECRET}:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin\n",
    "key": f"{SECRET}: 1\n",
    "value": f"end: {SECRET}\n",
    "event": f"events: [{{date: 2026-01, type: {SECRET}}}]\n",
    "alias": f"a: *{SECRET}\n",
    "state": f"states: {{POL: {{{SECRET}: 1}}}}\n",
    "number": f"seed: {'7' * 5000}\n",
}


@pytest.mark.parametrize("kind", NAMED_FILES)
def test_a_file_named_by_path_is_never_echoed_and_the_error_is_in_the_users_file(tmp_path, capsys, kind):
    secret = tmp_path / "elsewhere" / "secret.conf"
    secret.parent.mkdir()
    secret.write_text(NAMED_FILES[kind], encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    read = str(secret.resolve())
    experiment = "design: grid\nfactors: {{confidence_bound: [0.1, 0.2]}}\nscenario: {}\n"
    cases = [
        (write(work, "absolute.yaml", f"extends: {secret}\n"), "extends"),
        (write(work, "parent.yaml", "extends: ../elsewhere/secret.conf\n"), "extends"),
        (write(work, "chain.yaml", "extends: parent.yaml\n"), "extends"),  # through a parent of the user's
        (write(work, "exp.yaml", experiment.format("../elsewhere/secret.conf")), "scenario"),
        (write(work, "inline.yaml", experiment.format(f"{{extends: {secret}}}")), "scenario.extends"),
    ]
    for path, field in cases:
        line = one_error(capsys, "validate", path)
        assert SECRET not in line and "root:x" not in line and "7777" not in line, line
        assert line.startswith(f"error: {path}: {field}: "), line
        assert f"the file read, {read}, is not a usable scenario" in line, line
    from sim.dashboard import logic as dashboard

    with pytest.raises(InputError) as raised:
        dashboard.load(str(secret))  # the page's own-file box
    assert SECRET not in raised.value.one_line() and read in raised.value.one_line()


@pytest.mark.parametrize("kind", ["text", "shadow", "list"])
@pytest.mark.parametrize("command", ["run", "validate", "sweep"])
def test_a_file_the_user_names_that_is_not_keys_at_all_is_called_so_without_its_text(tmp_path, capsys, kind, command):
    texts = {
        "text": NAMED_FILES["text"],
        "shadow": f"root:{SECRET}:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n",
        "list": f"- {SECRET}\n- b\n",
    }
    path = write(tmp_path, "secret.conf", texts[kind])
    line = one_error(capsys, command, path)
    what = "an experiment" if command == "sweep" else "a scenario"
    assert SECRET not in line and "root:" not in line and "daemon" not in line, line
    assert line.startswith(f"error: {path}: top level: is not {what} file: its top level is "), line


@pytest.mark.parametrize(
    ("command", "text", "key"),
    [
        ("validate", "name: x\nevnts: []\n", "evnts"),
        ("validate", "name: x\nmy key: 1\n", "my key"),  # a real scenario's odd key is still named
        ("sweep", "scenario: baseline\ndesign: grid\nfactors: {confidence_bound: [0.1, 0.2]}\nfactor: 1\n", "factor"),
    ],
)
def test_an_unknown_key_of_a_real_file_is_still_named(tmp_path, capsys, command, text, key):
    path = write(tmp_path, "real.yaml", text)
    line = one_error(capsys, command, path)
    assert line.startswith(f"error: {path}: {key}: unknown key"), line


def test_a_named_file_says_which_of_its_fields_is_wrong(tmp_path, capsys):
    write(tmp_path, "parent.yaml", "events: [{date: 2026-01, type: coercion, target: DNK, size: 7}]\n")
    line = one_error(capsys, "validate", write(tmp_path, "child.yaml", "extends: parent\n"))
    assert "its field 'events[0].size' is not valid" in line and "run 'cohesion validate " in line


# ---------------------------------------------------------------- 5,000-digit numbers
HUGE = "9" * 5000


@pytest.mark.parametrize(
    "text",
    [
        f"seed: {HUGE}\n",
        f"replications: -{HUGE}\n",
        f"parameters: {{confidence_bound: {HUGE}}}\n",
        f"events: [{{date: 2026-01, type: us_troops, change: -0.5, over_months: {HUGE}}}]\n",
        f"states: {{POL: {{threat: +{HUGE}}}}}\n",
    ],
    ids=["seed", "replications", "parameter", "event", "state"],
)
def test_a_5000_digit_number_in_a_scenario_is_one_line(tmp_path, capsys, text):
    line = one_error(capsys, "validate", write(tmp_path, "huge.yaml", text))
    assert "a whole number of 5,000 digits" in line and "at most 100 digits" in line and len(line) < 400, line


def test_a_5000_digit_number_in_an_experiment_or_an_option_is_one_line(tmp_path, capsys):
    experiment = write(
        tmp_path, "e.yaml", f"scenario: baseline\ndesign: grid\nfactors: {{budget_month: [1, {HUGE}]}}\n"
    )
    line = one_error(capsys, "validate", experiment)
    assert line.startswith(f"error: {experiment}: line 3: a whole number of 5,000 digits"), line
    for argv in (
        ["run", "baseline", "--seed", HUGE],
        ["run", "baseline", "--replications", HUGE],
        ["run", "baseline", "--workers", HUGE],
        ["sweep", experiment, "--chunk-runs", HUGE],
        ["compare", "a", "b", "--resamples", HUGE],
    ):
        with pytest.raises(SystemExit) as exit_:  # argparse's own exit
            main(argv)
        assert exit_.value.code == 2
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1 and len(lines[0]) < 400 and "invalid int value: '9999" in lines[0], lines


# ---------------------------------------------------------------- sizes beyond a stated limit
def test_more_events_than_a_scenario_takes_are_refused_on_one_line_naming_the_limit(tmp_path, capsys):
    from sim.scenarios.scenario import MAX_EVENTS

    event = "  - {date: 2026-01, type: coercion, target: DNK, size: 0.01}\n"
    many = write(tmp_path, "many.yaml", "events:\n" + event * (MAX_EVENTS + 1))
    line = one_error(capsys, "validate", many)
    assert f"events: {MAX_EVENTS + 1} events; a scenario takes at most {MAX_EVENTS}" in line, line
    assert "figures" in line, "the line says why"
    write(tmp_path, "half.yaml", "events:\n" + event * (MAX_EVENTS // 2 + 1))
    chain = write(tmp_path, "chain.yaml", "extends: half\nevents:\n" + event * (MAX_EVENTS // 2))
    line = one_error(capsys, "validate", chain)
    assert line.startswith(f"error: {chain}: events: {MAX_EVENTS + 1} events with those of the files it extends")
    with pytest.raises(InputError, match=f"at most {MAX_EVENTS}"):
        load("baseline").with_overrides(events=[{"date": "2026-01", "type": "coercion", "target": "DNK"}] * 20_000)


# ---------------------------------------------------------------- messages: short, with what is allowed
def test_an_unknown_outcome_names_the_closest_ones_on_a_short_line(tmp_path, capsys):
    from sim.analysis.compare import check_outcomes

    experiment = write(
        tmp_path,
        "e.yaml",
        "scenario: baseline\ndesign: grid\nfactors: {budget_month: [1, 2]}\noutputs: {model: [cohesoin]}\n",
    )
    line = one_error(capsys, "validate", experiment)
    assert len(line) < 400 and "(did you mean 'cohesion'?)" in line, line
    assert "one of the 29 model outcomes (the closest: cohesion," in line and "all in 'cohesion list outcomes'" in line
    with pytest.raises(InputError) as raised:
        check_outcomes(["cohesoin"])
    assert len(raised.value.one_line()) < 400 and "the closest: cohesion," in raised.value.one_line()


def test_every_error_line_is_cut_to_400_characters():
    assert len(InputError("field", "x " * 1000, "file.yaml").one_line()) < 400


@pytest.mark.parametrize(("value", "shown_as"), [("true", "true is true/false"), ("[1]", "[1] is a list")])
def test_the_value_of_a_set_event_names_the_parameters_range(tmp_path, capsys, value, shown_as):
    text = f"events: [{{date: 2026-01, type: set, parameter: confidence_bound, value: {value}}}]\n"
    line = one_error(capsys, "validate", write(tmp_path, "set.yaml", text))
    assert f"events[0].value: {shown_as}; use a number from 0.05 to 1 (the range of confidence_bound)" in line, line


@pytest.mark.parametrize(
    "text",
    [b"scenario: baseline\ndesign: grid\nfactors: [\n", b"scenario: baseline\ndesign: grid\nfactors: {a: \xff}\n"],
    ids=["yaml", "encoding"],
)
def test_validate_calls_a_broken_experiment_file_an_experiment(tmp_path, capsys, text):
    path = tmp_path / "broken.yaml"
    path.write_bytes(text)
    line = one_error(capsys, "validate", str(path))
    assert "scenario file" not in line, line
    if b"\xff" in text:
        assert "give an experiment file in YAML" in line, line


def test_a_full_disk_during_a_sweep_names_the_folder(tmp_path, capsys, monkeypatch):
    import errno

    from sim.util import files

    def full(path, content):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write() reports it: no file name

    monkeypatch.setattr(files, "write_atomically", full)
    experiment = write(tmp_path, "e.yaml", "scenario: {end: 2025-02}\ndesign: grid\nfactors: {budget_month: [1, 2]}\n")
    out = tmp_path / "sweep_out"
    code, lines, _ = run_cli(capsys, "sweep", experiment, "--workers", "1", "--quiet", "--out", str(out))
    assert code == 1 and len(lines) == 1, lines
    assert lines[0] == f"error: cannot write the results in {out}: No space left on device", lines


@pytest.mark.parametrize("name", ["us_trust_initial", "trust_poll_weight"])
def test_a_set_event_of_a_starting_trust_parameter_is_refused(tmp_path, capsys, name):
    # Starting trust is solved once at set-up (ODD 5): a `set` of what it is solved from would change nothing.
    text = f"events: [{{date: 2026-01, type: set, parameter: {name}, value: 0.7}}]\n"
    line = one_error(capsys, "validate", write(tmp_path, "set.yaml", text))
    assert f"events[0].parameter: '{name}' sets the start of a run; put it under parameters" in line, line


def test_every_parameter_only_set_up_reads_is_refused_in_a_set_event():
    # A parameter that only the set-up reads is one a `set` event would silently leave without effect.
    from sim.inputs.parameters import SET_UP_ONLY

    layers = ("engine", "rules", "compiled", "agents", "model")
    engine = [p for p in (ROOT / "sim").rglob("*.py") if p.parent.name in layers or p.stem in layers]
    text = "".join(p.read_text(encoding="utf-8") for p in engine if p.name != "setup.py")
    read_later = set(re.findall(r"\"(\w+)\"", text)) | set(re.findall(r"param:(\w+)", text))
    setup = set(re.findall(r"\"(\w+)\"", (ROOT / "sim" / "engine" / "setup.py").read_text(encoding="utf-8")))
    only_at_start = {name for name in PARAMETERS if name in setup and name not in read_later}
    assert only_at_start <= SET_UP_ONLY, sorted(only_at_start - SET_UP_ONLY)
