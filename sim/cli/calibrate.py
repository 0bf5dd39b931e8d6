"""``cohesion calibrate``: Morris screening, then ABC-SMC (pyabc), into a folder with a report.

The folder holds ``posterior.csv`` (particles with weights), ``screening.csv``,
``report.md`` (targets, marginals, predictive checks, what the data cannot
identify), ``figures/`` (marginals and pair plots, predictive checks) and
``provenance.json``. ``--ship`` also copies the posterior into the package data.

``calibration.json`` records the calibration's seed, size and status and the stages done; pyabc's
database ``abc.db`` (with ``abc_random_states.json``) holds the finished generations until the calibration
completes. An interrupted calibration keeps them: ``--resume FOLDER``, or the same command again,
continues it where it stopped.

This module parses the arguments and runs the stages; the figures are drawn by
:mod:`sim.reporting.figures.calibration` and report.md written by :mod:`sim.reporting.reports.calibration`.
It imports nothing heavy until the command runs, so that ``cohesion --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.util import files
from sim.util.errors import InputError, short_path
from sim.util.locks import FolderLock, holder, identity
from sim.util.processes import interrupts_deferred, raise_if_interrupted

if TYPE_CHECKING:
    from sim.analysis import calibration as cal

DESCRIPTION = (
    "Calibrate the influential parameters to the record up to 2024: Morris screening (SALib) on the calibration "
    "targets, then ABC-SMC (pyabc, optional extra [calibrate]) with uniform priors over the registry ranges. "
    "Writes <out>/calibration-<timestamp>/ with the weighted posterior, a report and figures. An interrupted "
    "calibration keeps its folder; --resume FOLDER (or the same command) continues it."
)


PREDICTIVE_DRAWS = 200
DEFAULT_SEED = 20240101
# The calibration's own record in its folder: settings, status, and the stages done (screening, scales).
STATE = "calibration.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, metavar="S", help=f"seed (default {DEFAULT_SEED})")
    parser.add_argument("--quick", action="store_true", help="small screening and sampler (about a minute)")
    parser.add_argument("--out", default="results", metavar="DIR", help="folder for the calibration folder")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=1, metavar="N", help="local processes (default 1)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler")
    where.add_argument("--dask-local", type=int, metavar="N", help="start a local Dask cluster of N workers")
    parser.add_argument("--quiet", action="store_true", help="no progress; print only the folder")
    parser.add_argument("--ship", action="store_true", help="also write the posterior into the package data")
    parser.add_argument("--particles", type=int, metavar="N", help="particles per generation (default 400; quick 60)")
    parser.add_argument("--generations", type=int, metavar="N", help="ABC-SMC generations (default 10; quick 6)")
    parser.add_argument(
        "--max-simulations",
        type=int,
        metavar="N",
        help="end after the generation whose evaluations bring the total to N (default: no limit)",
    )
    parser.add_argument(
        "--resume",
        metavar="FOLDER",
        help="continue an interrupted calibration from its folder (running the same command again also resumes it)",
    )


def _check(args: argparse.Namespace) -> None:
    if args.seed is not None and not 0 <= args.seed <= 2**63 - 1:
        raise InputError("--seed", f"{args.seed} is not allowed; use a whole number from 0 to {2**63 - 1}")
    if not 1 <= args.workers <= 256:
        raise InputError("--workers", f"{args.workers} is not allowed; use a whole number from 1 to 256")
    for option, value, most in (
        ("--particles", args.particles, 100_000),
        ("--generations", args.generations, 100_000),
        ("--max-simulations", args.max_simulations, 10**9),
    ):
        if value is not None and not 1 <= value <= most:
            raise InputError(option, f"{value} is not allowed; use a whole number from 1 to {most}")
    if args.dask_local is not None and not 1 <= args.dask_local <= 256:
        raise InputError("--dask-local", f"{args.dask_local} is not allowed; use a whole number from 1 to 256")


# The packages a calibration also depends on, beyond those every folder records.
CALIBRATION_PACKAGES = ("pyabc", "SALib", "numba")


def _settings(args: argparse.Namespace) -> cal.Settings:
    """The calibration's size: quick or full, with the options that change it; InputError if too small to report."""
    from sim.analysis import calibration as cal

    settings = cal.QUICK if args.quick else cal.FULL
    for name in ("particles", "generations", "max_simulations"):
        if getattr(args, name) is not None:
            settings = dataclasses.replace(settings, **{name: getattr(args, name)})
    if settings.particles < cal.MIN_PARTICLES:
        raise InputError(
            "--particles",
            f"{settings.particles} is too few for the report's 90 % intervals; use at least {cal.MIN_PARTICLES} "
            "(two particles in each 5 % tail, so that neither end of an interval rests on one particle)",
        )
    return settings


