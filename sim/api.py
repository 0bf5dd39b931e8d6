"""The Python API for notebooks: load a scenario, run it, look at the tables and figures, save, compare.

```python
import sim
base = sim.Scenario.load("baseline")                  # a packaged name or a path; .with_overrides(...)
res = sim.run(base, replications=40, seed=7)          # Results: .model, .agents, .events DataFrames
fig = res.plot()                                      # a matplotlib Figure (headline); res.plot("states")
res.save("results/baseline-notebook")                 # the results folder of 'cohesion run'
diff = sim.compare(res, sim.run("us_drawdown", replications=40, seed=7))   # paired, with intervals
diff.table, diff.plot()
```

The command line (``cohesion run``, ``plot``, ``compare``) is a thin layer
over these functions: the same scenario, seed and replications give the
same numbers here and there. Tables are typed as in the results folder
(:func:`sim.store.typed`): ``date`` a date, text columns categoricals,
``blockers`` a list of ISO3 codes, a missing vote count null.
Illustrative scenario exploration, not a forecast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim import runner
from sim.errors import InputError, short_path
from sim.processes import check_workers
from sim.scenario import Scenario, load

__all__ = ["Scenario", "Results", "Comparison", "run", "load_results", "compare", "PLOT_KINDS"]

PLOT_KINDS = ("headline", "spending", "positions", "decisions", "states")


class Results:
    """The runs of one scenario: tables, figures, and the results folder they make.

    ``model`` has one row per run and month (run, point, replication, seed,
    step, date and every model outcome), ``agents`` one row per run, month and
    state, ``events`` one row per decision, election or applied event.
    ``scenario`` is the resolved scenario as the manifest records it;
    ``path`` the folder the results were read from or saved to (None until
    saved).
    """

    def __init__(self, tables: runner.Results, manifest: dict[str, Any], path: Path | None = None) -> None:
        self._tables = tables
        self.manifest = manifest
        self.path = path

    # ------------------------------------------------------------ tables
    @functools.cached_property
    def model(self) -> pd.DataFrame:
        from sim.store import typed

        return typed(self._tables.model)

    @functools.cached_property
    def agents(self) -> pd.DataFrame:
        from sim.store import typed

        return typed(self._tables.agents)

    @functools.cached_property
    def events(self) -> pd.DataFrame:
        from sim.store import typed

        return typed(self._tables.events)

    @property
    def scenario(self) -> dict[str, Any]:
        return self.manifest["scenario"]

    @property
    def name(self) -> str:
        return str(self.scenario["name"])

    @property
    def seed(self) -> int:
        return int(self.manifest["seed"])

    @property
    def replications(self) -> int:
        return int(self._tables.model["run"].nunique())

    def summary(self) -> pd.DataFrame:
        """One row per run: its keys, then the final and the mean value of every model outcome."""
        from sim.store import summarise

        return summarise(self._tables.model)

    def __repr__(self) -> str:
        where = f", saved in {self.path}" if self.path is not None else ""
        return f"<Results of {self.name}: {self.replications} replications, seed {self.seed}{where}>"

    # ------------------------------------------------------------ figures
    def plot(self, kind: str = "headline", variable: str = "us_trust") -> Figure:
        """One figure of the results folder as a matplotlib Figure (not saved).

        ``kind`` is one of :data:`PLOT_KINDS`; for ``"states"``, ``variable``
        names the state variable (``threat``, ``us_trust``,
        ``spending_pct_gdp``, ``autonomy``). Raises InputError for another kind
        or variable.
        """
        from sim import plots

        if kind not in plots.KINDS:
            raise InputError("kind", f"'{kind}' is not a figure; use one of {', '.join(plots.KINDS)}")
        context = plots.Context(self.name, self.seed, self.replications)
        if kind == "states":
            if variable not in plots.STATE_LABELS:
                raise InputError("variable", f"'{variable}' has no figure; use one of {', '.join(plots.STATE_LABELS)}")
            return plots.states(self._tables, context, variable)
        if kind == "headline":
            return plots.headline(
                self._tables, context, reference=baseline_behind(self.scenario, self.seed, self.replications)
            )
        return plots.KINDS[kind](self._tables, context)

    # ------------------------------------------------------------ folders
    def save(self, folder: str | Path) -> Path:
        """Write the results folder of the contract into ``folder`` (made; it must not exist or be empty).

        The folder holds manifest.json, the three Parquet tables, summary.csv,
        figures/ and report.md, exactly as ``cohesion run`` writes them, and is
        marked complete last. Returns the folder. Raises InputError if the
        folder exists and is not empty, OSError if it cannot be written.
        """
        from sim.plots import Context, draw_all
        from sim.report import write_report
        from sim.store import ResultsFolder

        folder = Path(folder)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise InputError("folder", "exists and is not empty; give a new folder", short_path(str(folder)))
        written = ResultsFolder.create_at(folder, self.manifest)
        try:
            written.manifest["runs_done"] = self.replications
            written.write_results(self._tables)
            reference = baseline_behind(self.scenario, self.seed, self.replications)
            context = Context(self.name, self.seed, self.replications)
            figures = draw_all(self._tables, context, written.figures, reference)
            write_report(written.report, written.manifest, self._tables, figures, reference)
            from sim.uncertainty_bands import add_chance_section

            add_chance_section(written.report, self.scenario, self._tables.model, written.figures)
            written.finish("complete")
        except BaseException as error:
            with contextlib.suppress(OSError):
                written.finish("failed", f"{type(error).__name__}: {error}")
            raise
        finally:
            written.release()
        self.path = written.path
        return written.path


def baseline_behind(scenario: dict[str, Any], seed: int, replications: int, workers: int = 1) -> runner.Results | None:
    """The packaged baseline run with the same seeds, when ``scenario`` (a manifest's) extends what it extends.

    The baseline runs over the scenario's months. None for the baseline itself, for a scenario built on
    other parents or starting from other data: then the two cannot be read against each other.
    """
    base = load("baseline")
    chain = list(scenario.get("extends") or [])
    if (
        scenario.get("name") == base.name
        or chain[: len(base.extends)] != list(base.extends)
        or scenario.get("initial_year") != base.initial_year
    ):
        return None
    try:
        base = base.with_overrides(
            replications=replications, seed=seed, start=scenario.get("start"), end=scenario.get("end")
        )
    except InputError:  # a horizon the baseline's own events do not fit in
        return None
    return runner.run_scenario(base, workers=workers)


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def run(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    uncertainty: str | None = None,
) -> Results:
    """Run a scenario's replications with the engine and return the :class:`Results` (nothing is written).

    ``scenario`` is a :class:`Scenario`, a packaged name or a path;
    ``replications``, ``seed`` and ``uncertainty`` (``"posterior"``: each
    replication draws a parameter set from the shipped posterior; ``"none"``:
    the defaults) override the file's. Replication ``k`` runs
    with the seed ``cohesion run`` gives it, so the numbers are those of the
    command line whatever ``workers``. Raises InputError for a bad scenario,
    replications, seed or workers.
    """
    from sim.store import new_manifest

    resolved = _scenario(scenario).with_overrides(replications=replications, seed=seed, uncertainty=uncertainty)
    workers = check_workers(workers, "workers")
    tables = runner.run_scenario(resolved, workers=workers)
    manifest = new_manifest(resolved, ["sim.run", resolved.name])
    manifest["runs_done"] = resolved.replications
    return Results(tables, manifest)


def load_results(folder: str | Path) -> Results:
    """Read a complete results folder (of ``cohesion run`` or :meth:`Results.save`) back into :class:`Results`.

    Folders written before the tables were typed are read too. Raises
    InputError naming the folder if it is not a complete, undamaged results folder.
    """
    from sim.store import ResultsFolder

    opened = ResultsFolder.open(folder)
    return Results(opened.read_results(), opened.manifest, opened.path)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Paired differences of ``other`` against ``reference`` (:mod:`sim.analysis.compare`).

    ``differences`` has one row per outcome and month: the mean paired
    difference and its 90 % bootstrap interval, and the unpaired interval
    for contrast; ``table`` the rows of December 2030 and 2035.
    """

    result: Any  # sim.analysis.compare.Comparison

    @property
    def differences(self) -> pd.DataFrame:
        return self.result.differences

    @property
    def table(self) -> pd.DataFrame:
        return self.result.table()

    @property
    def pairs(self) -> dict[str, int]:
        return dict(self.result.pairs)

    def plot(self, kind: str = "differences") -> Figure:
        """The paired differences (``"differences"``) or both scenarios' medians (``"levels"``) as a Figure."""
        from sim.analysis import figures

        draw = {"differences": figures.comparison_differences, "levels": figures.comparison_levels}
        if kind not in draw:
            raise InputError("kind", f"'{kind}' is not a comparison figure; use differences or levels")
        return draw[kind](self.result, None)

    def save(self, folder: str | Path) -> dict[str, Any]:
        """differences.csv, table.csv, figures/ and report.md in ``folder``, as ``cohesion compare`` writes them."""
        from sim.analysis.compare import write_comparison

        return write_comparison(self.result, folder)


def compare(reference: Results | str | Path, other: Results | str | Path, outcomes: Any = None) -> Comparison:
    """Pair the runs of ``other`` with those of ``reference`` (same seeds) and compare them month by month.

    Either may be :class:`Results` or a results folder. Raises InputError when
    the runs cannot be paired (other seeds, another horizon).
    """
    from sim.analysis import compare as comparing
    from sim.metrics import HEADLINE_OUTCOMES
    from sim.store import internal

    outcomes = comparing.check_outcomes(HEADLINE_OUTCOMES if outcomes is None else tuple(outcomes))
    arms = []
    for item in (reference, other):
        results = item if isinstance(item, Results) else load_results(item)
        columns = ["run", "replication", "seed", "step", "date", *outcomes]
        model = internal(results._tables.model[columns])
        path = results.path if results.path is not None else Path(results.name)
        arms.append(comparing.Arm(results.name, path, results.manifest, model))
    return Comparison(comparing.compare_arms(arms, outcomes))
