"""Processes and signals: how a command and its worker processes end on Ctrl-C, SIGTERM or a kill.

A command that writes a results folder (``cohesion run``, ``cohesion sweep``)
turns SIGINT and SIGTERM into one :class:`KeyboardInterrupt` in its main
thread (:func:`interrupts_as_keyboard_interrupt`), marks the folder
``interrupted`` and exits with code 1. Worker processes leave the signals to
the command: they ignore SIGINT, die at once on SIGTERM (the default action)
and die with the command if it is killed (:func:`worker_initializer`); the
command stops the ones still running (:func:`stop_pool`). Signals that arrive
while a worker is being forked are held back (:func:`signals_held`), so that
no process ever runs a signal handler that is not its own.

Each piece is a small function or context manager, independent of how work
is handed to the workers (one run per task, or chunks of runs).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sim.util.errors import InputError

log = logging.getLogger(__name__)

INTERRUPTING = (signal.SIGINT, signal.SIGTERM)
# --workers above this multiple of the CPU count is refused: the runs would only wait for each other.
MAX_WORKERS_PER_CPU = 4
# How long a stopped worker may take to go before it is killed.
STOP_GRACE_S = 2.0
# How often a command waiting on its workers looks for a signal (the longest delay before it stops).
POLL_S = 0.2


# ------------------------------------------------------------------ the command's process
class _Interrupts:
    """The state of the command's handlers: interrupt once, then let clean-up finish; hold back while deferred."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.raised = False
        self.deferred = 0

    def handle(self, signum: int, frame: Any) -> None:
        if self.received is None:
            self.received = signum
        if self.deferred or self.raised:
            return  # clean-up (or a write that must not be cut in half) is under way: it ends the command
        self.raised = True
        raise KeyboardInterrupt

    def swallowed(self, unraisable: Any) -> bool:
        """Whether an exception Python could not raise (``sys.unraisablehook``) was this handler's KeyboardInterrupt.

        A signal that lands in a weak-reference callback or a ``__del__`` (a
        garbage collection) raises there, and Python prints "Exception ignored"
        and goes on: the interrupt would be lost. It is re-armed instead, so the
        next safe point (:func:`raise_if_interrupted`, the end of an
        :func:`interrupts_deferred` block) raises it, and nothing is printed.
        """
        if self.received is None or not isinstance(unraisable.exc_value, KeyboardInterrupt):
            return False
        self.raised = False
        return True


_state: _Interrupts | None = None


class Resumable(KeyboardInterrupt):
    """The KeyboardInterrupt of work stopped by Ctrl-C or SIGTERM whose folder ``path`` is marked ``interrupted``
    and can be resumed by running the same command (or call) again: a sweep that had written its folder."""

    def __init__(self, path: Any) -> None:
        super().__init__(f"interrupted; {path} can be resumed")
        self.path = path


@contextlib.contextmanager
def interrupts_as_keyboard_interrupt() -> Iterator[None]:
    """SIGINT and SIGTERM raise one KeyboardInterrupt in the main thread; later ones are ignored until the end.

    A polite kill (``timeout``, a scheduler, a closed session) is handled like
    Ctrl-C, and a second signal cannot cut short the clean-up that marks the
    results folder. Outside the main thread this does nothing. The previous
    handlers are restored on exit.

    A KeyboardInterrupt that Python swallows (the signal landed in a garbage
    collector's callback) is not lost: it is raised again at the next safe
    point (:func:`raise_if_interrupted`), which the commands call between
    batches of runs and before they mark a folder complete.
    """
    global _state
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outer, state = _state, _Interrupts()
    previous = {signum: signal.signal(signum, state.handle) for signum in INTERRUPTING}
    previous_hook = sys.unraisablehook

    def unraisable_hook(unraisable: Any) -> None:
        if not state.swallowed(unraisable):
            previous_hook(unraisable)

    sys.unraisablehook = unraisable_hook
    _state = state
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = previous_hook
        _state = outer


def interrupted() -> bool:
    """Whether SIGINT or SIGTERM reached the command since :func:`interrupts_as_keyboard_interrupt` began."""
    return _state is not None and _state.received is not None


def raise_if_interrupted() -> None:
    """Raise the KeyboardInterrupt of a signal held back by :func:`interrupts_deferred` (once); else nothing."""
    state = _state
    if state is not None and state.received is not None and not state.raised:
        state.raised = True
        raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold back the KeyboardInterrupt of a signal until the block ends (a manifest write is never cut in half).

    A signal received inside the block raises KeyboardInterrupt when the
    block is left normally; code inside may call :func:`raise_if_interrupted`
    at safe points. Code that talks to a process pool runs inside such a
    block: an exception raised by a signal in the middle of the pool's
    locks and queues could leave them blocked for ever.
    """
    state = _state
    if state is None:
        yield
        return
    state.deferred += 1
    try:
        yield
    finally:
        state.deferred -= 1
    if not state.deferred and state.received is not None and not state.raised:
        state.raised = True
        raise KeyboardInterrupt


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker now, before SIGINT and SIGTERM are blocked.

    The first pool or cluster starts it otherwise, and starting it unblocks
    SIGINT and SIGTERM in the thread that does (Python before 3.13 blocks them
    around the start and then unblocks them rather than restore the mask):
    the block would end early, and worker processes started after it would
    get Ctrl-C in the middle of their imports.
    """
    with contextlib.suppress(Exception):  # no tracker on this platform: nothing to unblock
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()


