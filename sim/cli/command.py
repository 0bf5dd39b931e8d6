"""The ``cohesion`` command: run, validate, list and plot scenarios; sweep, compare and analyze.

Exit codes: 0 success; 2 bad input, with one line on stderr naming the file,
the field and what is allowed (never a traceback); 1 anything else. Each
subcommand is a function ``_NAME(args) -> int`` registered in
:func:`build_parser`, so later ones (``sweep``, ``compare``, ``analyze``)
slot in beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
import traceback
from collections.abc import Sequence
from typing import NoReturn

from sim.about import __version__
from sim.util.errors import LINE_CHARS, InputError, RunFailure, bad_path, out_of_memory, short_path, shorten, shown
from sim.util.processes import (
    Resumable,
    check_workers,
    cpu_count,
    interrupts_as_keyboard_interrupt,
    pools_abandoned,
    unlink_abandoned_semaphores,
)

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: usage problems are bad input (exit 2) like any other."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes the value it refused: a 5,000-digit --seed would fill the screen.
        message = re.sub(r"'([^']{40,})'", lambda m: shown(m.group(1)), " ".join(message.split()))
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
        default=cpu_count(),
        help="local processes (default: one per CPU; at most four per CPU); results do not depend on it",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar; print only the results folder")
    run.add_argument(
        "--uncertainty",
        choices=("posterior", "none"),
        help="posterior: each replication draws a parameter set from the shipped posterior (parameters and chance); "
        "none: registry defaults, chance only (default: from the file, else posterior)",
    )
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
        help="list scenarios, experiments, events, parameters and outcomes",
        description="List packaged scenarios and experiments, event types with their fields, parameters with "
        "defaults and ranges, and the model outcomes with their labels and scales.",
    )
    listing.add_argument(
        "section",
        nargs="?",
        default="all",
        choices=("all", "scenarios", "experiments", "events", "parameters", "outcomes"),
    )
    listing.add_argument("--markdown", action="store_true", help="print Markdown tables (as in the README)")
    listing.set_defaults(handler=_list)

    plot = commands.add_parser(
        "plot",
        help="(re)draw the figures and the report of a results folder",
        description="Redraw figures/ and report.md of a complete results folder.",
    )
    plot.add_argument("folder", metavar="RESULTS_DIR")
    plot.set_defaults(handler=_plot)

    from sim.cli import sweep

    sweeping = commands.add_parser(
        "sweep",
        help="run an experiment file: a design of settings x replications, resumable",
        description=sweep.DESCRIPTION,
    )
    sweep.add_arguments(sweeping)
    sweeping.set_defaults(handler=sweep.main)

    from sim.cli import analysis

    comparing = commands.add_parser("compare", help=analysis.COMPARE_HELP, description=analysis.COMPARE_DESCRIPTION)
    analysis.add_compare_arguments(comparing)
    comparing.set_defaults(handler=analysis.compare_main)
    analyzing = commands.add_parser("analyze", help=analysis.ANALYZE_HELP, description=analysis.ANALYZE_DESCRIPTION)
    analysis.add_analyze_arguments(analyzing)
    analyzing.set_defaults(handler=analysis.analyze_main)

    from sim.cli import dashboard

    serving = commands.add_parser(
        "dashboard",
        help="serve a local page to change scenarios and see bands (optional extra)",
        description=dashboard.DESCRIPTION,
    )
    dashboard.add_arguments(serving)
    serving.set_defaults(handler=dashboard.main)

    from sim.cli import calibrate as calibrate_cli

    calibrating = commands.add_parser(
        "calibrate",
        help="calibrate the influential parameters to the record up to 2024 (needs the [calibrate] extra)",
        description=calibrate_cli.DESCRIPTION,
    )
    calibrate_cli.add_arguments(calibrating)
    calibrating.set_defaults(handler=calibrate_cli.main)
    return parser


def entry() -> int:
    """The ``cohesion`` command and ``python -m sim``: :func:`main`, then the exit.

    A command that had to stop its worker pool on a signal (:func:`sim.util.processes.stop_pool`) has marked
    its folder and printed its last line by the time :func:`main` returns; it ends with ``os._exit``, so
    that the interpreter does not wait at exit for the pool's manager thread, which a worker killed in
    mid-send can leave blocked for ever.
    """
    code = main()
    if pools_abandoned():
        unlink_abandoned_semaphores()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cohesion`` and ``python -m sim``; returns the exit code.

    SIGINT and SIGTERM end any command with exit code 1 (a results folder
    being written is marked ``interrupted``; a sweep's line says how to
    resume it); an operating-system error (a full disk, a folder that cannot
    be written) ends it with one line and exit code 1, naming the results
    folder a command set as ``args.results_folder``. This is the one error
    handler of the command line: subcommands raise, and it decides the line
    and the exit code.
    """
    args: argparse.Namespace | None = None
    with interrupts_as_keyboard_interrupt():
        try:
            argv = list(sys.argv[1:] if argv is None else argv)
            args = build_parser().parse_args(argv)
            args.argv = argv  # the command as typed, for manifests
            return args.handler(args)
        except InputError as error:
            _report(error)
            return EXIT_BAD_INPUT
        except Resumable:  # the folder is marked interrupted, and the same command resumes it (a sweep)
            print("interrupted; run the same command again to resume", file=sys.stderr)
            return EXIT_FAILURE
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return EXIT_FAILURE
        except OSError as error:
            bad = None if args is None else bad_path(args, error)
            if bad is not None:  # a path the user gave cannot be used: bad input
                _report(bad)
                return EXIT_BAD_INPUT
            from sim.runs.folder import describe_os_error

            folder = getattr(args, "results_folder", None)  # the folder a command said it writes (a sweep)
            if folder is not None:
                print(
                    f"error: cannot write the results in {short_path(str(folder))}: {describe_os_error(error)}",
                    file=sys.stderr,
                )
                return EXIT_FAILURE
            out = getattr(args, "out", None)
            within = f" (writing in {short_path(str(out))})" if out and not error.filename else ""
            print(f"error: {describe_os_error(error)}{within}", file=sys.stderr)
            return EXIT_FAILURE
        except MemoryError as error:
            print(out_of_memory(error), file=sys.stderr)
            return EXIT_FAILURE
        except RunFailure as error:  # a failure outside the user's input, not a bug: one line
            print(shorten(f"error: {error}", LINE_CHARS), file=sys.stderr)
            return EXIT_FAILURE
        except RecursionError:  # only input nested beyond every limit gets here
            _report(InputError("input", "nested too deeply to be read; simplify the file"))
            return EXIT_BAD_INPUT
        except Exception:  # a bug, not bad input: show where it happened
            traceback.print_exc()
            return EXIT_FAILURE


