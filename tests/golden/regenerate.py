"""Regenerate the golden outputs: model, agents and events tables of every shipped scenario.

Run on purpose only, when a change of the model (not of how it is computed) is
meant to change the numbers::

    python tests/golden/regenerate.py

Each scenario's first ``REPLICATIONS`` replications run over the full horizon;
the three tables are written as ``<scenario>.<table>.parquet`` beside this file
(zstd-compressed; the agents table keeps the state variables, which is what a
change of the engine could alter).
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


def main() -> None:
    for name in sorted(shipped()):
        for table, frame in tables(name).items():
            frame.to_parquet(HERE / f"{name}.{table}.parquet", compression="zstd", index=False)
        print(f"{name}: written")


if __name__ == "__main__":
    main()
