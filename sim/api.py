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

from sim.rules.outcomes import STATE_OUTCOMES
from sim.runs import replications as runner
from sim.runs.manifest import MANIFEST, Manifest
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
    saved). ``behind`` is what the figures and report set beside the runs
    (:class:`sim.runs.replications.Behind`: the baseline with the same seeds, the
    chance-only runs), run once with them, or a function that reads it from
    their folder; None when it was not run (``behind=False``) or the folder
    was written before it was stored.
    """

    def __init__(
        self,
        tables: runner.Results,
        manifest: dict[str, Any],
        path: Path | None = None,
        scenario: Scenario | None = None,
        behind: runner.Behind | Callable[[], runner.Behind | None] | None = None,
    ) -> None:
        self._tables = tables
        self.manifest = manifest
        self.path = path
        self._scenario = scenario  # the Scenario that ran (None when read from a folder)
        self._behind_source = behind

    @functools.cached_property
    def _behind(self) -> runner.Behind | None:
        """What figures and report set beside the runs, as run with them; None if it was not (see the class)."""
        source = self._behind_source
        return source() if callable(source) else source

    def _stored_behind(self, parts: tuple[str, ...] = ("baseline", "chance")) -> runner.Behind:
        """:attr:`_behind` for drawing, never by running the model.

        Results without it (read from a folder written before it was stored, or run with ``behind=False``)
        are drawn only if their scenario needs none of ``parts`` ("baseline": the baseline behind it,
        "chance": the chance-only runs); a figure asks only for the parts it draws.

        Raises:
            InputError: naming the folder, when the scenario needs what was not stored: run it again.
        """
        if self._behind is not None:
            return self._behind
        needed = []
        if "baseline" in parts and baseline_scenario(self.scenario, self.seed, self.replications) is not None:
            needed.append("the baseline drawn behind it")
        if "chance" in parts and self.scenario.get("uncertainty") == "posterior":
            needed.append("the runs at the defaults for the chance-only band")
        if not needed:
            return runner.Behind()
        if self.path is None:
            raise InputError(
                "behind", f"these results were run without {' and '.join(needed)}; run them again with behind=True"
            )
        raise InputError(
            "RESULTS_DIR",
            f"was written by an earlier version that did not store {' and '.join(needed)}; "
            "run the scenario again (cohesion run) to draw its figures and report",
            short_path(str(self.path)),
        )

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
    def info(self) -> Manifest:
        """The typed, read-only view of :attr:`manifest` (:class:`sim.runs.manifest.Manifest`)."""
        return Manifest.of(self.manifest, None if self.path is None else self.path / MANIFEST)

    @property
    def scenario(self) -> dict[str, Any]:
        return self.info.scenario

    @property
    def name(self) -> str:
        return self.info.scenario_name

    @property
    def seed(self) -> int:
        return self.info.seed

    @property
    def replications(self) -> int:
        return int(self._tables.model["run"].nunique())

    def summary(self) -> pd.DataFrame:
        """One row per run: its keys, then the final and the mean value of every model outcome."""
        from sim.runs.folder import summarise

        return summarise(self._tables.model)

    def __repr__(self) -> str:
        """A few lines: the scenario, its runs, seed and months, where it is saved, and each table's shape."""
        info = self.info
        drawn = ", parameters drawn from the posterior" if info.uncertainty == "posterior" else ""
        runs = self._tables.model["run"]
        numbers = f"runs {runs.min()}-{runs.max()}" if len(runs) else "no runs"
        lines = [
            f"<Results of scenario {self.name}: {self.replications} replications ({numbers}), seed {self.seed}, "
            f"{info.start} to {info.end}{drawn}>",
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
            if variable not in STATE_OUTCOMES:
                raise InputError("variable", f"'{variable}' has no figure; use one of {', '.join(STATE_OUTCOMES)}")
            return plots.states(self._tables, context, variable)
        if kind == "headline":
            return plots.headline(self._tables, context, reference=self._stored_behind(("baseline",)).baseline)
        return plots.KINDS[kind](self._tables, context)

    # ------------------------------------------------------------ folders
    def save(self, folder: str | Path) -> Path:
        """Write the results folder of the contract into ``folder`` (made; it must not exist or be empty).

        The folder holds manifest.json, the Parquet tables, summary.csv,
        figures/ and report.md, exactly as ``cohesion run`` writes them (both go
        through :func:`write_folder`), and is marked complete last. Returns the
        folder. The model is not run: the baseline behind and the chance-only
        runs are those run with the results. Raises InputError if the folder
        exists and is not empty, or (before anything is written) for results
        read from a folder written before those were stored, when the
        scenario needs them; OSError if it cannot be written.
        """
        from sim.runs.folder import ResultsFolder

        folder = _folder(folder, "folder")
        if folder.exists() and not folder.is_dir():
            raise InputError("folder", "is a file; give a new folder", short_path(str(folder)))
        if folder.exists() and any(folder.iterdir()):
            raise InputError("folder", "exists and is not empty; give a new folder", short_path(str(folder)))
        self._stored_behind()  # refused here, before the folder is made, if it cannot be drawn
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


def write_folder(results: Results, folder: Any) -> list[Path]:
    """Fill an open results folder (:class:`sim.runs.folder.ResultsFolder`) with ``results`` and mark it complete.

    Writes the three typed tables and those stored beside them (the baseline behind, the chance-only runs:
    :class:`sim.runs.replications.Behind`), with their checksums in the manifest, and summary.csv, then the figures and
    report.md (:func:`draw_folder`), and records status "complete" last. This is what ``cohesion run`` and
    :meth:`Results.save` do after running. Returns the figures written (paths). Raises InputError (before
    anything is written) for results that lack the stored runs their scenario needs, OSError if a file cannot
    be written (the caller marks the folder).
    """
    behind = results._stored_behind()
    folder.write_results(results._tables, behind)
    figures = draw_folder(results, folder.path, folder.manifest)
    raise_if_interrupted()  # a signal Python could not raise in the middle (a garbage collection) is not lost
    folder.finish("complete")
    results.path = folder.path
    return figures


def draw_folder(results: Results, path: Path, manifest: dict[str, Any]) -> list[Path]:
    """The figures (``path/figures/*.png``) and report.md of a results folder; returns the figures written.

    Drawn from the tables alone, never by running the model: the baseline with the same seeds behind the
    headline and in the report's drift, and for a run with ``uncertainty: posterior`` the chance-only band
    beside the full band (its figure and the report's last section), come from what was run with the results
    and stored in their folder (:class:`sim.runs.replications.Behind`). ``cohesion plot`` redraws with this function.

    Raises:
        InputError: before anything is written, for results read from a folder written before those tables
            were stored, when the scenario needs them (run the scenario again).
        OSError: a figure or the report cannot be written.
    """
    from sim.reporting.figures.chance import FIGURE, figure
    from sim.reporting.figures.run import Context, draw_all
    from sim.reporting.reports.run import write_report
    from sim.runs.folder import FIGURES, REPORT

    behind = results._stored_behind()
    name, seed = str(manifest["scenario"]["name"]), int(manifest["seed"])
    context = Context(name, seed, results.replications)
    figures = draw_all(results._tables, context, path / FIGURES, behind.baseline)
    write_report(path / REPORT, manifest, results._tables, figures, behind.baseline, chance=behind.chance)
    if behind.chance is not None:
        figures.append(figure(results._tables.model, behind.chance, name, path / FIGURES / FIGURE))
    return figures


def baseline_scenario(scenario: dict[str, Any], seed: int, replications: int) -> Scenario | None:
    """The packaged baseline over the months of ``scenario`` (a manifest's) with ``seed`` and ``replications``.

    None for the baseline itself, for a scenario built on other parents or starting from other data, and
    for a horizon the baseline's own events do not fit in: then the two cannot be read against each other.
    Nothing is run.
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
        return base.with_overrides(
            replications=replications, seed=seed, start=scenario.get("start"), end=scenario.get("end")
        )
    except InputError:  # a horizon the baseline's own events do not fit in
        return None


def run_behind(scenario: Scenario, workers: int = 1) -> runner.Behind:
    """Run what the figures and report set beside ``scenario``'s runs (:class:`sim.runs.replications.Behind`), once.

    The baseline with the same seeds when :func:`baseline_scenario` gives one, and for ``uncertainty:
    posterior`` the same replications at the registry defaults (``uncertainty: none``, same seeds).
    """
    base = baseline_scenario(scenario.to_dict(), scenario.seed, scenario.replications)
    baseline = None if base is None else runner.run_scenario(base, workers=workers)
    chance = None
    if scenario.uncertainty == "posterior":
        chance = runner.run_scenario(scenario.with_overrides(uncertainty="none"), workers=workers).model
    return runner.Behind(baseline, chance, None if base is None else base.content_hash())


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
    behind: bool = True,
) -> Results:
    """Run a scenario's replications with the engine and return the :class:`Results` (nothing is written).

    ``scenario`` is a :class:`Scenario`, a packaged name or a path;
    ``replications``, ``seed`` and ``uncertainty`` (``"posterior"``: each
    replication draws a parameter set from the shipped posterior; ``"none"``:
    the defaults) override the file's. Replication ``k`` runs
    with the seed ``cohesion run`` gives it, so the numbers are those of the
    command line whatever ``workers``. ``progress`` is called with the number
    of runs of each chunk as it finishes. With ``behind`` (the default), what
    the figures and report set beside the runs is run too, once
    (:func:`run_behind`: the baseline with the same seeds, and the runs at
    the defaults of a posterior run), so that drawing and saving never run
    the model; ``behind=False`` skips it (the results are then drawn and
    saved only if their scenario needs neither). Raises InputError for a bad
    scenario, replications, seed or workers.
    """
    resolved = resolve(scenario, replications, seed, uncertainty)
    return execute(resolved, check_workers(workers, "workers"), progress=progress, behind=behind)


def execute(
    scenario: Scenario,
    workers: int = 1,
    *,
    progress: Callable[[int], None] | None = None,
    manifest: dict[str, Any] | None = None,
    behind: bool = True,
) -> Results:
    """:func:`run` of a scenario already resolved (:func:`resolve`) on ``workers`` already checked.

    ``cohesion run`` resolves the scenario and checks ``--workers`` before it makes its results folder, then
    runs through this function with the folder's ``manifest`` (by default a new one is made, with the
    command ``sim.run``). With ``behind``, the runs the figures and report set beside these are made here,
    once (:func:`run_behind`); ``progress`` counts the scenario's own runs.
    """
    from sim.runs.manifest import new_manifest

    if manifest is None:
        manifest = new_manifest(scenario, ["sim.run", scenario.name])
    tables = runner.run_scenario(
        scenario, workers=workers, on_record=None if progress is None else lambda record: progress(record.runs)
    )
    stored = run_behind(scenario, workers) if behind else None
    if manifest.get("runs_done") != scenario.replications:
        manifest["runs_done"] = scenario.replications
    return Results(tables, manifest, scenario=scenario, behind=stored)


def load_results(folder: str | Path) -> Results:
    """Read a complete results folder (of ``cohesion run`` or :meth:`Results.save`) back into :class:`Results`.

    Folders written before the tables were typed, or before each table had its own folder, are read too
    (their numbers; drawing them needs what :func:`run_behind` stores, when their scenario needs it). Raises
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
    if kind in ("comparison", "analysis"):
        raise InputError(
            "RESULTS_DIR",
            f"is the folder of {'a comparison' if kind == 'comparison' else 'a sweep analysis'}, not the results "
            "of one scenario; give a folder made by 'cohesion run'",
            str(folder),
        )
    opened = ResultsFolder.open(folder)
    return Results(opened.read_results(), opened.manifest, opened.path, behind=opened.read_behind)


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
        from sim.reporting.figures import comparison as figures

        draw = {"differences": figures.comparison_differences, "levels": figures.comparison_levels}
        if kind not in draw:
            raise InputError("kind", f"'{kind}' is not a comparison figure; use differences or levels")
        return draw[kind](self.result, None)

    def save(self, folder: str | Path, *, command: list[str] | None = None) -> dict[str, Any]:
        """differences.csv, table.csv, figures/, report.md and manifest.json in ``folder``, as ``cohesion compare``
        writes them; ``command`` is recorded in the manifest (default: ``["sim.compare", labels...]``).

        Returns the paths written: ``{"report": path, "table": path, "figures": [paths], "manifest": path, ...}``.
        """
        from sim.reporting.folders import write_comparison

        command = ["sim.compare", *self.labels] if command is None else command
        return write_comparison(self.result, _folder(folder, "folder"), command)


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
    differently, or runs that cannot be paired (other seeds, another horizon): the checks and the numbers
    are :func:`sim.analysis.compare.compare`'s, to which this function hands the folders and the results.
    """
    from sim.analysis import compare as comparing
    from sim.runs.folder import internal

    def arm(item: Results) -> Any:
        path = item.path if item.path is not None else Path(item.name)
        return comparing.Arm(item.name, path, item.manifest, internal(item._tables.model))

    items = [arm(item) if isinstance(item, Results) else item for item in (reference, *others)]
    return Comparison(comparing.compare(items, outcomes, resamples, seed))


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
    def info(self) -> Manifest:
        """The typed, read-only view of :attr:`manifest` (:class:`sim.runs.manifest.Manifest`)."""
        return self._sweep.info

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
        sweep = self._sweep
        return (
            f"<SweepResults of {self.name}: {len(self.points)} points x {sweep.replications} "
            f"replications, {sweep.runs_failed} failed, in {self.path}>"
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
