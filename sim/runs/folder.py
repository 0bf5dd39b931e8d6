"""The results folder: Parquet tables, a summary, and a manifest that says whether the run finished.

``results/<name>-<timestamp>/`` holds ``manifest.json``, one folder per table
(``model/``, ``agents/``, ``events/``, each one Parquet file
``part-000000.parquet``, as in sweep folders: a glob over one never mixes two
tables), the tables that figures and report set beside the run, computed
once when it ran (``baseline_model/``, ``baseline_agents/``,
``baseline_events/``: the packaged baseline with the same seeds, when the
scenario can be set against it; ``chance_model/``: the same replications at
the registry defaults, for a run with ``uncertainty: posterior``),
``summary.csv``, ``figures/`` and ``report.md`` (README, "Outputs"). Every
file is written under a temporary name and renamed into place, and the
manifest says ``"complete"`` only after everything else is written: a run
that is interrupted (Ctrl-C, kill) or fails never leaves a folder that looks
finished. The writing command holds the folder's lock (:mod:`sim.util.locks`)
and records its ``pid`` and ``host``, so a folder left ``running`` by a killed
process is told from a live one. The manifest records the size and sha256 of
each table (``tables``), so a damaged table is refused with one line rather
than read. Folders written before (``model.parquet``, ``agents.parquet`` and
``events.parquet`` beside each other, sizes and checksums in ``checksums``)
are read all the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.rules.outcomes import MODEL_OUTCOMES
from sim.runs.manifest import MANIFEST, Manifest, new_manifest, utc_now
from sim.runs.replications import RUN_KEYS, Behind, Results
from sim.scenarios.scenario import Scenario
from sim.util.errors import InputError
from sim.util.files import damage, file_digest, write_atomically
from sim.util.locks import LOCK, FolderLock, identity, settle
from sim.util.processes import interrupts_deferred

PART = "part-000000.parquet"
# Each table in a folder of its own, as in sweep folders: a glob over one never mixes two tables.
TABLES = {name: f"{name}/{PART}" for name in ("model", "agents", "events")}
# What figures and report set beside the run, run once with it (sim.api.execute) and stored as tables: the
# baseline with the same seeds (its three tables) and the model table of the same replications at the defaults.
BEHIND_TABLES = {
    name: f"{name}/{PART}" for name in ("baseline_model", "baseline_agents", "baseline_events", "chance_model")
}
# The layout of folders written before each table had its own folder: every table beside the others.
OLD_TABLES = {"model": "model.parquet", "agents": "agents.parquet", "events": "events.parquet"}
SUMMARY = "summary.csv"
FIGURES = "figures"
REPORT = "report.md"
STATUSES = ("running", "complete", "failed", "interrupted")
MANIFEST_INTERVAL_S = 0.5
# The files of a results folder, as its manifest names them.
FILES = {
    **{name: f"{name}/" for name in TABLES},
    "summary": SUMMARY,
    "figures": f"{FIGURES}/",
    "report": REPORT,
    "lock": LOCK,
}


def with_files(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` with the names of the folder's files (``files``) and every table file by its path in the
    folder, with its size and sha256 (``tables``, filled as the tables are written), at its end; entries
    already there are kept."""
    return {**manifest, "files": manifest.get("files", FILES), "tables": manifest.get("tables", {})}


