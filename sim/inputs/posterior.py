"""The shipped posterior (``sim/data/posterior.csv``): read it, check it against the parameter registry and
the sha256 its provenance records, and draw replication ``k``'s parameter set from it.

Scenarios, runs and sweeps need only this module; the calibration that makes a posterior is
:mod:`sim.analysis.calibration`. See docs/CALIBRATION.md for how the shipped file was made.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.inputs import parameters as params
from sim.util.errors import InputError
from sim.util.files import file_sha256, write_atomically  # file_sha256: read here by the calibration and tests
from sim.util.resources import DATA

POSTERIOR_FILE = DATA / "posterior.csv"
PROVENANCE_FILE = DATA / "posterior_provenance.json"


def _checked(p: Mapping[str, float]) -> dict[str, float | int]:
    """Values clipped to their registered ranges, integers rounded: a particle as the model takes it."""
    out = {}
    for name, value in p.items():
        spec = params.PARAMETERS[name]
        value = float(min(max(value, spec.low), spec.high))
        out[name] = int(round(value)) if spec.integer else value
    return out


def write_posterior(path: Path, names: Sequence[str], points: np.ndarray, weights: np.ndarray) -> None:
    """CSV: one row per particle, a ``weight`` column then one column per parameter (written whole or not at all)."""

    def write(temporary: Path) -> None:
        with open(temporary, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["weight", *names])
            for w, row in zip(weights / weights.sum(), points, strict=True):
                writer.writerow([repr(float(w)), *(repr(float(v)) for v in row)])

    write_atomically(path, write)


def read_posterior(path: Path | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(names, points (P, k), weights (P,) summing to 1) of a posterior CSV (default: the shipped one).

    Checks the form only (see :func:`check_posterior` for the registry and the checksum). InputError naming
    the file if it cannot be read, lacks the ``weight`` column or a parameter column, has a row cut short
    or too long, a value that is not a finite number, or weights that are negative or sum to 0.
    """
    path = POSTERIOR_FILE if path is None else Path(path)
    source = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if row]
    except OSError as error:
        raise InputError("posterior", f"cannot be read ({error.strerror})", source) from error
    except (UnicodeDecodeError, csv.Error) as error:
        raise InputError("posterior", "is not a CSV text file; recalibrate or reinstall", source) from error
    if len(rows) < 2 or rows[0][:1] != ["weight"] or len(rows[0]) < 2:
        raise InputError(
            "posterior", "is not a posterior: it needs a 'weight' column, parameter columns and rows", source
        )
    names = rows[0][1:]
    if len(set(names)) != len(names) or not all(names):
        raise InputError("header", "names a parameter column twice or leaves one unnamed", source)
    data = np.zeros((len(rows) - 1, len(rows[0])))
    for i, row in enumerate(rows[1:], start=1):
        if len(row) != len(rows[0]):
            raise InputError(
                f"row {i}",
                f"has {len(row)} values where the header names {len(rows[0])}; the file is cut short or damaged",
                source,
            )
        try:
            data[i - 1] = [float(v) for v in row]
        except ValueError:
            data[i - 1] = np.nan
        if not np.all(np.isfinite(data[i - 1])):
            raise InputError(f"row {i}", "holds a value that is not a finite number", source)
    weights = data[:, 0]
    if np.any(weights < 0) or not math.isfinite(weights.sum()) or weights.sum() <= 0:
        raise InputError("weight", "weights must be non-negative and sum to more than 0", source)
    return names, data[:, 1:], weights / weights.sum()


def registry_mismatches(path: Path | None = None, provenance: Path | None = None) -> list[str]:
    """Why a posterior no longer fits the registry: unknown (renamed, removed) names, changed ranges, values out.

    New registry parameters absent from the posterior are fine (they stay at their defaults). ``path``
    defaults to the shipped posterior, ``provenance`` to its provenance file (its ``priors`` are compared with
    the registry's ranges). InputError if the posterior's form is wrong (:func:`read_posterior`).
    """
    path = POSTERIOR_FILE if path is None else Path(path)
    provenance = PROVENANCE_FILE if provenance is None else Path(provenance)
    names, points, _ = read_posterior(path)
    recorded = _provenance(provenance).get("priors", {}) if provenance.exists() else {}
    problems = []
    for j, name in enumerate(names):
        if name not in params.PARAMETERS:
            problems.append(f"{name}: not in the parameter registry (renamed or removed)")
            continue
        spec = params.PARAMETERS[name]
        if spec.is_categorical:
            problems.append(f"{name}: categorical in the registry")
            continue
        if name in recorded and (recorded[name][0] != spec.low or recorded[name][1] != spec.high):
            problems.append(f"{name}: prior range {recorded[name]} but the registry now says [{spec.low}, {spec.high}]")
        outside = np.flatnonzero((points[:, j] < spec.low) | (points[:, j] > spec.high))
        if len(outside):
            row = int(outside[0])
            problems.append(
                f"{name}: {points[row, j]:g} in row {row + 1} is outside the registry range "
                f"[{spec.low:g}, {spec.high:g}]" + (f" (and {len(outside) - 1} more)" if len(outside) > 1 else "")
            )
    return problems


