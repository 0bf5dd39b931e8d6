"""Sweeps: an experiment's points x replications, thousands of runs, streamed to disk, resumable.

An experiment (:mod:`sim.scenarios.experiment`) names a scenario, a design
(:mod:`sim.scenarios.designs`), the factors it varies, the replications of each point
and the outputs to keep. Run ``r`` is replication ``k`` of point ``p``
(``r = p * replications + k``) and runs with its own seed
(:func:`sim.scenarios.experiment.run_seed`), so its result does not depend on the
executor (:mod:`sim.runs.executors`), the number of workers or the order of
execution.

Runs go to workers in chunks; each finished chunk is written by this process
as its own Parquet part file in the folder of its table
(``model/part-000042.parquet``, ``agents/...``, ``summary/...``; the points
are ``points/part-000000.parquet``), so that ``pandas.read_parquet(folder /
"model")`` reads one table and no glob mixes two. Each part is renamed into
place and only then recorded in the ledger ``chunks.jsonl`` with its size and
sha256. Re-running the same command on the same folder reads the ledger,
checks every recorded part against its size and checksum, deletes any part
that a kill left unrecorded, and runs the chunks not recorded or whose parts
are missing or damaged: no run is lost or written twice. The manifest
records every part's size and sha256 too (``parts``, rewritten at most every
second while the sweep runs and in full when it ends), so that a folder whose
ledger is gone is still checked part by part; a part that neither records
is refused with one line, by resume and by the readers
(:func:`sim.analysis.sweeps.check_parts`). Each ledger entry also records the
experiment's content hash, the code hash and the chunk size, so that a folder
whose manifest is gone is resumed by the same command, which rebuilds the
manifest. The sweeping process holds the folder's lock and records its
``pid`` and ``host`` (:mod:`sim.util.locks`).

The package has three parts: the workers' side (:mod:`sim.runs.sweep.chunks`), the folder
(:mod:`sim.runs.sweep.folder`) and the loop that joins them (:mod:`sim.runs.sweep.run`). The command
``cohesion sweep`` is :mod:`sim.cli.sweep`.
"""

from sim.runs.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor
from sim.runs.sweep import chunks, folder, run
from sim.runs.sweep.chunks import Chunk, ChunkResult, run_chunk, run_spec, simulate
from sim.runs.sweep.folder import (
    FAILURE_KEYS,
    FAILURES,
    LEDGER,
    MANIFEST,
    OLD_LAYOUT,
    PART_NAME,
    PART_TABLES,
    POINTS,
    POINTS_CSV,
    POINTS_FOLDER,
    SUMMARY,
    TABLE_FILES,
    SweepFolder,
    _code_hash,
    old_layout,
    part_problems,
)
from sim.runs.sweep.run import CHUNKS_PER_WORKER, MAX_CHUNK_RUNS, SweepReport, auto_chunk_runs, run_sweep

__all__ = [
    "CHUNKS_PER_WORKER",
    "FAILURES",
    "FAILURE_KEYS",
    "LEDGER",
    "MANIFEST",
    "MAX_CHUNK_RUNS",
    "OLD_LAYOUT",
    "PART_NAME",
    "PART_TABLES",
    "POINTS",
    "POINTS_CSV",
    "POINTS_FOLDER",
    "SUMMARY",
    "TABLE_FILES",
    "_code_hash",
    "Chunk",
    "ChunkResult",
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "SweepFolder",
    "SweepReport",
    "auto_chunk_runs",
    "chunks",
    "folder",
    "old_layout",
    "part_problems",
    "run",
    "run_chunk",
    "run_spec",
    "run_sweep",
    "simulate",
]