def _save(folder: Path, state: dict[str, Any]) -> None:
    text = json.dumps(state, indent=2) + "\n"
    with interrupts_deferred():
        files.write_text(folder / STATE, text)


def _read_state(folder: Path, option: str = "--resume") -> dict[str, Any]:
    """The calibration.json of ``folder``; InputError naming the folder if it holds no calibration."""
    from sim.analysis import calibration as cal

    source = str(folder)
    if not folder.is_dir():
        raise InputError(option, "is not a folder; give a folder made by cohesion calibrate", source)
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(option, f"holds no {STATE}; give a folder made by cohesion calibrate", source) from None
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise InputError(option, f"its {STATE} cannot be read ({type(error).__name__})", source) from None
    if not isinstance(state, dict) or state.get("kind") != "calibration":
        raise InputError(option, f"its {STATE} does not describe a calibration", source)
    try:
        cal.Settings(**state["settings"])
        if not isinstance(state["seed"], int) or state["mode"] not in ("quick", "full"):
            raise TypeError
    except (KeyError, TypeError):
        raise InputError(
            option, f"its {STATE} lacks the seed, mode or settings; start a new calibration", source
        ) from None
    return state


def _claim(folder: Path, state: dict[str, Any], option: str) -> FolderLock:
    """The lock of an unfinished calibration's folder; InputError if it is complete or another process holds it."""
    if state.get("status") == "complete":
        raise InputError(option, "holds a complete calibration; nothing to resume", str(folder))
    try:
        lock = FolderLock.acquire(folder)
    except OSError as error:
        raise InputError(option, f"cannot be written ({error.strerror or error})", str(folder)) from None
    if lock is None:
        raise InputError(
            option, f"still running, {holder(state)}: another calibration is writing this folder", str(folder)
        )
    return lock


def _resumed(args: argparse.Namespace, say: Callable[..., None]) -> tuple[Path, dict[str, Any], FolderLock] | None:
    """The unfinished calibration to continue: ``--resume FOLDER``, else one in ``--out`` of the same command.

    With ``--resume`` the seed and size come from the folder; an option that contradicts them is refused.
    Without it, the newest unfinished calibration in ``--out`` with the same seed and size that no process
    is writing is taken up (the sweeps' story: run the same command again to resume).
    """
    from sim.analysis import calibration as cal

    if args.resume:
        folder = Path(args.resume)
        state = _read_state(folder)
        recorded = cal.Settings(**state["settings"])
        asked = {
            "--seed": (args.seed, state["seed"]),
            "--quick": (True if args.quick else None, state["mode"] == "quick"),
            "--particles": (args.particles, recorded.particles),
            "--generations": (args.generations, recorded.generations),
            "--max-simulations": (args.max_simulations, recorded.max_simulations),
        }
        for option, (given, was) in asked.items():
            if given is not None and given != was:
                raise InputError(
                    option,
                    f"the calibration in this folder was started with {was}; leave the option out to resume it, "
                    "or start a new calibration without --resume",
                    str(folder),
                )
        return folder, state, _claim(folder, state, "--resume")
    seed = DEFAULT_SEED if args.seed is None else args.seed
    settings = dataclasses.asdict(_settings(args))
    mode = "quick" if args.quick else "full"
    for folder in sorted(Path(args.out).glob("calibration-*"), reverse=True):
        try:
            state = _read_state(folder, "--out")
        except InputError:
            continue
        same = (state.get("seed"), state.get("mode"), state.get("settings")) == (seed, mode, settings)
        if not same or state.get("status") == "complete":
            continue
        try:
            lock = _claim(folder, state, "--out")
        except InputError:
            continue
        say(f"resuming the unfinished calibration in {folder} (the same seed and size)")
        return folder, state, lock
    return None


