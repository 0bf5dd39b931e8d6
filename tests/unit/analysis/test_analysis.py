"""Sensitivity and scenario discovery: planted answers that the methods must find, and small real sweeps end to end.

The planted tests feed SALib and the discovery methods synthetic outcomes
whose answer is known (a factor nothing reads, a factor that drives
everything, a rule that makes the outcome bad). The end-to-end tests run
small real sweeps (two-year horizon, a few hundred runs) through the
``analyze`` command (via :func:`tests.helpers.run_cli`).
"""

from __future__ import annotations

import datetime
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import DISCLAIMER
from sim.analysis import discovery, ema
from sim.analysis.discovery import Condition, discover, tree_boxes
from sim.analysis.sensitivity import morris_indices, sobol_indices, sweep_sensitivity
from sim.analysis.sweeps import Sweep, open_sweep, reconstruct_points
from sim.cli import main as cohesion_main
from sim.util import files
from sim.util.errors import InputError
from tests.helpers import run_cli

PROBLEM = {"num_vars": 3, "names": ["driver", "minor", "unread"], "bounds": [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]}


def planted(x: np.ndarray) -> np.ndarray:
    """An outcome that 'driver' moves a lot, 'minor' a little (non-linearly), and 'unread' not at all."""
    return 4.0 * x[:, 0] + np.sin(3.0 * x[:, 1])


# ---------------------------------------------------------------------- planted sensitivity
def test_sobol_ranks_the_driver_first_and_gives_an_unread_factor_nothing() -> None:
    from SALib.sample import sobol as sample

    x = sample.sample(PROBLEM, 256, calc_second_order=False, seed=1)
    table = sobol_indices(PROBLEM, planted(x))
    assert list(table.index) == ["driver", "minor", "unread"]
    assert table.loc["driver", "ST"] > 0.8
    assert abs(table.loc["unread", "ST"]) < 0.01 and abs(table.loc["unread", "S1"]) < 0.05
    # Fed in the wrong order, the same numbers give the unread factor an index: the order is what the test guards.
    shuffled = sobol_indices(PROBLEM, np.random.default_rng(0).permutation(planted(x)))
    assert shuffled.loc["unread", "ST"] > 0.1


def test_morris_gives_an_unread_factor_zero_mu_star() -> None:
    from SALib.sample import morris as sample

    x = sample.sample(PROBLEM, 20, num_levels=4, seed=1)
    table = morris_indices(PROBLEM, x, planted(x), levels=4)
    assert table.index[0] == "driver"
    assert table.loc["unread", "mu_star"] == 0.0 and table.loc["unread", "sigma"] == 0.0
    assert table.loc["driver", "mu_star"] == pytest.approx(4.0)  # a linear effect: every step gives the slope


def synthetic_sweep(design: str, replications: int, noise: float = 0.05) -> tuple[Sweep, pd.DataFrame]:
    """A Sweep whose runs are the planted outcome plus replication noise (no model, no files)."""
    from SALib.sample import morris, sobol

    x = (
        sobol.sample(PROBLEM, 64, calc_second_order=False, seed=2)
        if design == "sobol"
        else morris.sample(PROBLEM, 16, num_levels=4, seed=2)
    )
    points = pd.DataFrame(x, columns=PROBLEM["names"]).rename_axis("point")
    manifest = {
        "kind": "sweep",
        "experiment": {"design": design, "replications": replications, "seed": 1, "options": {}, "factors": []},
        "scenario": {"name": "synthetic", "start": "2025-01", "end": "2030-12"},
        "design": {"salib_problem": PROBLEM},
    }
    rng = np.random.default_rng(5)
    runs = pd.DataFrame(
        {
            "point": np.repeat(points.index, replications),
            "replication": np.tile(range(replications), len(points)),
            "cohesion": np.repeat(planted(x), replications) + rng.normal(0.0, noise, len(points) * replications),
        }
    )
    return Sweep(Path("synthetic"), manifest, points), runs


