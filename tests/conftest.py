"""Fixtures shared by every folder of the suite (see tests/README.md for which folder answers which question).

Each fixture hands out one of the plain helpers of ``tests/helpers.py``; a test may take the fixture as an
argument or import the helper from ``tests.helpers``. Test modules never import one another.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests import helpers


@pytest.fixture
def tiny_scenario():
    """A ``Scenario`` of three years from the 2025 prelude (seed 11); see :data:`tests.helpers.TINY_SCENARIO`."""
    return helpers.tiny_scenario()


@pytest.fixture
def run_cli() -> Callable[..., helpers.Completed]:
    """``run_cli("compare", a, b, process=False)``: the command's exit code, stdout and stderr."""
    return helpers.run_cli


@pytest.fixture
def make_folder(tmp_path: Path) -> Callable[..., Path]:
    """``make_folder(name="x", replications=2, ...)``: a complete results folder of the tiny scenario under
    ``tmp_path``, with the given scenario fields (tables and manifest, no figures)."""

    def make(**scenario) -> Path:
        return helpers.make_folder(tmp_path, **scenario)

    return make


@pytest.fixture
def experiment_file(tmp_path: Path) -> Callable[..., Path]:
    """``experiment_file(name="small", **changes)``: a small grid experiment file written under ``tmp_path``."""

    def write(name: str = "small", **changes) -> Path:
        return helpers.experiment_file(tmp_path, name, **changes)

    return write


@pytest.fixture
def golden() -> Callable[[str, str], pd.DataFrame]:
    """``golden("baseline", "model")``: a golden table as stored under tests/golden."""
    return helpers.load_golden