def new_folder(root: str | Path, name: str) -> Path:
    """Make and return a new, empty folder ``<root>/<name>``, or ``<name>-2``, ``<name>-3``, ... if that exists.

    ``root`` is made if missing. Two commands started in the same second (their names carry a timestamp to the
    second) get two folders: ``mkdir`` either makes a folder or fails, so no two callers get the same one.

    Raises:
        OSError: ``root`` or the folder cannot be made.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path, attempt = root / name, 1
    while True:
        try:
            path.mkdir()
            return path
        except FileExistsError:
            attempt += 1
            path = root / f"{name}-{attempt}"


def describe_os_error(error: OSError) -> str:
    """One line for a failed write: 'No space left on device: results/x/model.parquet'."""
    what = error.strerror or (os.strerror(error.errno) if error.errno else str(error) or errno.errorcode[errno.EIO])
    where = f": {error.filename}" if error.filename else ""
    return f"{what}{where}"


CATEGORICAL = ("iso3", "government", "body", "item", "rule", "outcome")
VOTE_COUNTS = ("yes", "no", "abstain")
# What pandas users get for ``date``: the first day of the month as datetime64 (comparisons with text such as
# "2030-01-01", ``.dt``, ``.loc["2030"]`` on a date index and ``pd.Grouper`` work); Parquet keeps Arrow date32.
DATE_DTYPE = "datetime64[ns]"


@functools.cache
def categories() -> dict[str, tuple[str, ...]]:
    """Every value each text column of the run and sweep tables can take, in a fixed order (README, "Column types").

    ``iso3`` the states in the order of the data, ``government`` mainstream then accommodationist (as in the
    sweep tables' dictionaries), and the values the engine writes in the events log: ``body``, ``item`` (the
    agenda items, their coalitions of the willing, accessions, elections and every scenario event type),
    ``rule`` and ``outcome``. The API's DataFrames carry these categories whatever a run happened to log, so the
    tables of two runs or sweeps compare and concatenate (``pd.concat`` keeps the categorical dtype).
    """
    from sim.engine.decisions import RULES
    from sim.inputs.states import load_states
    from sim.rules.events import EVENT_TYPES
    from sim.rules.institutions import CEASEFIRE_ITEMS, DEFAULT_AGENDA

    agenda = (*DEFAULT_AGENDA, *CEASEFIRE_ITEMS)
    items = [item.name for item in agenda] + ["nato_accession"]
    items += [f"{item.name}_coalition" for item in agenda if item.fallback_coalition]
    return {
        "iso3": tuple(load_states().iso3),
        "government": ("mainstream", "accommodationist"),
        "body": ("EU", "NATO", "national", "scenario"),
        "item": tuple(dict.fromkeys((*items, "accession", "election", *EVENT_TYPES))),  # "election" is both
        "rule": (*RULES, "coalition_of_the_willing", "election", ""),
        "outcome": ("passed", "passed_after_concession", "delayed", "blocked", "applied", "change", "no_change"),
    }


def stored(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as the contract types it in Parquet (README, "Column types"), as results folders hold it.

    ``date`` becomes a date (the first day of the month as ``datetime.date``; Arrow ``date32``),
    ``iso3``, ``government``, ``body``, ``item``, ``rule`` and ``outcome``
    pandas categoricals of the values present (dictionary-encoded in Parquet), ``blockers`` a list
    of ISO3 codes (empty when nobody blocked), and the vote counts of an
    entry that is not a vote (-1 inside the engine) null. Tables already in this form
    are returned unchanged.
    """
    frame = frame.copy()
    if "date" in frame and not _is_date(frame["date"]):
        frame["date"] = month_starts(frame["date"]).dt.date
    for name in CATEGORICAL:
        if name in frame and not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("category")
    if "blockers" in frame and frame["blockers"].map(lambda v: isinstance(v, str)).any():
        frame["blockers"] = [[code for code in str(v).split(";") if code] for v in frame["blockers"]]
    for name in VOTE_COUNTS:
        if name in frame and not isinstance(frame[name].dtype, pd.Int64Dtype):
            frame[name] = frame[name].astype("Int64").mask(frame[name] < 0)
    return frame


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as the API gives it to pandas users: :func:`stored`, with ``date`` as datetime64 and fixed categories.

    ``date`` is the first day of the month as :data:`DATE_DTYPE`; each text column of :data:`CATEGORICAL`
    a categorical over :func:`categories` (a value outside them, which the engine does not write, is kept,
    after the others). Accepts a table in the engine's form (:func:`internal`), in the stored form or already
    typed; counts stay integers. Returns a new DataFrame.
    """
    frame = frame.copy()
    if "date" in frame:
        column = frame["date"]
        if not pd.api.types.is_datetime64_any_dtype(column):
            column = month_starts(column) if not _is_date(column) else pd.to_datetime(column)
        frame["date"] = column.astype(DATE_DTYPE)
    frame = stored(frame)
    fixed = categories()
    for name in CATEGORICAL:
        if name in frame:
            extra = sorted(str(v) for v in frame[name].cat.categories if v not in fixed[name])
            # set_categories, not astype: pandas takes categories in another order for the same dtype.
            frame[name] = frame[name].cat.set_categories([*fixed[name], *extra])
    return frame


def whole_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """A sweep summary with each count's final value (``final_<count>``) as nullable integers (``Int64``).

    A failed run has no final values; Parquet keeps the counts as int64 with nulls, which pandas would read
    as floats. Returns a new DataFrame; other columns are unchanged.
    """
    from sim.rules.outcomes import COUNT_OUTCOMES

    frame = frame.copy()
    for name in frame.columns:
        if name.startswith("final_") and name.removeprefix("final_") in COUNT_OUTCOMES:
            frame[name] = frame[name].astype("Int64")
    return frame


def month_starts(column: pd.Series) -> pd.Series:
    """'YYYY-MM' texts as :data:`DATE_DTYPE`: the first day of each month. ValueError for another text."""
    return pd.to_datetime(column.astype(str), format="%Y-%m").astype(DATE_DTYPE)


def internal(frame: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`typed` and :func:`stored`: the engine's form, which figures, reports and comparisons read.

    ``date`` as 'YYYY-MM' text, categoricals as text, ``blockers`` as ISO3
    codes joined by ';', a missing vote count -1. Tables written before
    the columns were typed are already in this form and pass unchanged.
    """
    frame = frame.copy()
    if "date" in frame and _is_date(frame["date"]):
        frame["date"] = _text(pd.to_datetime(frame["date"]).dt.strftime("%Y-%m"))
    for name in CATEGORICAL:
        if name in frame and isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = _text(frame[name])
    if "blockers" in frame and not frame["blockers"].map(lambda v: isinstance(v, str)).all():
        joined = [";".join(v) if v is not None and not isinstance(v, str) else (v or "") for v in frame["blockers"]]
        frame["blockers"] = _text(pd.Series(joined, index=frame.index, dtype=object))
    for name in VOTE_COUNTS:
        if name in frame and isinstance(frame[name].dtype, pd.Int64Dtype):
            frame[name] = frame[name].fillna(-1).astype("int64")
    return frame


