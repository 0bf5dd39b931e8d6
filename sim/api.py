"""The Python API for notebooks: load a scenario, run it, look at the tables and figures, save, compare.

```python
import sim
base = sim.Scenario.load("baseline")                  # a packaged name or a path; .with_overrides(...)
res = sim.run(base, replications=40, seed=7)          # Results: .model, .agents, .events DataFrames
fig = res.plot()                                      # a matplotlib Figure (headline); res.plot("states")
res.save("results/baseline-notebook")                 # the results folder of 'cohesion run'
diff = sim.compare(res, sim.run("us_drawdown", replications=40, seed=7))   # paired, with intervals
diff.table, diff.plot()
sw = sim.run_sweep("drawdown_vs_doubt", workers=2)   # SweepResults: .points, .model, .agents, .summary
sw.at("2030")                                         # one row per run: outcomes and factor values
```

The command line (``cohesion run``, ``plot``, ``compare``) is a thin layer
over these functions (``cohesion run`` is :func:`resolve`, a locked results
folder, :func:`execute` and :func:`write_folder`; ``cohesion compare`` is
:func:`compare` and :meth:`Comparison.save`): the same scenario, seed and
replications give the same numbers here and there. :func:`run_sweep` runs
the same sweep as ``cohesion sweep`` (both call :func:`sim.runs.sweep.run_sweep`). Tables are typed for pandas
(:func:`sim.runs.folder.typed`): ``date`` datetime64 (the first day of the month; Arrow ``date32`` in the files),
text columns categoricals with the same categories in every run and sweep (:func:`sim.runs.folder.categories`),
``blockers`` a list of ISO3 codes, a missing vote count null, counts whole numbers.
Illustrative scenario exploration, not a forecast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.runs import replications as runner
from sim.scenarios.scenario import Scenario, load
from sim.util.errors import InputError, short_path, shown
from sim.util.processes import check_workers, raise_if_interrupted

__all__ = [
    "Scenario",
    "Results",
    "Comparison",
    "SweepResults",
    "run",
    "load_results",
    "compare",
    "run_sweep",
    "load_sweep",
    "PLOT_KINDS",
]

PLOT_KINDS = ("headline", "spending", "positions", "decisions", "states")


class Results:
    """The runs of one scenario: tables, figures, and the results folder they make.

    ``model`` has one row per run and month (run, point, replication, seed,
    step, date and every model outcome), ``agents`` one row per run, month and
    state, ``events`` one row per decision, election or applied event
    (``date`` datetime64, text columns categoricals: :func:`sim.runs.folder.typed`).
    ``scenario`` is the resolved scenario as the manifest records it;
    ``path`` the folder the results were read from or saved to (None until
    saved).
    """

    def __init__(
        self,
        tables: runner.Results,
        manifest: dict[str, Any],
        path: Path | None = None,
        scenario: Scenario | None = None,
    ) -> None:
        self._tables = tables
        self.manifest = manifest
        self.path = path
        self._scenario = scenario  # the Scenario that ran (None when read from a folder)

    # ------------------------------------------------------------ tables
    @functools.cached_property
    def model(self) -> pd.DataFrame:
        from sim.runs.folder import typed

        return typed(self._tables.model)

    @functools.cached_property
    def agents(self) -> pd.DataFrame:
        from sim.runs.folder import typed

        return typed(self._tables.agents)

    @functools.cached_property
    def events(self) -> pd.DataFrame:
        from sim.runs.folder import typed

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
        from sim.runs.folder import summarise

        return summarise(self._tables.model)

    def __repr__(self) -> str:
        """A few lines: the scenario, its runs, seed and months, where it is saved, and each table's shape."""
        scenario = self.scenario
        drawn = ", parameters drawn from the posterior" if self.manifest.get("uncertainty") == "posterior" else ""
        runs = self._tables.model["run"]
        numbers = f"runs {runs.min()}-{runs.max()}" if len(runs) else "no runs"
        lines = [
            f"<Results of scenario {self.name}: {self.replications} replications ({numbers}), seed {self.seed}, "
            f"{scenario.get('start')} to {scenario.get('end')}{drawn}>",
            f"  saved in {self.path}" if self.path is not None else "  not saved: .save(folder) writes its folder",
        ]
        for name, rows in (
            ("model", "one per run and month"),
            ("agents", "one per run, month and state"),
            ("events", "one per decision, election and applied event"),
        ):
            lines.append(f"  .{name:<7}{_shape(getattr(self._tables, name))}: {rows}")
        lines.append("  .summary() one row per run; .plot(kind) a figure, kinds: " + ", ".join(PLOT_KINDS))
        return "\n".join(lines)

    # ------------------------------------------------------------ figures
    def plot(self, kind: str = "headline", variable: str = "us_trust") -> Figure:
        """One figure of the results folder as a matplotlib Figure (not saved).

        ``kind`` is one of :data:`PLOT_KINDS`; for ``"states"``, ``variable``
        names the state variable (``threat``, ``us_trust``,
        ``spending_pct_gdp``, ``autonomy``). Raises InputError for another kind
        or variable.
        """
        from sim.reporting.figures import run as plots

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
        figures/ and report.md, exactly as ``cohesion run`` writes them (both go
        through :func:`write_folder`), and is marked complete last. Returns the
        folder. Raises InputError if the folder exists and is not empty, OSError
        if it cannot be written.
        """
        from sim.runs.folder import ResultsFolder

        folder = _folder(folder, "folder")
        if folder.exists() and not folder.is_dir():
            raise InputError("folder", "is a file; give a new folder", short_path(str(folder)))
        if folder.exists() and any(folder.iterdir()):
            raise InputError("folder", "exists and is not empty; give a new folder", short_path(str(folder)))
        written = ResultsFolder.create_at(folder, self.manifest)
        try:
            written.manifest["runs_done"] = self.replications
            write_folder(self, written)
        except BaseException as error:
            with contextlib.suppress(OSError):
                written.finish("failed", f"{type(error).__name__}: {error}")
            raise
        finally:
            written.release()
        self.path = written.path
        return written.path


def write_folder(results: Results, folder: Any, workers: int = 1) -> list[Path]:
    """Fill an open results folder (:class:`sim.runs.folder.ResultsFolder`) with ``results`` and mark it complete.

    Writes the three typed tables (with their checksums in the manifest) and
    summary.csv, then the figures and report.md (:func:`draw_folder`), and
    records status "complete" last. This is what ``cohesion run`` and
    :meth:`Results.save` do after running. Returns the figures written (paths).
    Raises OSError if a file cannot be written (the caller marks the folder).
    """
    folder.write_results(results._tables)
    figures = draw_folder(results, folder.path, folder.manifest, workers)
    raise_if_interrupted()  # a signal Python could not raise in the middle (a garbage collection) is not lost
    folder.finish("complete")
    results.path = folder.path
    return figures


def draw_folder(results: Results, path: Path, manifest: dict[str, Any], workers: int = 1) -> list[Path]:
    """The figures (``path/figures/*.png``) and report.md of a results folder; returns the figures written.

    The baseline run with the same seeds is drawn behind the headline when the scenario extends what the
    baseline extends (:func:`baseline_behind`). When the results were run here from a :class:`Scenario` with
    ``uncertainty: posterior``, the same replications at the registry defaults are run too and the report
    gains the section that sets the band of chance alone beside the full band. ``cohesion plot`` redraws
    with this function: for a folder read back, the scenario recorded in its manifest is run again at the
    defaults (:func:`sim.analysis.chance.add_chance_section`), so the section and its figure come back.
    """
    from sim.reporting.figures.run import Context, draw_all
    from sim.reporting.reports.run import write_report
    from sim.runs.folder import FIGURES, REPORT

    seed, replications = int(manifest["seed"]), results.replications
    reference = baseline_behind(manifest["scenario"], seed, replications, workers)
    context = Context(str(manifest["scenario"]["name"]), seed, replications)
    figures = draw_all(results._tables, context, path / FIGURES, reference)
    write_report(path / REPORT, manifest, results._tables, figures, reference)
    # With posterior draws: the same replications at the defaults, the band of chance alone beside the full
    # band. A folder read back has no Scenario: the manifest's resolved scenario is run again instead.
    from sim.analysis.chance import add_chance_section

    scenario = results._scenario if results._scenario is not None else manifest["scenario"]
    band = add_chance_section(path / REPORT, scenario, results._tables.model, path / FIGURES, workers)
    if band is not None:
        figures.append(band)
    return figures


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


def _shape(frame: pd.DataFrame) -> str:
    """'1,234 rows x 16 columns'."""
    return f"{len(frame):,} rows x {frame.shape[1]} columns"


def _folder(value: Any, field: str) -> Path:
    """``value`` as a folder path; InputError naming ``field`` if it is not text or a path."""
    if not isinstance(value, str | os.PathLike):
        raise InputError(field, f"{shown(value)} is not a folder; give a path as text or a pathlib.Path")
    return Path(value)


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def resolve(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    uncertainty: str | None = None,
) -> Scenario:
    """The scenario :func:`run` runs: loaded if a name or a path, with the given settings overriding the file's.

    Raises InputError for a bad scenario, replications, seed or uncertainty.
    """
    return _scenario(scenario).with_overrides(replications=replications, seed=seed, uncertainty=uncertainty)


def run(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    uncertainty: str | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Results:
    """Run a scenario's replications with the engine and return the :class:`Results` (nothing is written).

    ``scenario`` is a :class:`Scenario`, a packaged name or a path;
    ``replications``, ``seed`` and ``uncertainty`` (``"posterior"``: each
    replication draws a parameter set from the shipped posterior; ``"none"``:
    the defaults) override the file's. Replication ``k`` runs
    with the seed ``cohesion run`` gives it, so the numbers are those of the
    command line whatever ``workers``. ``progress`` is called with the number
    of runs of each chunk as it finishes. Raises InputError for a bad
    scenario, replications, seed or workers.
    """
    resolved = resolve(scenario, replications, seed, uncertainty)
    return execute(resolved, check_workers(workers, "workers"), progress=progress)


def execute(
    scenario: Scenario,
    workers: int = 1,
    *,
    progress: Callable[[int], None] | None = None,
    manifest: dict[str, Any] | None = None,
) -> Results:
    """:func:`run` of a scenario already resolved (:func:`resolve`) on ``workers`` already checked.

    ``cohesion run`` resolves the scenario and checks ``--workers`` before it makes its results folder, then
    runs through this function with the folder's ``manifest`` (by default a new one is made, with the
    command ``sim.run``).
    """
    from sim.runs.folder import new_manifest

    if manifest is None:
        manifest = new_manifest(scenario, ["sim.run", scenario.name])
    tables = runner.run_scenario(
        scenario, workers=workers, on_record=None if progress is None else lambda record: progress(record.runs)
    )
    if manifest.get("runs_done") != scenario.replications:
        manifest["runs_done"] = scenario.replications
    return Results(tables, manifest, scenario=scenario)


def load_results(folder: str | Path) -> Results:
    """Read a complete results folder (of ``cohesion run`` or :meth:`Results.save`) back into :class:`Results`.

    Folders written before the tables were typed are read too. Raises
    InputError naming the folder if it is not a complete, undamaged results folder
    (a sweep folder among them: :func:`load_sweep` reads those).
    """
    import json

    from sim.runs.folder import MANIFEST, ResultsFolder

    folder = _folder(folder, "RESULTS_DIR")
    kind = None
    with contextlib.suppress(OSError, ValueError, AttributeError):  # ResultsFolder.open says what else is wrong
        kind = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8")).get("kind")
    if kind == "sweep":
        raise InputError(
            "RESULTS_DIR",
            "is a sweep folder, not the results of one scenario; read it with 'cohesion analyze' or sim.load_sweep",
            str(folder),
        )
    opened = ResultsFolder.open(folder)
    return Results(opened.read_results(), opened.manifest, opened.path)


SHOWN_ARMS = 10  # the scenarios a Comparison's repr lists one per line; more are counted


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose 'YYYY-MM' ``date`` is datetime64 (the first day of the month), as in run tables."""
    from sim.runs.folder import month_starts

    return frame.assign(date=month_starts(frame["date"]))


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Paired differences of each other scenario against the reference (:mod:`sim.analysis.compare`).

    ``differences`` has one row per scenario, outcome and month: the mean
    paired difference and its 90 % bootstrap interval, and the unpaired
    interval for contrast; ``table`` the rows of December 2030 and 2035;
    ``pairs`` the number of paired replications per scenario; ``labels`` the
    names of the reference and the others, as the figures and files use them.
    """

    result: Any  # sim.analysis.compare.Comparison

    @property
    def differences(self) -> pd.DataFrame:
        return _dated(self.result.differences)

    @property
    def table(self) -> pd.DataFrame:
        return _dated(self.result.table())

    @property
    def pairs(self) -> dict[str, int]:
        return dict(self.result.pairs)

    @property
    def labels(self) -> list[str]:
        return [arm.label for arm in self.result.arms]

    def __repr__(self) -> str:
        """A few lines: the reference and each scenario with its runs and pairs, the outcomes, the tables' shapes."""
        result = self.result
        others = result.others
        months = result.reference.horizon
        lines = [
            f"<Comparison of {len(others)} scenario{'s' if len(others) != 1 else ''} against {result.reference.label}: "
            f"paired differences, {months[0]} to {months[1]}, {round(100 * result.level)} % bootstrap intervals "
            f"({result.resamples:,} resamples)>",
            f"  reference   {result.reference.label}: {result.reference.replications} replications (runs), "
            f"seed {result.reference.seed}",
        ]
        shown_arms = others if len(others) <= SHOWN_ARMS else others[: SHOWN_ARMS - 1]
        for arm in shown_arms:
            lines.append(
                f"  scenario    {arm.label}: {arm.replications} replications (runs), "
                f"{result.pairs.get(arm.label, 0)} paired with the reference"
            )
        if len(shown_arms) < len(others):
            lines.append(f"  ... and {len(others) - len(shown_arms)} more scenarios (.labels names them all)")
        names = list(result.outcomes)
        listed = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        lines += [
            f"  outcomes    {listed}",
            f"  .differences {_shape(result.differences)}: one per scenario, outcome and month",
            f"  .table       {_shape(result.table())}: December 2030 and 2035 (or the last month)",
            "  .pairs, .labels; .plot(kind) a figure (differences, levels); .save(folder)",
        ]
        return "\n".join(lines)

    def plot(self, kind: str = "differences") -> Figure:
        """The paired differences (``"differences"``) or both scenarios' medians (``"levels"``) as a Figure."""
        from sim.reporting.figures import analysis as figures

        draw = {"differences": figures.comparison_differences, "levels": figures.comparison_levels}
        if kind not in draw:
            raise InputError("kind", f"'{kind}' is not a comparison figure; use differences or levels")
        return draw[kind](self.result, None)

    def save(self, folder: str | Path) -> dict[str, Any]:
        """differences.csv, table.csv, figures/ and report.md in ``folder``, as ``cohesion compare`` writes them.

        Returns the paths written: ``{"report": path, "table": path, "figures": [paths], ...}``.
        """
        from sim.analysis.compare import write_comparison

        return write_comparison(self.result, _folder(folder, "folder"))


def compare(
    reference: Results | str | Path,
    *others: Results | str | Path,
    outcomes: Any = None,
    resamples: int | None = None,
    seed: int | None = None,
) -> Comparison:
    """Pair the runs of each of ``others`` with those of ``reference`` (same seeds) and compare them month by month.

    Each may be :class:`Results` or a results folder (only its model table is
    read). ``outcomes`` are model outcomes (default: the headline ones);
    ``resamples`` and ``seed`` those of the bootstrap (defaults 2000 and the
    fixed seed of ``cohesion compare``, which calls this function). Raises
    InputError with fewer than two, too few resamples, an unknown outcome,
    folders that are not complete results of ``cohesion run``, outcomes defined
    differently, or runs that cannot be paired (other seeds, another horizon).
    """
    from sim.analysis import compare as comparing
    from sim.rules.outcomes import HEADLINE_OUTCOMES
    from sim.runs.folder import internal

    resamples = comparing.BOOTSTRAP_RESAMPLES if resamples is None else resamples
    seed = comparing.BOOTSTRAP_SEED if seed is None else seed
    items = tuple(item if isinstance(item, Results) else _folder(item, "RESULTS_DIR") for item in (reference, *others))
    if len(items) < 2:
        raise InputError("RESULTS_DIR", "give two or more results folders: the reference first, then the others")
    if isinstance(resamples, bool) or not isinstance(resamples, int):
        raise InputError("--resamples", f"{shown(resamples)} is not a whole number; use 1000 or more")
    if resamples < 100:
        raise InputError("--resamples", f"{resamples} is too few for a 90 % interval; use 1000 or more")
    if resamples > comparing.MAX_RESAMPLES:
        raise InputError(
            "--resamples",
            f"{resamples} is too many; use a whole number up to {comparing.MAX_RESAMPLES} "
            f"(default {comparing.BOOTSTRAP_RESAMPLES})",
        )
    outcomes = comparing.check_outcomes(HEADLINE_OUTCOMES if outcomes is None else tuple(outcomes))
    comparing.check_outcome_definitions([item for item in items if not isinstance(item, Results)])
    arms = []
    for item in items:
        if not isinstance(item, Results):
            arms.append(comparing.load_arm(item, outcomes))
            continue
        columns = ["run", "replication", "seed", "step", "date", *outcomes]
        model = internal(item._tables.model[columns])
        path = item.path if item.path is not None else Path(item.name)
        arms.append(comparing.Arm(item.name, path, item.manifest, model))
    comparing.check_arm_definitions(arms)
    return Comparison(comparing.compare_arms(arms, outcomes, resamples, seed))


class SweepResults:
    """A finished sweep folder (``cohesion sweep`` or :func:`run_sweep`) as typed tables.

    ``points`` has one row per point (index ``point``, one column per factor,
    in the design's order); ``model`` one row per run and month (run, point,
    replication, seed, step, ``date`` datetime64, the kept outcomes); ``agents``
    one row per run, kept month and state (``iso3`` and ``government``
    categoricals, with the categories of the run tables; empty when the experiment kept none); ``summary`` one row
    per run (factor values, ``final_<outcome>`` (a count's as nullable integers, ``Int64``: a failed run
    has none), ``mean_<outcome>``, ``error``). Each table is read from its own folder of Parquet parts the
    first time it is asked for. ``report`` says what the last :func:`run_sweep`
    did (None for a folder read with :func:`load_sweep`).
    """

    def __init__(self, path: str | Path, report: Any = None) -> None:
        self.path = Path(path)
        self.report = report

    @functools.cached_property
    def _sweep(self) -> Any:
        from sim.analysis.sweeps import open_sweep

        return open_sweep(self.path)

    @property
    def manifest(self) -> dict[str, Any]:
        return self._sweep.manifest

    @property
    def name(self) -> str:
        return self._sweep.name

    @property
    def factors(self) -> list[str]:
        return self._sweep.factor_names

    @property
    def outcomes(self) -> tuple[str, ...]:
        return self._sweep.outcomes

    @property
    def points(self) -> pd.DataFrame:
        return self._sweep.points

    def _table(self, name: str) -> pd.DataFrame:
        from sim.runs.folder import read_parquet_checked, typed, whole_counts

        folder = self.path / name
        if not folder.is_dir():
            return pd.DataFrame()
        table = read_parquet_checked(folder, str(self.path)).sort_values(
            ["run", "step"] if name != "summary" else ["run"], kind="stable", ignore_index=True
        )
        return whole_counts(table) if name == "summary" else typed(table)

    @functools.cached_property
    def model(self) -> pd.DataFrame:
        return self._table("model")

    @functools.cached_property
    def agents(self) -> pd.DataFrame:
        return self._table("agents")

    @functools.cached_property
    def summary(self) -> pd.DataFrame:
        return self._table("summary")

    def at(self, date: str, outcomes: Any = None) -> pd.DataFrame:
        """One row per finished run at ``date`` ('YYYY-MM', a year for its December, or 'end'): run, point,
        replication, the outcomes, then the factor values of the run's point. InputError for another date."""
        sweep = self._sweep
        return sweep.runs_at(sweep.resolve_date(date), outcomes)

    def __repr__(self) -> str:
        manifest = self.manifest
        return (
            f"<SweepResults of {self.name}: {len(self.points)} points x {manifest['experiment']['replications']} "
            f"replications, {manifest.get('runs_failed') or 0} failed, in {self.path}>"
        )


def load_sweep(folder: str | Path) -> SweepResults:
    """Read a finished sweep folder. Raises InputError naming the folder if it is not a finished, undamaged sweep
    (one written by an earlier version, with every table beside the others, is refused: run the sweep again)."""
    results = SweepResults(_folder(folder, "SWEEP_DIR"))
    _ = results._sweep  # checked now, not at the first table
    return results


def run_sweep(
    experiment: Any,
    out: str | Path | None = None,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    dask_local: int | None = None,
    chunk_runs: int | None = None,
    uncertainty: str | None = None,
    progress: bool = False,
) -> SweepResults:
    """Run (or resume) an experiment's sweep into ``out`` and return its :class:`SweepResults`.

    ``experiment`` is a :class:`sim.scenarios.experiment.Experiment`, a packaged name
    (``"drawdown_vs_doubt"``) or a path; ``out`` defaults to
    ``results/<name>`` as for ``cohesion sweep``, and re-running on the same
    folder resumes. ``workers`` local processes (1: in this process), or a
    Dask ``scheduler`` address, or a Dask LocalCluster of ``dask_local``
    workers; the numbers do not depend on which. Raises InputError for a bad
    experiment, worker count or folder; KeyboardInterrupt leaves the folder
    marked interrupted, resumable.
    """
    from sim.runs import sweep as sweeping
    from sim.runs.executors import DaskExecutor, ProcessExecutor, SerialExecutor
    from sim.scenarios import experiment as experiments

    if out is not None:
        out = _folder(out, "out")
    if not isinstance(experiment, str | os.PathLike | experiments.Experiment):
        raise InputError(
            "experiment",
            f"{shown(experiment)} is not an experiment; give a packaged name, a path to an experiment file "
            "or a sim.scenarios.experiment.Experiment",
        )
    if chunk_runs is not None and (isinstance(chunk_runs, bool) or not isinstance(chunk_runs, int) or chunk_runs < 1):
        raise InputError("chunk_runs", f"{chunk_runs} is not allowed; use a whole number, 1 or more")
    spec = experiment
    if not isinstance(spec, experiments.Experiment):
        spec = experiments.load(experiments.find(str(experiment)))
    if uncertainty is not None:
        spec = dataclasses.replace(spec, uncertainty=uncertainty)
    if scheduler is not None:
        executor = DaskExecutor(address=scheduler, field="scheduler")
    elif dask_local is not None:
        executor = DaskExecutor(local_workers=check_workers(dask_local, "dask_local"), field="dask_local")
    else:
        workers = check_workers(workers, "workers")
        executor = SerialExecutor() if workers == 1 else ProcessExecutor(workers)
    folder = Path(out) if out is not None else Path("results") / spec.name
    report = sweeping.run_sweep(
        spec, folder, executor, chunk_runs=chunk_runs, progress=progress, command=["sim.runs.sweep", spec.name]
    )
    return SweepResults(report.path, report)
