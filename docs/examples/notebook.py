"""The notebook workflow as a script: load, change, run, look, save, compare, sweep (README, "In a notebook").

Run it with ``python docs/examples/notebook.py [OUT_DIR] [REPLICATIONS]``; it writes two results
folders, a comparison and a small sweep under OUT_DIR (default: results/notebook-example). Illustrative, not a forecast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

import sim


def main(out: Path, replications: int = 20) -> None:
    base = sim.Scenario.load("baseline").with_overrides(end="2030-12")
    res = sim.run(base, replications=replications, seed=7)
    print(res)
    print(res.model[["run", "date", "cohesion", "article5_credibility"]].tail(3))

    # The same scenario with a US drawdown in 2026 and a wider confidence bound.
    drawdown = base.with_overrides(
        name="baseline_drawdown",
        parameters={"confidence_bound": 0.3},
        add_events=[{"date": "2026-06", "type": "us_troops", "change": -0.5}],
    )
    other = sim.run(drawdown, replications=replications, seed=7)

    figure = res.plot("headline")  # a matplotlib Figure; nothing is written until asked
    out.mkdir(parents=True, exist_ok=True)
    figure.savefig(out / "headline.png")
    res.save(out / "baseline")
    other.save(out / "drawdown")

    again = sim.load_results(out / "baseline")
    assert again.model["cohesion"].equals(res.model["cohesion"])

    diff = sim.compare(again, other)
    print(diff.table[["outcome", "date", "difference", "difference_low", "difference_high"]])
    diff.plot().savefig(out / "differences.png")
    diff.save(out / "comparison")

    # A small sweep: two confidence bounds x the replications, the same seeds at both (common random numbers).
    experiment = out / "bound_sweep.yaml"
    experiment.write_text(
        yaml.safe_dump(
            {
                "name": "bound_sweep",
                "scenario": {"name": "baseline_2030", "extends": "baseline", "end": "2030-12"},
                "design": "grid",
                "replications": replications,
                "seed": 7,
                "common_random_numbers": True,
                "factors": {"confidence_bound": [0.15, 0.3]},
                "outputs": {"model": ["cohesion", "article5_credibility"], "agents": "final"},
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    sweep = sim.run_sweep(experiment, out / "bound_sweep", workers=1)
    print(sweep)
    print(sweep.at("2030").groupby("confidence_bound")["cohesion"].median())  # each table from its own folder
    assert sim.load_sweep(out / "bound_sweep").model["cohesion"].equals(sweep.model["cohesion"])


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/notebook-example"),
        int(sys.argv[2]) if len(sys.argv) > 2 else 20,
    )
