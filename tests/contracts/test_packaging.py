"""The wheel carries its scenarios and experiments: built, installed into a fresh environment, run from elsewhere.

The fresh virtual environment gets only the wheel (``--no-deps``); the
dependencies come from the environment running the tests, through a ``.pth``
file that adds a folder of links to its site-packages after the new
environment's own (a plain path: the editable install of the checkout there
is not picked up, so ``sim`` can only come from the wheel, which the test
checks). The links leave out the optional extras' Dask and scikit-learn, so
that the wheel runs as a plain install, without them.
"""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow

# What the optional extras [dask] and [analysis] install: hidden from the wheel's environment.
EXTRAS_ONLY = re.compile(r"^(dask|distributed|sklearn|scikit_learn)([-.].*)?$", re.IGNORECASE)


def _run(argv: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, argv))}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


def test_an_installed_wheel_finds_its_scenarios_and_experiments_from_another_folder(tmp_path: Path) -> None:
    # Build from a copy of the sources, so that the checkout gets no build/ or egg-info of the test's making.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "docs/PACKAGE.md"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    for name in ("sim", "scenarios", "experiments"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist), "."],
        source,
    )
    (wheel,) = dist.glob("alliance_cohesion-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(metadata_name))
        licensed = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    assert metadata["License-Expression"] == "MIT" and metadata["License-File"] == "LICENSE" and licensed
    assert "Intended Audience :: Science/Research" in metadata.get_all("Classifier")
    description = metadata.get_payload(decode=True).decode("utf-8")
    assert description.strip() == (ROOT / "docs" / "PACKAGE.md").read_text(encoding="utf-8").strip()
    requires = metadata.get_all("Requires-Dist")
    plain = {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in requires if "extra ==" not in r}
    assert not plain & {"dask", "distributed", "scikit-learn"}, plain
    assert any(r.startswith("dask[distributed]") and 'extra == "dask"' in r for r in requires), requires
    assert any(r.startswith("scikit-learn") and 'extra == "analysis"' in r for r in requires), requires

    environment = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path).stdout.strip()
    )
    dependencies = tmp_path / "dependencies"
    dependencies.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not EXTRAS_ONLY.match(entry.name):
            (dependencies / entry.name).symlink_to(entry)
    (site / "test_dependencies.pth").write_text(f"{dependencies}\n")
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)], tmp_path
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([str(python), "-c", "import sim, sim.util.resources as r; print(sim.__file__)"], elsewhere).stdout
    assert Path(where.strip()).is_relative_to(environment), f"sim came from {where}, not from the wheel"
    installed = Path(where.strip()).parent
    assert sorted(p.name for p in (installed / "data" / "scenarios").glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "scenarios").glob("*.yaml")
    )
    assert sorted(p.name for p in (installed / "data" / "experiments").glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "experiments").glob("*.yaml")
    )
    shipped = {p.name for p in (installed / "data").glob("*.csv")}
    assert {"polls.csv", "exposure.csv", "member_states.csv"} <= shipped, f"data missing from the wheel: {shipped}"

    hidden = "import importlib.util as u; print([m for m in ('dask', 'distributed', 'sklearn') if u.find_spec(m)])"
    assert _run([str(python), "-c", hidden], elsewhere).stdout.strip() == "[]", "the extras are not hidden"

    cohesion = environment / "bin" / "cohesion"
    listing = _run([str(cohesion), "list", "scenarios"], elsewhere).stdout
    for name in ("baseline", "prelude_2025", "perfect_storm", "hindcast_2022"):
        assert f"  {name} " in listing
    run = _run(
        [str(cohesion), "run", "baseline", "--replications", "4", "--workers", "1", "--quiet", "--out", "results"],
        elsewhere,
    )
    folder = elsewhere / run.stdout.strip()
    assert (folder / "report.md").is_file() and '"status": "complete"' in (folder / "manifest.json").read_text()
    checked = _run(
        [str(cohesion), "validate", str(installed / "data" / "experiments" / "drawdown_vs_doubt.yaml")], elsewhere
    )
    assert checked.stdout.startswith("ok: ")

    # A sweep from the installed package, with bytecode writing on as on an ordinary install: importing the
    # package leaves __pycache__ folders inside it (sim/data among them), which the code hash must pass over.
    small = elsewhere / "small.yaml"
    small.write_text(
        "name: small\nscenario: baseline\ndesign: grid\nreplications: 2\nseed: 5\nuncertainty: none\n"
        "factors:\n  confidence_bound: [0.2, 0.4]\noutputs:\n  model: [cohesion]\n  agents: none\n"
    )
    swept = _run([str(cohesion), "sweep", str(small), "--out", "swept", "--quiet"], elsewhere)
    assert '"status": "complete"' in (elsewhere / "swept" / "manifest.json").read_text(), swept.stdout
    assert any(installed.rglob("__pycache__")), "the installed package was imported without writing bytecode"

    # Without the extras, the features that need them say which to install, on one line (exit code 2).
    for argv, extra in (
        (["sweep", str(small), "--out", "on_dask", "--dask-local", "1"], "dask"),
        (["analyze", "swept"], "analysis"),
    ):
        refused = subprocess.run([str(cohesion), *argv], cwd=elsewhere, capture_output=True, text=True, timeout=300)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.count("\n") == 1 and f"pip install 'alliance-cohesion[{extra}]'" in refused.stderr
    assert not (elsewhere / "on_dask").exists() and not (elsewhere / "swept" / "analysis").exists()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sim.params", "sim.inputs.parameters"),
        ("sim.metrics", "sim.rules.outcomes"),
        ("sim.store", "sim.runs.folder"),
        ("sim.sweep", "sim.runs.sweep"),
        ("sim.errors", "sim.util.errors"),
        ("sim.scenario", "sim.scenarios.scenario"),
        ("sim.mesa_page", "sim.dashboard.mesa_page"),
    ],
)
def test_a_documented_old_module_path_is_the_moved_module(old, new):
    """The module paths an earlier README documented still import, as the very module that moved (CHANGELOG)."""
    import importlib

    assert importlib.import_module(old) is importlib.import_module(new)
