"""Where runs and sweeps run their tasks: in this process, on local worker processes, or on a Dask cluster.

The one pool of the package: a sweep's chunks (:mod:`sim.runs.sweep`) and a
scenario's replications (:mod:`sim.runs.replications`) both go through it,
with one handling of Ctrl-C and SIGTERM (:mod:`sim.util.processes`).

Every executor does one thing, ``map_unordered(function, context, tasks)``:
it calls ``function(context, task)`` for each task and yields the results as
they finish, in any order, keeping only a few tasks in flight so that memory
does not grow with the number of tasks. Nothing a task computes depends on
where or when it runs (each run carries its own seed), so the executors are
interchangeable.
"""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing
import sys
import threading
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.util import extras
from sim.util.errors import InputError, RunFailure
from sim.util.processes import (
    POLL_S,
    ctrl_c_held,
    interrupted,
    interrupts_deferred,
    raise_if_interrupted,
    signals_held,
    stop_pool,
    worker_initializer,
)

log = logging.getLogger(__name__)

# Tasks in flight per worker: two keep a worker busy while the parent handles a result, more only cost memory.
IN_FLIGHT_PER_WORKER = 2
# How often the command looks for a finished Dask task (and for a signal) while none is ready.
DASK_POLL_S = 0.02
# The module whose functions the workers of a sweep run; the forkserver imports it once for all its workers.
SWEEP_WORKER_MODULE = "sim.runs.sweep.chunks"


def chunk_size(total: int, workers: int, *, most: int, per_worker: int) -> int:
    """Runs per task for ``total`` runs on ``workers``: about ``per_worker`` tasks each, at most ``most`` runs a task.

    A few tasks per worker keep the workers evenly loaded and a progress bar
    moving; the size never changes a number. Always at least 1.
    """
    return max(1, min(most, math.ceil(total / (per_worker * max(workers, 1)))))


