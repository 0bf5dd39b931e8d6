"""Regenerate the golden outputs: model, agents and events tables of every shipped scenario.

Run on purpose only, when a change of the model (not of how it is computed) is
meant to change the numbers::

    python tests/golden/regenerate.py

Each scenario's first ``REPLICATIONS`` replications run over the full horizon;
the three tables are written as ``<scenario>.<table>.parquet`` beside this file
(zstd-compressed; the agents table keeps the state variables, which is what a
change of the engine could alter), with ``<scenario>.summary.md``: a few key
numbers of each table, read back from the files just written, so that a
regeneration can be reviewed by eye in the diff. ``--summaries`` rewrites the
summaries from the stored tables without running the model.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from sim.model import AllianceModel  # noqa: E402
from sim.scenarios import scenario as scenarios  # noqa: E402

REPLICATIONS = 3
TABLES = ("model", "agents", "events")


def shipped() -> dict[str, Path]:
    """Every runnable shipped scenario by name (the prelude is a parent, runnable as well)."""
    return scenarios.packaged_scenarios()


def tables(name: str, replications: int = REPLICATIONS) -> dict[str, pd.DataFrame]:
    """The three tables of the first replications of one scenario, each with a ``run`` column first."""
    scenario = scenarios.load(name).with_overrides(uncertainty="none")  # the registry defaults, chance only
    frames: dict[str, list[pd.DataFrame]] = {table: [] for table in TABLES}
    for k in range(replications):
        model = AllianceModel.from_scenario(scenario, k).run()
        for table, frame in zip(
            TABLES, (model.model_dataframe(), model.agent_dataframe(), model.log_dataframe()), strict=True
        ):
            frame.insert(0, "run", k)
            frames[table].append(frame)
    return {table: pd.concat(parts, ignore_index=True) for table, parts in frames.items()}


# The key numbers of the summaries: December of each year, mean of the runs (model) or of the states and runs (agents).
MODEL_COLUMNS = ("cohesion", "article5_credibility", "us_commitment", "spending_pct_gdp", "allies_at_3_5pct", "blocs")
AGENT_COLUMNS = ("threat", "us_trust", "autonomy", "ukraine_support", "spending_pct_gdp")


def stored(name: str) -> dict[str, pd.DataFrame]:
    """The golden tables of scenario ``name`` as stored beside this file."""
    return {table: pd.read_parquet(HERE / f"{name}.{table}.parquet") for table in TABLES}


def _by_december(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    """A Markdown table: per year, the mean of ``columns`` over the rows of its December (4 decimals)."""
    december = frame[frame["date"].astype(str).str.endswith("-12")]
    means = december.groupby(december["date"].astype(str).str[:4])[list(columns)].mean()
    lines = ["| year | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for year, row in means.iterrows():
        lines.append(f"| {year} | " + " | ".join(f"{row[c]:.4f}" for c in columns) + " |")
    return lines


def summary(name: str, frames: dict[str, pd.DataFrame]) -> str:
    """The readable summary of one scenario's golden tables (Markdown): sizes, yearly means, decision counts."""
    model, agents, events = frames["model"], frames["agents"], frames["events"]
    runs, dates = model["run"].nunique(), model["date"].astype(str)
    lines = [
        f"# Golden outputs of `{name}`",
        "",
        f"Written by `python tests/golden/regenerate.py` from the tables beside this file ({runs} replications,",
        f"{dates.iloc[0]} to {dates.iloc[-1]}); `tests/golden/test_golden.py` checks that it agrees with them.",
        "",
        f"## model: {len(model)} rows ({model['step'].nunique()} months x {runs} runs)",
        "",
        "December of each year, mean of the runs:",
        "",
        *_by_december(model, MODEL_COLUMNS),
        "",
        f"## agents: {len(agents)} rows ({agents['iso3'].nunique()} states)",
        "",
        "December of each year, mean of the states and runs:",
        "",
        *_by_december(agents, AGENT_COLUMNS),
        "",
        f"## events: {len(events)} rows",
        "",
        "Rows by body and outcome, all runs:",
        "",
        "| body | outcome | rows |",
        "|---|---|---|",
    ]
    counts = events.groupby([events["body"].astype(str), events["outcome"].astype(str)]).size()
    lines += [f"| {body} | {outcome} | {count} |" for (body, outcome), count in counts.items()]
    return "\n".join(lines) + "\n"


def write_summary(name: str) -> None:
    """Write ``<name>.summary.md`` from the stored tables."""
    (HERE / f"{name}.summary.md").write_text(summary(name, stored(name)), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    only_summaries = "--summaries" in (sys.argv[1:] if argv is None else argv)
    for name in sorted(shipped()):
        if not only_summaries:
            for table, frame in tables(name).items():
                frame.to_parquet(HERE / f"{name}.{table}.parquet", compression="zstd", index=False)
        write_summary(name)
        print(f"{name}: written")


if __name__ == "__main__":
    main()
