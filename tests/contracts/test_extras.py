"""Optional extras and package metadata: a plain install needs neither Dask nor scikit-learn, and says which
extra a feature needs on one line; the license and the description the package index shows are in order.

A missing extra is simulated by a ``None`` entry in ``sys.modules`` (``import x`` then raises ImportError), for
this test only. ``tests/contracts/test_packaging.py`` checks the same on a wheel installed without them.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.util import extras
from tests.helpers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _hide(monkeypatch, *modules: str) -> None:
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()


def _experiment(folder: Path) -> Path:
    (folder / "tiny.yaml").write_text(yaml.safe_dump({"name": "tiny", "end": "2025-02", "replications": 2}))
    path = folder / "tiny_sweep.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "tiny_sweep",
                "scenario": "tiny.yaml",
                "design": "grid",
                "replications": 2,
                "seed": 3,
                "uncertainty": "none",
                "factors": {"confidence_bound": [0.1, 0.2, 0.3]},
                "outputs": {"model": ["cohesion"], "agents": "none"},
            }
        )
    )
    return path


def test_dask_and_scikit_learn_are_extras_not_dependencies():
    project = PYPROJECT["project"]
    names = [re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower() for requirement in project["dependencies"]]
    assert not {"dask", "distributed", "scikit-learn"} & set(names)
    assert any(r.startswith("dask[distributed]") for r in project["optional-dependencies"]["dask"])
    assert any(r.startswith("scikit-learn") for r in project["optional-dependencies"]["analysis"])
    assert set(extras.EXTRAS) <= set(project["optional-dependencies"])


@pytest.mark.parametrize("option", [["--dask-local", "1"], ["--scheduler", "tcp://127.0.0.1:1"]])
def test_a_dask_sweep_without_the_dask_extra_is_one_line_naming_it(tmp_path, capsys, monkeypatch, option):
    _hide(monkeypatch, "distributed")
    out = tmp_path / "swept"
    assert main(["sweep", str(_experiment(tmp_path)), "--out", str(out), "--quiet", *option]) == 2
    line = _one_line(capsys)
    assert line == (
        f"error: {option[0]}: a Dask cluster needs the optional extra [dask]: pip install 'alliance-cohesion[dask]'"
    )
    assert not out.exists()


def test_a_dask_sweep_from_python_without_the_extra_names_the_argument(tmp_path, monkeypatch):
    import sim
    from sim.util.errors import InputError

    _hide(monkeypatch, "dask")
    with pytest.raises(InputError, match=r"^dask_local: .*\[dask\]"):
        sim.run_sweep(_experiment(tmp_path), out=tmp_path / "swept", dask_local=1)
    assert not (tmp_path / "swept").exists()


def test_analyze_without_scikit_learn_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    out = tmp_path / "swept"
    assert main(["sweep", str(_experiment(tmp_path)), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    capsys.readouterr()
    before = sorted(out.rglob("*"))
    _hide(monkeypatch, "sklearn")
    assert main(["analyze", str(out)]) == 2
    line = _one_line(capsys)
    assert line == (
        "error: cohesion analyze: the decision tree (the default method) needs scikit-learn: "
        "pip install 'alliance-cohesion[analysis]'"
    )
    assert "--method" not in line, "the user typed no --method"
    assert main(["analyze", str(out), "--method", "tree"]) == 2
    assert _one_line(capsys) == (
        "error: --method: tree (a decision tree) needs scikit-learn: pip install 'alliance-cohesion[analysis]'"
    )
    assert sorted(out.rglob("*")) == before, "analyze wrote something before refusing"


def test_the_license_is_an_spdx_expression_with_its_file():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "The alliance-cohesion authors" in text
    assert not [c for c in project["classifiers"] if c.startswith("License ::")], "PEP 639: no license classifier"
    build = PYPROJECT["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(\d+)", r) and int(r.split(">=")[1]) >= 77 for r in build)
    test_setuptools = [r for r in project["optional-dependencies"]["test"] if r.startswith("setuptools")]
    assert test_setuptools and set(test_setuptools) <= set(build), "the wheel test builds without isolation"


def test_the_description_the_package_index_shows_has_no_relative_image_or_link():
    """The index renders neither an image nor a link given by a relative path (README.md has both)."""
    readme = PYPROJECT["project"]["readme"]
    path = ROOT / (readme["file"] if isinstance(readme, dict) else readme)
    text = path.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(\s*<?([^)\s>]+)", text) + re.findall(r"(?:src|href)=\"([^\"]+)\"", text)
    relative = [t for t in targets if not re.match(r"^(https?:|mailto:|#)", t)]
    assert relative == []
    assert "not a forecast" in text


def test_the_dashboard_without_its_extra_is_bad_input_on_one_line(capsys, monkeypatch):
    """As every command that needs a missing extra: one line naming it, exit code 2."""
    _hide(monkeypatch, "solara", "uvicorn")
    assert main(["dashboard"]) == 2
    assert _one_line(capsys) == (
        "error: cohesion dashboard: needs the optional extra [dashboard]: pip install 'alliance-cohesion[dashboard]'"
    )