def _create(args: argparse.Namespace, settings: cal.Settings) -> tuple[Path, dict[str, Any], FolderLock]:
    """A new folder ``<out>/calibration-<timestamp>`` (``-2``, ... when taken), locked, with its calibration.json."""
    from sim.runs.folder import new_folder

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        folder = new_folder(args.out, f"calibration-{stamp}")
        lock = FolderLock.acquire(folder)
    except OSError as error:
        raise InputError(
            "--out", f"cannot make a calibration folder in '{short_path(args.out)}' ({error.strerror})"
        ) from None
    assert lock is not None  # the folder was made just now by this process
    state = {
        "kind": "calibration",
        "status": "running",
        "created": stamp,
        "command": "cohesion " + " ".join(recorded_arguments(getattr(args, "argv", ["calibrate"]))),
        "seed": DEFAULT_SEED if args.seed is None else args.seed,
        "mode": "quick" if args.quick else "full",
        "settings": dataclasses.asdict(settings),
        "code_revision": files.code_revision(),  # before anything is written
        "code_hash": files.code_hash(),
        "seconds": 0.0,
    }
    try:
        _save(folder, state)
    except BaseException:
        lock.release()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, state, lock


def main(args: argparse.Namespace) -> int:
    """``cohesion calibrate``: screening, distance scales and ABC-SMC into a folder that keeps what was done.

    SIGINT and SIGTERM end the command with exit code 1 and leave the folder marked ``interrupted`` with
    its finished stages and generations; ``--resume FOLDER`` (or the same command) continues it. With one
    worker a resumed calibration gives the same posterior as one never interrupted.
    """
    from sim.analysis import calibration as cal

    _check(args)
    try:
        import pyabc  # noqa: F401
    except ImportError as error:
        raise InputError(
            "calibrate", "needs the optional extra [calibrate]: pip install 'alliance-cohesion[calibrate]'"
        ) from error
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    resumed = _resumed(args, say)
    if resumed is None:
        folder, state, lock = _create(args, _settings(args))
    else:
        folder, state, lock = resumed
        state["resumed"] = [*state.get("resumed", []), datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")]
        if state.get("code_hash") != files.code_hash():
            print(
                f"warning: the model's code or data changed since this calibration started; the stages done so far "
                f"used the old code (delete {folder} to start over)",
                file=sys.stderr,
            )
    parallel = args.workers > 1 or bool(args.scheduler or args.dask_local)
    state.update(identity(), status="running", parallel=bool(state.get("parallel")) or parallel)
    state.pop("reason", None)
    began = time.monotonic()
    try:
        _save(folder, state)
        _calibrate(folder, state, args, say, began)
    except KeyboardInterrupt:
        if state.get("status") == "complete":  # the signal came while the spare database was being removed
            print(f"interrupted after the calibration completed: {folder}", file=sys.stderr)
            return 1
        done = cal.generations_done(folder)
        state.update(status="interrupted", reason="interrupted (Ctrl-C or a termination signal)")
        state["seconds"] = round(state.get("seconds", 0.0) + time.monotonic() - began, 1)
        with contextlib.suppress(OSError):
            _save(folder, state)
        print(
            f"interrupted; {folder} keeps what was done ({done} of {state['settings']['generations']} generations); "
            f"resume with: cohesion calibrate --resume {folder}",
            file=sys.stderr,
        )
        return 1
    except BaseException as error:
        if state.get("status") == "complete":
            raise
        state.update(status="failed", reason=" ".join(f"{type(error).__name__}: {error}".split())[:400])
        with contextlib.suppress(OSError):
            _save(folder, state)
        raise
    finally:
        lock.release()
    if args.ship:
        shutil.copyfile(folder / "posterior.csv", cal.POSTERIOR_FILE)
        shutil.copyfile(folder / "provenance.json", cal.PROVENANCE_FILE)
        say(f"shipped the posterior to {cal.POSTERIOR_FILE}")
    print(folder)
    return 0


def _calibrate(
    folder: Path, state: dict[str, Any], args: argparse.Namespace, say: Callable[..., None], began: float
) -> None:
    """The stages not done yet (screening, distance scales, ABC-SMC), then the posterior, report and provenance."""
    import numpy as np
    from tqdm import tqdm

    from sim.analysis import calibration as cal
    from sim.inputs.parameters import PARAMETERS

    settings = cal.Settings(**state["settings"])
    seed = state["seed"]
    if "screening" not in state:
        total = settings.trajectories * (len(cal.candidates()) + 1)
        with tqdm(total=total, desc="Morris screening", unit="run", disable=args.quiet, file=sys.stderr) as bar:
            found = cal.screen(seed, settings.trajectories, settings.keep, bar.update)
        state["screening"] = {**found, "ranking": [list(pair) for pair in found["ranking"]]}
        _save(folder, state)
    screening = {**state["screening"], "ranking": [tuple(pair) for pair in state["screening"]["ranking"]]}
    chosen = screening["chosen"]
    targets = cal.targets()
    observed = np.array([t.observed for t in targets])
    if "scales" not in state:
        say(f"distance scales from {settings.pilot} prior predictive runs")
        scales = cal.distance_scales(cal.prior_predictive(chosen, seed, settings.pilot)[1], observed)
        state["scales"] = [float(v) for v in scales]
        _save(folder, state)
    scales = np.array(state["scales"], dtype=float)
    done = cal.generations_done(folder)
    say(
        f"calibrating {', '.join(chosen)} with ABC-SMC: {settings.generations} generations "
        f"of {settings.particles} particles" + (f" ({done} done before, kept)" if done else "")
    )
    with tqdm(desc="ABC-SMC", unit="particle", disable=args.quiet, file=sys.stderr) as bar:
        points, weights, generations = cal.infer(
            chosen,
            observed,
            seed,
            settings,
            folder,
            args.workers,
            args.scheduler,
            args.dask_local,
            progress=bar.update,
            scales=scales,
            resume=True,
        )
    for g in generations:
        say(f"  generation {g['t']}: epsilon {g['epsilon']:.3g}, {g['samples']} simulations")
    ess = cal.effective_sample_size(weights)
    if ess < cal.MIN_PARTICLES:
        print(
            f"warning: the posterior rests on {cal.shown_sample_size(ess)} effective particles "
            f"(fewer than {cal.MIN_PARTICLES}): "
            "its intervals are too narrow to trust; calibrate with more particles",
            file=sys.stderr,
        )
    cal.write_posterior(folder / "posterior.csv", chosen, points, weights)
    rows = "".join(f"{name},{score!r},{name in chosen}\n" for name, score in screening["ranking"])
    files.write_text(folder / "screening.csv", "parameter,mu_star_scaled,chosen\n" + rows)
    say(f"fit check: {PREDICTIVE_DRAWS} runs from the posterior and as many at the defaults, same seeds")
    predictive = cal.fit_check(chosen, points, weights, scales, seed, PREDICTIVE_DRAWS)
    keys = cal.target_names()
    provenance = {
        "created": state["created"],
        "command": state["command"],
        "seed": seed,
        "mode": state["mode"],
        "settings": dict(settings.__dict__),
        "method": "Morris screening (SALib, scaled mu* over the targets; the best by mean mu* plus each "
        "target's most influential parameter), then ABC-SMC (pyabc) with uniform priors over the registry "
        "ranges and a fixed L1 distance (pyabc PNormDistance, p=1), each target divided by the mean absolute "
        f"error of {settings.pilot} prior predictive runs (distance_scales); each particle's statistics are "
        f"the mean of {settings.replicates} runs",
        "sampler": "parallel (not order-deterministic: the same seed may give a different posterior)"
        if state["parallel"]
        else "sequential (order-deterministic)",
        "priors": {n: [PARAMETERS[n].low, PARAMETERS[n].high] for n in chosen},
        "fixed_at_default": [n for n in cal.candidates() if n not in chosen],
        "most_influential_per_target": screening["per_target"],
        "targets": {t.name: {"observed": t.observed, "what": t.what} for t in targets},
        "distance_scales": {k: float(v) for k, v in zip(keys, scales, strict=True)},
        "fit": {
            "draws": PREDICTIVE_DRAWS,
            "what": "per target, the continuous ranked probability score (CRPS) of the runs against the "
            "observed value, divided by the distance scale; aggregate: the mean over the targets; runs from "
            "the posterior and at the defaults share their seeds. error_*: the mean absolute error alike",
            "score_posterior": {k: float(v) for k, v in zip(keys, predictive["score_posterior"], strict=True)},
            "score_default": {k: float(v) for k, v in zip(keys, predictive["score_default"], strict=True)},
            "aggregate_posterior": predictive["aggregate_posterior"],
            "aggregate_default": predictive["aggregate_default"],
            "error_posterior": {k: float(v) for k, v in zip(keys, predictive["error_posterior"], strict=True)},
            "error_default": {k: float(v) for k, v in zip(keys, predictive["error_default"], strict=True)},
            "aggregate_error_posterior": predictive["aggregate_error_posterior"],
            "aggregate_error_default": predictive["aggregate_error_default"],
            "headline_targets": list(cal.HEADLINE_TARGETS),
            "clearly_worse_margin": cal.CLEARLY_WORSE,
            "headline_clearly_worse": predictive["worse"],
            "beats_defaults": predictive["aggregate_posterior"] < predictive["aggregate_default"]
            and not predictive["worse"],
        },
        "data": {
            name: files.file_sha256(cal.DATA / name)
            for name in (
                "member_states.csv",
                "assumptions.csv",
                "decision_record.csv",
                "alliance_facts.csv",
                "polls.csv",
                "exposure.csv",
                "administration_alignment.csv",
            )
        },
        "simulator": f"scenario {cal.HINDCAST} from {cal.START} to {cal.END} (events up to {cal.END})",
        "generations": generations,
        "effective_sample_size": ess,
        "versions": files.package_versions(CALIBRATION_PACKAGES),
        "code_revision": state["code_revision"],
        "resumed": state.get("resumed", []),
        "seconds": round(state.get("seconds", 0.0) + time.monotonic() - began, 1),
        "posterior_sha256": files.file_sha256(folder / "posterior.csv"),
    }
    files.write_text(folder / "provenance.json", json.dumps(provenance, indent=2) + "\n")
    shutil.rmtree(folder / "figures", ignore_errors=True)  # drawn again in full if an earlier attempt began them
    _report(folder, chosen, points, weights, targets, predictive, screening, provenance)
    raise_if_interrupted()  # a signal Python could not raise in the middle (a garbage collection) is not lost
    state.update(status="complete", seconds=provenance["seconds"])
    _save(folder, state)
    # Complete first: a signal now leaves a spare database in a complete folder, never a posterior to redo.
    (folder / "abc.db").unlink(missing_ok=True)
    (folder / cal.RANDOM_STATES).unlink(missing_ok=True)


def _report(folder, chosen, points, weights, targets, predictive, screening, provenance) -> None:
    """figures/ (posterior pairs, predictive checks) and report.md of a finished calibration in ``folder``."""
    from sim.reporting.figures.calibration import pairs_figure, predictive_checks_figure
    from sim.reporting.reports.calibration import write_report

    figures = folder / "figures"
    figures.mkdir()
    pairs_figure(chosen, points, weights, figures / "posterior_pairs.png")
    predictive_checks_figure(targets, predictive, figures / "predictive_checks.png")
    write_report(folder / "report.md", chosen, points, weights, targets, predictive, screening, provenance)


def recorded_arguments(argv: list[str]) -> list[str]:
    """The command's arguments as the provenance records them: without ``--out DIR``.

    Where the folder goes does not change the posterior, and a folder of the user's machine does not belong
    in a file the package may ship. ``argv``: the arguments after ``cohesion``, as typed.
    """
    kept: list[str] = []
    skip = False
    for argument in argv:
        if skip:
            skip = False
        elif argument == "--out":
            skip = True
        elif not argument.startswith("--out="):
            kept.append(argument)
    return kept
