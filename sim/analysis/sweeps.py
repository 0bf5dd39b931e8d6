"""Reading a sweep folder for analysis: its design, its points in the design's order, outcomes at a date.

A sweep folder (``cohesion sweep``, :mod:`sim.runs.sweep`) holds ``manifest.json``
(the experiment: design, factors, seeds; for sampled designs the SALib
problem), ``points/`` (one row per point, in the order the design
made them, which SALib's Sobol' and Morris analyses rely on) and
``model/`` (a folder of parts; one row per run and month, keyed by
run, point and replication; ``date`` a date32). Each table has its own
folder; a folder in the layout of earlier versions (``model.parquet/``
beside ``points.parquet``) is refused with one line: run the sweep again. Run ``r`` is replication ``k`` of point ``p``,
``r = p * replications + k``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.folder import internal, read_parquet_checked
from sim.runs.manifest import MANIFEST, Manifest
from sim.scenarios.designs import DEFAULT_MORRIS_LEVELS, Axis, salib_problem
from sim.scenarios.designs import points as design_points
from sim.util.calendar import format_month, parse_month
from sim.util.errors import InputError, nearest, one_of, shown
from sim.util.files import damage
from sim.util.locks import settle

POINTS = "points/part-000000.parquet"
MODEL = "model"
LEDGER = "chunks.jsonl"
FINISHED = ("complete", "failed")  # "failed": the sweep ended but some runs raised (failures.csv)
NUMBER_TYPES = {"float": "float64", "int": "int64", "bool": "bool"}
# Morris levels when the manifest does not record them: the default of sim.scenarios.designs.morris.


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A finished sweep: its manifest and its points (index ``point``, one column per factor)."""

    path: Path
    manifest: dict[str, Any]
    points: pd.DataFrame
    points_reconstructed: bool = False

    # ------------------------------------------------------------ what the manifest says
    @functools.cached_property
    def info(self) -> Manifest:
        """The typed view of the manifest; InputError naming the folder's manifest.json for a bad field."""
        return Manifest.of(self.manifest, self.path / MANIFEST)

    @property
    def experiment(self) -> dict[str, Any]:
        return self.info.experiment

    @property
    def name(self) -> str:
        return str(self.experiment.get("name") or self.path.name)

    @property
    def design(self) -> str:
        return str(self.experiment["design"])

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.experiment.get("options") or {})

    @property
    def replications(self) -> int:
        return self.info.replications

    @property
    def seed(self) -> int:
        return self.info.seed

    @property
    def factors(self) -> list[dict[str, Any]]:
        return list(self.experiment["factors"])

    @property
    def factor_names(self) -> list[str]:
        return [f["name"] for f in self.factors]

    @property
    def outcomes(self) -> tuple[str, ...]:
        return tuple(self.experiment["outputs"]["model"])

    @property
    def scenario(self) -> dict[str, Any]:
        return self.info.scenario

    @property
    def scenario_name(self) -> str:
        return self.info.scenario_name

    @property
    def start(self) -> str:
        return self.info.start

    @property
    def end(self) -> str:
        return self.info.end

    @property
    def runs_failed(self) -> int:
        return self.info.runs_failed

    @property
    def salib_problem(self) -> dict[str, Any]:
        """The manifest's SALib problem; rebuilt from the factors' bounds for a manifest that lacks it."""
        problem = (self.manifest.get("design") or {}).get("salib_problem")
        return problem or salib_problem(axes(self.factors))

    @property
    def morris_levels(self) -> int:
        recorded = (self.manifest.get("design") or {}).get("morris_levels")
        return int(recorded or self.options.get("levels", DEFAULT_MORRIS_LEVELS))

    @property
    def second_order(self) -> bool:
        return bool(self.options.get("second_order", False))

    # ------------------------------------------------------------ reading outcomes
    def dates(self) -> list[str]:
        return [format_month(m) for m in range(parse_month(self.start), parse_month(self.end) + 1)]

    def resolve_date(self, text: str | None) -> str:
        """'YYYY-MM', a year (its December, or the last month of the run in that year) or 'end'."""
        dates = self.dates()
        if text is None or str(text).strip().lower() in ("end", "last", "final"):
            return dates[-1]
        text = str(text).strip()
        if re.fullmatch(r"\d{4}", text):
            inside = [d for d in dates if d.startswith(f"{text}-")]
            if inside:
                return inside[-1]
        elif text in dates:
            return text
        raise InputError(
            "--date",
            f"{shown(text)} is not a month of the sweep ({self.start} to {self.end}); give YYYY-MM, a year or 'end'",
        )

    def check_outcome(self, outcome: str, option: str = "--outcome") -> str:
        if outcome not in self.outcomes:
            raise InputError(
                option,
                f"{shown(outcome)} was not kept by this sweep{nearest(outcome, self.outcomes)}; use "
                f"{one_of(self.outcomes, outcome, 'outcomes it kept', 'outputs.model of the experiment file')}",
            )
        return outcome

    def runs_at(self, date: str, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per finished run: run, point, replication, the factors' values and the outcomes at ``date``."""
        outcomes = list(outcomes or self.outcomes)
        year, month = (int(part) for part in date.split("-"))
        table = read_parquet_checked(
            self.path / MODEL,
            str(self.path),
            columns=["run", "point", "replication", *outcomes],
            filters=[("date", "==", dt.date(year, month, 1))],
        )
        table = table.sort_values("run").reset_index(drop=True)
        return table.join(self.points, on="point")

    def series(self, outcomes: Sequence[str] | None = None, keys: Sequence[str] = ()) -> pd.DataFrame:
        """Every month of every finished run (for exports); ``keys`` adds run keys such as ``seed``."""
        outcomes = list(outcomes or self.outcomes)
        columns = ["run", "point", "replication", *keys, "step", "date", *outcomes]
        table = internal(read_parquet_checked(self.path / MODEL, str(self.path), columns=columns))
        return table.sort_values(["run", "step"]).reset_index(drop=True)


def axes(factors: Sequence[dict[str, Any]]) -> list[Axis]:
    """The design axes of the manifest's factors (the inverse of ``Factor.to_dict``)."""
    return [
        Axis(
            f["name"],
            tuple(f.get("levels") or ()),
            f.get("low"),
            f.get("high"),
            integer=f.get("kind") == "int",
        )
        for f in factors
    ]


def reconstruct_points(manifest: dict[str, Any]) -> pd.DataFrame:
    """The design's points from the manifest alone: same design, factors, sample count, options and design seed."""
    experiment, design = manifest["experiment"], manifest.get("design") or {}
    table = design_points(
        experiment["design"],
        axes(experiment["factors"]),
        experiment.get("samples"),
        int(design["seed"]),
        dict(experiment.get("options") or {}),
    )
    for factor in experiment["factors"]:
        # Numbers get the column types sim.scenarios.experiment gives the points; text keeps the type pandas infers.
        if factor.get("kind") in NUMBER_TYPES:
            table[factor["name"]] = table[factor["name"]].astype(NUMBER_TYPES[factor["kind"]])
    return table


def open_sweep(path: str | Path) -> Sweep:
    """A finished sweep folder; InputError naming the folder and what to do otherwise."""
    path = Path(path)
    source = str(path)
    if not path.is_dir():
        raise InputError("SWEEP_DIR", "no such folder; give a folder made by 'cohesion sweep'", source)
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if (path / LEDGER).is_file():  # the parts and their ledger are there: the sweep command rebuilds it
            raise InputError(
                MANIFEST,
                f"is missing; run the same sweep command again with --out {source}: it rebuilds the manifest from "
                f"{LEDGER} and the experiment file, checks the parts and finishes the sweep",
                source,
            ) from None
        raise InputError(MANIFEST, "missing; give a folder made by 'cohesion sweep'", source) from None
    except (OSError, ValueError) as error:
        raise InputError(MANIFEST, f"cannot be read ({error})", source) from None
    kind = manifest.get("kind") if isinstance(manifest, dict) else None
    if kind in ("comparison", "analysis"):
        made = "a comparison" if kind == "comparison" else "a sweep analysis (give the sweep folder it analysed)"
        raise InputError("SWEEP_DIR", f"is the folder of {made}; give a folder made by 'cohesion sweep'", source)
    if kind != "sweep":
        raise InputError(
            "SWEEP_DIR",
            "is not a sweep folder (a results folder of 'cohesion run'? compare those with 'compare')",
            source,
        )
    manifest = settle(path, manifest, MANIFEST)
    Manifest.of(manifest, path / MANIFEST)  # a missing or ill-typed field is one line, here
    from sim.runs.sweep import old_layout

    old = old_layout(path)
    if old:
        raise InputError(
            "SWEEP_DIR",
            f"was written by an earlier version ({old}, every table beside the others), which this version does not "
            "read; run the sweep again into a new folder (cohesion sweep FILE --out NEW_DIR)",
            source,
        )
    status = manifest.get("status")
    if status not in FINISHED:
        raise InputError(
            f"{MANIFEST}.status",
            f"is '{status}': the sweep has not finished ({manifest.get('runs_done')} of {manifest.get('runs_total')} "
            "runs); run the same sweep command again to resume it",
            source,
        )
    if not (path / MODEL).exists():
        raise InputError(f"{MODEL}/", "missing from a finished sweep folder", source)
    check_parts(path, manifest)
    check_tables(path, manifest)
    reconstructed = not (path / POINTS).is_file()
    if reconstructed:
        # Written before any run starts, so only a hand-made or damaged folder lacks it; the design is deterministic.
        points = reconstruct_points(manifest)
    else:
        points = read_parquet_checked(path / POINTS, source).set_index("point").sort_index()
    points.index.name = "point"
    expected = (manifest.get("design") or {}).get("points")
    if expected is not None and len(points) != int(expected):
        raise InputError("points/", f"has {len(points)} points, the manifest {expected}; the folder is damaged", source)
    return Sweep(path, manifest, points, reconstructed)


def check_parts(path: Path, manifest: dict[str, Any] | None = None) -> None:
    """Refuse a sweep folder whose Parquet parts cannot be verified: missing, damaged or unrecorded parts.

    Each part is checked against its size and sha256 in the ledger (``chunks.jsonl``) and in the manifest's
    ``parts`` (each file is read once). With the ledger gone the manifest's record alone vouches for the parts;
    with neither record (a folder of an earlier version that lost its ledger, or made by hand) a part cannot
    be verified and is refused. The cost is one sha256 pass over the parts (hundreds of MB/s).

    Raises:
        InputError: naming the folder and the first bad part, with the fix.
    """
    from sim.runs.sweep import PART_NAME, PART_TABLES, part_problems

    source = str(path)
    ledger = path / LEDGER
    recorded = (manifest or {}).get("parts")
    recorded = recorded if isinstance(recorded, dict) else None
    problems: list[str] = []
    vouched: set[str] = set()
    if ledger.is_file():
        for number, line in enumerate(ledger.read_text(encoding="utf-8").splitlines(), 1):
            try:
                entry = json.loads(line)
                parts = entry.get("parts")
                chunk = int(entry["chunk"])
                if recorded is not None and isinstance(parts, dict):
                    # Where the manifest records a part too, the two records must agree (one read of the file).
                    problems.extend(
                        f"{p['name']} is damaged (its sha256 differs between {LEDGER} and {MANIFEST})"
                        for p in parts.values()
                        if p.get("name") in recorded and _record(recorded[p["name"]]) != _record(p)
                    )
                problems.extend(part_problems(path, entry))
            except (ValueError, KeyError, TypeError, AttributeError):
                problems.append(f"{LEDGER} line {number} is damaged")
                continue
            if isinstance(parts, dict):
                vouched.update(str(p.get("name")) for p in parts.values() if isinstance(p, dict))
            else:  # an older ledger without sizes and checksums vouches for whatever parts the chunk has
                vouched.update(f"{t}/part-{chunk:06d}.parquet" for t in PART_TABLES)
        unrecorded = "is not in the ledger"
    elif recorded is not None:  # the ledger is gone: the manifest's record vouches for the parts
        for name, record in recorded.items():
            if not PART_NAME.fullmatch(str(name)):
                problems.append(f"{MANIFEST} is damaged (a part named {shown(str(name))})")
                continue
            problem = damage(path / name, _record(record))
            if problem:
                problems.append(f"{name} {problem}")
            vouched.add(str(name))
        unrecorded = f"cannot be verified: {LEDGER} is missing and {MANIFEST} does not record it"
    else:
        unrecorded = f"cannot be verified: {LEDGER} is missing and {MANIFEST} records no checksums"
    for table in PART_TABLES:
        folder = path / table
        if folder.is_dir():
            problems.extend(
                f"{table}/{p.name} {unrecorded}"
                for p in sorted(folder.iterdir())
                if not p.name.startswith((".", "_")) and f"{table}/{p.name}" not in vouched
            )
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        if recorded is None and not ledger.is_file():
            fix = "run the sweep again into a new folder (cohesion sweep FILE --out NEW_DIR)"
        elif "cannot be verified" in problems[0]:
            fix = (
                "delete the parts that cannot be verified, then run the same sweep command again to re-run their chunks"
            )
        else:
            fix = "run the same sweep command again to re-run the damaged chunks"
        raise InputError("SWEEP_DIR", f"{problems[0]}{more}; {fix}", source)


def check_tables(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a sweep folder whose points or CSV tables differ from the size and sha256 its manifest records.

    The manifest's ``tables`` records ``points/part-000000.parquet``, ``points.csv``, ``summary.csv`` and
    ``failures.csv`` as they were written; a file present but changed since is damage (a missing one is
    left to the reader that needs it). A manifest of an earlier version records none and is not checked.

    Raises:
        InputError: naming the folder and the first changed file, with the fix.
    """
    from sim.runs.sweep import TABLE_FILES

    recorded = manifest.get("tables")
    if not isinstance(recorded, dict):
        return
    problems = [
        f"{name} {problem}"
        for name in TABLE_FILES
        if name in recorded
        and (path / name).exists()
        and (problem := damage(path / name, _record(recorded[name]) or {"sha256": None}))
    ]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            "SWEEP_DIR", f"{problems[0]}{more}; run the same sweep command again to write it again", str(path)
        )


def _record(record: Any) -> dict[str, Any]:
    """The size and sha256 of a part's record (ledger entry or manifest), for comparing the two."""
    return {"bytes": record.get("bytes"), "sha256": record.get("sha256")} if isinstance(record, dict) else {}
