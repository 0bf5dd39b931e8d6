"""The command's signal handling in one process: one KeyboardInterrupt, held back where a write must not be cut."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sim.util import processes


def _signal_self(signum: int) -> None:
    # To the main thread itself, whose handler then runs before the call returns; a signal sent to the process
    # could be taken by another thread of the test session and handled a moment later.
    signal.pthread_kill(threading.main_thread().ident, signum)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_is_one_keyboard_interrupt_and_later_ones_do_not_cut_the_clean_up(signum):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    cleaned = False
    with processes.interrupts_as_keyboard_interrupt():
        assert not processes.interrupted()
        with pytest.raises(KeyboardInterrupt):
            _signal_self(signum)
        assert processes.interrupted()
        _signal_self(signal.SIGTERM)  # a second signal during the clean-up is not raised
        _signal_self(signal.SIGINT)
        cleaned = True
    assert cleaned
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before, "handlers restored"


def test_a_deferred_block_finishes_and_then_raises():
    steps = []
    with processes.interrupts_as_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
        with processes.interrupts_deferred():
            _signal_self(signal.SIGTERM)
            steps.append("after the signal")  # the write goes on
            with processes.interrupts_deferred():  # nested: still held
                steps.append("nested")
            steps.append("end of the block")
        steps.append("never")
    assert steps == ["after the signal", "nested", "end of the block"]


def test_raise_if_interrupted_raises_once_at_a_safe_point():
    with processes.interrupts_as_keyboard_interrupt(), processes.interrupts_deferred():
        processes.raise_if_interrupted()  # nothing received: nothing happens
        _signal_self(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            processes.raise_if_interrupted()
        processes.raise_if_interrupted()  # raised already: the clean-up goes on


def test_outside_a_command_nothing_is_deferred_or_raised():
    assert not processes.interrupted()
    with processes.interrupts_deferred():
        processes.raise_if_interrupted()


def test_signals_held_blocks_and_then_delivers():
    with processes.interrupts_as_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
        with processes.signals_held():
            _signal_self(signal.SIGTERM)
            assert signal.SIGTERM in signal.sigpending()
        pytest.fail("the held signal is delivered when the block ends")


def test_worker_counts(monkeypatch, capsys):
    monkeypatch.setattr(processes, "cpu_count", lambda: 2)
    assert processes.check_workers(2) == 2 and capsys.readouterr().err == ""
    assert processes.check_workers(8) == 8
    assert capsys.readouterr().err.strip() == (
        "warning: --workers 8 is more than the 2 CPUs of this machine; the runs will share them"
    )
    for bad in (0, 9, -1):
        with pytest.raises(processes.InputError, match="use a whole number from 1 to 8"):
            processes.check_workers(bad)


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="named semaphores are files of /dev/shm on Linux")
def test_a_command_that_exits_at_once_unlinks_its_named_semaphores_first():
    """After Ctrl-C, ``cohesion sweep`` ends with os._exit, which skips the finalizers that unlink the pool's
    semaphores: the resource tracker then warned of "leaked semaphore objects" after the last line."""
    import multiprocessing

    from sim.util.processes import unlink_abandoned_semaphores

    lock = multiprocessing.get_context("forkserver").Lock()  # a named semaphore, as under forkserver or spawn
    name = lock._semlock.name
    assert name and (Path("/dev/shm") / f"sem.{name.lstrip('/')}").exists()
    unlink_abandoned_semaphores()
    assert not (Path("/dev/shm") / f"sem.{name.lstrip('/')}").exists()


class _Collected:
    """An object whose garbage collection runs a weak-reference callback that delivers a signal, as a signal
    landing during a collection does."""


def _signal_inside_a_weakref_callback(signum: int) -> None:
    import gc
    import weakref

    thing = _Collected()
    keep = weakref.ref(thing, lambda _ref: _signal_self(signum))
    del thing
    gc.collect()
    assert keep() is None


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_python_swallows_in_a_weakref_callback_is_raised_at_the_next_safe_point(signum, capsys):
    reached = []
    with processes.interrupts_as_keyboard_interrupt(), pytest.raises(KeyboardInterrupt):
        _signal_inside_a_weakref_callback(signum)  # Python cannot raise here: the exception is "ignored"
        reached.append("after the callback")
        processes.raise_if_interrupted()
        reached.append("after the safe point")
    assert reached == ["after the callback"]
    assert "Exception ignored" not in capsys.readouterr().err


def test_a_run_whose_signal_python_swallowed_is_not_marked_complete(tmp_path, monkeypatch, capsys):
    import json

    import yaml

    from sim import api
    from sim.cli import main

    scenario = tmp_path / "short.yaml"
    scenario.write_text(yaml.safe_dump({"name": "short", "end": "2025-02", "replications": 2}))
    draw = api.draw_folder

    def draw_then_collect(*args, **kwargs):
        figures = draw(*args, **kwargs)
        _signal_inside_a_weakref_callback(signal.SIGTERM)
        return figures

    monkeypatch.setattr(api, "draw_folder", draw_then_collect)
    code = main(["run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Exception ignored" not in err
    assert err.strip().startswith("interrupted: ") and len(err.strip().splitlines()) == 1
    (manifest,) = (tmp_path / "out").rglob("manifest.json")
    assert json.loads(manifest.read_text())["status"] == "interrupted"


def _slow_task(context: float, task: int) -> int:
    import time

    time.sleep(context)
    return task


def test_a_pool_stopped_with_tasks_still_queued_fails_no_future_twice(monkeypatch):
    """Tasks the pool has not handed to a worker yet when the command stops it are dropped quietly: the pool's
    thread does not find futures the command cancelled (an InvalidStateError traceback from the thread)."""
    from sim.runs import executors

    errors = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    monkeypatch.setattr(executors, "IN_FLIGHT_PER_WORKER", 8)  # more tasks in flight than the pool's call queue holds
    executor = executors.ProcessExecutor(1)
    executor.start()
    results = executor.map_unordered(_slow_task, 0.3, range(40))
    assert next(results) == 0
    manager = executor._pool._executor_manager_thread  # the pool's own thread, which fails its futures when stopped
    results.close()  # as when a signal stops the sweep between two results
    executor.abort()
    manager.join(10)
    assert not manager.is_alive()
    assert errors == []


_HOLD_THEN_START_A_TRACKER = """
import multiprocessing, signal, sys
from sim.util.processes import {held}

