"""A sweep's worker side: a chunk of runs in, its tables as Parquet bytes out.

The functions here run in the worker processes (or on a Dask cluster): they are top-level functions of this
module, so that a worker imports them by name (:mod:`sim.runs.executors` preloads it). A chunk's runs are
advanced as one batch (:mod:`sim.engine`); its tables go from the batch's arrays to Arrow in one pass.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.engine import outputs
from sim.engine.setup import RunSpec, check_spec, run_batch
from sim.engine.state import Batch
from sim.model import AllianceModel
from sim.scenarios.experiment import Experiment


@dataclasses.dataclass(frozen=True)
class Chunk:
    """A task: some runs, as (run, point, replication, seed), and the factor values of their points."""

    id: int
    runs: tuple[tuple[int, int, int, int], ...]
    values: dict[int, tuple[Any, ...]]


@dataclasses.dataclass(frozen=True)
class ChunkResult:
    """What a worker sends back: Parquet bytes per table (None when empty) and the runs that failed."""

    id: int
    runs: int
    parts: dict[str, bytes | None]
    failures: list[dict[str, Any]]
    seconds: float


def run_spec(experiment: Experiment, values: tuple[Any, ...], seed: int, replication: int = 0) -> RunSpec:
    """One run: the scenario with the point's factor values, checked (InputError for a bad value).

    With ``uncertainty: posterior`` replication k starts from its posterior draw (the same for every point),
    which the scenario's parameters and then the factors override.
    """
    scenario = experiment.scenario
    parameters, events = dict(scenario.parameters), list(scenario.events)
    if experiment.uncertainty == "posterior":
        from sim.inputs.posterior import draw

        parameters = {**draw(experiment.seed, replication), **parameters}
    for factor, value in zip(experiment.factors, values, strict=True):
        factor.apply(parameters, events, value)
    spec = RunSpec(seed, scenario.start, scenario.end, scenario.initial_year, events, scenario.states, parameters)
    check_spec(spec)  # every check a batch makes, for this run alone
    return spec


def simulate(experiment: Experiment, values: tuple[Any, ...], seed: int, replication: int = 0) -> AllianceModel:
    """One run as a Mesa model, to the end of its horizon (the same numbers as inside any chunk)."""
    spec = run_spec(experiment, values, seed, replication)
    model = AllianceModel(
        spec.seed, spec.start, spec.end, spec.initial_year, spec.events, spec.states, spec.parameters, based_on=None
    )
    return model.run()


def run_chunk(experiment: Experiment, chunk: Chunk) -> ChunkResult:
    """Run every run of a chunk as one batch; a run that raises is recorded with its error and the others go on.

    The chunk's runs advance together (:mod:`sim.engine`); each run's numbers are
    those it has alone, so the chunk size never changes a number. Tables go from
    the batch's arrays to Arrow in one pass for the whole chunk.
    """
    began = time.perf_counter()
    schema = experiment.summary_schema()
    failures: list[dict[str, Any]] = []
    summaries: dict[int, dict[str, Any]] = {}
    good: list[tuple[dict[str, int], RunSpec]] = []
    for run, point, replication, seed in chunk.runs:
        values = chunk.values[point]
        keys = {"run": run, "point": point, "replication": replication, "seed": seed}
        summaries[run] = {**keys, **{f.name: v for f, v in zip(experiment.factors, values, strict=True)}}
        try:
            good.append((keys, run_spec(experiment, values, seed, replication)))
        except Exception as error:  # noqa: BLE001 - any failure of one run is data, not a reason to stop
            failures.append({**keys, "error": _describe(error)})
    batches = _run_batches(good, failures, experiment.agents != "none")
    model_tables, agent_tables = [], []
    for keys, batch in batches:
        model_table, finals, means = _model_table(experiment, batch, keys)
        model_tables.append(model_table)
        for k, final, mean in zip(keys, finals, means.tolist(), strict=True):
            row = summaries[k["run"]]
            row.update(zip((f"final_{o}" for o in experiment.outcomes), final, strict=True))
            row.update(zip((f"mean_{o}" for o in experiment.outcomes), mean, strict=True))
            row["error"] = None
        if experiment.agents != "none":
            agent_tables.append(_agent_table(experiment.agents, batch, keys))
    for failure in failures:
        summaries[failure["run"]]["error"] = failure["error"]
    rows = [summaries[run] for run, *_ in chunk.runs]
    summary = pa.Table.from_pylist([{name: row.get(name) for name in schema.names} for row in rows], schema=schema)
    parts = {
        "model": _parquet_table(pa.concat_tables(model_tables)) if model_tables else None,
        "agents": _parquet_table(pa.concat_tables(agent_tables)) if agent_tables else None,
        "summary": _parquet_table(summary),
    }
    failures.sort(key=lambda f: f["run"])
    return ChunkResult(chunk.id, len(chunk.runs), parts, failures, round(time.perf_counter() - began, 3))


def _run_batches(
    good: list[tuple[dict[str, int], RunSpec]], failures: list[dict[str, Any]], keep_agents: bool
) -> list[tuple[list[dict[str, int]], Batch]]:
    """The checked runs as one batch; should the batch raise, each run alone, so that only the culprit fails."""
    if not good:
        return []
    try:
        return [([keys for keys, _ in good], run_batch([spec for _, spec in good], keep_agents))]
    except Exception:  # noqa: BLE001 - find the run that fails; the others are unaffected by the retry
        batches = []
        for keys, spec in good:
            try:
                batches.append(([keys], run_batch([spec], keep_agents)))
            except Exception as error:  # noqa: BLE001
                failures.append({**keys, "error": _describe(error)})
        return batches


def _key_columns(keys: list[dict[str, int]], names: tuple[str, ...], repeat: int) -> dict[str, pa.Array]:
    return {name: pa.array(np.repeat(np.array([k[name] for k in keys], dtype=np.int64), repeat)) for name in names}


def _model_table(
    experiment: Experiment, batch: Batch, keys: list[dict[str, int]]
) -> tuple[pa.Table, list[list[Any]], np.ndarray]:
    """The model rows of a batch (run keys, step, date, outcomes), each run's final outcomes (a list per run;
    counts stay whole numbers) and its mean outcomes (runs x outcomes)."""
    columns = outputs.model_columns(batch)
    steps = batch.n_steps
    table = {**_key_columns(keys, ("run", "point", "replication", "seed"), steps)}
    table["step"], table["date"] = pa.array(columns["step"]), _date32(columns["date"])
    for name in experiment.outcomes:
        table[name] = pa.array(columns[name])
    values = np.stack([columns[o].astype(np.float64) for o in experiment.outcomes], axis=-1)
    values = values.reshape(len(keys), steps, len(experiment.outcomes))
    last = [columns[o].reshape(len(keys), steps)[:, -1].tolist() for o in experiment.outcomes]
    finals = [list(row) for row in zip(*last, strict=True)] if last else [[] for _ in keys]
    return pa.table(table), finals, values.mean(axis=1)


def _agent_table(which: str, batch: Batch, keys: list[dict[str, int]]) -> pa.Table:
    """Agent rows of a batch: every month, each December (and the last month), or the last month only."""
    last = batch.n_steps - 1
    months = np.arange(batch.n_steps)
    if which == "final":
        months = np.array([last])
    elif which == "yearly":  # each December, and the last month when the run ends mid-year
        months = np.array([k for k in months if (batch.start_month + k) % 12 == 11 or k == last])
    columns = outputs.agent_columns(batch, months=months)
    table = _key_columns(keys, ("run", "point", "replication"), len(months) * batch.n_states)
    for name, values in columns.items():
        if name == "date":
            table[name] = _date32(values)
        elif name in DICTIONARIES:
            table[name] = _dictionary(values, DICTIONARIES[name](batch))
        else:
            table[name] = pa.array(values, type=pa.string()) if values.dtype == object else pa.array(values)
    return pa.table(table)


# The text columns of sweep tables, dictionary-encoded with the same dictionary in every part (the states in the
# order of the data; the two government types), as the run tables are (:func:`sim.runs.folder.typed`).
DICTIONARIES = {
    "iso3": lambda batch: list(batch.data.iso3),
    "government": lambda batch: ["mainstream", "accommodationist"],
}


def _date32(dates: np.ndarray) -> pa.Array:
    """'YYYY-MM' texts as Arrow dates (the first day of the month, ``date32``), as in the run tables."""
    return pa.array(np.asarray(dates, dtype="datetime64[M]").astype("datetime64[D]"), type=pa.date32())


def _dictionary(values: np.ndarray, dictionary: list[str]) -> pa.DictionaryArray:
    """Text values as a dictionary-encoded column over a fixed ``dictionary`` (ValueError for a value outside it)."""
    indices = pd.Categorical(values, categories=dictionary).codes.astype(np.int32)
    if len(indices) and indices.min() < 0:
        raise ValueError(f"a value outside {dictionary}")
    return pa.DictionaryArray.from_arrays(pa.array(indices), pa.array(dictionary, type=pa.string()))


def _describe(error: Exception) -> str:
    """'Type: message (file.py:line)', the line being where it was raised: enough to find it from failures.csv."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def _parquet_table(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _parquet(frame: pd.DataFrame, schema: pa.Schema | None = None) -> bytes:
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()
