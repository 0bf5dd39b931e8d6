"""From the history arrays of a batch to tables: model outcomes, agent states and the event log.

Columns are built from the (R, T, N) and (R, T) arrays in one pass for all
runs (run after run, month after month); no table is built per run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.state import STATE_VARIABLES, Batch
from sim.rules import outcomes as metrics
from sim.util.calendar import format_month

LOG_COLUMNS = (
    "step",
    "date",
    "body",
    "item",
    "rule",
    "outcome",
    "blockers",
    "yes",
    "no",
    "abstain",
    "min_support",
    "detail",
)


def dates(b: Batch, done: int | None = None) -> np.ndarray:
    """(T,) the months run so far as 'YYYY-MM' strings."""
    done = b.steps if done is None else done
    return np.array([format_month(b.start_month + k) for k in range(done)], dtype=object)


def model_columns(
    b: Batch, rows: np.ndarray | None = None, first: int = 0, done: int | None = None
) -> dict[str, np.ndarray]:
    """Step, date and every model outcome of ``rows`` (all by default) for months ``first`` to ``done - 1``.

    Each column has len(rows) * (done - first) entries, run-major; counts are int64, the rest float64.
    """
    count = b.n_runs if rows is None else len(rows)
    rows = slice(None) if rows is None else np.asarray(rows)  # all rows: views, not copies
    done = b.steps if done is None else done
    t = done - first
    m, n = count * t, b.n_states
    window = slice(first, done)
    history = {name: values[rows, window].reshape(m, n) for name, values in b.history.items()}
    europe = b.europe_history[rows, window].reshape(m, n)
    thresholds = np.repeat(b.p["bloc_distance"][rows], t)
    derived = metrics.history_outcomes(history, europe, b.data.gdp_usd_bn, thresholds, b.elects)
    recorded = b.recorded[rows, window].reshape(m, -1)
    columns: dict[str, np.ndarray] = {
        "step": np.tile(np.arange(first, done, dtype=np.int64), count),
        "date": np.tile(dates(b, done)[first:], count),
    }
    for name in metrics.RECORDED_OUTCOMES:
        derived.setdefault(name, recorded[:, metrics.RECORDED_OUTCOMES.index(name)])
    derived["cohesion"] = metrics.cohesion_composite(derived)
    for name in metrics.MODEL_OUTCOMES:
        values = derived[name]
        columns[name] = values.astype(np.int64) if name in metrics.COUNT_OUTCOMES else values
    return columns


def agent_columns(b: Batch, rows: np.ndarray | None = None, months: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Step, date, iso3 and every state variable of ``rows`` at ``months`` (indexes; all run so far by default).

    Each column has len(rows) * len(months) * N entries: run-major, then month, then state.
    """
    rows = np.arange(b.n_runs) if rows is None else np.asarray(rows)
    months = np.arange(b.steps) if months is None else np.asarray(months)
    n, t = b.n_states, len(months)
    cells = len(rows) * t * n
    columns: dict[str, np.ndarray] = {
        "step": np.tile(np.repeat(months.astype(np.int64), n), len(rows)),
        "date": np.tile(np.repeat(dates(b)[months], n), len(rows)),
        "iso3": np.tile(np.asarray(b.data.iso3, dtype=object), len(rows) * t),
    }
    for name in STATE_VARIABLES:
        columns[name] = b.history[name][rows][:, months].reshape(cells)
    government = b.history["government"][rows][:, months].reshape(cells)
    columns["government"] = np.where(government, "accommodationist", "mainstream").astype(object)
    for name in ("eu_member", "nato_member"):
        columns[name] = b.history[name][rows][:, months].reshape(cells)
    return columns


def log_frame(b: Batch, r: int) -> pd.DataFrame:
    """Every decision, election and applied event of run ``r``: step, date, body, item, rule, outcome, ..."""
    return logs_frame(b, [r])


def logs_frame(b: Batch, rows: list[int], keys: dict[str, list[int]] | None = None) -> pd.DataFrame:
    """The logs of ``rows`` one after the other, in one frame; ``keys`` adds leading columns, one value per row.

    Blockers are named (ISO3 codes joined by ';') here, once for all rows.
    """
    entries = [entry for r in rows for entry in b.logs[r]]
    frame = pd.DataFrame(entries, columns=list(LOG_COLUMNS))
    iso3 = b.data.iso3
    frame["blockers"] = [
        ";".join(code for code, hit in zip(iso3, mask, strict=True) if hit) if mask is not None else ""
        for mask in frame["blockers"]
    ]
    counts = [len(b.logs[r]) for r in rows]
    for position, (name, values) in enumerate((keys or {}).items()):
        frame.insert(position, name, np.repeat(np.asarray(values, dtype=np.int64), counts))
    return frame