def _report(error: InputError) -> None:
    # One line whatever the user wrote: a value echoed in the message may hold line breaks.
    print("error: " + " ".join(error.one_line().split()), file=sys.stderr)


def _finish(folder: object, status: str, reason: str) -> bool:
    """Mark a results folder at the end of a failed or interrupted run; False if its manifest cannot be written."""
    try:
        folder.finish(status, reason)  # type: ignore[attr-defined]
    except OSError:
        return False
    return True


def _run(args: argparse.Namespace) -> int:
    """``cohesion run``: :func:`sim.api.resolve`, a results folder, :func:`sim.api.execute`, then
    :func:`sim.api.write_folder`.

    The folder is made (and locked) before the first run, so that a signal or a full disk leaves it marked.
    """
    from tqdm import tqdm

    from sim import api
    from sim.runs.folder import ResultsFolder, describe_os_error

    try:
        scenario = api.resolve(args.file, replications=args.replications, seed=args.seed, uncertainty=args.uncertainty)
    except InputError as error:
        if error.source is None and error.field in ("replications", "seed", "uncertainty"):
            raise InputError(f"--{error.field}", error.message) from None  # the option the user typed
        raise
    workers = check_workers(args.workers, "--workers")
    _notes(scenario.notes)
    command = ["cohesion", *getattr(args, "argv", ["run", args.file])]
    try:
        folder = ResultsFolder.create(args.out, scenario, command)
    except OSError as error:
        raise InputError(
            "--out", f"cannot make a results folder in '{short_path(args.out)}' ({error.strerror})"
        ) from None
    bar = None
    try:
        # tqdm's monitor thread would make the parent multi-threaded before worker processes fork.
        tqdm.monitor_interval = 0
        bar = tqdm(
            total=scenario.replications, unit="run", desc=scenario.name, disable=args.quiet or not sys.stderr.isatty()
        )
        started = time.perf_counter()

        def runs_done(runs: int) -> None:
            folder.run_done(runs)
            bar.update(runs)

        results = api.execute(scenario, workers, progress=runs_done, manifest=folder.manifest)
        bar.close()
        if not bar.disable:
            print("writing tables, figures and report ...", file=sys.stderr)
        figures = api.write_folder(results, folder)
    except KeyboardInterrupt:
        marked = _finish(folder, "interrupted", "interrupted (Ctrl-C or a termination signal) before the run finished")
        status = "manifest status 'interrupted'" if marked else "its manifest could not be written"
        done = folder.manifest["runs_done"]
        if done >= scenario.replications:  # interrupted while the runs stored beside them were made
            done = f"its {done} runs done, not the runs stored beside them for its figures"
        else:
            done = f"{done} of {scenario.replications} runs"
        print(f"interrupted: {folder.path} is incomplete ({done}; {status})", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as error:
        reason = describe_os_error(error)
        marked = _finish(folder, "failed", f"cannot write the results: {reason}")
        where = "manifest status 'failed'" if marked else "its manifest could not be written either"
        print(f"error: cannot write the results: {reason} ({folder.path}: {where})", file=sys.stderr)
        return EXIT_FAILURE
    except BaseException as error:
        _finish(folder, "failed", f"{type(error).__name__}: {error}")
        raise
    finally:
        if bar is not None:
            bar.close()
        folder.release()
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
    """Whether to check a file as an experiment: a mapping with more keys of an experiment than of a scenario.

    Counting keys (not only ``design``) keeps an experiment file with its ``design`` missing or misspelt
    an experiment, so that its errors are an experiment's. A file that is not valid YAML (or not a mapping)
    is judged by the keys that open its lines, so that a broken experiment is not called a scenario.
    Anything else is checked as a scenario.
    """
    from sim.scenarios import experiment, scenario
    from sim.util import yamlfile

    try:
        content, _ = yamlfile.read(file, file)
    except InputError:
        content = None
    if isinstance(content, dict):
        keys = {key for key in content if isinstance(key, str)}
    else:  # the keys written at the start of its lines, as far as the text shows them
        if not yamlfile.is_file(file):  # a pipe or a device is not read (it may never end)
            return False
        try:
            with open(file, "rb") as handle:
                text = handle.read(yamlfile.MAX_BYTES).decode("utf-8", errors="replace")
        except (OSError, ValueError):
            return False
        keys = set(re.findall(r"^([A-Za-z_]\w*)\s*:", text, flags=re.MULTILINE))
    only_experiment = set(experiment.KEYS) - set(scenario.KEYS)
    only_scenario = set(scenario.KEYS) - set(experiment.KEYS)
    return len(keys & only_experiment) > len(keys & only_scenario) or "design" in keys and not keys & only_scenario


def _notes(notes: Sequence[str]) -> None:
    """Print a scenario's notes and warnings, one line each, on stderr."""
    for note in notes:
        print(" ".join(note.split()), file=sys.stderr)


def _validate(args: argparse.Namespace) -> int:
    from sim.scenarios import experiment
    from sim.scenarios.scenario import load

    status = EXIT_OK
    for file in args.files:
        try:
            if _is_experiment(file):
                spec = experiment.load(file)
                _notes(spec.scenario.notes)
                print(f"ok: {file}: experiment {spec.name} ({spec.design}, {len(spec.factors)} factors)")
                continue
            scenario = load(file)
        except InputError as error:
            _report(error)
            status = EXIT_BAD_INPUT
            continue
        _notes(scenario.notes)
        parents = f", extends {' -> '.join(scenario.extends)}" if scenario.extends else ""
        print(
            f"ok: {file}: {scenario.name} ({scenario.start} to {scenario.end}, {len(scenario.events)} events, "
            f"{scenario.replications} replications, seed {scenario.seed}{parents})"
        )
    return status


def _list(args: argparse.Namespace) -> int:
    from sim.scenarios import catalogue

    print(catalogue.markdown(args.section) if args.markdown else catalogue.text(args.section), end="")
    return EXIT_OK


def _plot(args: argparse.Namespace) -> int:
    """``cohesion plot``: :func:`sim.api.load_results`, then :func:`sim.api.draw_folder` into the same folder."""
    from sim import api
    from sim.runs.folder import FIGURES, REPORT

    results = api.load_results(args.folder)
    figures = api.draw_folder(results, results.path, results.manifest)
    print(f"{len(figures)} figures in {results.path / FIGURES}/ and {results.path / REPORT}")
    return EXIT_OK
