"""What a folder's ``manifest.json`` says: the manifest of a new run, and one typed, read-only view of any manifest.

:func:`new_manifest` is the record a results folder of ``cohesion run`` (or
:func:`sim.run`) starts with. :class:`Manifest` is how the rest of the tool
reads a manifest, whoever wrote it: results (:class:`sim.api.Results`),
sweeps (:class:`sim.analysis.sweeps.Sweep`, :class:`sim.api.SweepResults`)
and comparisons (:class:`sim.analysis.compare.Arm`) take their scenario,
seed, horizon and provenance from it. Fields that a manifest of an earlier
version lacks get their old meaning (no ``kind``: a run; no
``outcome_definitions``: version 1; no ``uncertainty``: none); fields the
view does not know are kept in :attr:`Manifest.record`. A required field
that is missing or of the wrong type is bad input: one line naming the
folder's ``manifest.json`` and the field.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import platform
import re
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.about import DISCLAIMER, __version__
from sim.rules.outcomes import OUTCOME_DEFINITIONS_VERSION
from sim.scenarios.scenario import Scenario
from sim.util.errors import InputError, shown
from sim.util.files import code_hash, code_revision, file_digest, file_sha256, package_versions, write_atomically
from sim.util.locks import identity

MANIFEST = "manifest.json"
# The kinds of folder whose manifest describes runs of a scenario: the scenario, its seed and horizon are required.
RUN_KINDS = ("run", "sweep")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def utc_now() -> str:
    """The time now in UTC, to the second, as ISO 8601 text ('2025-06-25T14:03:07+00:00')."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def provenance(packages: tuple[str, ...] = ()) -> dict[str, Any]:
    """What every folder's manifest records of the tool and the code that wrote it.

    The tool and its version, the version of the outcome definitions, the disclaimer, the versions of
    Python and the packages the numbers depend on (and ``packages``), the git commit
    (:func:`sim.util.files.code_revision`), the hash of the package's source and data
    (:func:`sim.util.files.code_hash`) and the platform.
    """
    return {
        "tool": "alliance-cohesion",
        "version": __version__,
        "outcome_definitions": OUTCOME_DEFINITIONS_VERSION,
        "disclaimer": DISCLAIMER,
        "packages": package_versions(packages),
        "code_revision": code_revision(),
        "code_hash": code_hash(),
        "platform": platform.platform(),
    }


def new_manifest(scenario: Scenario, command: list[str] | None = None) -> dict[str, Any]:
    """The manifest of a results folder about to be written: status "running", no run done yet.

    The resolved scenario and its hash, the seed and the seed of every replication, the parameter draws of
    a posterior run, the tool's and the packages' versions, the code revision and hash, the command, this
    process's ``pid`` and ``host``. The folder adds the names of its files and the record of its tables
    (:func:`sim.runs.folder.with_files`).
    """
    made = provenance()
    return {
        "kind": "run",
        **{key: made[key] for key in ("tool", "version", "outcome_definitions", "disclaimer")},
        "status": "running",
        "command": command,
        **identity(),
        "scenario": scenario.to_dict(),
        "scenario_story": scenario.story,
        "scenario_hash": scenario.content_hash(),
        "seed": scenario.seed,
        "seed_derivation": "replication k runs with numpy.random.SeedSequence(seed).spawn(n)[k]"
        ".generate_state(1, uint64)[0] >> 1",
        "seeds": scenario.seeds(),
        **_uncertainty_entries(scenario),
        "runs_total": scenario.replications,
        "runs_done": 0,
        "started": utc_now(),
        "finished": None,
        "error": None,
        **{key: made[key] for key in ("packages", "code_revision", "code_hash", "platform")},
    }


def output_manifest(
    kind: str,
    folder: Path,
    inputs: list[dict[str, Any]],
    tables: Sequence[str],
    command: list[str] | None = None,
    **entries: Any,
) -> dict[str, Any]:
    """The manifest of a folder made from other folders (a comparison, an analysis), once its files are written.

    ``kind`` says what the folder is, ``inputs`` the folders it was made from (each with the sha256 of its
    manifest, :func:`input_entry`), ``tables`` the files of ``folder`` it holds, recorded by size and sha256
    in ``tables`` as the run and sweep manifests record theirs; ``entries`` (the settings) are added as they
    are. With :func:`provenance`, the time it was made (``created``) and the ``command``.

    Raises:
        OSError: a table cannot be read.
    """
    return {
        "kind": kind,
        **provenance(),
        "created": utc_now(),
        "command": command,
        "inputs": inputs,
        **entries,
        "tables": {name: file_digest(folder / name) for name in tables},
    }