@contextlib.contextmanager
def _blocked(signals: set[signal.Signals], main_thread_only: bool = False) -> Iterator[None]:
    """``signals`` blocked in this thread for the block, then the earlier mask again (a signal that came
    meanwhile is delivered then). Nothing is blocked off POSIX, or outside the main thread when
    ``main_thread_only``. The resource tracker is started first, so that it does not inherit the mask."""
    if not hasattr(signal, "pthread_sigmask") or (
        main_thread_only and threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    _start_resource_tracker()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread while worker processes are forked; deliver them afterwards.

    A forked process starts with its parent's handlers; with the signals
    blocked it cannot run them before :func:`worker_initializer` has set its
    own. Threads started inside the block keep the signals blocked, so that
    they always reach the main thread.
    """
    with _blocked(INTERRUPTING):
        yield


@contextlib.contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Hold SIGINT back while worker processes are started by threads this code does not control (Dask).

    SIGINT is blocked in this thread for the block; the threads started
    meanwhile inherit the blocked signal, and so do the processes they start
    (a blocked signal stays blocked across ``fork`` and ``exec``), so that no
    worker can die of Ctrl-C with a traceback before it has set up its own
    handling (:func:`dask_setup`). A Ctrl-C inside the block is not lost: it
    is delivered when the block ends, to the command's handler, which stops
    the command. SIGTERM is left to the command's handler.
    """
    with _blocked({signal.SIGINT}, main_thread_only=True):
        yield


# ------------------------------------------------------------------ worker processes
def worker_initializer() -> None:
    """Initializer of every worker process: the command alone handles Ctrl-C; SIGTERM ends a worker at once.

    The worker also dies if the command is killed (Linux ``PR_SET_PDEATHSIG``):
    otherwise a command killed with SIGKILL leaves its workers waiting forever
    on a queue nobody writes to.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # a libc without prctl: workers may outlive a kill
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, INTERRUPTING)


def dask_setup(worker: Any) -> None:
    """Dask preload (``preload=["sim.util.processes"]``): a local Dask worker leaves Ctrl-C to the command, as ours do.

    Without it, Ctrl-C reaching the process group makes every worker print
    a KeyboardInterrupt traceback while the command is already stopping the
    cluster. Workers started inside :func:`ctrl_c_held` hold SIGINT back from
    their first instruction; this ignores it from then on (and SIGTERM at its default,
    which ends the worker).
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


_abandoned_pools = 0


def pools_abandoned() -> bool:
    """Whether this process stopped a worker pool with :func:`stop_pool` (see :func:`sim.cli.entry`)."""
    return _abandoned_pools > 0


def unlink_abandoned_semaphores() -> None:
    """Unlink this process's named semaphores (those of the pools :func:`stop_pool` abandoned) as a normal exit
    would: a process that ends with ``os._exit`` skips the finalizers that do it, and the resource tracker
    then prints a warning of "leaked semaphore objects" after the command's last line."""
    from multiprocessing import util
    from multiprocessing.synchronize import SemLock

    for finalizer in list(getattr(util, "_finalizer_registry", {}).values()):
        if getattr(finalizer, "_callback", None) is SemLock._cleanup:
            with contextlib.suppress(Exception):
                finalizer()


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now (running tasks are abandoned) and shut it down without waiting for its tasks.

    A worker killed while it sends a result leaves half a message in the pool's result pipe, whose write
    end this process holds too: the pool's manager thread then waits for the rest for ever. So the pool is
    shut down without joining that thread, and the command line ends such a process with ``os._exit``
    once its folder is marked (:func:`sim.cli.entry`), rather than join the thread at exit and hang.
    """
    global _abandoned_pools
    _abandoned_pools += 1
    # No public way before Python 3.14: the pool's processes, and its task queue, whose feeder thread would
    # otherwise wait for ever to hand tasks to workers that are gone.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    queue = getattr(pool, "_call_queue", None)
    if queue is not None:
        with contextlib.suppress(Exception):
            queue.cancel_join_thread()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.terminate()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            process.join(STOP_GRACE_S)
            if process.is_alive():
                process.kill()
                process.join(STOP_GRACE_S)
    with contextlib.suppress(Exception):  # a broken pool may complain; it is being discarded
        pool.shutdown(wait=False, cancel_futures=True)


# ------------------------------------------------------------------ how many workers
def cpu_count() -> int:
    """The CPUs this process may use (its affinity mask where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        with contextlib.suppress(OSError):
            return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def check_workers(value: int, option: str = "--workers") -> int:
    """A worker count from the command line: 1 to four times the CPU count; a warning line above the CPU count.

    Raises:
        InputError: below 1 or above ``MAX_WORKERS_PER_CPU`` times the CPU count.
    """
    cpus = cpu_count()
    most = MAX_WORKERS_PER_CPU * cpus
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(option, f"{value!r} is not a whole number; use a whole number from 1 to {most}")
    if value < 1 or value > most:
        raise InputError(
            option,
            f"{value} is not allowed; use a whole number from 1 to {most} "
            f"({MAX_WORKERS_PER_CPU} times the {cpus} CPU{'s' * (cpus != 1)} of this machine)",
        )
    if value > cpus:
        print(
            f"warning: {option} {value} is more than the {cpus} CPU{'s' * (cpus != 1)} of this machine; "
            "the runs will share them",
            file=sys.stderr,
        )
    return value