@pytest.mark.parametrize("design", ["sobol", "morris"])
def test_sweep_indices_average_replications_and_skip_incomplete_blocks(design: str) -> None:
    sweep, runs = synthetic_sweep(design, replications=3)
    result = sweep_sensitivity(sweep, runs, "cohesion", "2030-12")
    assert result.ranking[0] == "driver" and result.ranking[-1] == "unread"
    assert result.table.loc["unread", result.key] < 0.02 * result.table.loc["driver", result.key]
    assert result.noise_share is not None and result.noise_share < 0.01
    # A point whose runs all failed takes its whole block (Saltelli group or trajectory) out of the analysis.
    failed = runs[runs["point"] != 5]
    partial = sweep_sensitivity(sweep, failed, "cohesion", "2030-12")
    block = 5 if design == "sobol" else 4
    assert partial.points_used == len(sweep.points) - block
    assert "left out" in partial.notes[0]
    assert partial.ranking[0] == "driver"


# ---------------------------------------------------------------------- planted discovery
def planted_rule(n: int = 600, seed: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(0.0, 1.0, (n, 4)), columns=["a", "b", "c", "d"])
    # Bad when a is high and b is low: a box of 9 % of the space; c and d do nothing.
    cohesion = pd.Series(np.where((x["a"] > 0.7) & (x["b"] < 0.3), 0.5, 0.9) + rng.normal(0, 0.01, n))
    return x, cohesion


def check_planted_box(box: discovery.Box, tolerance: float) -> None:
    assert set(box.limits) == {"a", "b"}
    low_a, high_a = box.limits["a"]
    low_b, high_b = box.limits["b"]
    assert high_a is None and low_a == pytest.approx(0.7, abs=tolerance)
    assert low_b is None and high_b == pytest.approx(0.3, abs=tolerance)
    assert box.density > 0.9 and box.coverage > 0.85


def test_tree_finds_the_planted_box() -> None:
    x, cohesion = planted_rule()
    found = discover(x, cohesion, Condition("cohesion", "<", 0.7), "2030-12", "tree")
    assert found.bad == int(((x["a"] > 0.7) & (x["b"] < 0.3)).sum())
    check_planted_box(found.boxes[0], tolerance=0.03)
    table = found.table()
    assert set(table.loc[table["box"] == 1, "factor"]) == {"a", "b"}


def test_prim_finds_the_planted_box() -> None:
    pytest.importorskip("ema_workbench")
    x, cohesion = planted_rule()
    found = discover(x, cohesion, Condition("cohesion", "<", 0.7), "2030-12", "prim")
    check_planted_box(found.boxes[0], tolerance=0.05)
    assert found.trajectory is not None and {"coverage", "density"} <= set(found.trajectory)


def test_tree_boxes_name_the_levels_of_a_categorical_factor() -> None:
    rng = np.random.default_rng(4)
    x = pd.DataFrame({"rule": rng.choice(["qmv", "unanimity"], 400), "a": rng.uniform(0, 1, 400)})
    bad = (x["rule"] == "unanimity") & (x["a"] < 0.5)
    (box, *_) = tree_boxes(x, bad.to_numpy())
    assert box.limits["rule"] == ("levels", ("unanimity",))
    assert box.limits["a"][1] == pytest.approx(0.5, abs=0.05)
    assert "rule in {unanimity}" in box.describe()


def test_nothing_to_discover_is_said_not_raised() -> None:
    x, cohesion = planted_rule(100)
    found = discover(x, cohesion, Condition("cohesion", "<", 0.0), "2030-12")
    assert found.boxes == () and "no run meets" in found.notes[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("cohesion < 0.6", ("cohesion", "<", 0.6)), ("blocs>=3", ("blocs", ">=", 3.0))],
)
def test_conditions_parse(text, expected) -> None:
    condition = Condition.parse(text, ["cohesion", "blocs"])
    assert (condition.outcome, condition.operator, condition.threshold) == expected


@pytest.mark.parametrize(("text", "fragment"), [("cohesion = 0.6", "not a condition"), ("cohesoin < 1", "not kept")])
def test_bad_conditions_name_the_option(text, fragment) -> None:
    with pytest.raises(InputError) as caught:
        Condition.parse(text, ["cohesion"])
    assert caught.value.field == "--bad" and fragment in caught.value.message


# ---------------------------------------------------------------------- real sweeps, end to end
SCENARIO = {"name": "short_baseline", "extends": "prelude_2025", "end": "2026-12"}
FACTORS = {"confidence_bound": [0.15, 0.5], "stubbornness_scale": [0.5, 1.5], "bloc_distance": [0.05, 0.5]}


