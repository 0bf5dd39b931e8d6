"""The ``cohesion`` command: run, validate, list and plot scenarios; sweep, compare and analyze.

Exit codes: 0 success; 2 bad input, with one line on stderr naming the file,
the field and what is allowed (never a traceback); 1 anything else. Each
subcommand is a function ``_NAME(args) -> int`` registered in
:func:`build_parser`, so later ones (``sweep``, ``compare``, ``analyze``)
slot in beside them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from typing import NoReturn

from tqdm import tqdm

from sim import __version__
from sim.errors import InputError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: usage problems are bad input (exit 2) like any other."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cohesion",
        description="Alliance cohesion under transatlantic stress: an agent-based "
        "scenario simulator. Illustrative, not a forecast.",
    )
    parser.add_argument("--version", action="version", version=f"cohesion {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run one scenario and write a results folder with figures and a report",
        description="Run a scenario's replications and write results/<name>-<timestamp>/.",
    )
    run.add_argument("file", metavar="FILE", help="a scenario file, or the name of a packaged scenario")
    run.add_argument("--replications", type=int, metavar="N", help="replications (default: from the file)")
    run.add_argument("--seed", type=int, metavar="S", help="seed (default: from the file)")
    run.add_argument(
        "--out",
        default="results",
        metavar="DIR",
        help="folder under which the results folder is made (default: results)",
    )
    run.add_argument(
        "--workers",
        type=int,
        metavar="N",
        default=os.cpu_count() or 1,
        help="local processes (default: one per CPU); results do not depend on it",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar; print only the results folder")
    run.set_defaults(handler=_run)

    validate = commands.add_parser(
        "validate",
        help="check scenario or experiment files without running them",
        description="Check scenario files (and the parents they extend) and experiment files.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(handler=_validate)

    listing = commands.add_parser(
        "list",
        help="list scenarios, events and parameters",
        description="List packaged scenarios, event types with their fields, and parameters with defaults and ranges.",
    )
    listing.add_argument("section", nargs="?", default="all", choices=("all", "scenarios", "events", "parameters"))
    listing.add_argument("--markdown", action="store_true", help="print Markdown tables (as in the README)")
    listing.set_defaults(handler=_list)

    plot = commands.add_parser(
        "plot",
        help="(re)draw the figures and the report of a results folder",
        description="Redraw figures/ and report.md of a complete results folder.",
    )
    plot.add_argument("folder", metavar="RESULTS_DIR")
    plot.set_defaults(handler=_plot)

    from sim import sweep

    sweeping = commands.add_parser(
        "sweep",
        help="run an experiment file: a design of settings x replications, resumable",
        description=sweep.DESCRIPTION,
    )
    sweep.add_arguments(sweeping)
    sweeping.set_defaults(handler=sweep.main)

    from sim.analysis import commands as analysis

    comparing = commands.add_parser("compare", help=analysis.COMPARE_HELP, description=analysis.COMPARE_DESCRIPTION)
    analysis.add_compare_arguments(comparing)
    comparing.set_defaults(handler=analysis.compare_main)
    analyzing = commands.add_parser("analyze", help=analysis.ANALYZE_HELP, description=analysis.ANALYZE_DESCRIPTION)
    analysis.add_analyze_arguments(analyzing)
    analyzing.set_defaults(handler=analysis.analyze_main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cohesion`` and ``python -m sim``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        _report(error)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception:  # a bug, not bad input: show where it happened
        traceback.print_exc()
        return EXIT_FAILURE


def _report(error: InputError) -> None:
    # One line whatever the user wrote: a value echoed in the message may hold line breaks.
    print("error: " + " ".join(error.one_line().split()), file=sys.stderr)


def _positive(value: int, option: str) -> int:
    if value < 1:
        raise InputError(option, f"{value} is not allowed; use a whole number, 1 or more")
    return value


def _interrupt(signum: int, frame: object) -> NoReturn:
    # A polite kill (SIGTERM) is handled like Ctrl-C: the results folder is marked interrupted.
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    from sim.plots import Context, draw_all
    from sim.report import write_report
    from sim.runner import RunRecord, run_scenario
    from sim.scenario import load
    from sim.store import ResultsFolder

    scenario = load(args.file).with_overrides(replications=args.replications, seed=args.seed)
    workers = _positive(args.workers, "--workers")
    command = ["cohesion", "run", args.file] + [
        f"--{k}={v}" for k in ("replications", "seed", "workers") if (v := getattr(args, k)) is not None
    ]
    try:
        folder = ResultsFolder.create(args.out, scenario, command)
    except OSError as error:
        raise InputError("--out", f"cannot make a results folder in '{args.out}' ({error.strerror})") from None
    # tqdm's monitor thread would make the parent multi-threaded before worker processes fork.
    tqdm.monitor_interval = 0
    bar = tqdm(
        total=scenario.replications, unit="run", desc=scenario.name, disable=args.quiet or not sys.stderr.isatty()
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    started = time.perf_counter()
    try:

        def record_done(record: RunRecord) -> None:
            folder.run_done(record.runs)
            bar.update(record.runs)

        results = run_scenario(scenario, workers=workers, on_record=record_done)
        bar.close()
        if not bar.disable:
            print("writing tables, figures and report ...", file=sys.stderr)
        folder.write_results(results)
        figures = draw_all(results, Context(scenario.name, scenario.seed, scenario.replications), folder.figures)
        write_report(folder.report, folder.manifest, results, figures)
        folder.finish("complete")
    except KeyboardInterrupt:
        folder.finish("interrupted", "interrupted (Ctrl-C or a termination signal) before the run finished")
        print(
            f"interrupted: {folder.path} is incomplete ({folder.manifest['runs_done']} of "
            f"{scenario.replications} runs; manifest status 'interrupted')",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    except BaseException as error:
        folder.finish("failed", f"{type(error).__name__}: {error}")
        raise
    finally:
        bar.close()
        signal.signal(signal.SIGTERM, previous)
    elapsed = time.perf_counter() - started
    if args.quiet:
        print(folder.path)
    else:
        print(
            f"{scenario.name}: {scenario.replications} runs, figures and report in {elapsed:.1f} s -> {folder.path}\n"
            f"  report:  {folder.report}\n"
            f"  figures: {folder.figures}/ ({len(figures)} PNG)"
        )
    return EXIT_OK


def _is_experiment(file: str) -> bool:
    """An experiment file is a mapping with a ``design``; anything else is checked as a scenario."""
    import yaml

    try:
        with open(file, encoding="utf-8") as handle:
            content = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(content, dict) and "design" in content


def _validate(args: argparse.Namespace) -> int:
    from sim import experiment
    from sim.scenario import load

    status = EXIT_OK
    for file in args.files:
        try:
            if _is_experiment(file):
                spec = experiment.load(file)
                print(f"ok: {file}: experiment {spec.name} ({spec.design}, {len(spec.factors)} factors)")
                continue
            scenario = load(file)
        except InputError as error:
            _report(error)
            status = EXIT_BAD_INPUT
            continue
        parents = f", extends {' -> '.join(scenario.extends)}" if scenario.extends else ""
        print(
            f"ok: {file}: {scenario.name} ({scenario.start} to {scenario.end}, {len(scenario.events)} events, "
            f"{scenario.replications} replications, seed {scenario.seed}{parents})"
        )
    return status


def _list(args: argparse.Namespace) -> int:
    from sim import catalogue

    print(catalogue.markdown(args.section) if args.markdown else catalogue.text(args.section), end="")
    return EXIT_OK


def _plot(args: argparse.Namespace) -> int:
    from sim.plots import Context, draw_all
    from sim.report import write_report
    from sim.store import ResultsFolder

    folder = ResultsFolder.open(args.folder)
    results = folder.read_results()
    manifest = folder.manifest
    context = Context(manifest["scenario"]["name"], manifest["seed"], int(results.model["run"].nunique()))
    figures = draw_all(results, context, folder.figures)
    write_report(folder.report, manifest, results, figures)
    print(f"{len(figures)} figures in {folder.figures}/ and {folder.report}")
    return EXIT_OK
