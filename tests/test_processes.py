"""The command's signal handling in one process: one KeyboardInterrupt, held back where a write must not be cut."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from sim import processes


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

    from sim.processes import unlink_abandoned_semaphores

    lock = multiprocessing.get_context("forkserver").Lock()  # a named semaphore, as under forkserver or spawn
    name = lock._semlock.name
    assert name and (Path("/dev/shm") / f"sem.{name.lstrip('/')}").exists()
    unlink_abandoned_semaphores()
    assert not (Path("/dev/shm") / f"sem.{name.lstrip('/')}").exists()
