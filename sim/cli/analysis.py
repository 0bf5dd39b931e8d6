"""The ``compare`` and ``analyze`` commands: arguments, and what each does with them.

``sim.cli`` registers them as ``cohesion compare`` and ``cohesion analyze``.
Bad input raises :class:`~sim.util.errors.InputError`,
which the command line prints on one line with exit code 2. This module
imports nothing heavy until a command runs, so that ``cohesion --help``
stays fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path

COMPARE_HELP = "compare scenarios run with the same seeds: paired differences with intervals"
COMPARE_DESCRIPTION = (
    "Compare results folders of 'cohesion run' made with the same seed and months: for each outcome and month, "
    "the mean paired difference (each folder minus the first) with a 90 % bootstrap interval. Writes "
    "differences.csv, table.csv (2030 and 2035), figures and report.md."
)
ANALYZE_HELP = "sensitivity indices, scenario discovery and figures of a sweep"
ANALYZE_DESCRIPTION = (
    "Analyse a sweep folder: Sobol' or Morris indices (sobol and morris designs), the factor ranges that lead "
    "to a bad outcome (scenario discovery), heatmaps (grids) and the outcome against each factor. Writes "
    "sensitivity.csv, boxes.csv, figures and report.md."
)


# ====================================================================== compare
def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folders", nargs="+", metavar="RESULTS_DIR", help="results folders; the first is the reference")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: results/compare-<names>-<timestamp>)")
    parser.add_argument(
        "--outcomes",
        metavar="A,B,...",
        help="model outcomes to compare, separated by commas (default: the headline outcomes)",
    )
    parser.add_argument("--resamples", type=int, default=2000, metavar="N", help="bootstrap resamples (default: 2000)")


def compare_main(args: argparse.Namespace) -> int:
    """``cohesion compare``: :func:`sim.api.compare` of the folders, then :meth:`sim.api.Comparison.save`."""
    from sim import api
    from sim.analysis.compare import default_out

    outcomes = _names(args.outcomes) if args.outcomes is not None else None  # "" is an empty list, refused
    comparison = api.compare(*args.folders, outcomes=outcomes, resamples=args.resamples)
    out = Path(args.out) if args.out else default_out(comparison.labels)
    written = comparison.save(out, command=["cohesion", *getattr(args, "argv", ["compare", *args.folders])])
    pairs = ", ".join(f"{label} ({n} pairs)" for label, n in comparison.pairs.items())
    print(
        f"compared {pairs} with {comparison.labels[0]} -> {out}\n"
        f"  report:  {written['report']}\n"
        f"  table:   {written['table']}\n"
        f"  figures: {out / 'figures'}/ ({len(written['figures'])} PNG)"
    )
    return 0


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


# ====================================================================== analyze
def add_analyze_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", metavar="SWEEP_DIR", help="a folder made by 'cohesion sweep'")
    parser.add_argument(
        "--outcome", help="the outcome to analyse (default: cohesion, or the first the sweep kept without it)"
    )
    parser.add_argument(
        "--date", default="end", help="YYYY-MM, a year (its December) or 'end' (default: the last month)"
    )
    parser.add_argument(
        "--bad",
        metavar="CONDITION",
        help="the bad outcome to discover, e.g. 'cohesion < 0.6' (default: the worst quarter of the runs)",
    )
    parser.add_argument(
        "--method",
        choices=("tree", "prim"),
        default=None,  # None: the decision tree, which the user did not choose (its errors say so)
        help="discovery method: a decision tree (default) or PRIM (needs the 'ema' extra: the EMA Workbench)",
    )
    parser.add_argument("--x", metavar="FACTOR", help="heatmap across (default: the grid's first factor)")
    parser.add_argument("--y", metavar="FACTOR", help="heatmap up (default: the grid's second factor)")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: SWEEP_DIR/analysis)")
    parser.add_argument(
        "--export-ema",
        action="store_true",
        help="also write ema_results.tar.gz, the sweep in the EMA Workbench's form (ema_workbench.load_results)",
    )


def analyze_main(args: argparse.Namespace) -> int:
    """``cohesion analyze``: :func:`sim.analysis.analyze.analyze` of the sweep, then
    :func:`sim.reporting.folders.write_analysis`."""
    from sim.analysis.analyze import analyze
    from sim.reporting.folders import write_analysis

    analysis = analyze(args.folder, args.outcome, args.date, args.bad, args.method, args.x, args.y)
    command = ["cohesion", *getattr(args, "argv", ["analyze", args.folder])]
    result = write_analysis(analysis, args.out, args.export_ema, command=command)
    found = result.discovery
    what = f"{found.method} found {len(found.boxes)} box{'es' * (len(found.boxes) != 1)} for {found.condition}"
    indices = f"{result.sweep.design} indices of {len(result.sensitivity)} outcomes; " if result.sensitivity else ""
    lines = [
        f"{result.sweep.name}: {indices}{what} in {result.date} -> {result.out}",
        f"  report:  {result.report}",
        f"  figures: {result.out / 'figures'}/ ({len(result.figures)} PNG)",
    ]
    if result.ema is not None:
        lines.append(f"  EMA Workbench: {result.ema}")
    print("\n".join(lines))
    return 0