def input_entry(path: Path, label: str | None = None) -> dict[str, Any]:
    """One input of :func:`output_manifest`: the folder, its label, and its manifest's kind and sha256 (None for
    results that were never saved, which have no folder)."""
    manifest = path / MANIFEST
    entry: dict[str, Any] = {"label": label, "folder": None, "manifest_sha256": None}
    if manifest.is_file():
        recorded: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            recorded = json.loads(manifest.read_text(encoding="utf-8"))
        entry.update(
            folder=str(path),
            kind=recorded.get("kind", "run") if isinstance(recorded, dict) else None,
            manifest_sha256=file_digest(manifest)["sha256"],
        )
    return entry


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write ``folder/manifest.json`` atomically (the last file a finished folder gets); returns its path."""
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    write_atomically(folder / MANIFEST, text.encode("utf-8"))
    return folder / MANIFEST


def _uncertainty_entries(scenario: Scenario) -> dict:
    """Manifest entries of parametric uncertainty: the mode, the posterior file's checksum and each draw."""
    if scenario.uncertainty == "none":
        return {}
    from sim.inputs import posterior as calibration

    return {
        "uncertainty": scenario.uncertainty,
        "posterior_sha256": file_sha256(calibration.POSTERIOR_FILE),
        "draw_derivation": "replication k draws one posterior particle by weight with "
        "numpy.random.default_rng(SeedSequence([seed, k, 12])); the scenario's parameters override it",
        "parameter_draws": [calibration.draw(scenario.seed, k) for k in range(scenario.replications)],
    }


