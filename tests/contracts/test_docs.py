"""The documents stay true to the code: the ODD's parameter and outcome tables are the registries'."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_odd_parameter_table_matches_the_registry():
    done = subprocess.run(
        [sys.executable, "docs/parameter_table.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_odd_outcome_tables_match_the_outcome_registry():
    done = subprocess.run(
        [sys.executable, "docs/outcome_table.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_parameter_and_event_is_named_in_the_odd():
    from sim import EVENT_TYPES, PARAMETERS

    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    missing = [name for name in list(PARAMETERS) + list(EVENT_TYPES) if f"`{name}`" not in text]
    assert not missing


def test_the_odd_memory_section_names_every_habituating_reference():
    """ODD 4.4 says what agents remember: every reference that habituates in the code is named with its rate."""
    from sim import PARAMETERS

    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    section = text.split("### 4.4 ", 1)[1].split("\n### ", 1)[0]
    rates = [name for name in PARAMETERS if name.endswith("_habituation_rate")]
    assert len(rates) >= 3  # threat, trust and spending references
    missing = [name for name in rates if f"`{name}`" not in section]
    assert not missing, f"ODD section 4.4 does not name {missing}"


def test_every_subpackage_of_sim_is_in_the_wheel():
    """pyproject.toml lists the packages by hand (two are mapped from the top level); a new one must be added."""
    import tomllib

    root = ROOT
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(root).parts) for init in (root / "sim").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"


def test_every_shipped_scenario_and_experiment_file_validates(capsys):
    """A model change that renames or removes a parameter must update the files that ship with the package."""
    from sim.cli import main

    files = sorted(str(p) for folder in ("scenarios", "experiments") for p in (ROOT / folder).glob("*.yaml"))
    assert len(files) >= 10
    code = main(["validate", *files])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out.count("ok: ") == len(files)


def test_the_readme_lists_every_packaged_experiment_with_its_number_of_runs():
    import re

    from sim.scenarios.experiment import load
    from sim.util.resources import packaged_experiments

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = {
        name: int(runs.replace(",", ""))
        for name, runs in re.findall(r"^\| `(\w+)\.yaml` \|.*\| ([\d,]+) \|$", readme, flags=re.MULTILINE)
    }
    shipped = {name: load(path).runs_total for name, path in packaged_experiments().items()}
    assert listed == shipped


def _readme_figures():
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_figures", ROOT / "docs" / "readme_figures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_every_figure_the_readme_shows_was_drawn_by_the_model_of_the_golden_outputs():
    """Redraw with 'make readme-figures' after regenerating tests/golden (a change of the model's numbers)."""
    figures = _readme_figures()
    assert figures.readme_images(), "the README shows no figure"
    assert figures.problems() == []


def test_the_figure_check_fails_when_the_golden_outputs_change_and_not_when_the_docs_do(tmp_path):
    import json
    import shutil

    figures = _readme_figures()
    golden = tmp_path / "golden"
    golden.mkdir()
    for path in sorted((ROOT / "tests" / "golden").glob("*.parquet"))[:2]:
        shutil.copy(path, golden / path.name)
    image = "docs/figures/x.png"
    (tmp_path / "docs" / "figures").mkdir(parents=True)
    (tmp_path / "docs" / "figures" / "x.png").write_bytes(b"png")
    record = tmp_path / "docs" / "figures" / "x.json"
    drawn = {"golden_digest": figures.golden_digest(golden), "posterior_sha256": figures.posterior_digest()}
    record.write_text(json.dumps(drawn))
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n![a figure]({image})\n")
    listed = (figures.Figure(image, ("run", "baseline"), "headline.png"),)
    assert figures.problems(readme, golden, listed) == []

    record.write_text(json.dumps({**drawn, "posterior_sha256": "sha256:another"}))  # drawn from another posterior
    (problem,) = figures.problems(readme, golden, listed)
    assert "another shipped posterior" in problem
    record.write_text(json.dumps(drawn))

    readme.write_text(f"# x, edited\n\nMore words.\n\n![a figure, new caption]({image})\n")  # a docs edit
    assert figures.problems(readme, golden, listed) == []

    first = sorted(golden.glob("*.parquet"))[0]
    first.write_bytes(first.read_bytes() + b"\0")  # the golden outputs regenerated for a new model
    (problem,) = figures.problems(readme, golden, listed)
    assert problem.startswith(f"{image}: drawn by another model") and "make readme-figures" in problem

    record.unlink()
    (problem,) = figures.problems(readme, golden, listed)
    assert "no readable record" in problem
    assert "not listed in FIGURES" in figures.problems(readme, golden, ())[0]
