"""One scenario x N replications, in chunks advanced as batches, on the pool of :mod:`sim.runs.executors`.

Each replication has its own seed (see :func:`sim.scenarios.scenario.replication_seed`)
and its numbers do not depend on the chunk that runs it, so chunks can run in
any order on any number of workers; results are sorted by replication before
they are returned, which makes them identical whatever the number of workers
or the chunk size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine import outputs
from sim.engine.setup import run_batch
from sim.runs.executors import ProcessExecutor, SerialExecutor, chunk_size
from sim.scenarios.scenario import Scenario
from sim.util.processes import raise_if_interrupted

RUN_KEYS = ("run", "point", "replication", "seed")
# Replications go to workers in chunks, each advanced as one batch; a few chunks per worker keep them evenly
# loaded and the progress bar moving. Neither number changes a result.
MAX_CHUNK_RUNS = 100
CHUNKS_PER_WORKER = 4


@dataclass(frozen=True)
class RunRecord:
    """The tables of a chunk of replications (run one after the other), each keyed by ``run``."""

    replications: tuple[int, ...]
    seeds: tuple[int, ...]
    model: pd.DataFrame
    agents: pd.DataFrame
    events: pd.DataFrame

    @property
    def runs(self) -> int:
        return len(self.replications)


@dataclass(frozen=True)
class Results:
    """The tables of all runs of a scenario, sorted by run."""

    model: pd.DataFrame
    agents: pd.DataFrame
    events: pd.DataFrame

    @classmethod
    def from_records(cls, records: list[RunRecord]) -> Results:
        records = sorted(records, key=lambda r: r.replications[0])
        return cls(
            *(
                pd.concat([getattr(r, name) for r in records], ignore_index=True)
                for name in ("model", "agents", "events")
            )
        )


@dataclass(frozen=True)
class Behind:
    """What a run's figures and report set beside it, run once with it (:func:`sim.api.execute`) and stored.

    ``baseline`` holds the tables of the packaged baseline over the scenario's months with the same seeds and
    replications (drawn behind the headline, and its drift in the report), or None when the scenario cannot
    be set against it (the baseline itself, other parents or data). ``chance`` is the model table of the same
    replications at the registry defaults (``uncertainty: none``): the chance-only band beside the full band
    of a run with ``uncertainty: posterior``; None for a run without parameter draws. ``baseline_hash`` is
    the baseline scenario's content hash. Tables in the engine's form, rows sorted by run.
    """

    baseline: Results | None = None
    chance: pd.DataFrame | None = None
    baseline_hash: str | None = None

    def entry(self) -> dict:
        """The manifest's ``behind``: which of the two a results folder stores, and in which tables (null: none)."""
        baseline = chance = None
        if self.baseline is not None:
            baseline = {
                "scenario": "baseline",
                "scenario_hash": self.baseline_hash,
                "what": "the packaged baseline over the same months, with the same seeds and replications",
                "tables": ["baseline_model/", "baseline_agents/", "baseline_events/"],
            }
        if self.chance is not None:
            chance = {
                "uncertainty": "none",
                "what": "the same replications at the registry defaults: the spread of chance alone",
                "tables": ["chance_model/"],
            }
        return {"baseline": baseline, "chance": chance}


def run_replications(scenario: Scenario, replications: tuple[int, ...], point: int = 0) -> RunRecord:
    """Run replications of a scenario as one batch to the end; top-level so that worker processes can import it.

    Each replication's numbers are those it has alone (:mod:`sim.engine`), whatever the chunk.
    """
    specs = [scenario.run_spec(k) for k in replications]
    seeds = tuple(spec.seed for spec in specs)
    batch = run_batch(specs)
    steps, n = batch.n_steps, batch.n_states
    runs = np.asarray(replications, dtype=np.int64)
    keys = dict(zip(RUN_KEYS, (runs, np.full(len(runs), point, dtype=np.int64), runs, np.asarray(seeds)), strict=True))
    model = pd.DataFrame(
        {
            **{name: np.repeat(values.astype(np.int64), steps) for name, values in keys.items()},
            **outputs.model_columns(batch),
        }
    )
    agents = pd.DataFrame({"run": np.repeat(runs, steps * n), **outputs.agent_columns(batch)})
    events_frame = outputs.logs_frame(batch, list(range(len(runs))), {"run": runs})
    return RunRecord(tuple(replications), seeds, model, agents, events_frame)


def run_replication(scenario: Scenario, replication: int, point: int = 0) -> RunRecord:
    """Run replication ``k`` of a scenario alone (a chunk of one)."""
    return run_replications(scenario, (replication,), point)


def chunks_of(replications: int, workers: int, chunk_runs: int | None = None) -> list[tuple[int, ...]]:
    """Replications in chunks: ``chunk_runs`` each, or by default enough chunks to keep ``workers`` busy.

    The chunk size is a tuning knob only: it never changes a number.
    """
    if chunk_runs is None:
        chunk_runs = chunk_size(replications, workers, most=MAX_CHUNK_RUNS, per_worker=CHUNKS_PER_WORKER)
    return [tuple(range(k, min(k + chunk_runs, replications))) for k in range(0, replications, chunk_runs)]


def run_scenario(
    scenario: Scenario,
    workers: int = 1,
    on_record: Callable[[RunRecord], None] | None = None,
    chunk_runs: int | None = None,
    uncertainty: str | None = None,
) -> Results:
    """Run every replication of a scenario in chunks; ``on_record`` is called as each chunk finishes (in any order).

    Each chunk is advanced as one batch; results are sorted by replication, so
    they are identical whatever the number of workers or the chunk size. The
    chunks run on the sweep's pool (:mod:`sim.runs.executors`): in this process
    for one worker or one chunk, else on ``workers`` local processes (at most
    one per chunk), with its handling of Ctrl-C and SIGTERM
    (:mod:`sim.util.processes`). ``uncertainty`` ("posterior" or "none")
    overrides the scenario's own setting; InputError otherwise.
    """
    if uncertainty is not None:
        scenario = scenario.with_overrides(uncertainty=uncertainty)
    chunks = chunks_of(scenario.replications, workers, chunk_runs)
    local = workers <= 1 or len(chunks) == 1
    executor = SerialExecutor() if local else ProcessExecutor(min(workers, len(chunks)), preload=(__name__,))
    records: list[RunRecord] = []
    try:
        executor.start()
        for record in executor.map_unordered(run_replications, scenario, chunks):
            records.append(record)
            if on_record is not None:
                on_record(record)
            raise_if_interrupted()
    except BaseException:
        executor.abort()  # Ctrl-C, SIGTERM or an error: the workers are stopped, running chunks abandoned
        raise
    executor.close()
    return Results.from_records(records)