with {held}():
    multiprocessing.get_context("spawn").Semaphore()  # starts multiprocessing's resource tracker, as a pool does
    print(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))
"""


@pytest.mark.parametrize("held", ["ctrl_c_held", "signals_held"])
def test_ctrl_c_stays_held_when_the_block_starts_the_resource_tracker(held):
    """Worker processes started in the block inherit the held Ctrl-C even if the resource tracker starts in it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _HOLD_THEN_START_A_TRACKER.format(held=held)], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "True", "")


def test_a_scenario_runs_on_the_one_pool_and_stops_it_on_an_interrupt(monkeypatch):
    """``run_scenario`` hands its chunks to the sweep's pool (:mod:`sim.runs.executors`): the same numbers as in
    this process, and a Ctrl-C between chunks stops the workers (``abort``) rather than wait for them."""
    import pandas as pd

    from sim.runs import executors, replications
    from sim.scenarios.scenario import from_mapping

    scenario = from_mapping({"name": "short", "end": "2025-06", "replications": 4, "seed": 5}, source="short.yaml")
    calls = []
    real_map, real_abort = executors.ProcessExecutor.map_unordered, executors.ProcessExecutor.abort

    def map_unordered(self, function, context, tasks):
        calls.append(("map", self.workers, function))
        yield from real_map(self, function, context, tasks)

    def abort(self):
        calls.append(("abort", self.workers, None))
        real_abort(self)

    monkeypatch.setattr(executors.ProcessExecutor, "map_unordered", map_unordered)
    monkeypatch.setattr(executors.ProcessExecutor, "abort", abort)
    alone = replications.run_scenario(scenario, workers=1)
    pooled = replications.run_scenario(scenario, workers=2, chunk_runs=1)
    assert calls == [("map", 2, replications.run_replications)]
    for name in ("model", "agents", "events"):
        pd.testing.assert_frame_equal(getattr(alone, name), getattr(pooled, name), check_exact=True, obj=name)

    # The interrupt in a process of its own: a pool stopped at once may leave its manager thread waiting for
    # ever for a result a killed worker was sending (sim.util.processes.stop_pool), which the command line
    # ends with os._exit; in this process it would hold pytest at exit.
    code = """
import os, sys
from sim.runs import executors, replications
from sim.scenarios.scenario import from_mapping

scenario = from_mapping({"name": "short", "end": "2025-06", "replications": 4, "seed": 5}, source="short.yaml")
calls = []
real_map, real_abort = executors.ProcessExecutor.map_unordered, executors.ProcessExecutor.abort

def map_unordered(self, function, context, tasks):
    calls.append("map")
    yield from real_map(self, function, context, tasks)

def abort(self):
    calls.append("abort")
    real_abort(self)

def interrupted(record):
    raise KeyboardInterrupt

executors.ProcessExecutor.map_unordered, executors.ProcessExecutor.abort = map_unordered, abort
try:
    replications.run_scenario(scenario, workers=2, chunk_runs=1, on_record=interrupted)
    calls.append("finished")
except KeyboardInterrupt:
    calls.append("interrupted")
print(" ".join(calls), flush=True)
os._exit(0)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["map", "abort", "interrupted"], done.stdout + done.stderr