@dataclasses.dataclass(frozen=True)
class Manifest:
    """A typed, read-only view of one folder's manifest (:meth:`of` builds it and checks the fields).

    ``kind`` is ``"run"`` (``cohesion run``, :func:`sim.run`; manifests written before ``kind`` was recorded),
    ``"sweep"``, or another kind of folder (a calibration, a comparison). For runs and sweeps ``scenario`` is
    the resolved scenario (a dict as recorded: do not change it), ``scenario_name`` its name, ``seed`` the
    seed (a sweep's experiment seed), ``start`` and ``end`` the first and last month ('YYYY-MM') and
    ``replications`` the replications of the run (of each point, for a sweep); for other kinds these are None.
    ``status`` is running, complete, failed or interrupted (None if not recorded); ``uncertainty`` "none" or
    "posterior" with ``posterior_sha256`` the posterior file's ``"sha256:<hex>"``; ``outcome_definitions``
    the version of the outcome definitions (1 when not recorded); ``version`` the tool's version;
    ``code_hash`` the hash of the package's source (:func:`sim.util.files.code_hash`, None when not recorded);
    ``commit`` and ``modified`` the git revision (None without git); ``created`` and ``finished`` ISO 8601
    times (``created`` is a run's or sweep's ``started``); ``runs_done``, ``runs_total`` and ``runs_failed``
    the counts; ``tables`` each table file by its path in the folder, with its ``bytes`` and ``sha256`` as
    recorded when written (a run's ``checksums`` in earlier versions); ``experiment`` a sweep's experiment.
    ``record`` is the whole manifest, read-only at the top (fields the view does not name are there);
    ``source`` the manifest file named in errors.
    """

    kind: str
    status: str | None
    scenario: Mapping[str, Any] | None
    scenario_name: str | None
    seed: int | None
    start: str | None
    end: str | None
    replications: int | None
    uncertainty: str
    posterior_sha256: str | None
    outcome_definitions: int
    version: str | None
    code_hash: str | None
    commit: str | None
    modified: bool | None
    created: str | None
    finished: str | None
    runs_done: int | None
    runs_total: int | None
    runs_failed: int
    tables: Mapping[str, Mapping[str, Any]]
    experiment: Mapping[str, Any] | None
    record: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)
    source: str | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def horizon(self) -> tuple[str, str] | None:
        """(first month, last month) as 'YYYY-MM', or None for a folder that is not about runs."""
        return None if self.start is None or self.end is None else (self.start, self.end)

    @classmethod
    def of(cls, record: Any, source: str | Path | None = None) -> Manifest:
        """The view of ``record`` (a manifest as read from JSON); ``source`` is its file, named in errors.

        Raises:
            InputError: ``record`` is not a JSON object, or a field the kind requires is missing or a field is of
                the wrong type: one line naming ``source`` and the field (dotted, 'scenario.start').
        """
        where = None if source is None else str(source)
        if not isinstance(record, Mapping):
            raise InputError("manifest", "is not a JSON object (the folder was edited or not made by this tool)", where)
        read = _Reader(record, where)
        kind = read.text("kind", required=False) or "run"
        about_runs = kind in RUN_KINDS
        experiment = read.table("experiment", required=kind == "sweep")
        scenario = read.table("scenario", required=about_runs)
        if about_runs:
            read.table("behind", required=False)  # which runs are stored beside the scenario's, when recorded
        if kind == "sweep":
            replications = read.whole("experiment.replications")
            seed = read.whole("experiment.seed", required=False)
            seed = read.whole("seed") if seed is None else seed
            scenario_name = read.text("scenario.name", required=False) or "scenario"
        elif about_runs:
            seed = read.whole("seed")
            scenario_name = read.text("scenario.name")
            total = read.whole("runs_total", required=False)
            replications = read.whole("scenario.replications") if total is None else total
        else:
            seed = read.whole("seed", required=False)
            scenario_name = read.text("scenario.name", required=False)
            replications = None
        revision = record.get("code_revision")
        if isinstance(revision, Mapping):
            commit, modified = revision.get("commit"), revision.get("modified")
        else:  # a calibration of an earlier version recorded the commit as text
            commit, modified = (revision if isinstance(revision, str) else None), None
        tables = read.table("tables", required=False)
        if tables is None and kind == "run":
            tables = read.table("checksums", required=False)
        return cls(
            kind=kind,
            status=read.text("status", required=False),
            scenario=scenario,
            scenario_name=scenario_name,
            seed=seed,
            start=read.month("scenario.start", required=about_runs),
            end=read.month("scenario.end", required=about_runs),
            replications=replications,
            uncertainty=read.text("uncertainty", required=False) or "none",
            posterior_sha256=read.text("posterior_sha256", required=False),
            outcome_definitions=read.whole("outcome_definitions", required=False) or 1,
            version=read.text("version", required=False),
            code_hash=read.text("code_hash", required=False),
            commit=str(commit) if commit is not None else None,
            modified=bool(modified) if modified is not None else None,
            created=read.text("started", required=False) or read.text("created", required=False),
            finished=read.text("finished", required=False),
            runs_done=read.whole("runs_done", required=False),
            runs_total=read.whole("runs_total", required=False),
            runs_failed=read.whole("runs_failed", required=False) or 0,
            tables=types.MappingProxyType(dict(tables or {})),
            experiment=experiment,
            record=types.MappingProxyType(record),
            source=where,
        )


class _Reader:
    """Typed fields of one manifest; InputError naming the manifest file and the field when one does not fit."""

    def __init__(self, record: Mapping[str, Any], source: str | None) -> None:
        self.record = record
        self.source = source

    def _get(self, field: str, wanted: str, required: bool) -> Any:
        value: Any = self.record
        for key in field.split("."):
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is None and required:
            raise InputError(
                field,
                f"is missing; it must be {wanted} (the folder was edited or made by another tool); "
                "make the folder again with this version",
                self.source,
            )
        return value

    def _refuse(self, field: str, value: Any, wanted: str) -> None:
        raise InputError(
            field,
            f"is {shown(value)}, not {wanted} (the folder was edited or made by another tool); "
            "make the folder again with this version",
            self.source,
        )

    def text(self, field: str, required: bool = True) -> str | None:
        value = self._get(field, "text", required)
        if value is not None and not isinstance(value, str):
            self._refuse(field, value, "text")
        return value

    def month(self, field: str, required: bool = True) -> str | None:
        value = self._get(field, "a month, YYYY-MM", required)
        if value is not None and not (isinstance(value, str) and _MONTH.fullmatch(value)):
            self._refuse(field, value, "a month, YYYY-MM")
        return value

    def whole(self, field: str, required: bool = True) -> int | None:
        value = self._get(field, "a whole number", required)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            self._refuse(field, value, "a whole number")
        return value

    def table(self, field: str, required: bool = True) -> Mapping[str, Any] | None:
        value = self._get(field, "a table of fields (a JSON object)", required)
        if value is not None and not isinstance(value, Mapping):
            self._refuse(field, value, "a table of fields (a JSON object)")
        return value