def run_sweep(folder: Path, name: str, **changes) -> Path:
    content = {
        "name": name,
        "scenario": SCENARIO,
        "replications": 1,
        "seed": 3,
        "common_random_numbers": True,
        "factors": FACTORS,
        "outputs": {"model": ["cohesion", "blocs", "article5_credibility"]},
        **changes,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    out = folder / name
    assert cohesion_main(["sweep", str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sweeps")
    return {
        "sobol": run_sweep(root, "sobol_small", design="sobol", samples=32),
        "morris": run_sweep(root, "morris_small", design="morris", samples=8),
        "grid": run_sweep(
            root,
            "grid_small",
            design="grid",
            replications=3,
            factors={"confidence_bound": [0.15, 0.3, 0.5], "eu_cfsp_rule": ["unanimity", "qmv"]},
        ),
    }


def read_sensitivity(folder: Path, outcome: str) -> pd.DataFrame:
    table = pd.read_csv(folder / "analysis" / "sensitivity.csv")
    return table[table["outcome"] == outcome].set_index("factor")


def test_sobol_sweep_end_to_end(sweeps) -> None:
    folder = sweeps["sobol"]
    done = run_cli("analyze", folder, "--export-ema")
    assert done.code == 0, done.stderr
    analysis = folder / "analysis"
    cohesion = read_sensitivity(folder, "cohesion")
    # bloc_distance only sets what counts as a bloc: cohesion never reads it, with common random numbers
    # its total index is zero. Bounded confidence drives convergence of positions, hence cohesion.
    assert cohesion.loc["bloc_distance", "ST"] == pytest.approx(0.0, abs=0.01)
    assert cohesion["ST"].idxmax() == "confidence_bound"
    assert read_sensitivity(folder, "blocs")["ST"].idxmax() == "bloc_distance"
    for figure in ("sobol", "sensitivity_overview", "factors", "discovery"):
        assert (analysis / "figures" / f"{figure}.png").stat().st_size > 10_000
    boxes = pd.read_csv(analysis / "boxes.csv")
    assert not boxes.empty and set(boxes["factor"]) <= set(FACTORS)
    report = (analysis / "report.md").read_text(encoding="utf-8")
    assert DISCLAIMER in report
    for heading in ("## Design", "## Factors and their ranges", "## What drives", "## Which conditions", "## Figures"):
        assert heading in report
    assert "article5_credibility is the same at every point" in report  # none of these factors moves it by 2026
    assert "the `scenario` column is the sweep point" in report and "run number" not in report


RUNS, MONTHS = 32 * 5, 24


def test_ema_export_has_the_workbench_layout(sweeps, tmp_path) -> None:
    path = ema.export(open_sweep(sweeps["sobol"]), tmp_path / "export.tar.gz")
    with tarfile.open(path, "r:gz") as archive:
        metadata = json.loads(archive.extractfile("metadata.json").read())
        experiments = pd.read_csv(io.BytesIO(archive.extractfile("experiments.csv").read()))
        cohesion = pd.read_csv(io.BytesIO(archive.extractfile("cohesion.csv").read()), header=None)
    names = ema.identifiers(FACTORS)
    assert list(experiments.columns) == [*names, "replication", "seed", "scenario", "policy", "model"]
    assert all(name.isidentifier() for name in names) and list(names.values()) == list(FACTORS)
    assert metadata["factor_names"] == names
    # scenario is the sweep point: the replications of a point share it, and its factor values.
    per_point = experiments.groupby("scenario")[list(names)].nunique()
    assert (per_point == 1).all().all()
    points = pd.read_parquet(open_sweep(sweeps["sobol"]).path / "points")
    assert experiments["scenario"].nunique() == len(points)
    replications = experiments.groupby("scenario")["replication"].agg(["nunique", "size"])
    assert (replications["nunique"] == replications["size"]).all()
    # A sweep gives replication k the same seed at every point (common random numbers).
    assert experiments.groupby("replication")["seed"].nunique().eq(1).all()

    assert len(experiments) == RUNS and cohesion.shape == (RUNS, MONTHS)
    assert {name for _, name, _ in metadata["outcomes"]} == {"cohesion", "blocs", "article5_credibility", "TIME"}
    assert set(metadata["experiments"]) == set(experiments.columns)


def test_ema_factor_names_become_identifiers_with_the_mapping_kept() -> None:
    names = ema.identifiers(["events.us_troops.change", "events_us_troops_change", "3x", "confidence_bound"])
    assert list(names) == ["events_us_troops_change", "events_us_troops_change_2", "f_3x", "confidence_bound"]
    assert list(names.values()) == ["events.us_troops.change", "events_us_troops_change", "3x", "confidence_bound"]


def test_ema_export_loads_in_the_workbench(sweeps, tmp_path) -> None:
    workbench = pytest.importorskip("ema_workbench")
    folder = sweeps["sobol"]
    path = ema.export(open_sweep(folder), tmp_path / "export.tar.gz")
    experiments, outcomes = workbench.load_results(str(path))
    assert outcomes["cohesion"].shape == (RUNS, MONTHS)
    np.testing.assert_allclose(outcomes["TIME"][0, :2], [2025.0, 2025 + 1 / 12])
    model = pd.read_parquet(folder / "model")
    last = model[model["date"] == datetime.date(2026, 12, 1)].sort_values("run")
    np.testing.assert_allclose(outcomes["cohesion"][:, -1], last["cohesion"])
    points = pd.read_parquet(folder / "points").set_index("point")
    np.testing.assert_allclose(experiments["confidence_bound"], points.loc[last["point"], "confidence_bound"])


def test_morris_sweep_end_to_end(sweeps) -> None:
    folder = sweeps["morris"]
    done = run_cli("analyze", folder, "--date", "2026", "--bad", "cohesion < 0.86")
    assert done.code == 0, done.stderr
    cohesion = read_sensitivity(folder, "cohesion")
    assert cohesion.loc["bloc_distance", "mu_star"] == 0.0
    assert cohesion["mu_star"].idxmax() in ("confidence_bound", "stubbornness_scale")
    assert read_sensitivity(folder, "blocs")["mu_star"].idxmax() == "bloc_distance"
    assert (folder / "analysis" / "figures" / "morris.png").is_file()
    assert "cohesion < 0.86" in (folder / "analysis" / "report.md").read_text(encoding="utf-8")


def test_grid_sweep_gets_a_heatmap_and_no_indices(sweeps, tmp_path) -> None:
    out = tmp_path / "grid"
    done = run_cli("analyze", sweeps["grid"], "--out", out, "--x", "eu_cfsp_rule", "--y", "confidence_bound")
    assert done.code == 0, done.stderr
    assert (out / "figures" / "heatmap.png").is_file() and not (out / "sensitivity.csv").exists()
    assert "gives no sensitivity indices" in (out / "report.md").read_text(encoding="utf-8")


def test_an_analysis_folder_has_a_manifest_like_every_other_folder(sweeps, tmp_path) -> None:
    """kind, when, the code that made it, the sweep analysed (with its manifest's sha256), the settings and the
    tables with their digests, as run and comparison folders record them."""
    from sim import __version__

    out = tmp_path / "grid"
    done = run_cli("analyze", sweeps["grid"], "--out", out, "--bad", "cohesion < 0.9")
    assert done.code == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "analysis" and manifest["created"]
    assert manifest["code_hash"] == files.code_hash() and manifest["version"] == __version__
    assert manifest["command"][:2] == ["cohesion", "analyze"]
    (entry,) = manifest["inputs"]
    assert entry["folder"] == str(sweeps["grid"]) and entry["kind"] == "sweep"
    assert entry["manifest_sha256"] == files.file_digest(sweeps["grid"] / "manifest.json")["sha256"]
    assert manifest["condition"] == "cohesion < 0.9" and manifest["outcome"] == "cohesion"
    assert set(manifest["tables"]) == {"boxes.csv"}  # a grid gives no sensitivity.csv
    assert all(files.damage(out / name, digest) is None for name, digest in manifest["tables"].items())


@pytest.mark.parametrize("design", ["sobol", "morris", "grid"])
def test_points_can_be_rebuilt_from_the_manifest(sweeps, design) -> None:
    sweep = open_sweep(sweeps[design])
    pd.testing.assert_frame_equal(reconstruct_points(sweep.manifest), sweep.points, check_names=False)


def test_prim_without_the_workbench_says_how_to_install_it(sweeps, monkeypatch, tmp_path) -> None:
    def missing():
        raise ImportError("no ema_workbench")

    monkeypatch.setattr(discovery, "_import_prim", missing)
    done = run_cli("analyze", sweeps["sobol"], "--method", "prim", "--out", tmp_path / "x")
    assert done.code == 2 and "pip install 'alliance-cohesion[ema]'" in done.stderr


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (("--outcome", "spending_pct_gdp"), "not kept by this sweep"),
        (("--date", "2031-01"), "not a month of the sweep"),
        (("--bad", "cohesion is low"), "not a condition"),
        (("--x", "nope"), "heatmap needs a grid"),
    ],
)
def test_bad_analyze_input_is_exit_2_on_one_line(sweeps, tmp_path, arguments, fragment) -> None:
    done = run_cli("analyze", sweeps["sobol"], *arguments, "--out", tmp_path / "x")
    assert done.code == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and fragment in done.stderr


def test_compare_refuses_sweep_folders(sweeps) -> None:
    done = run_cli("compare", sweeps["grid"], sweeps["sobol"])
    assert done.code == 2 and "is a sweep folder" in done.stderr


def test_analyze_refuses_unfinished_sweeps_and_run_folders(sweeps, tmp_path) -> None:
    unfinished = tmp_path / "unfinished"
    shutil.copytree(sweeps["grid"], unfinished, ignore=shutil.ignore_patterns("analysis"))
    manifest = json.loads((unfinished / "manifest.json").read_text())
    (unfinished / "manifest.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    done = run_cli("analyze", unfinished)
    assert done.code == 2 and "run the same sweep command again" in done.stderr
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "manifest.json").write_text(json.dumps({"status": "complete", "scenario": {}}))
    done = run_cli("analyze", tmp_path / "run")
    assert done.code == 2 and "not a sweep folder" in done.stderr


def test_analyze_computes_the_numbers_and_writes_nothing(sweeps, tmp_path) -> None:
    """The numbers of analyze come without a file, a figure or the reporting layer (which writes them)."""
    sweep = tmp_path / "grid"
    shutil.copytree(sweeps["grid"], sweep, ignore=shutil.ignore_patterns("analysis"))
    before = sorted(p.relative_to(sweep) for p in sweep.rglob("*"))
    code = (
        "import sys; from sim.analysis.analyze import analyze; "
        f"a = analyze({str(sweep)!r}, bad='cohesion < 0.7'); "
        "print(a.outcome, a.date, a.heatmap, a.discovery.cases, len(a.runs)); "
        "loaded = sorted({m.split('.')[0] if m.startswith('matplotlib') else m for m in sys.modules "
        "if m.startswith(('sim.api', 'sim.reporting', 'matplotlib'))}); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    outcome, date, *_, cases, runs = done.stdout.split("\n")[0].split()
    assert (outcome, date, int(cases), int(runs)) == ("cohesion", "2026-12", 18, 18)  # 6 points x 3 replications
    assert "('confidence_bound', 'eu_cfsp_rule')" in done.stdout
    assert sorted(p.relative_to(sweep) for p in sweep.rglob("*")) == before


def test_the_discovery_caption_names_only_the_panels_drawn() -> None:
    from types import SimpleNamespace

    from sim.reporting.reports.sweep import _sweep_captions

    tree = _sweep_captions(SimpleNamespace(trajectory=None))["discovery"]
    prim = _sweep_captions(SimpleNamespace(trajectory=pd.DataFrame()))["discovery"]
    assert "PRIM" not in tree and "Middle" not in tree and "Right: each box's limits" in tree
    assert "Middle:" in prim and "Right (PRIM)" in prim


def test_an_analysis_into_the_folder_of_an_earlier_one_leaves_none_of_its_files(sweeps, tmp_path) -> None:
    """Analysing again into the same folder without --export-ema, or with a grid's heatmap no longer asked
    for, removes what the earlier analysis wrote and this one did not: every table left is in the manifest."""
    import json

    out = tmp_path / "analysis"
    grid = sweeps["grid"]
    done = run_cli("analyze", grid, "--x", "confidence_bound", "--y", "eu_cfsp_rule", "--export-ema", "--out", out)
    assert done.code == 0, done.stderr
    assert (out / "ema_results.tar.gz").is_file() and (out / "figures" / "heatmap.png").is_file()
    done = run_cli("analyze", grid, "--method", "tree", "--out", out)
    assert done.code == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = {path.name for path in out.iterdir() if path.is_file()} - {"manifest.json", "report.md"}
    assert files == set(manifest["tables"]) == {"boxes.csv"}
    report = (out / "report.md").read_text(encoding="utf-8")
    for figure in (out / "figures").iterdir():
        assert figure.name in report, f"{figure.name} is left from the earlier analysis"
