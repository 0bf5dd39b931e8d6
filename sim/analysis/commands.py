"""The ``compare`` and ``analyze`` commands: arguments, and what each does with them.

``sim.cli`` registers them with::

    compare = commands.add_parser("compare", help=COMPARE_HELP, description=COMPARE_DESCRIPTION)
    add_compare_arguments(compare)
    compare.set_defaults(handler=compare_main)

(and the same for ``analyze``). Until then ``python -m sim.analysis
compare|analyze`` runs them. Bad input raises :class:`~sim.errors.InputError`,
which the command line prints on one line with exit code 2. This module
imports nothing heavy until a command runs, so that ``cohesion --help``
stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.errors import InputError

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
    from sim.analysis.compare import compare, default_out, write_comparison
    from sim.metrics import HEADLINE_OUTCOMES

    outcomes = _names(args.outcomes) if args.outcomes else HEADLINE_OUTCOMES
    comparison = compare(args.folders, outcomes, resamples=args.resamples)
    out = Path(args.out) if args.out else default_out([a.label for a in comparison.arms])
    written = write_comparison(comparison, out)
    pairs = ", ".join(f"{label} ({n} pairs)" for label, n in comparison.pairs.items())
    print(
        f"compared {pairs} with {comparison.reference.label} -> {out}\n"
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
    parser.add_argument("--outcome", default="cohesion", help="the outcome to analyse (default: cohesion)")
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
        default="tree",
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


def analyze_sweep(
    folder: str | Path,
    outcome: str = "cohesion",
    date: str | None = "end",
    bad: str | None = None,
    method: str = "tree",
    x: str | None = None,
    y: str | None = None,
    out: str | Path | None = None,
    export_ema: bool = False,
) -> dict[str, Any]:
    """Everything ``analyze`` writes, as a function: returns what was computed and where it went."""
    from sim.analysis import ema, figures, reports
    from sim.analysis.discovery import Condition, discover
    from sim.analysis.sensitivity import METHODS, sweep_sensitivity
    from sim.analysis.sweeps import open_sweep
    from sim.metrics import HEADLINE_OUTCOMES
    from sim.store import write_atomically

    sweep = open_sweep(folder)
    outcome = sweep.check_outcome(outcome)
    month = sweep.resolve_date(date)
    runs = sweep.runs_at(month)
    if runs.empty:
        raise InputError("model.parquet", f"no finished run has a row for {month}", str(sweep.path))
    out = Path(out) if out else sweep.path / "analysis"
    try:
        (out / "figures").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError("--out", f"cannot make the folder '{out}' ({error.strerror})") from None
    context = figures.sweep_context(sweep)
    drawn: list[Path] = []
    result: dict[str, Any] = {"sweep": sweep, "date": month, "outcome": outcome, "out": out}

    # Sensitivity: the chosen outcome first, then every other headline outcome the sweep kept.
    sensitivities = []
    if sweep.design in METHODS:
        others = [o for o in HEADLINE_OUTCOMES if o in sweep.outcomes and o != outcome]
        sensitivities = [sweep_sensitivity(sweep, runs, o, month) for o in (outcome, *others)]
        table = _sensitivity_csv(sensitivities)
        write_atomically(out / "sensitivity.csv", lambda p: table.to_csv(p, index=False, float_format="%.6g"))
        drawn.append(figures.sensitivity_figure(sensitivities[0], context, out / "figures" / f"{sweep.design}.png"))
        if len(sensitivities) > 1:
            drawn.append(figures.overview_figure(sensitivities, context, out / "figures" / "sensitivity_overview.png"))
    result["sensitivity"] = sensitivities

    # Sweep figures.
    names = sweep.factor_names
    if sweep.design == "grid" and len(names) >= 2:
        x_name, y_name = _heatmap_axes(names, x, y)
        pooled = [n for n in names if n not in (x_name, y_name)]
        drawn.append(
            figures.heatmap_figure(
                runs, x_name, y_name, outcome, month, context, out / "figures" / "heatmap.png", pooled
            )
        )
    elif x or y:
        raise InputError("--x", "a heatmap needs a grid design with two or more factors; leave out --x and --y")
    order = sensitivities[0].ranking if sensitivities else names
    note = "; most influential first" if sensitivities else ""
    drawn.append(figures.factor_figure(runs, order, outcome, month, context, out / "figures" / "factors.png", note))

    # Scenario discovery.
    condition = Condition.parse(bad, sweep.outcomes) if bad else Condition.worst_quarter(outcome, runs[outcome])
    found = discover(runs[names], runs[condition.outcome], condition, month, method)
    boxes = found.table()
    write_atomically(out / "boxes.csv", lambda p: boxes.to_csv(p, index=False, float_format="%.6g"))
    drawn.append(
        figures.discovery_figure(
            found, runs[names], runs[condition.outcome], context, out / "figures" / "discovery.png"
        )
    )
    result["discovery"] = found

    if export_ema:
        result["ema"] = ema.export(sweep, out / ema.FILE)
    result["figures"] = drawn
    result["report"] = reports.write_sweep_report(out / "report.md", sweep, result, bad is None)
    return result


def _heatmap_axes(names: Sequence[str], x: str | None, y: str | None) -> tuple[str, str]:
    for option, value in (("--x", x), ("--y", y)):
        if value is not None and value not in names:
            raise InputError(option, f"'{value}' is not a factor of this sweep; use one of {', '.join(names)}")
    x = x or next(n for n in names if n != y)
    y = y or next(n for n in names if n != x)
    if x == y:
        raise InputError("--y", "give two different factors for --x and --y")
    return x, y


def _sensitivity_csv(results: Sequence[Any]) -> Any:
    import pandas as pd

    frames = []
    for r in results:
        frame = r.table.reset_index()
        frame.insert(0, "rank", range(1, len(frame) + 1))
        frame.insert(0, "date", r.date)
        frame.insert(0, "outcome", r.outcome)
        frame.insert(0, "method", r.method)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def analyze_main(args: argparse.Namespace) -> int:
    result = analyze_sweep(
        args.folder, args.outcome, args.date, args.bad, args.method, args.x, args.y, args.out, args.export_ema
    )
    found = result["discovery"]
    what = f"{found.method} found {len(found.boxes)} box{'es' * (len(found.boxes) != 1)} for {found.condition}"
    indices = (
        f"{result['sweep'].design} indices of {len(result['sensitivity'])} outcomes; " if result["sensitivity"] else ""
    )
    lines = [
        f"{result['sweep'].name}: {indices}{what} in {result['date']} -> {result['out']}",
        f"  report:  {result['report']}",
        f"  figures: {result['out'] / 'figures'}/ ({len(result['figures'])} PNG)",
    ]
    if "ema" in result:
        lines.append(f"  EMA Workbench: {result['ema']}")
    print("\n".join(lines))
    return 0


# ====================================================================== python -m sim.analysis
def build_parser() -> argparse.ArgumentParser:
    from sim.cli import _Parser

    parser = _Parser(prog="python -m sim.analysis", description="Compare scenarios and analyse sweeps.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compare = commands.add_parser("compare", help=COMPARE_HELP, description=COMPARE_DESCRIPTION)
    add_compare_arguments(compare)
    compare.set_defaults(handler=compare_main)
    analyze = commands.add_parser("analyze", help=ANALYZE_HELP, description=ANALYZE_DESCRIPTION)
    add_analyze_arguments(analyze)
    analyze.set_defaults(handler=analyze_main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The commands with the exit codes of ``cohesion``: 0 done, 2 bad input (one line), 1 anything else."""
    from sim.cli import EXIT_BAD_INPUT, EXIT_FAILURE, _report

    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        _report(error)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE
