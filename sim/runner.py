"""One scenario x N replications, on local processes.

Each replication is a separate model with its own seed (see
:func:`sim.scenario.replication_seed`), so replications can run in any order
on any number of workers; results are sorted by replication before they are
returned, which makes them identical whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import pandas as pd

from sim.processes import (
    POLL_S,
    interrupted,
    interrupts_deferred,
    raise_if_interrupted,
    signals_held,
    stop_pool,
    worker_initializer,
)
from sim.scenario import Scenario, replication_seed

RUN_KEYS = ("run", "point", "replication", "seed")


@dataclass(frozen=True)
class RunRecord:
    """The tables of one run, each keyed by ``run``."""

    replication: int
    seed: int
    model: pd.DataFrame
    agents: pd.DataFrame
    events: pd.DataFrame


@dataclass(frozen=True)
class Results:
    """The tables of all runs of a scenario, sorted by run."""

    model: pd.DataFrame
    agents: pd.DataFrame
    events: pd.DataFrame

    @classmethod
    def from_records(cls, records: list[RunRecord]) -> Results:
        records = sorted(records, key=lambda r: r.replication)
        return cls(
            *(
                pd.concat([getattr(r, name) for r in records], ignore_index=True)
                for name in ("model", "agents", "events")
            )
        )


def run_replication(scenario: Scenario, replication: int, point: int = 0) -> RunRecord:
    """Run replication ``k`` of a scenario to its end; top-level so that worker processes can import it."""
    seed = replication_seed(scenario.seed, replication)
    model = scenario.build_model(replication).run()
    run = replication
    frame = model.model_dataframe()
    for position, (name, value) in enumerate(zip(RUN_KEYS, (run, point, replication, seed), strict=True)):
        frame.insert(position, name, value)
    agents = model.agent_dataframe()
    agents.insert(0, "run", run)
    events = model.log_dataframe()
    events.insert(0, "run", run)
    return RunRecord(replication, seed, frame, agents, events)


def _context() -> multiprocessing.context.BaseContext:
    # fork starts a worker in milliseconds and is safe while the parent runs a single thread (Linux);
    # elsewhere spawn, which re-imports the package in each worker (about a second).
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_scenario(
    scenario: Scenario,
    workers: int = 1,
    on_record: Callable[[RunRecord], None] | None = None,
) -> Results:
    """Run every replication of a scenario; ``on_record`` is called as each run finishes (in any order)."""
    replications = range(scenario.replications)
    records: list[RunRecord] = []

    def done(record: RunRecord) -> None:
        records.append(record)
        if on_record is not None:
            on_record(record)

    if workers <= 1 or scenario.replications == 1:
        for k in replications:
            done(run_replication(scenario, k))
        return Results.from_records(records)

    # Ctrl-C and SIGTERM reach the whole process group; the parent alone handles them (sim.processes), so that
    # it can mark the results folder as interrupted, and stops the workers itself.
    executor = ProcessPoolExecutor(
        max_workers=min(workers, scenario.replications), mp_context=_context(), initializer=worker_initializer
    )
    try:
        # The pool is used inside interrupts_deferred: a signal is acted on between calls, never inside the pool's
        # locks and queues, which an exception could leave blocked (a hang on the way out).
        with interrupts_deferred():
            with signals_held():  # the workers are forked at the first submission
                pending: set[Future] = {executor.submit(run_replication, scenario, 0)}
            for k in replications[1:]:
                pending.add(executor.submit(run_replication, scenario, k))
                raise_if_interrupted()
            while pending:
                finished, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
                raise_if_interrupted()
                for future in finished:
                    done(future.result())
    except BrokenProcessPool:
        stop_pool(executor)
        if interrupted():  # the workers died of the signal that is about to interrupt this process
            raise KeyboardInterrupt from None
        raise
    except BaseException:
        stop_pool(executor)
        raise
    executor.shutdown(wait=True)
    return Results.from_records(records)