class Executor(ABC):
    """Runs tasks somewhere; ``workers`` is known after ``start``."""

    workers: int = 1

    def start(self) -> None:  # noqa: B027 - most executors need no set-up
        """Acquire workers (processes, a cluster connection)."""

    @abstractmethod
    def map_unordered(self, function: Callable[[Any, Any], Any], context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        """``function(context, task)`` for every task; results in order of completion."""

    def close(self) -> None:  # noqa: B027 - most executors hold nothing
        """Release the workers; safe to call twice."""

    def abort(self) -> None:
        """Release the workers at once, abandoning running tasks (after Ctrl-C, a signal or an error)."""
        self.close()

    def describe(self) -> dict[str, Any]:
        return {"executor": type(self).__name__, "workers": self.workers}

    def __enter__(self) -> Executor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Every task in this process, one after the other."""

    def map_unordered(self, function: Callable[[Any, Any], Any], context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        for task in tasks:
            yield function(context, task)

    def describe(self) -> dict[str, Any]:
        return {"executor": "serial", "workers": 1}


def _ready() -> bool:
    return True


class ProcessExecutor(Executor):
    """Tasks on ``workers`` local processes.

    ``preload`` names the modules whose functions the workers run (a sweep's by default): where workers are
    started by a fork server (not Linux, or a process with threads) the server imports them once for all.
    Raises InputError if ``workers`` is below 1.
    """

    def __init__(self, workers: int, preload: Sequence[str] = (SWEEP_WORKER_MODULE,)) -> None:
        if workers < 1:
            raise InputError("--workers", f"{workers} is not allowed; use a whole number, 1 or more")
        self.workers = workers
        self.preload = list(preload)
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self._pool is not None:
            return
        # fork starts a worker in milliseconds but is only safe while this process runs a single thread (the
        # progress bar and Dask start threads, so the pool is started first); elsewhere forkserver, whose
        # server imports the package once.
        if sys.platform.startswith("linux") and threading.active_count() == 1:
            context = multiprocessing.get_context("fork")
        else:
            context = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
            if context.get_start_method() == "forkserver":
                context.set_forkserver_preload(self.preload)
        # The workers leave Ctrl-C and SIGTERM to this process, which stops them (sim.util.processes).
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=worker_initializer)
        # With fork every worker is created at the first submission: do it now, before other threads exist.
        with signals_held():
            ready = self._pool.submit(_ready)
        ready.result()

    def map_unordered(self, function: Callable[[Any, Any], Any], context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        if self._pool is None:
            self.start()
        pool = self._pool
        assert pool is not None
        queue = iter(tasks)
        # The pool is used inside interrupts_deferred: a signal is acted on between calls, never inside the pool's
        # locks and queues, which an exception could leave blocked (a hang on the way out).
        with interrupts_deferred():
            pending: set[Future] = {
                pool.submit(function, context, task)
                for task in itertools.islice(queue, IN_FLIGHT_PER_WORKER * self.workers)
            }
        try:
            while pending:
                with interrupts_deferred():
                    finished, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                    raise_if_interrupted()
                    pending |= {pool.submit(function, context, task) for task in itertools.islice(queue, len(finished))}
                    results = [future.result() for future in finished]
                yield from results
        except BrokenProcessPool as error:
            if interrupted():  # the workers died of the signal that is about to interrupt this process
                raise KeyboardInterrupt from None
            raise RunFailure(
                "a worker process ended abruptly (killed, or out of memory); run again, with fewer --workers "
                "if memory is short"
            ) from error
        # Tasks still pending are left to close() or abort(), which cancel them in the pool's own thread. A future
        # cancelled from here may be failed by that thread too when abort() stops the workers (Python before 3.12
        # then prints an InvalidStateError traceback from the thread).

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self) -> None:
        if self._pool is not None:
            stop_pool(self._pool)
            self._pool = None

    def describe(self) -> dict[str, Any]:
        return {"executor": "local processes", "workers": self.workers}


def _worker_package() -> str:
    """Run on each Dask worker: proves that the package imports there, and which version it is."""
    from sim.about import __version__

    return __version__


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: an existing scheduler (``address``) or a LocalCluster of ``local_workers`` processes.

    Workers need the package installed (the same version as here); they need
    neither the experiment file nor the results folder: tasks carry their
    inputs and send their results back to this process, which writes them.
    """

    def __init__(self, address: str | None = None, local_workers: int | None = None, field: str | None = None) -> None:
        """``field`` names the option or argument in messages (default ``--scheduler`` or ``--dask-local``).

        Raises InputError if the optional extra [dask] is not installed, or ``local_workers`` is below 1.
        """
        if (address is None) == (local_workers is None):
            raise ValueError("give exactly one of address or local_workers")
        field = field or ("--scheduler" if address is not None else "--dask-local")
        if local_workers is not None and local_workers < 1:
            raise InputError(field, f"{local_workers} is not allowed; use a whole number, 1 or more")
        extras.require("dask", field, "a Dask cluster")
        self.address = address
        self.local_workers = local_workers
        self._cluster: Any = None
        self._client: Any = None

    def start(self) -> None:
        if self._client is not None:
            return
        import dask
        from distributed import Client, LocalCluster

        if self.local_workers is not None:
            # Dask's statistical profiler samples every worker thread every 10 ms and takes the GIL to do it:
            # about 7 % of a pure-Python model run (benchmarks/README.md). Nothing here reads its profiles.
            # Its worker processes start with Ctrl-C held back and then ignore it (sim.util.processes.dask_setup); a
            # Ctrl-C or SIGTERM is acted on once the cluster is up (a few seconds): cut short, its start-up cannot
            # be closed cleanly.
            # The scheduler's HTTP endpoints take another port when 8787 is taken (another cluster, another sweep)
            # and would say so in a warning of four lines: nothing here uses them.
            with (
                dask.config.set({"distributed.worker.profile.enabled": False}),
                warnings.catch_warnings(),
                interrupts_deferred(),
                ctrl_c_held(),
            ):
                warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
                self._cluster = LocalCluster(
                    n_workers=self.local_workers,
                    threads_per_worker=1,  # the model holds the GIL: processes, not threads, run it in parallel
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                    preload=[
                        "sim.util.processes"
                    ],  # workers leave Ctrl-C to this process (sim.util.processes.dask_setup)
                )
                self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(self.address, timeout="10s")
            except (OSError, TimeoutError, ValueError) as error:
                raise InputError("--scheduler", f"no Dask scheduler answers at {self.address} ({error})") from None
            try:
                self._client.wait_for_workers(1, timeout=60)
            except TimeoutError:
                raise RunFailure(
                    f"no Dask worker joined the scheduler at {self.address} within 60 s; "
                    f"start some with: dask worker {self.address} --nworkers -1 --nthreads 1"
                ) from None
        self.workers = max(sum(self._client.nthreads().values()), 1)
        try:
            versions = self._client.run(_worker_package)
        except Exception as error:  # noqa: BLE001 - a worker that cannot unpickle the check fails in many ways
            raise RunFailure(
                f"Dask workers cannot import the model ({error}); install alliance-cohesion on every worker"
            ) from None
        from sim.about import __version__

        stale = sorted(worker for worker, version in versions.items() if version != __version__)
        if stale:
            log.warning(
                "Dask workers %s run alliance-cohesion %s, this process %s", stale, versions[stale[0]], __version__
            )

    def map_unordered(self, function: Callable[[Any, Any], Any], context: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        from distributed import as_completed

        if self._client is None:
            self.start()
        client = self._client
        queue = iter(tasks)
        outstanding: set[Any] = set()
        running = as_completed()

        def submit(task: Any) -> None:
            future = client.submit(function, shared, task, pure=False)
            outstanding.add(future)
            running.add(future)

        # A signal is acted on once the context is on the workers and the first tasks are sent: cut short, the
        # client's own calls leave tasks on its event loop that fail later with a traceback.
        try:
            with interrupts_deferred():
                # The context (the experiment) goes to every worker once, not with every task.
                shared = client.scatter(context, broadcast=True, hash=False)
                for task in itertools.islice(queue, IN_FLIGHT_PER_WORKER * self.workers):
                    submit(task)
            while not running.is_empty():
                # As with local processes: a signal is acted on between calls, never inside the client's own.
                with interrupts_deferred():
                    while not running.has_ready():
                        raise_if_interrupted()
                        time.sleep(DASK_POLL_S)
                    future = next(running)
                    outstanding.discard(future)
                    result = future.result()
                    future.release()  # the result now lives here only: let the cluster forget it
                    for task in itertools.islice(queue, 1):
                        submit(task)
                yield result
        finally:
            if outstanding:
                client.cancel(list(outstanding), force=True)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def abort(self) -> None:
        # Tasks in flight are abandoned on purpose: the scheduler's complaint that their data is lost is no news.
        # The caller's level of the logger is restored after: a notebook's later Dask work logs as before.
        logger = logging.getLogger("distributed")
        level = logger.level
        logger.setLevel(logging.CRITICAL)
        try:
            self.close()
        finally:
            logger.setLevel(level)

    def describe(self) -> dict[str, Any]:
        where = self.address or f"LocalCluster({self.local_workers} processes)"
        return {"executor": "dask", "scheduler": where, "workers": self.workers}
