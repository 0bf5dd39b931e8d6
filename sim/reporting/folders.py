"""The output folders of ``cohesion compare`` and ``cohesion analyze``: their tables, figures and report.md.

:mod:`sim.analysis` computes the numbers (:mod:`sim.analysis.compare`, :mod:`sim.analysis.analyze`); this
module writes them, with the figures of :mod:`sim.reporting.figures` and the reports of
:mod:`sim.reporting.reports`. Every file is written atomically.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.runs.manifest import input_entry, output_manifest, write_manifest
from sim.util.errors import InputError, short_path
from sim.util.files import write_atomically

if TYPE_CHECKING:
    from sim.analysis.analyze import SweepAnalysis
    from sim.analysis.compare import Comparison
    from sim.analysis.discovery import Discovery
    from sim.analysis.sensitivity import Sensitivity
    from sim.analysis.sweeps import Sweep

REPORT = "report.md"
FIGURES = "figures"
# A comparison's tables
DIFFERENCES = "differences.csv"
TABLE = "table.csv"
# A sweep analysis's tables
SENSITIVITY = "sensitivity.csv"
BOXES = "boxes.csv"
# Every figure a sweep analysis may draw: one analysis draws some of them, and removes those an earlier one
# left in the same folder.
ANALYSIS_FIGURES = (
    "sobol.png",
    "morris.png",
    "sensitivity_overview.png",
    "heatmap.png",
    "factors.png",
    "discovery.png",
)


def _make(out: Path) -> None:
    """``out/figures``, made with its parents; InputError naming ``--out`` if it cannot be."""
    try:
        (out / FIGURES).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError("--out", f"cannot make the folder '{short_path(str(out))}' ({error.strerror})") from None


# ====================================================================== comparison
def write_comparison(comparison: Comparison, out: str | Path, command: list[str] | None = None) -> dict[str, Any]:
    """differences.csv, table.csv, figures/, report.md and, last, manifest.json of ``comparison`` in ``out``.

    The manifest (:func:`sim.runs.manifest.output_manifest`, ``kind`` "comparison") records the folders compared
    (reference first, each with the sha256 of its manifest), the outcomes, the bootstrap's resamples, seed
    and level, the pairs, and the size and sha256 of differences.csv and table.csv; ``command`` what made it.
    Returns the paths: ``{"folder", "differences", "table", "figures": [paths], "report", "manifest"}``.
    Raises InputError naming ``--out`` if the folder cannot be made, OSError if a file cannot be written.
    """
    from sim.reporting.figures import comparison as figures
    from sim.reporting.reports.comparison import write_comparison_report

    out = Path(out)
    _make(out)
    differences = comparison.differences
    write_atomically(out / DIFFERENCES, lambda p: differences.to_csv(p, index=False, float_format="%.6g"))
    table = comparison.table()
    write_atomically(out / TABLE, lambda p: table.to_csv(p, index=False, float_format="%.6g"))
    drawn = [
        figures.comparison_differences(comparison, out / FIGURES / "differences.png"),
        figures.comparison_levels(comparison, out / FIGURES / "levels.png"),
    ]
    report = write_comparison_report(out / REPORT, comparison, drawn)
    manifest = output_manifest(
        "comparison",
        out,
        [input_entry(arm.path, arm.label) for arm in comparison.arms],
        [DIFFERENCES, TABLE],
        command,
        reference=comparison.reference.label,
        outcomes=list(comparison.outcomes),
        pairs={label: int(n) for label, n in comparison.pairs.items()},
        bootstrap={
            "resamples": int(comparison.resamples),
            "seed": int(comparison.seed),
            "level": float(comparison.level),
        },
        files={"differences": DIFFERENCES, "table": TABLE, "figures": f"{FIGURES}/", "report": REPORT},
    )
    return {
        "folder": out,
        "differences": out / DIFFERENCES,
        "table": out / TABLE,
        "figures": drawn,
        "report": report,
        "manifest": write_manifest(out, manifest),
    }


# ====================================================================== sweep analysis
@dataclasses.dataclass(frozen=True)
class WrittenAnalysis:
    """A sweep analysis (:class:`sim.analysis.analyze.SweepAnalysis`) and the folder it was written to."""

    analysis: SweepAnalysis
    out: Path
    figures: tuple[Path, ...] = ()
    report: Path | None = None
    ema: Path | None = None

    @property
    def sweep(self) -> Sweep:
        return self.analysis.sweep

    @property
    def outcome(self) -> str:
        return self.analysis.outcome

    @property
    def date(self) -> str:
        return self.analysis.date

    @property
    def sensitivity(self) -> tuple[Sensitivity, ...]:
        return self.analysis.sensitivity

    @property
    def discovery(self) -> Discovery:
        return self.analysis.discovery

    @property
    def default_condition(self) -> bool:
        return self.analysis.default_condition


def write_analysis(
    analysis: SweepAnalysis,
    out: str | Path | None = None,
    export_ema: bool = False,
    *,
    command: list[str] | None = None,
) -> WrittenAnalysis:
    """sensitivity.csv (sobol and morris designs), boxes.csv, figures/, report.md and, last, manifest.json of a
    sweep analysis.

    The manifest (:func:`sim.runs.manifest.output_manifest`, ``kind`` "analysis") records the sweep analysed (with
    the sha256 of its manifest), the outcome, month, condition and method, the size and sha256 of each table
    written, and ``command``, what made it (default ``["sim.analyze_sweep", folder]``).

    ``out`` defaults to the sweep's ``analysis/`` folder; ``export_ema`` also writes the sweep in the EMA
    Workbench's form (:func:`sim.analysis.ema.export`). Figures: the first outcome's indices and, with more
    outcomes, their overview; the heatmap of a grid; the outcome against each factor (most influential
    first when there are indices); the discovered boxes. Raises InputError naming ``--out`` if the folder
    cannot be made, OSError if a file cannot be written.
    """
    from sim.analysis import ema
    from sim.reporting.figures import sweep as figures
    from sim.reporting.reports.sweep import write_sweep_report

    sweep, runs, outcome, month = analysis.sweep, analysis.runs, analysis.outcome, analysis.date
    out = Path(out) if out else sweep.path / "analysis"
    _make(out)
    context = figures.sweep_context(sweep)
    drawn: list[Path] = []

    sensitivity = analysis.sensitivity
    if sensitivity:
        table = analysis.sensitivity_table()
        write_atomically(out / SENSITIVITY, lambda p: table.to_csv(p, index=False, float_format="%.6g"))
        drawn.append(figures.sensitivity_figure(sensitivity[0], context, out / FIGURES / f"{sweep.design}.png"))
        if len(sensitivity) > 1:
            drawn.append(figures.overview_figure(sensitivity, context, out / FIGURES / "sensitivity_overview.png"))

    names = sweep.factor_names
    if analysis.heatmap is not None:
        pooled = [n for n in names if n not in analysis.heatmap]
        drawn.append(
            figures.heatmap_figure(
                runs, *analysis.heatmap, outcome, month, context, out / FIGURES / "heatmap.png", pooled
            )
        )
    order = sensitivity[0].ranking if sensitivity else names
    note = "; most influential first" if sensitivity else ""
    drawn.append(figures.factor_figure(runs, order, outcome, month, context, out / FIGURES / "factors.png", note))

    found = analysis.discovery
    boxes = found.table()
    write_atomically(out / BOXES, lambda p: boxes.to_csv(p, index=False, float_format="%.6g"))
    condition = found.condition
    drawn.append(
        figures.discovery_figure(found, runs[names], runs[condition.outcome], context, out / FIGURES / "discovery.png")
    )

    result = WrittenAnalysis(analysis, out, tuple(drawn))
    if export_ema:
        result = dataclasses.replace(result, ema=ema.export(sweep, out / ema.FILE))
    result = dataclasses.replace(result, report=write_sweep_report(out / REPORT, result))
    tables = [name for name in (SENSITIVITY, BOXES) if name == BOXES or sensitivity]
    tables += [ema.FILE] if result.ema is not None else []
    # An earlier analysis into the same folder (another method, no --export-ema) may have left files this one
    # did not write: they would describe another analysis than the report and manifest.
    for name in {SENSITIVITY, ema.FILE} - set(tables):
        (out / name).unlink(missing_ok=True)
    for name in set(ANALYSIS_FIGURES) - {Path(path).name for path in drawn}:
        (out / FIGURES / name).unlink(missing_ok=True)
    manifest = output_manifest(
        "analysis",
        out,
        [input_entry(sweep.path, sweep.name)],
        tables,
        ["sim.analyze_sweep", str(sweep.path)] if command is None else command,
        outcome=outcome,
        date=month,
        condition=str(found.condition),
        default_condition=analysis.default_condition,
        method=found.method,
        design=sweep.design,
        files={"tables": tables, "figures": f"{FIGURES}/", "report": REPORT},
    )
    write_manifest(out, manifest)
    return result