def _provenance(path: Path) -> dict[str, Any]:
    """The JSON object of a provenance file; InputError naming it if it cannot be read or is not an object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError("provenance", f"cannot be read ({error.strerror})", str(path)) from error
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError("provenance", "is not a JSON file; recalibrate or reinstall", str(path)) from error
    if not isinstance(value, dict):
        raise InputError("provenance", "is not a JSON object; recalibrate or reinstall", str(path))
    return value


def _provenance_of(path: Path) -> Path:
    """The provenance file of a posterior: the shipped one's, or ``provenance.json`` beside a calibration's."""
    return PROVENANCE_FILE if path == POSTERIOR_FILE else path.parent / "provenance.json"


def check_posterior(
    path: Path | None = None, provenance: Path | None = None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`read_posterior`, checked against the parameter registry and the sha256 its provenance records.

    ``path`` defaults to the shipped posterior; ``provenance`` to its provenance file, or for another posterior
    to the ``provenance.json`` beside it (a calibration's folder). The provenance's ``posterior_sha256`` is
    ``"sha256:<hex>"`` of the posterior file, as :func:`file_sha256` gives. Returns (names, points (P, k),
    weights (P,)). InputError naming the posterior file, one line: its form is wrong, a column is not a
    numeric parameter of the registry (renamed or removed), a value is outside its parameter's range, a
    range differs from the recorded prior, or the file is not the one the provenance describes.
    """
    path = POSTERIOR_FILE if path is None else Path(path)
    provenance = _provenance_of(path) if provenance is None else Path(provenance)
    names, points, weights = read_posterior(path)
    problems = registry_mismatches(path, provenance)
    if problems:
        field, _, message = problems[0].partition(": ")
        more = f" ({len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InputError(field, f"{message}{more}; recalibrate (docs/CALIBRATION.md) or reinstall", str(path))
    recorded = _provenance(provenance).get("posterior_sha256")
    if not isinstance(recorded, str):
        raise InputError(
            "posterior_sha256", f"is not recorded in {provenance.name}; recalibrate or reinstall", str(path)
        )
    if file_sha256(path) != recorded:
        raise InputError(
            "posterior_sha256",
            f"the file is not the one {provenance.name} describes (edited, cut short or replaced); "
            "recalibrate or reinstall",
            str(path),
        )
    return names, points, weights


def draw(seed: int, replication: int, path: Path | None = None) -> dict[str, float | int]:
    """The parameter set of replication ``k``: one particle drawn by weight from its own stream.

    The stream is SeedSequence([seed, replication, 12]) and depends on nothing else (not the scenario).
    ``path``: a posterior CSV (default: the shipped one, checked by :func:`check_posterior`; another file is
    checked against ``provenance.json`` beside it). InputError naming the file if the check fails.
    """
    path = POSTERIOR_FILE if path is None else Path(path)
    names, points, weights = _posterior_cached(path, _provenance_of(path))
    rng = np.random.default_rng(np.random.SeedSequence([seed, replication, 12]))
    row = int(rng.choice(len(weights), p=weights))
    return _checked(dict(zip(names, points[row], strict=True)))


_CACHE: dict[tuple[Any, ...], tuple[list[str], np.ndarray, np.ndarray]] = {}


def _posterior_cached(path: Path, provenance: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`check_posterior`, once per version of the two files (their size and modification time)."""
    try:
        key = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in (path, provenance))
    except OSError:
        key = None
    if key is None or key not in _CACHE:
        value = check_posterior(path, provenance)
        if key is None:
            return value
        _CACHE[key] = value
    return _CACHE[key]
