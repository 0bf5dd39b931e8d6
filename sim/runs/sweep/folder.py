"""A sweep's results folder on disk: claim (lock, check), prepare (manifest, points, ledger), commit each
chunk's parts, assemble summary.csv and failures.csv, finish; and the checks of parts against their records.

Only the sweeping process writes here; the workers send their tables back as bytes (:mod:`sim.runs.sweep.chunks`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import platform
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.about import DISCLAIMER, __version__
from sim.rules.outcomes import OUTCOME_DEFINITIONS_VERSION
from sim.runs.folder import read_parquet_checked, utc_now, whole_counts
from sim.runs.sweep.chunks import Chunk, ChunkResult, _parquet
from sim.scenarios.designs import DEFAULT_MORRIS_LEVELS, DESIGNS, salib_problem
from sim.scenarios.experiment import Experiment
from sim.util import files
from sim.util.errors import InputError
from sim.util.files import code_hash as _code_hash
from sim.util.files import code_revision, damage, file_digest, package_versions
from sim.util.locks import LOCK, FolderLock, holder, identity
from sim.util.processes import interrupts_deferred

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
LEDGER = "chunks.jsonl"
# Each table in a folder of its own (README, "The sweep folder"): a glob never mixes two tables.
POINTS_FOLDER = "points"
POINTS = f"{POINTS_FOLDER}/part-000000.parquet"
POINTS_CSV = "points.csv"
SUMMARY = "summary.csv"
FAILURES = "failures.csv"
PART_TABLES = ("model", "agents", "summary")
# The folder's other tables, each recorded by size and sha256 in the manifest's "tables" when written and checked
# by resume and the readers like the parts: the points are the runs' inputs, the CSV files what people read.
TABLE_FILES = (POINTS, POINTS_CSV, SUMMARY, FAILURES)
FAILURE_KEYS = ("run", "point", "replication", "seed", "error")
PART_NAME = re.compile(r"(model|agents|summary)/part-\d+\.parquet")
# The layout before each table had its own folder: every table a '<table>.parquet' entry of the sweep folder.
OLD_LAYOUT = ("model.parquet", "agents.parquet", "summary.parquet", "points.parquet")
# Packages a sweep also depends on, beyond those every results folder records.
SWEEP_PACKAGES = ("SALib", "dask", "distributed")


class SweepFolder:
    """A sweep's results folder: manifest, points, Parquet parts per chunk, the ledger of finished chunks."""

    def __init__(self, path: Path, experiment: Experiment) -> None:
        self.path = path
        self.experiment = experiment
        self.manifest: dict[str, Any] = {}
        self.done: set[int] = set()
        self.runs_done = 0
        self.runs_failed = 0
        self.created = False  # this command made the folder (it is removed if the sweep cannot even start)
        self.repaired: list[str] = []  # parts found missing or damaged on resume
        # Size and sha256 of every part of a finished chunk, by name ('model/part-000003.parquet'): the manifest's
        # "parts", so that the parts can be verified even when the ledger is gone.
        self.parts: dict[str, dict[str, Any]] = {}
        self.rebuilt_manifest = False  # the manifest was gone and was rebuilt from the ledger (claim)
        self._recovered_ledger: list[dict[str, Any]] | None = None  # the ledger was gone: entries from the manifest
        self._lock: FolderLock | None = None
        self._saved = 0.0

    @property
    def resuming(self) -> bool:
        return bool(self.manifest)

    # ------------------------------------------------------------ claiming
    def claim(self) -> None:
        """Lock the folder and, when it holds a sweep already, check it is this experiment's (JSON only, no workers).

        Raises:
            InputError: the folder cannot be made or written, is being written by a live process, or holds
                something else.
        """
        source = str(self.path)
        if self.path.exists() and not self.path.is_dir():
            raise InputError("--out", "is a file; give a folder for the results", source)
        try:
            self.created = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
            # A POSIX record lock belongs to this process alone: forked workers do not inherit it, so it goes
            # the moment this process dies, even if a worker lingers.
            self._lock = FolderLock.acquire(self.path)
        except OSError as error:
            raise InputError(
                "--out", f"cannot make or write the results folder ({error.strerror or error})", source
            ) from None
        if self._lock is None:
            try:
                who = holder(json.loads((self.path / MANIFEST).read_text(encoding="utf-8")))
            except (OSError, ValueError, AttributeError):
                who = "pid ? on host ?"
            raise InputError("--out", f"still running, {who}: another sweep is writing to this folder", source)
        manifest_path = self.path / MANIFEST
        if not manifest_path.is_file():
            if (self.path / LEDGER).is_file():
                self.manifest = self._manifest_from_ledger()
                self.rebuilt_manifest = True
                return
            foreign = [p.name for p in self.path.iterdir() if p.name != LOCK]
            if foreign:
                raise InputError(
                    "--out",
                    f"holds other files ({', '.join(sorted(foreign)[:3])}); give an empty or new folder",
                    source,
                )
            return
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(MANIFEST, f"cannot be read ({error})", source) from None
        if manifest.get("kind") != "sweep":
            raise InputError("--out", "holds results that are not a sweep; give another folder", source)
        old = old_layout(self.path)
        if old:
            raise InputError(
                "--out",
                f"holds a sweep written by an earlier version ({old}, every table beside the others) that cannot be "
                "resumed; give another --out, or delete the folder to run the sweep again",
                source,
            )
        if manifest.get("experiment_hash") != self.experiment.content_hash():
            raise InputError(
                "--out",
                f"holds a sweep of a different experiment ('{manifest.get('experiment', {}).get('name')}', or the file "
                "or its scenario changed since); give another --out, or delete the folder to start over",
                source,
            )
        if manifest.get("status") == "running":  # the lock is ours, so the process that wrote "running" is gone
            log.info(
                "the sweep that was writing this folder (%s) ended without finishing; resuming it", holder(manifest)
            )
        if not (self.path / LEDGER).is_file():
            self._recovered_ledger = self._ledger_from_manifest(manifest)
        self.manifest = manifest

    def _manifest_from_ledger(self) -> dict[str, Any]:
        """A new manifest for a folder whose manifest is gone but whose ledger says it is this experiment's.

        Raises:
            InputError: the ledger does not record which experiment wrote it (an earlier version), or records
                another experiment; the message says how to recover.
        """
        source = str(self.path)
        recorded: list[dict[str, Any]] = []
        for line in (self.path / LEDGER).read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and "chunk" in entry:
                    recorded.append(entry)
        if not recorded:
            return self._new_manifest(None, {}, None, rebuilt=True)  # nothing ran: start as a new sweep
        hashes = {entry.get("experiment_hash") for entry in recorded}
        if None in hashes or any(not isinstance(entry.get("chunk_runs"), int) for entry in recorded):
            raise InputError(
                MANIFEST,
                f"is missing, and {LEDGER} does not record which experiment its runs are of (written by an earlier "
                "version), so they cannot be resumed; delete the folder to run the sweep again, or give another --out",
                source,
            )
        if hashes != {self.experiment.content_hash()}:
            raise InputError(
                MANIFEST,
                f"is missing, and {LEDGER} records runs of a different experiment (or the file or its scenario "
                "changed since); run the command that made the folder, give another --out, or delete the folder "
                "to start over",
                source,
            )
        manifest = self._new_manifest(int(recorded[0]["chunk_runs"]), {}, None, rebuilt=True)
        manifest["code_hash"] = recorded[0].get("code_hash")  # the code of the runs done; checked in prepare
        return manifest

    def _ledger_from_manifest(self, manifest: dict[str, Any]) -> list[dict[str, Any]]:
        """Ledger entries for a folder whose ledger is gone: the chunks whose parts match the manifest's record.

        A part that matches is kept; a recorded part that is missing or differs makes its chunk run again; a
        part the manifest does not record cannot be verified and is refused. The runs and failures of a chunk
        are read from its (verified) summary part.

        Raises:
            InputError: naming the folder and the first part that cannot be verified, and how to go on.
        """
        source = str(self.path)
        recorded = manifest.get("parts")
        recorded = recorded if isinstance(recorded, dict) else {}
        unverified: list[str] = []
        good: dict[int, dict[str, dict[str, Any]]] = {}
        bad: set[int] = set()
        for table in PART_TABLES:
            folder = self.path / table
            if not folder.is_dir():
                continue
            for part in sorted(folder.iterdir()):
                chunk = _chunk_of(part.name)
                if chunk is None:
                    continue
                name = f"{table}/{part.name}"
                record = recorded.get(name)
                if not isinstance(record, dict):
                    unverified.append(name)
                    continue
                problem = damage(part, record)
                if problem:
                    self.repaired.append(f"{name} {problem}")
                    bad.add(chunk)
                else:
                    good.setdefault(chunk, {})[table] = {
                        "name": name,
                        "bytes": record["bytes"],
                        "sha256": record["sha256"],
                    }
        if unverified:
            more = f" (and {len(unverified) - 1} more)" if len(unverified) > 1 else ""
            why = "records no checksums (written by an earlier version)" if not recorded else "does not record it"
            raise InputError(
                unverified[0],
                f"cannot be verified{more}: {LEDGER} is missing and {MANIFEST} {why}; delete the parts that cannot "
                "be verified (their chunks run again) or the folder to start over",
                source,
            )
        for name in recorded:  # a recorded part that is gone: its chunk runs again
            chunk = _chunk_of(name.rpartition("/")[2]) if PART_NAME.fullmatch(name) else None
            if chunk is not None and not (self.path / name).is_file():
                self.repaired.append(f"{name} is missing")
                bad.add(chunk)
        entries = []
        for chunk, parts in sorted(good.items()):
            if chunk in bad or "summary" not in parts:
                continue
            summary = pd.read_parquet(self.path / parts["summary"]["name"])
            failed = summary[summary["error"].notna()]
            failures = [
                {key: (int(row[key]) if key != "error" else str(row[key])) for key in FAILURE_KEYS}
                for _, row in failed.iterrows()
            ]
            entries.append(
                {"chunk": chunk, "runs": len(summary), "failures": failures, "seconds": None, "parts": parts}
            )
        return entries

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def discard(self) -> None:
        """Remove a folder this command made when the sweep could not even start (nothing ran)."""
        if self.created and not self.done:
            self.release()
            shutil.rmtree(self.path, ignore_errors=True)

    # ------------------------------------------------------------ preparing
    def prepare(self, chunk_runs: int, executor: dict[str, Any], command: list[str] | None) -> pd.DataFrame:
        """Start a new sweep or pick up an old one; returns the points."""
        for table in PART_TABLES:
            if table != "agents" or self.experiment.agents != "none":
                (self.path / table).mkdir(exist_ok=True)
        if self.rebuilt_manifest and self.manifest.get("chunk_runs") is None:
            # The manifest was gone and no chunk had finished: a new sweep in the folder the ledger began.
            self.manifest = self._new_manifest(chunk_runs, executor, command, rebuilt=True)
            self._save(force=True)
            self._read_ledger()
            return self._write_points()
        if self.resuming:
            if self.rebuilt_manifest:
                log.warning(
                    "warning: %s was missing; rebuilt it from %s and the experiment file, resuming", MANIFEST, LEDGER
                )
                self.manifest["command"] = command
            self.manifest["status"] = "running"
            self.manifest.update(identity())
            self.manifest["resumed"] = [*self.manifest.get("resumed", []), utc_now()]
            self.manifest["executor"] = executor
            if self.manifest.get("code_hash") != _code_hash():
                log.warning(
                    "warning: the model's code or data changed since this sweep started; the runs done so far used "
                    "the old code (delete %s to start over)",
                    self.path,
                )
            self._read_ledger()
            if self.repaired:
                more = len(self.repaired) - 3
                shown = "; ".join(self.repaired[:3]) + (f"; and {more} more" if more > 0 else "")
                count = len(self.repaired)
                log.warning(
                    "warning: %d missing or damaged part%s (%s): running %s again",
                    count,
                    "s" * (count != 1),
                    shown,
                    "their chunks" if count != 1 else "its chunk",
                )
            # The points are the runs' inputs: taken from the experiment (deterministic), never from a file that
            # may have been changed; a points file that differs from its record is written again.
            recorded = self.manifest.get("tables") if isinstance(self.manifest.get("tables"), dict) else {}
            damaged = [
                f"{name} {problem}"
                for name in (POINTS, POINTS_CSV)
                if (problem := damage(self.path / name, recorded.get(name))) and problem != "is missing"
            ]
            if damaged:
                log.warning("warning: %s; wrote it again from the experiment file", "; ".join(damaged))
            points = self._write_points()
            self._save(force=True)
            return points
        self.manifest = self._new_manifest(chunk_runs, executor, command)
        (self.path / LEDGER).touch()
        self._save(force=True)  # first, so that a folder with anything in it is recognised as this sweep's
        return self._write_points()

    def _new_manifest(
        self, chunk_runs: int | None, executor: dict[str, Any], command: list[str] | None, rebuilt: bool = False
    ) -> dict[str, Any]:
        """The manifest of a new sweep of this experiment (``rebuilt``: in place of one that was gone)."""
        experiment = self.experiment
        total = experiment.runs_total
        n_points = experiment.n_points
        return {
            "tool": "alliance-cohesion",
            "kind": "sweep",
            "version": __version__,
            "outcome_definitions": OUTCOME_DEFINITIONS_VERSION,
            "disclaimer": DISCLAIMER,
            "status": "running",
            "command": command,
            **identity(),
            "experiment_file": experiment.source,
            "experiment": experiment.to_dict(),
            "experiment_hash": experiment.content_hash(),
            "description": experiment.description,
            "scenario": experiment.scenario.to_dict(),
            "scenario_hash": experiment.scenario.content_hash(),
            "design": {
                "name": experiment.design,
                "samples": experiment.samples,
                "points": n_points,
                "options": experiment.options,
                # The settings the sampler used, defaults included, so analysis never has to guess them.
                "morris_levels": int(experiment.options.get("levels", DEFAULT_MORRIS_LEVELS))
                if experiment.design == "morris"
                else None,
                "second_order": bool(experiment.options.get("second_order", False))
                if experiment.design == "sobol"
                else None,
                "seed": experiment.design_seed,
                "salib_problem": salib_problem([f.axis for f in experiment.factors])
                if DESIGNS[experiment.design].sampled
                else None,
            },
            "seed": experiment.seed,
            "seed_derivation": (
                "run (point p, replication k) uses numpy.random.SeedSequence(seed, spawn_key=(k,))"
                if experiment.common_random_numbers
                else "run (point p, replication k) uses numpy.random.SeedSequence(seed, spawn_key=(p, k))"
            )
            + ".generate_state(1, uint64)[0] >> 1; run = p * replications + k",
            "runs_total": total,
            "runs_done": 0,
            "runs_failed": 0,
            "chunk_runs": chunk_runs,
            "chunks_total": math.ceil(total / chunk_runs) if chunk_runs else None,
            "started": utc_now(),
            "manifest_rebuilt": utc_now() if rebuilt else None,
            "finished": None,
            "error": None,
            "executor": executor,
            "packages": package_versions(SWEEP_PACKAGES),
            "code_revision": code_revision(),
            "code_hash": _code_hash(),
            "platform": platform.platform(),
            "files": {
                "points": f"{POINTS_FOLDER}/",
                "points_csv": POINTS_CSV,
                "model": "model/",
                "agents": "agents/" if experiment.agents != "none" else None,
                "summary_parts": "summary/",
                "summary": SUMMARY,
                "failures": FAILURES,
                "ledger": LEDGER,
                "lock": LOCK,
            },
            # Every finished chunk's parts by name, with size and sha256 (as in the ledger): filled as chunks finish.
            "parts": {},
            # The points, points.csv, summary.csv and failures.csv by name, with size and sha256: filled as written.
            "tables": {},
        }

    def _write_points(self) -> pd.DataFrame:
        points = self.experiment.points()
        table = points.reset_index()
        (self.path / POINTS_FOLDER).mkdir(exist_ok=True)
        for name, data in ((POINTS, _parquet(table)), (POINTS_CSV, table.to_csv(index=False).encode())):
            files.write_atomically(self.path / name, data)
            self._record_table(name, data)
        return points

    def _record_table(self, name: str, data: bytes) -> None:
        """Record a table file's size and sha256 in the manifest's ``tables`` (saved with the manifest)."""
        tables = self.manifest.setdefault("tables", {})
        tables[name] = files.data_digest(data)

    def _read_ledger(self) -> None:
        """The finished chunks whose parts are whole; anything the ledger does not vouch for is removed.

        A chunk whose recorded part is missing, or differs from the size and
        checksum recorded, is dropped from the ledger and runs again.
        """
        valid: list[str] = []
        ledger = self.path / LEDGER
        if self._recovered_ledger is not None:  # the ledger was gone: the chunks the manifest vouches for
            lines = [json.dumps(entry) for entry in self._recovered_ledger]
            if lines or self.repaired or self.manifest.get("runs_done"):
                log.warning(
                    "warning: %s was missing; rebuilt it from the part checksums of %s (%d chunk%s verified)",
                    LEDGER,
                    MANIFEST,
                    len(lines),
                    "s" * (len(lines) != 1),
                )
        else:
            lines = ledger.read_text(encoding="utf-8").splitlines() if ledger.is_file() else []
        if lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                    chunk, runs, failures = int(entry["chunk"]), int(entry["runs"]), len(entry["failures"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a kill: its chunk runs again
                if chunk in self.done:
                    continue
                # Entries rebuilt from the manifest were checked part by part in claim: no second read.
                problems = part_problems(self.path, entry) if self._recovered_ledger is None else []
                if problems:
                    self.repaired.extend(problems)
                    continue
                self.done.add(chunk)
                self.runs_done += runs
                self.runs_failed += failures
                self._record_parts(entry)
                valid.append(line)
        # Rewrite the ledger without any torn line so that new entries start on a line of their own.
        files.write_atomically(ledger, "".join(f"{line}\n" for line in valid).encode())
        for table in PART_TABLES:
            folder = self.path / table
            if not folder.is_dir():
                continue
            for part in folder.iterdir():
                chunk = _chunk_of(part.name)
                if chunk is None or chunk not in self.done:
                    part.unlink()

    # ------------------------------------------------------------ running
    def chunks(self, points: pd.DataFrame) -> Iterator[Chunk]:
        """The chunks still to run, in order; built lazily so that memory does not grow with the run count."""
        experiment = self.experiment
        size, total, replications = self.manifest["chunk_runs"], experiment.runs_total, experiment.replications
        names = [f.name for f in experiment.factors]
        for chunk in range(math.ceil(total / size)):
            if chunk in self.done:
                continue
            runs = []
            for run in range(chunk * size, min((chunk + 1) * size, total)):
                point, replication = divmod(run, replications)
                runs.append((run, point, replication, experiment.run_seed(point, replication)))
            values = {
                p: tuple(f.canonical(v) for f, v in zip(experiment.factors, points.loc[p, names], strict=True))
                for p in sorted({r[1] for r in runs})
            }
            yield Chunk(chunk, tuple(runs), values)

    def commit(self, result: ChunkResult) -> None:
        """Write a chunk's parts, then record them (size, sha256) in the ledger: done once the ledger says so."""
        parts: dict[str, dict[str, Any]] = {}
        for table, data in result.parts.items():
            if data is not None:
                path = self.path / table / _part_name(result.id)
                files.write_atomically(path, data)
                parts[table] = {"name": f"{table}/{path.name}", **files.data_digest(data)}
        entry = {
            "chunk": result.id,
            "runs": result.runs,
            "failures": result.failures,
            "seconds": round(result.seconds, 3),
            "parts": parts,
            # What the manifest also says, so that a folder whose manifest is gone can be resumed (claim).
            "chunk_runs": self.manifest["chunk_runs"],
            "experiment_hash": self.manifest["experiment_hash"],
            "code_hash": self.manifest["code_hash"],
        }
        with interrupts_deferred():  # the ledger and the counts move together
            with open(self.path / LEDGER, "a", encoding="utf-8") as ledger:
                ledger.write(json.dumps(entry) + "\n")
                ledger.flush()
                os.fsync(ledger.fileno())
            self.done.add(result.id)
            self.runs_done += result.runs
            self.runs_failed += len(result.failures)
            self._record_parts(entry)
        self._save()

    def _record_parts(self, entry: dict[str, Any]) -> None:
        recorded = entry.get("parts")
        if isinstance(recorded, dict):
            for part in recorded.values():
                if isinstance(part, dict) and "name" in part:
                    self.parts[str(part["name"])] = {"bytes": part.get("bytes"), "sha256": part.get("sha256")}

    def _save(self, force: bool = False) -> None:
        # The manifest's counts are for people watching; the ledger is the record. Every second is often enough.
        now = time.monotonic()
        if not force and now - self._saved < 1.0:
            return
        self._saved = now
        self.manifest.update(
            runs_done=self.runs_done, runs_failed=self.runs_failed, parts=dict(sorted(self.parts.items()))
        )
        text = json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n"
        with interrupts_deferred():  # a signal cannot cut the manifest in half
            files.write_atomically(self.path / MANIFEST, text.encode())

    # ------------------------------------------------------------ finishing
    def assemble(self) -> None:
        """summary.csv and failures.csv from the parts and the ledger, one part at a time."""
        folder = self.path / "summary"

        def write(temporary: Path) -> None:
            with open(temporary, "w", encoding="utf-8", newline="") as handle:
                parts = sorted(folder.glob("part-*.parquet"))
                if not parts:
                    handle.write(",".join(self.experiment.summary_schema().names) + "\n")
                for k, part in enumerate(parts):
                    table = whole_counts(read_parquet_checked(part, str(self.path)))
                    table.to_csv(handle, header=k == 0, index=False)

        files.write_atomically(self.path / SUMMARY, write)  # a full disk, a signal: no temporary file is left
        self.manifest.setdefault("tables", {})[SUMMARY] = file_digest(self.path / SUMMARY)
        failures = []
        for line in (self.path / LEDGER).read_text(encoding="utf-8").splitlines():
            failures.extend(json.loads(line)["failures"])
        table = pd.DataFrame(failures, columns=list(FAILURE_KEYS)).sort_values("run")
        data = table.to_csv(index=False).encode()
        files.write_atomically(self.path / FAILURES, data)
        self._record_table(FAILURES, data)
        if failures:
            self.manifest["first_failures"] = table.head(5).to_dict("records")

    def finish(self, status: str, error: str | None = None) -> None:
        """Record the final status; "complete" is written last, after every other file."""
        self.manifest.update(status=status, finished=utc_now(), error=error)
        self._save(force=True)


def _part_name(chunk: int) -> str:
    return f"part-{chunk:06d}.parquet"


def part_problems(folder: Path, entry: dict[str, Any]) -> list[str]:
    """What is wrong with the parts of one ledger entry: ['model/part-000003.parquet is missing', ...].

    An entry written before sizes and checksums were recorded has its
    summary part checked for existence and a readable Parquet footer.
    """
    recorded = entry.get("parts")
    if not isinstance(recorded, dict):
        path = folder / "summary" / _part_name(int(entry["chunk"]))
        try:
            pq.read_metadata(path)
        except (OSError, pa.ArrowException):
            return [f"summary/{path.name} is missing or damaged"]
        return []
    problems = []
    for part in recorded.values():
        name = str(part.get("name", "")) if isinstance(part, dict) else ""
        if not PART_NAME.fullmatch(name):
            problems.append(f"the ledger's entry for chunk {entry.get('chunk')} is damaged")
            continue
        problem = damage(folder / name, part)
        if problem:
            problems.append(f"{name} {problem}")
    return problems


def old_layout(folder: Path) -> str | None:
    """The first entry of the layout before each table had its own folder (``model.parquet/``, ...), or None."""
    for name in OLD_LAYOUT:
        if (folder / name).exists():
            return f"{name}/" if (folder / name).is_dir() else name
    return None


def _chunk_of(name: str) -> int | None:
    match = re.fullmatch(r"part-(\d+)\.parquet", name)
    return int(match.group(1)) if match else None
