"""The suite as a newcomer finds it: no test module imports another (shared helpers live in tests/helpers.py,
tests/browser.py, tests/patterns/stresses.py or as fixtures in tests/conftest.py), and every test module sits in
one of the folders tests/README.md describes, with the unit tests in the folder of the package layer they test."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import ROOT

TESTS = ROOT / "tests"
FOLDERS = ("unit", "contracts", "patterns", "golden")


def imported_test_modules(path: Path, tests: Path = TESTS) -> list[str]:
    """The imports in ``path`` (at any depth, inside functions too) that name a test module or a conftest.py.

    A name counts when one of its dotted parts starts with ``test_`` or is ``conftest``, or when a
    ``from PACKAGE import NAME`` imports a file ``NAME.py`` of the suite that is a test module.
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names = [base] + [f"{base}.{alias.name}".lstrip(".") for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if any(part.startswith("test_") or part == "conftest" for part in parts):
                found.append(f"{path.relative_to(tests.parent)}:{node.lineno} imports {name}")
                break
    return found


def test_no_test_module_imports_another():
    python = sorted(TESTS.rglob("*.py"))
    assert len(python) > 30, "the suite's files were not found"
    found = [line for path in python for line in imported_test_modules(path)]
    assert not found, "move what is shared to tests/helpers.py or a fixture in tests/conftest.py:\n" + "\n".join(found)


def test_the_check_finds_an_import_of_a_test_module(tmp_path):
    """The check above is not vacuous: each way of importing a test module is caught, a helper is not."""
    module = tmp_path / "tests" / "test_example.py"
    module.parent.mkdir()
    module.write_text(
        "from test_sweep import experiment_file\n"
        "from tests.unit.analysis.test_compare import make_folder\n"
        "import tests.contracts.test_cli\n"
        "from tests.unit.runs import test_sweep\n"
        "def f():\n    from .conftest import golden\n"
        "from tests.helpers import run_cli\n"
        "from tests.patterns.stresses import STRESSES\n",
        encoding="utf-8",
    )
    found = imported_test_modules(module, tmp_path / "tests")
    assert [line.split(":")[1].split()[0] for line in found] == ["1", "2", "3", "4", "6"]


def test_every_test_module_is_in_a_described_folder():
    stray = [
        str(path.relative_to(ROOT))
        for path in TESTS.rglob("test_*.py")
        if path.relative_to(TESTS).parts[0] not in FOLDERS
    ]
    assert not stray, f"test modules outside {', '.join(FOLDERS)} (see tests/README.md): {stray}"
    assert (TESTS / "README.md").is_file()


def test_unit_tests_mirror_the_package():
    """tests/unit/<layer>/ exists only for a package sim/<layer>/; tests/unit/test_<name>.py only for sim/<name>.py."""
    unit = TESTS / "unit"
    layers = [p.name for p in unit.iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert layers, "tests/unit has no layer folders"
    missing = [layer for layer in layers if not (ROOT / "sim" / layer / "__init__.py").is_file()]
    assert not missing, f"tests/unit folders with no package sim/<folder>/: {missing}"
    modules = [p.stem.removeprefix("test_") for p in unit.glob("test_*.py")]
    missing = [name for name in modules if not (ROOT / "sim" / f"{name}.py").is_file()]
    assert not missing, f"tests/unit/test_<name>.py with no module sim/<name>.py: {missing}"
