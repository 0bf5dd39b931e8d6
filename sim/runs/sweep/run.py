"""Running a sweep: the chunks of an experiment through an executor into its folder, resumable.

:func:`run_sweep` claims the folder (:class:`sim.runs.sweep.folder.SweepFolder`), hands the chunks still to
run to an executor (:mod:`sim.runs.executors`, the pool runs share), commits each result as it comes back
and marks the folder complete, failed or interrupted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from pathlib import Path

from tqdm import tqdm

from sim.runs.executors import Executor, SerialExecutor, chunk_size
from sim.runs.folder import describe_os_error
from sim.runs.sweep.chunks import run_chunk
from sim.runs.sweep.folder import FAILURES, MANIFEST, SweepFolder
from sim.scenarios.experiment import Experiment
from sim.util.errors import out_of_memory
from sim.util.processes import Resumable, interrupted, raise_if_interrupted

log = logging.getLogger(__name__)

# A chunk is advanced as one batch: a few hundred runs (about a second of work) make the cost of a task, of a
# part file and of the interpreter negligible; at least a few chunks per worker keep the workers evenly loaded
# and the progress bar moving. The size never changes a number.
MAX_CHUNK_RUNS = 250
CHUNKS_PER_WORKER = 8


@dataclasses.dataclass(frozen=True)
class SweepReport:
    """What a sweep did: its folder, final status and counts of runs (this time: ``runs_this_time``)."""

    path: Path
    status: str
    runs_total: int
    runs_done: int
    runs_failed: int
    runs_this_time: int
    seconds: float
    error: str | None = None


class _ProgressBar(tqdm):
    # No monitor thread: it is not needed for a bar updated every chunk, and a thread would make forking
    # workers unsafe for a later sweep in the same process.
    monitor_interval = 0


def auto_chunk_runs(runs_total: int, workers: int) -> int:
    """Runs per chunk when none is given: at most ``MAX_CHUNK_RUNS``, about ``CHUNKS_PER_WORKER`` per worker."""
    return chunk_size(runs_total, workers, most=MAX_CHUNK_RUNS, per_worker=CHUNKS_PER_WORKER)


def run_sweep(
    experiment: Experiment,
    out: str | Path,
    executor: Executor | None = None,
    *,
    chunk_runs: int | None = None,
    progress: bool = False,
    command: list[str] | None = None,
) -> SweepReport:
    """Run (or resume) a sweep into the folder ``out``; returns what happened.

    Raises InputError for a folder that cannot be used (see :meth:`SweepFolder.claim`); on Ctrl-C or SIGTERM
    the folder is marked ``interrupted`` and :class:`sim.util.processes.Resumable` (a KeyboardInterrupt) is
    raised, or a plain KeyboardInterrupt if the sweep stopped before its folder was written (none is left).
    Any other error marks the folder ``failed`` with the reason and is raised.
    """
    executor = executor or SerialExecutor()
    folder = SweepFolder(Path(out), experiment)
    began = time.perf_counter()
    try:
        folder.claim()
    except BaseException:
        folder.release()  # refused: the folder is left as it was found
        raise
    resuming = folder.resuming
    try:
        executor.start()
        if folder.manifest.get("chunk_runs") and chunk_runs is not None and chunk_runs != folder.manifest["chunk_runs"]:
            log.info("resuming with the folder's %d runs per chunk", folder.manifest["chunk_runs"])
        size = chunk_runs or auto_chunk_runs(experiment.runs_total, executor.workers)
        points = folder.prepare(size, executor.describe(), command)
        before = folder.runs_done
        if folder.resuming and before:
            log.info("resuming %s: %d of %d runs already done", folder.path, before, experiment.runs_total)
        bar = _ProgressBar(
            total=experiment.runs_total,
            initial=before,
            unit="run",
            desc=experiment.name,
            disable=not progress,
            dynamic_ncols=True,
            smoothing=0.05,
        )
        try:
            for result in executor.map_unordered(run_chunk, experiment, folder.chunks(points)):
                folder.commit(result)
                bar.update(result.runs)
                raise_if_interrupted()
        finally:
            bar.close()
        folder.assemble()
        raise_if_interrupted()  # a signal Python could not raise in the middle (a garbage collection) is not lost
        status = "failed" if folder.runs_failed else "complete"
        error = (
            f"{folder.runs_failed} of {experiment.runs_total} runs failed; see {FAILURES}"
            if folder.runs_failed
            else None
        )
        folder.finish(status, error)
        executor.close()
        return SweepReport(
            folder.path,
            status,
            experiment.runs_total,
            folder.runs_done,
            folder.runs_failed,
            folder.runs_done - before,
            time.perf_counter() - began,
            error,
        )
    except BaseException as error:
        executor.abort()  # running tasks are abandoned: their chunks run again on resume
        if isinstance(error, KeyboardInterrupt) or interrupted():  # workers may die of the signal first
            status, reason = "interrupted", "interrupted; run the same command again to resume"
        elif isinstance(error, OSError):
            status, reason = "failed", f"cannot write the results: {describe_os_error(error)}"
        elif isinstance(error, MemoryError):
            status, reason = "failed", out_of_memory(error).removeprefix("error: ")
        else:
            status, reason = "failed", f"{type(error).__name__}: {error}"
        if not folder.manifest or (isinstance(error, OSError) and not resuming and not folder.done):
            folder.discard()  # nothing ran: leave no folder behind rather than one that looks unfinished
        else:
            with contextlib.suppress(OSError):  # a full disk may refuse the manifest too; the lock tells the rest
                folder.finish(status, reason)
        if status == "interrupted" and (folder.path / MANIFEST).is_file():
            raise Resumable(folder.path) from None  # the folder is marked: the same call resumes it
        if status == "interrupted" and not isinstance(error, KeyboardInterrupt):
            raise KeyboardInterrupt from None
        raise
    finally:
        folder.release()
