"""``cohesion sweep``: its arguments and the call of :func:`sim.runs.sweep.run_sweep`.

This module imports nothing heavy at its top, so that ``cohesion --help`` does not load the sweep's machinery
(the model, Arrow, the executors); :func:`main` imports it when a sweep runs. Errors end the command through
the one handler of the command line (:func:`sim.cli.command.main`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sim.util.errors import InputError
from sim.util.processes import check_workers, cpu_count

if TYPE_CHECKING:
    from sim.runs.executors import Executor
    from sim.runs.sweep import SweepReport
    from sim.scenarios.experiment import Experiment

# The sweep's largest chunk when none is given (sim.runs.sweep.run.MAX_CHUNK_RUNS), named in the help; a test
# keeps the two equal.
MAX_CHUNK_RUNS = 250

DESCRIPTION = "Run an experiment file: a design of parameter and event settings x replications, resumable."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cohesion sweep``."""
    parser.add_argument("file", metavar="FILE", help="experiment file (YAML), e.g. experiments/drawdown_vs_doubt.yaml")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        default=cpu_count(),
        metavar="N",
        help="local worker processes (default: one per CPU, at most four per CPU; 1 runs in this process); "
        "results do not depend on it",
    )
    where.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--dask-local", type=int, metavar="N", help="start a Dask LocalCluster of N worker processes")
    parser.add_argument(
        "--out", metavar="DIR", help="results folder (default results/<name>); re-running on it resumes the sweep"
    )
    parser.add_argument(
        "--chunk-runs", type=int, metavar="N", help=f"runs per task (default: automatic, at most {MAX_CHUNK_RUNS})"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar or messages, only the final summary")
    parser.add_argument(
        "--uncertainty",
        choices=("posterior", "none"),
        help="posterior: each replication draws a parameter set from the shipped posterior (factors override it); "
        "none: registry defaults (default: from the file, else posterior)",
    )


def _executor(args: argparse.Namespace) -> Executor:
    """The executor the options name: a Dask scheduler, a local Dask cluster, local processes or this process."""
    from sim.runs.executors import DaskExecutor, ProcessExecutor, SerialExecutor

    if args.scheduler:
        return DaskExecutor(address=args.scheduler)
    if args.dask_local is not None:
        return DaskExecutor(local_workers=check_workers(args.dask_local, "--dask-local"))
    workers = check_workers(args.workers, "--workers")
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)


def main(args: argparse.Namespace) -> int:
    """Run the sweep the arguments describe; the exit code: 0 all runs done, 1 a run failed.

    Errors are left to the command's one handler (:func:`sim.cli.command.main`): bad input exits 2 with one
    line; SIGINT and SIGTERM mark the folder ``interrupted`` (exit code 1, with a hint to resume once the
    folder exists); a write that fails (a full disk) marks it ``failed`` with the reason (exit code 1).
    """
    import dataclasses

    from sim.runs.sweep import run_sweep
    from sim.scenarios.experiment import find, load

    log = logging.getLogger("sim.runs.sweep")  # the messages of the sweep's modules, on stderr
    if not logging.getLogger().handlers and not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.WARNING if args.quiet else logging.INFO)
    argv = getattr(args, "argv", None)
    if args.chunk_runs is not None and args.chunk_runs < 1:
        raise InputError("--chunk-runs", f"{args.chunk_runs} is not allowed; use a whole number, 1 or more")
    experiment = load(find(args.file))
    if getattr(args, "uncertainty", None) is not None:
        experiment = dataclasses.replace(experiment, uncertainty=args.uncertainty)
    out = Path(args.out) if args.out else Path("results") / experiment.name
    args.results_folder = out  # named by the command's handler should a write fail
    report = run_sweep(
        experiment,
        out,
        _executor(args),
        chunk_runs=args.chunk_runs,
        progress=not args.quiet and sys.stderr.isatty(),
        command=["cohesion", *argv] if argv is not None else None,
    )
    print(_summary_line(experiment, report))
    return 1 if report.runs_failed else 0


def _summary_line(experiment: Experiment, report: SweepReport) -> str:
    """The line printed at the end: status, runs done of the total, this time's rate, and the folder."""
    points, replications = experiment.n_points, experiment.replications
    shape = f"{points} point{'s' * (points != 1)} x {replications} replication{'s' * (replications != 1)}"
    rate = report.runs_this_time / report.seconds if report.seconds > 0 else 0.0
    line = (
        f"{experiment.name}: {report.status}; {report.runs_done} of {report.runs_total} runs ({shape}), "
        f"{report.runs_this_time} this time in {report.seconds:.1f} s ({rate:.1f} runs/s); "
        f"{report.runs_failed} failed -> {report.path}"
    )
    if report.runs_failed:
        from sim.runs.sweep import FAILURES

        line += f"\n  failures: {report.path / FAILURES}"
    return line