def _text(column: pd.Series) -> pd.Series:
    """Text values with the dtype pandas gives text built by the engine (object, or str from pandas 3)."""
    return pd.Series(np.asarray(column.astype(object), dtype=object), index=column.index, name=column.name)


def _is_date(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    first = column.iloc[0] if len(column) else None
    return isinstance(first, dt.date)


def summarise(model: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its keys, then the final and the mean value of every model outcome."""
    grouped = model.groupby("run", sort=True)
    keys = grouped[list(RUN_KEYS[1:])].first().reset_index()
    final = grouped[list(MODEL_OUTCOMES)].last().add_prefix("final_").reset_index(drop=True)
    mean = grouped[list(MODEL_OUTCOMES)].mean().add_prefix("mean_").reset_index(drop=True)
    return pd.concat([keys, final, mean], axis=1)


class ResultsFolder:
    """One results folder and its manifest."""

    def __init__(
        self, path: Path, manifest: dict[str, Any], lock: FolderLock | None = None, tables: dict[str, str] | None = None
    ) -> None:
        self.path = path
        self.manifest = manifest
        self._saved_at = 0.0
        self._lock = lock
        # The file of each table, by name: this version's layout, or OLD_TABLES for a folder written before it.
        self.tables = {**TABLES, **BEHIND_TABLES} if tables is None else tables

    # ------------------------------------------------------------ writing
    @classmethod
    def create(cls, root: str | Path, scenario: Scenario, command: list[str] | None = None) -> ResultsFolder:
        """A new folder ``<root>/<name>-<timestamp>``, locked by this process, with a manifest that says "running".

        Raises:
            OSError: the folder or its manifest cannot be written (nothing is left behind).
        """
        # Everything slow (package versions, the code hash) comes before the folder exists: from the folder's
        # mkdir to its first manifest, a signal is held back, and one that came meanwhile removes the folder.
        manifest = with_files(new_manifest(scenario, command))
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        path: Path | None = None
        folder: ResultsFolder | None = None
        try:
            with interrupts_deferred():
                path = new_folder(root, f"{scenario.name}-{stamp}")  # -2, -3, ... for runs in the same second
                lock = FolderLock.acquire(path)
                if lock is None:  # a folder made this instant by another process of the same name
                    raise FileExistsError(errno.EEXIST, "another process is writing this folder", str(path))
                folder = cls(path, manifest, lock)
                folder.save_manifest()
        except BaseException:
            # Nothing has run yet: leave no folder behind rather than one that looks unfinished.
            if folder is not None:
                folder.release()
            if path is not None:
                with contextlib.suppress(OSError):
                    for child in path.iterdir():
                        child.unlink()
                    path.rmdir()
            raise
        return folder

    @classmethod
    def create_at(cls, path: Path, manifest: dict[str, Any]) -> ResultsFolder:
        """A results folder at exactly ``path`` (made if missing; it must be empty), locked by this process.

        ``manifest`` is written with status "running" and this process's identity.

        Raises:
            OSError: the folder or its manifest cannot be written, or another process is writing it.
        """
        path.mkdir(parents=True, exist_ok=True)
        manifest = with_files({**manifest, **identity(), "status": "running", "started": utc_now(), "finished": None})
        lock = FolderLock.acquire(path)
        if lock is None:
            raise FileExistsError(errno.EEXIST, "another process is writing this folder", str(path))
        folder = cls(path, manifest, lock)
        try:
            folder.save_manifest()
        except BaseException:
            folder.release()
            raise
        return folder

    def save_manifest(self) -> None:
        """Write the manifest (atomically; a signal cannot cut the write in half)."""
        text = json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n"
        with interrupts_deferred():
            write_atomically(self.path / MANIFEST, text.encode("utf-8"))
        self._saved_at = time.monotonic()

    def run_done(self, runs: int = 1) -> None:
        """Count finished runs; the manifest on disk follows at most twice a second (runs can be milliseconds)."""
        self.manifest["runs_done"] += runs
        if time.monotonic() - self._saved_at >= MANIFEST_INTERVAL_S:
            self.save_manifest()

    def write_results(self, results: Results, behind: Behind | None = None) -> None:
        """Write the run's three tables, ``behind`` (what figures and report set beside it) and summary.csv.

        Each table goes into a folder of its own (:data:`TABLES`, :data:`BEHIND_TABLES`) with its size and
        sha256 in the manifest's ``tables``; the manifest's ``behind`` records which of the baseline and the
        chance-only run are stored (null where the run has none). Without ``behind`` the manifest gets no
        ``behind`` entry, and the folder is drawn only when its scenario needs neither.

        Raises:
            OSError: a file cannot be written (a full disk, say); what was written is left for the caller to mark.
        """
        frames = {name: getattr(results, name) for name in ("model", "agents", "events")}
        if behind is not None:
            if behind.baseline is not None:
                frames.update(
                    {f"baseline_{name}": getattr(behind.baseline, name) for name in ("model", "agents", "events")}
                )
            if behind.chance is not None:
                frames["chance_model"] = behind.chance
        self.manifest.pop("checksums", None)  # the record of the earlier layout (a folder read back and saved)
        recorded = self.manifest["tables"] = {}
        files = self.manifest.setdefault("files", {})
        for name in OLD_TABLES:
            files[name] = f"{name}/"
        for name, frame in frames.items():
            file = TABLES.get(name) or BEHIND_TABLES[name]
            (self.path / file).parent.mkdir(exist_ok=True)
            table = stored(frame)
            write_atomically(self.path / file, lambda p, t=table: t.to_parquet(p, index=False))
            recorded[file] = file_digest(self.path / file)
            files[name] = f"{name}/"
        if behind is not None:
            self.manifest["behind"] = behind.entry()
        summary = summarise(results.model)
        write_atomically(self.path / SUMMARY, lambda p: summary.to_csv(p, index=False))

    def finish(self, status: str, error: str | None = None) -> None:
        """Record the final status; "complete" must be the last thing written. The lock is released after it.

        Raises:
            OSError: the manifest cannot be written (the lock is released all the same).
        """
        self.manifest.update(status=status, finished=utc_now(), error=error)
        try:
            self.save_manifest()
        finally:
            self.release()

    def release(self) -> None:
        """Let the folder go (the end of the writing command); safe to call twice."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def info(self) -> Manifest:
        """The typed, read-only view of the manifest (:class:`sim.runs.manifest.Manifest`)."""
        return Manifest.of(self.manifest, self.path / MANIFEST)

    @property
    def figures(self) -> Path:
        return self.path / FIGURES

    @property
    def report(self) -> Path:
        return self.path / REPORT

    # ------------------------------------------------------------ reading
    @classmethod
    def open(cls, path: str | Path) -> ResultsFolder:
        """An existing folder; InputError naming the folder if it is not a complete results folder."""
        path = Path(path)
        source = str(path)
        if not path.is_dir():
            raise InputError("RESULTS_DIR", "no such folder; give a folder made by 'cohesion run'", source)
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(MANIFEST, "missing; give a folder made by 'cohesion run'", source) from None
        except (OSError, ValueError) as error:
            raise InputError(MANIFEST, f"cannot be read ({error})", source) from None
        if not isinstance(manifest, dict) or manifest.get("status") not in STATUSES:
            raise InputError(f"{MANIFEST}.status", f"must be one of {', '.join(STATUSES)}", source)
        manifest = settle(path, manifest, MANIFEST)
        if manifest["status"] != "complete":
            done, total = manifest.get("runs_done"), manifest.get("runs_total")
            if isinstance(done, int) and done == total:  # stopped while the runs stored beside them were made
                done = f"its {done} runs done, not the runs stored beside them for its figures"
            else:
                done = f"{done} of {total} runs"
            raise InputError(
                f"{MANIFEST}.status",
                f"is '{manifest['status']}': this run did not finish ({done}); run the scenario again",
                source,
            )
        # A folder written before each table had its own folder holds model.parquet beside the others.
        old = not (path / TABLES["model"]).parent.is_dir() and (path / OLD_TABLES["model"]).exists()
        tables = dict(OLD_TABLES) if old else {**TABLES, **BEHIND_TABLES}
        view = Manifest.of(manifest, path / MANIFEST)  # a missing or ill-typed field is one line, here
        recorded = view.tables
        stored_behind = [] if old else behind_tables(manifest)
        wanted = [tables[name] for name in (*OLD_TABLES, *stored_behind)]
        missing = [name for name in wanted if not (path / name).is_file()]
        if missing:
            raise InputError(missing[0], "missing from a folder marked complete", source)
        for name in wanted:
            problem = damage(path / name, recorded.get(name))
            if problem:
                raise InputError(name, f"{problem}; the folder is damaged: run the scenario again", source)
        return cls(path, manifest, tables=tables)

    def read_table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """One table (``model``, ``agents``, ``events`` or one of :data:`BEHIND_TABLES`): ``columns``, or every column.

        Raises InputError naming the folder, the file and the column when the table lacks one of ``columns``
        (without ``columns``: one of :func:`required_columns`), as a folder written by an older version or
        edited by hand may; naming the file when it cannot be read; and naming the column or the run when a
        column holds values of the wrong type or runs differ in their months (:func:`check_values`).
        """
        path = self.path / self.tables[name]
        check_columns(path, str(self.path), required_columns(name) if columns is None else columns)
        table = internal(read_parquet_checked(path, str(self.path), columns))
        check_values(table, path, str(self.path))
        return table

    def read_results(self) -> Results:
        """The three tables in the engine's form (:func:`internal`); InputError naming the file if one cannot be read.

        Folders written before the columns were typed, or before each table had its own folder, are read the same way.
        """
        return Results(*(self.read_table(name) for name in ("model", "agents", "events")))

    def read_behind(self) -> Behind | None:
        """What figures and report set beside the run, as stored when it ran (engine form); None if not recorded.

        None for a folder written before these tables were stored (or by :meth:`write_results` without
        them): such a folder can be read for its numbers but not drawn when its scenario needs them.
        InputError naming the file if a stored table cannot be read.
        """
        entry = self.manifest.get("behind")
        if not isinstance(entry, dict) or self.tables.get("model") != TABLES["model"]:
            return None
        present = behind_tables(self.manifest)
        baseline = None
        if "baseline_model" in present:
            baseline = Results(*(self.read_table(f"baseline_{name}") for name in ("model", "agents", "events")))
        chance = self.read_table("chance_model") if "chance_model" in present else None
        return Behind(baseline, chance, (entry.get("baseline") or {}).get("scenario_hash"))


def behind_tables(manifest: dict[str, Any]) -> list[str]:
    """The names of :data:`BEHIND_TABLES` a manifest's ``behind`` entry says the folder holds (none if no entry)."""
    entry = manifest.get("behind")
    if not isinstance(entry, dict):
        return []
    names = []
    if isinstance(entry.get("baseline"), dict):
        names += ["baseline_model", "baseline_agents", "baseline_events"]
    if isinstance(entry.get("chance"), dict):
        names.append("chance_model")
    return names


# Agent columns added after folders were first written: readers do without them (the report says so in one sentence).
OPTIONAL_AGENT_COLUMNS = frozenset({"trust_words", "trust_boots"})


def required_columns(table: str) -> tuple[str, ...]:
    """The columns that figures, reports and comparisons read from a run's ``model``, ``agents`` or ``events`` table.

    The tables stored beside the run (``baseline_model``, ``chance_model``, ...) need those of their kind; the
    agents table may lack :data:`OPTIONAL_AGENT_COLUMNS`.
    """
    from sim.engine.outputs import LOG_COLUMNS
    from sim.engine.state import STATE_VARIABLES

    table = table.removeprefix("baseline_").removeprefix("chance_")
    if table == "model":
        return ("run", "replication", "seed", "step", "date", *MODEL_OUTCOMES)
    if table == "agents":
        state = (name for name in STATE_VARIABLES if name not in OPTIONAL_AGENT_COLUMNS)
        return ("run", "step", "date", "iso3", *state, "government", "eu_member", "nato_member")
    return ("run", *LOG_COLUMNS)


def check_columns(path: Path, source: str, columns: Sequence[str]) -> None:
    """InputError naming the folder ``source``, the file and the first columns missing from the Parquet file.

    A file whose schema cannot be read passes: reading it then reports the damage.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        present = set(pq.read_schema(path).names)
    except (pa.ArrowException, OSError, ValueError):
        return
    missing = [name for name in columns if name not in present]
    if missing:
        named = ", ".join(f"'{name}'" for name in missing[:3])
        if len(missing) > 3:
            named += f" and {len(missing) - 3} more"
        raise InputError(
            _within(path, source),
            f"has no column {named} (a folder written by another version of the tool, or edited); "
            "run the scenario again with this version",
            source,
        )


_MONTH = r"\d{4}-(0[1-9]|1[0-2])"  # a date in the engine's form (internal), which text dates of old folders are


def check_values(table: pd.DataFrame, path: Path, source: str) -> None:
    """InputError naming the folder ``source``, the file and the column or run of a table (in the engine's form,
    :func:`internal`) that figures, reports and comparisons could not read as it is.

    Keys (``run``, ``replication``, ``seed``, ``step``) and counts must be whole numbers, the other outcomes and
    state variables numbers, ``date`` a date (or 'YYYY-MM' text, as folders written before the columns were
    typed hold it), and every run must have the same months, in order, as the first. A column that is absent
    passes (:func:`check_columns` reports it where it is needed).
    """
    from sim.engine.state import STATE_VARIABLES
    from sim.rules.outcomes import COUNT_OUTCOMES

    def refuse(what: str) -> None:
        raise InputError(
            _within(path, source), f"{what} (an edited folder?); run the scenario again with this version", source
        )

    whole = [*RUN_KEYS, "step", *COUNT_OUTCOMES]
    numeric = [*MODEL_OUTCOMES, *STATE_VARIABLES]
    for name in dict.fromkeys([*whole, *numeric]):
        if name not in table:
            continue
        column = table[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            refuse(f"column '{name}' holds {column.dtype} values, not numbers")
        if name in whole and not pd.api.types.is_integer_dtype(column):
            values = column.dropna().to_numpy(dtype=float)
            if not (np.isfinite(values) & (values == np.round(values))).all():
                refuse(f"column '{name}' holds values that are not whole numbers")
    if "date" in table and len(table):
        dates = table["date"]
        if not dates.map(lambda v: isinstance(v, str)).all() or not dates.str.fullmatch(_MONTH).all():
            bad = next(v for v in dates if not (isinstance(v, str) and re.fullmatch(_MONTH, v)))
            refuse(f"column 'date' holds {str(bad)[:20]!r}, not a date")
        if "run" in table and "step" in table and "iso3" not in table and "body" not in table:
            months = table.groupby("run", sort=True)["date"].agg(tuple)
            first = months.iloc[0]
            for run, these in months.items():
                if these != first:
                    refuse(
                        f"run {run} has {len(these)} months, not the {len(first)} of run {months.index[0]} "
                        f"({first[0]} to {first[-1]})"
                    )


def _within(path: Path, source: str) -> str:
    """``path`` as the user finds it in the folder ``source`` ('model/part-000000.parquet'), or whole if outside it."""
    return str(path.relative_to(source)) if path.is_relative_to(source) else str(path)


def read_parquet_checked(path: Path, source: str, columns: list[str] | None = None, **options: Any) -> pd.DataFrame:
    """``pandas.read_parquet`` whose failures (a damaged file, a missing column) are bad input naming the file."""
    import pyarrow as pa

    try:
        return pd.read_parquet(path, columns=columns, **options)
    except (pa.ArrowException, OSError, ValueError, KeyError) as error:
        detail = " ".join(str(error).split())[:160]
        wanted = f" with columns {', '.join(columns)}" if columns else ""
        raise InputError(
            _within(path, source),
            f"cannot be read{wanted} ({type(error).__name__}: {detail}); the folder is damaged",
            source,
        ) from None
