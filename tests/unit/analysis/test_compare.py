"""Scenario comparison: paired differences under common random numbers, intervals, refusals, outputs.

Results folders are made in-process on a three-year horizon (a few seconds
in all); the commands go through :func:`tests.helpers.run_cli`, in this process or as a
real ``python -m sim`` process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import DISCLAIMER, HEADLINE_OUTCOMES
from sim.analysis.compare import TABLE_DATES, bootstrap_intervals, compare, interval_narrowing
from sim.rules import outcomes as metrics
from sim.util import files
from sim.util.errors import InputError
from tests.helpers import make_folder, run_cli

DRAWDOWN_EVENTS = [
    {"date": "2026-01", "type": "us_troops", "change": -0.6, "over_months": 6},
    {"date": "2026-03", "type": "article5_doubt", "size": 0.25, "decay_months": 12},
]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    return {
        "reference": make_folder(root, name="reference", replications=16),
        "drawdown": make_folder(root, name="drawdown", replications=16, events=DRAWDOWN_EVENTS),
        "drawdown_4": make_folder(root / "four", name="drawdown", replications=4, events=DRAWDOWN_EVENTS),
        "other_seed": make_folder(root, name="other_seed", replications=2, seed=12, events=DRAWDOWN_EVENTS),
        "other_end": make_folder(root, name="other_end", replications=2, end="2027-06"),
    }


@pytest.fixture(scope="module")
def comparison(folders):
    return compare([folders["reference"], folders["drawdown"]])


# ---------------------------------------------------------------------- what pairing buys
def test_pairing_narrows_the_interval_on_the_same_runs(comparison) -> None:
    differences = comparison.differences
    later = differences[differences["date"] >= "2026-06"]  # after the scenario's events begin to bite
    paired = later["difference_high"] - later["difference_low"]
    unpaired = later["unpaired_high"] - later["unpaired_low"]
    cohesion = later["outcome"] == "cohesion"
    assert (paired[cohesion] < unpaired[cohesion]).all()
    ratios = interval_narrowing(differences).set_index("outcome")["ratio"]
    # Common random numbers remove most of the noise the two runs share: the paired interval is a
    # fraction of the unpaired one for the outcomes that chance moves (cohesion, support for Ukraine).
    assert ratios["cohesion"] < 0.5
    assert ratios["autonomy"] < 0.5
    # Never wider; a count (blocs) that chance moves in one arm only gains nothing from pairing.
    assert (ratios.dropna() <= 1.0 + 1e-9).all()


def test_paired_differences_are_the_mean_of_replication_by_replication_differences(folders, comparison) -> None:
    reference = pd.read_parquet(folders["reference"] / "model")
    scenario = pd.read_parquet(folders["drawdown"] / "model")
    last = reference["date"].max()
    expected = (
        scenario.loc[scenario["date"] == last, "cohesion"].to_numpy()
        - reference.loc[reference["date"] == last, "cohesion"].to_numpy()
    )
    month = f"{last:%Y-%m}"  # the tables hold dates; the differences name months
    differences = comparison.differences
    row = differences[(differences["outcome"] == "cohesion") & (differences["date"] == month)].iloc[0]
    assert row["difference"] == pytest.approx(expected.mean())
    assert row["difference_low"] <= row["difference"] <= row["difference_high"]
    assert row["share_lower"] == pytest.approx((expected < 0).mean())
    assert row["replications"] == 16


def test_bootstrap_pairs_resample_whole_pairs() -> None:
    rng = np.random.default_rng(3)
    shared = rng.normal(0.0, 1.0, (40, 5))  # what both arms draw alike (common random numbers)
    reference = shared
    scenario = shared + 0.3 + rng.normal(0.0, 0.01, (40, 5))
    result = bootstrap_intervals(reference, scenario, resamples=2000, seed=1)
    assert np.all(result["difference_low"] < 0.3) and np.all(result["difference_high"] > 0.3)
    assert np.all(result["difference_high"] - result["difference_low"] < 0.02)
    assert np.all(result["unpaired_high"] - result["unpaired_low"] > 0.5)
    again = bootstrap_intervals(reference, scenario, resamples=2000, seed=1)
    for key, values in result.items():
        np.testing.assert_array_equal(values, again[key])


def test_a_folder_against_itself_differs_by_nothing(folders) -> None:
    same = compare([folders["reference"], folders["reference"]])
    assert same.differences["difference"].abs().max() == 0.0
    assert (same.differences["difference_high"] - same.differences["difference_low"]).abs().max() == 0.0
    assert same.reference.label != same.others[0].label  # told apart in tables and figures


def test_folders_with_fewer_replications_pair_the_ones_they_share(folders, comparison) -> None:
    four = compare([folders["reference"], folders["drawdown_4"]])
    assert four.pairs == {"drawdown": 4}
    scenario = pd.read_parquet(folders["drawdown"] / "model")
    subset = pd.read_parquet(folders["drawdown_4"] / "model")
    # Replication k does not depend on how many replications ran: the first 4 of 16 are the 4.
    pd.testing.assert_frame_equal(
        scenario[scenario["replication"] < 4].drop(columns="run").reset_index(drop=True),
        subset.drop(columns="run").reset_index(drop=True),
    )


def test_compare_takes_arms_already_read_and_checks_them_itself(folders, comparison) -> None:
    """The numbers layer does every check: arms read elsewhere (as sim.api does for results in memory) are
    checked and compared like folders."""
    from sim.analysis.compare import load_arm
    from sim.util.errors import InputError

    arms = [load_arm(folders[name], HEADLINE_OUTCOMES) for name in ("reference", "drawdown")]
    from_arms = compare(arms)
    pd.testing.assert_frame_equal(from_arms.differences, comparison.differences)
    for changes, field in (({"resamples": 5}, "--resamples"), ({"outcomes": ["cohesoin"]}, "--outcomes")):
        with pytest.raises(InputError) as caught:
            compare(arms, **changes)
        assert caught.value.field == field
    with pytest.raises(InputError) as caught:
        compare([arms[0], load_arm(folders["other_seed"], HEADLINE_OUTCOMES)])
    assert caught.value.field == "manifest.json seed"


def test_comparing_folders_computes_without_the_api_or_reporting(folders) -> None:
    """sim.analysis.compare calls down, never up: comparing two folders loads neither sim.api, nor
    sim.reporting, nor matplotlib."""
    code = (
        "import sys; from sim.analysis.compare import compare; "
        f"compare([{str(folders['reference'])!r}, {str(folders['drawdown'])!r}]); "
        "loaded = sorted({m.split('.')[0] if m.startswith('matplotlib') else m for m in sys.modules "
        "if m.startswith(('sim.api', 'sim.reporting', 'matplotlib'))}); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------------- the command and its outputs
def test_compare_writes_differences_table_figures_and_report(folders, tmp_path) -> None:
    out = tmp_path / "cmp"
    done = run_cli("compare", folders["reference"], folders["drawdown"], "--out", out)
    assert done.code == 0, done.stderr
    assert str(out) in done.stdout
    differences = pd.read_csv(out / "differences.csv")
    months = 36
    assert len(differences) == len(HEADLINE_OUTCOMES) * months
    assert set(differences["outcome"]) == set(HEADLINE_OUTCOMES)
    for column in ("comparison", "date", "difference", "difference_low", "difference_high"):
        assert column in differences
    table = pd.read_csv(out / "table.csv")
    # The runs end in 2027, before both table dates: the table falls back to the last month.
    assert not set(TABLE_DATES) & set(table["date"])
    assert set(table["date"]) == {"2027-12"}
    assert len(table) == len(HEADLINE_OUTCOMES)
    for figure in ("differences.png", "levels.png"):
        assert (out / "figures" / figure).stat().st_size > 10_000
    report = (out / "report.md").read_text(encoding="utf-8")
    assert DISCLAIMER in report
    assert "adds event 2026-01 `us_troops`" in report
    assert "figures/differences.png" in report


def test_a_compare_folder_has_a_manifest_like_every_other_folder(folders, tmp_path) -> None:
    """kind, when it was made, the code that made it (as a run folder records it), the folders compared (with the
    sha256 of their manifests), the settings and the tables with their digests; written by the run's helper."""
    import json

    out = tmp_path / "cmp"
    done = run_cli("compare", folders["reference"], folders["drawdown"], "--out", out, "--resamples", "500")
    assert done.code == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    run = json.loads((folders["reference"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "comparison" and run["kind"] == "run"
    assert manifest["created"] and manifest["code_hash"] == files.code_hash() == run["code_hash"]
    for key in ("tool", "version", "outcome_definitions", "disclaimer", "packages", "code_revision", "platform"):
        assert manifest[key] == run[key], key
    assert manifest["command"] == [
        "cohesion",
        "compare",
        str(folders["reference"]),
        str(folders["drawdown"]),
        "--out",
        str(out),
        "--resamples",
        "500",
    ]
    assert [entry["folder"] for entry in manifest["inputs"]] == [str(folders["reference"]), str(folders["drawdown"])]
    for entry in manifest["inputs"]:
        assert entry["kind"] == "run"
        assert entry["manifest_sha256"] == files.file_digest(Path(entry["folder"]) / "manifest.json")["sha256"]
    assert manifest["bootstrap"]["resamples"] == 500 and manifest["pairs"] == {"drawdown": 16}
    assert set(manifest["tables"]) == {"differences.csv", "table.csv"}
    assert all(files.damage(out / name, digest) is None for name, digest in manifest["tables"].items())
    # Such a folder is not the results of a run: reading it as one says so.
    done = run_cli("plot", out)
    assert done.code == 2 and "is the folder of a comparison" in done.stderr
    # Nor is it a run to compare, or a sweep to analyse: each says what the folder is, on one line.
    for command in (("compare", out, folders["reference"]), ("compare", folders["reference"], out), ("analyze", out)):
        done = run_cli(*command, "--out", tmp_path / "never")
        assert done.code == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert f"{out}: " in done.stderr and "is the folder of a comparison" in done.stderr, done.stderr
    assert not (tmp_path / "never").exists()


def test_compare_defaults_to_a_timestamped_folder_under_results(folders, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    done = run_cli("compare", folders["reference"], folders["drawdown"], "--outcomes", "cohesion,blocs")
    assert done.code == 0, done.stderr
    (made,) = (tmp_path / "results").glob("compare-reference-drawdown-*")
    assert set(pd.read_csv(made / "table.csv")["outcome"]) == {"cohesion", "blocs"}


@pytest.mark.parametrize(
    ("other", "fragments"),
    [
        ("other_seed", ("seed", "12 differs from 11", "--seed 11")),
        ("other_end", ("2025-01 to 2027-06 differs from 2025-01 to 2027-12", "same start and end")),
    ],
)
def test_runs_that_cannot_be_paired_are_refused_on_one_line(folders, other, fragments) -> None:
    done = run_cli("compare", folders["reference"], folders[other])
    assert done.code == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert str(folders[other]) in lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def test_refusal_is_exit_2_and_one_line_from_a_real_process(folders) -> None:
    done = run_cli("compare", folders["reference"], folders["other_seed"], process=True)
    assert done.code == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "--seed 11" in done.stderr


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (("reference",), "give two or more"),
        (("reference", "missing"), "no such folder"),
        (("reference", "drawdown", "--outcomes", "cohesoin"), "not a model outcome"),
        (("reference", "drawdown", "--outcomes", ""), "--outcomes: is empty; give one or more model outcomes"),
        (("reference", "drawdown", "--outcomes", " , "), "(the closest: cohesion"),
        (("reference", "drawdown", "--resamples", "10"), "too few"),
    ],
)
def test_bad_compare_input_is_exit_2(folders, tmp_path, arguments, fragment) -> None:
    paths = {name: str(path) for name, path in folders.items()} | {"missing": str(tmp_path / "nope")}
    done = run_cli("compare", *(paths.get(a, a) for a in arguments), "--out", tmp_path / "x")
    assert done.code == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and fragment in done.stderr


def test_levels_figure_draws_zero_one_outcomes_on_their_whole_scale(comparison, tmp_path, monkeypatch) -> None:
    """Gaps of a few hundredths must not look large: 0-1 outcomes keep a 0-1 axis, counts whole-number ticks."""
    from sim.reporting import style
    from sim.reporting.figures import comparison as figures
    from sim.reporting.text import label
    from sim.rules.outcomes import ZERO_ONE_OUTCOMES

    drawn = {}
    finish = style.finish

    def keep(figure, *args, **kwargs):
        drawn["figure"] = figure
        return finish(figure, *args, **kwargs)

    monkeypatch.setattr(style, "finish", keep)
    figures.comparison_levels(comparison, tmp_path / "levels.png")
    titled = {ax.get_title().replace("\n", " "): ax for ax in drawn["figure"].axes if ax.get_title()}
    checked = 0
    for outcome in comparison.outcomes:
        title = label(outcome, one_line=False).replace("\n", " ")
        if outcome in ZERO_ONE_OUTCOMES:
            assert titled[title].get_ylim() == (0.0, 1.0), outcome
            checked += 1
    assert checked >= 3


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
    done = run_cli("compare", reference, old)
    assert done.code == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "outcome_definitions" in done.stderr
