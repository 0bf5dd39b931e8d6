"""``cohesion calibrate``: Morris screening, then ABC-SMC (pyabc), into a folder with a report.

The folder holds ``posterior.csv`` (particles with weights), ``screening.csv``,
``report.md`` (targets, marginals, predictive checks, what the data cannot
identify), ``figures/`` (marginals and pair plots, predictive checks) and
``provenance.json``. ``--ship`` also copies the posterior into the package data.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim import calibration as cal
from sim import params
from sim.errors import InputError

DESCRIPTION = (
    "Calibrate the influential parameters to the record up to 2024: Morris screening (SALib) on the calibration "
    "targets, then ABC-SMC (pyabc, optional extra [calibrate]) with uniform priors over the registry ranges. "
    "Writes <out>/calibration-<timestamp>/ with the weighted posterior, a report and figures."
)


PREDICTIVE_DRAWS = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=20240101, metavar="S", help="seed (default 20240101)")
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


def _check(args: argparse.Namespace) -> None:
    if not 0 <= args.seed <= 2**63 - 1:
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


def revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=10,
        )
        head = out.stdout.strip() or "unknown"
        return head + ("+uncommitted" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("alliance-cohesion", "pyabc", "SALib", "numpy", "numba", "scipy", "pandas"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def main(args: argparse.Namespace) -> int:
    _check(args)
    try:
        import pyabc  # noqa: F401
    except ImportError as error:
        raise InputError(
            "calibrate", "needs the optional extra [calibrate]: pip install 'alliance-cohesion[calibrate]'"
        ) from error
    settings = cal.QUICK if args.quick else cal.FULL
    for name in ("particles", "generations", "max_simulations"):
        if getattr(args, name) is not None:
            settings = dataclasses.replace(settings, **{name: getattr(args, name)})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(args.out) / f"calibration-{stamp}"
    partial = folder.with_name(folder.name + ".partial")
    partial.mkdir(parents=True, exist_ok=False)
    began = time.monotonic()
    code_revision = revision()  # before anything is written
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    try:
        from tqdm import tqdm

        names = cal.candidates()
        total = settings.trajectories * (len(names) + 1)
        with tqdm(total=total, desc="Morris screening", unit="run", disable=args.quiet, file=sys.stderr) as bar:
            screening = cal.screen(args.seed, settings.trajectories, settings.keep, bar.update)
        chosen = screening["chosen"]
        say(
            f"calibrating {', '.join(chosen)} with ABC-SMC: {settings.generations} generations "
            f"of {settings.particles} particles"
        )
        targets = cal.targets()
        observed = np.array([t.observed for t in targets])
        say(f"distance scales from {settings.pilot} prior predictive runs")
        scales = cal.distance_scales(cal.prior_predictive(chosen, args.seed, settings.pilot)[1], observed)
        with tqdm(desc="ABC-SMC", unit="particle", disable=args.quiet, file=sys.stderr) as bar:
            points, weights, generations = cal.infer(
                chosen,
                observed,
                args.seed,
                settings,
                partial,
                args.workers,
                args.scheduler,
                args.dask_local,
                progress=bar.update,
                scales=scales,
            )
        for g in generations:
            say(f"  generation {g['t']}: epsilon {g['epsilon']:.3g}, {g['samples']} simulations")
        cal.write_posterior(partial / "posterior.csv", chosen, points, weights)
        with open(partial / "screening.csv", "w") as handle:
            handle.write("parameter,mu_star_scaled,chosen\n")
            for name, score in screening["ranking"]:
                handle.write(f"{name},{score!r},{name in chosen}\n")
        say(f"fit check: {PREDICTIVE_DRAWS} runs from the posterior and as many at the defaults, same seeds")
        predictive = cal.fit_check(chosen, points, weights, scales, args.seed, PREDICTIVE_DRAWS)
        keys = cal.target_names()
        command = "cohesion " + " ".join(recorded_arguments(getattr(args, "argv", ["calibrate"])))
        provenance = {
            "created": stamp,
            "command": command,
            "seed": args.seed,
            "mode": "quick" if args.quick else "full",
            "settings": dict(settings.__dict__),
            "method": "Morris screening (SALib, scaled mu* over the targets; the best by mean mu* plus each "
            "target's most influential parameter), then ABC-SMC (pyabc) with uniform priors over the registry "
            "ranges and a fixed L1 distance (pyabc PNormDistance, p=1), each target divided by the mean absolute "
            f"error of {settings.pilot} prior predictive runs (distance_scales); each particle's statistics are "
            f"the mean of {settings.replicates} runs",
            "sampler": "sequential (order-deterministic)"
            if args.workers == 1 and not (args.scheduler or args.dask_local)
            else "parallel (not order-deterministic: the same seed may give a different posterior)",
            "priors": {n: [params.PARAMETERS[n].low, params.PARAMETERS[n].high] for n in chosen},
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
                name: cal.file_sha256(cal.DATA / name)
                for name in ("member_states.csv", "assumptions.csv", "decision_record.csv", "alliance_facts.csv")
            },
            "simulator": f"scenario {cal.HINDCAST} from {cal.START} to {cal.END} (events up to {cal.END})",
            "generations": generations,
            "versions": versions(),
            "code_revision": code_revision,
            "seconds": round(time.monotonic() - began, 1),
        }
        (partial / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
        _report(partial, chosen, points, weights, targets, predictive, screening, provenance)
        (partial / "abc.db").unlink(missing_ok=True)
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if args.ship:
        shutil.copyfile(folder / "posterior.csv", cal.POSTERIOR_FILE)
        shutil.copyfile(folder / "provenance.json", cal.PROVENANCE_FILE)
        say(f"shipped the posterior to {cal.POSTERIOR_FILE}")
    print(folder)
    return 0


def pairs_figure(chosen: list[str], points: np.ndarray, weights: np.ndarray, path: Path) -> Path:
    """Posterior marginals (diagonal, over the prior range) and pairs of the calibrated parameters, as a PNG.

    ``points``: (particles, len(chosen)) parameter values; ``weights``: (particles,) normalised weights. Panels
    of 1.5 inches at 80 dpi keep the figure of 12 parameters near 1,440 pixels square. Drawn on a Figure of its
    own with the Agg canvas: the caller's matplotlib backend is left alone.
    """
    import PIL.Image
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    k = len(chosen)
    fig = Figure(figsize=(1.5 * k, 1.5 * k), dpi=80)
    axes = fig.subplots(k, k, squeeze=False)
    for i in range(k):
        for j in range(k):
            ax = axes[i][j]
            pi, pj = params.PARAMETERS[chosen[i]], params.PARAMETERS[chosen[j]]
            if i == j:
                ax.hist(points[:, i], bins=20, weights=weights, range=(pi.low, pi.high), color="tab:blue")
                ax.set_xlim(pi.low, pi.high)
            else:
                ax.scatter(points[:, j], points[:, i], s=1 + 60 * weights, color="tab:blue", linewidths=0)
                ax.set_xlim(pj.low, pj.high)
                ax.set_ylim(pi.low, pi.high)
            if i == k - 1:
                ax.set_xlabel(chosen[j], fontsize=6)
            if j == 0:
                ax.set_ylabel(chosen[i], fontsize=6)
            ax.tick_params(labelsize=5)
    fig.suptitle("Posterior marginals (diagonal, prior range as x-axis) and pairs")
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    image = PIL.Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    # A palette of 64 colours (Pillow, which matplotlib requires) keeps the 144 panels to a few hundred KiB.
    image.quantize(colors=64).save(path, optimize=True)
    return path


def _report(folder, chosen, points, weights, targets, predictive, screening, provenance) -> None:
    from matplotlib.figure import Figure

    figures = folder / "figures"
    figures.mkdir()
    pairs_figure(chosen, points, weights, figures / "posterior_pairs.png")

    n = len(targets)
    cols = 4
    rows_ = (n + cols - 1) // cols
    fig = Figure(figsize=(3.2 * cols, 2.4 * rows_))
    axes = fig.subplots(rows_, cols, squeeze=False)
    for m, t in enumerate(targets):
        ax = axes[m // cols][m % cols]
        ax.hist(predictive["default"][:, m], bins=20, alpha=0.5, label="defaults", color="tab:gray")
        ax.hist(predictive["posterior"][:, m], bins=20, alpha=0.6, label="posterior", color="tab:blue")
        ax.axvline(t.observed, color="black", lw=2, label="observed")
        ax.set_title(t.name, fontsize=8)
        ax.tick_params(labelsize=6)
    for m in range(n, rows_ * cols):
        axes[m // cols][m % cols].axis("off")
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(figures / "predictive_checks.png", dpi=110)

    lines = [
        "# Calibration report",
        "",
        f"Command: `{provenance['command']}` (seed {provenance['seed']}, {provenance['mode']} mode, "
        f"{provenance['seconds']} s). Sampler: {provenance['sampler']}.",
        "",
        "Method: " + provenance["method"] + f". Simulator: {provenance['simulator']}.",
        "",
        f"Generations run: {len(provenance['generations'])} of {provenance['settings']['generations']} "
        f"(evaluation budget: {provenance['settings']['max_simulations'] or 'none'}); acceptance thresholds "
        + ", ".join(f"{g['epsilon']:.3g}" for g in provenance["generations"])
        + "; evaluations per generation "
        + ", ".join(str(g["samples"]) for g in provenance["generations"])
        + ".",
        "",
        "## Posterior marginals",
        "",
        "| parameter | prior range | default | posterior median | 90 % interval | width / prior width |",
        "|---|---|---|---|---|---|",
    ]
    unidentified = []
    for j, name in enumerate(chosen):
        p = params.PARAMETERS[name]
        lo, hi = cal.interval(points[:, j], weights)
        med = cal.interval(points[:, j], weights, 0.0)[0]
        ratio = (hi - lo) / (p.high - p.low)
        if ratio > 0.6:
            unidentified.append(name)
        lines.append(
            f"| {name} | {p.low:g} to {p.high:g} | {p.default:g} | {med:.3g} | {lo:.3g} to {hi:.3g} | {ratio:.2f} |"
        )
    lines += ["", "![pairs](figures/posterior_pairs.png)", "", "## Posterior predictive checks", ""]
    lines += [
        f"Each target: the observed value, and the 5th, 50th and 95th percentiles of {PREDICTIVE_DRAWS} hindcast "
        f"runs drawn from the posterior and of {PREDICTIVE_DRAWS} runs at the defaults (the hindcast's values).",
        "",
        "| target | observed | posterior 5 / 50 / 95 % | defaults 5 / 50 / 95 % | observed inside posterior 90 %? |",
        "|---|---|---|---|---|",
    ]
    for m, t in enumerate(targets):
        q = np.percentile(predictive["posterior"][:, m], [5, 50, 95])
        d = np.percentile(predictive["default"][:, m], [5, 50, 95])
        inside = "yes" if q[0] <= t.observed <= q[2] else "no"
        lines.append(
            f"| {t.name} ({t.what}) | {t.observed:.3g} | {q[0]:.3g} / {q[1]:.3g} / {q[2]:.3g} | "
            f"{d[0]:.3g} / {d[1]:.3g} / {d[2]:.3g} | {inside} |"
        )
    fit = provenance["fit"]
    lines += [
        "",
        "![checks](figures/predictive_checks.png)",
        "",
        "## Fit against the defaults",
        "",
        "Each target's score: the continuous ranked probability score (CRPS) of the runs above against the "
        "observed value (their mean absolute error less half the mean absolute difference between two runs: a "
        "proper score, which neither rewards a spread the data do not need nor punishes one they do), divided "
        "by the target's distance scale (the mean error of runs drawn from the prior, so the prior scores "
        "about 1). The posterior's runs and the defaults' share their seeds. Aggregate: the mean over the "
        "targets. The mean absolute errors alone (which count any spread against a distribution) are beside.",
        "",
        "| target | scale | posterior score | defaults score | posterior error | defaults error |",
        "|---|---|---|---|---|---|",
    ]
    for t in targets:
        lines.append(
            f"| {t.name} | {provenance['distance_scales'][t.name]:.3g} | {fit['score_posterior'][t.name]:.3f} | "
            f"{fit['score_default'][t.name]:.3f} | {fit['error_posterior'][t.name]:.3f} | "
            f"{fit['error_default'][t.name]:.3f} |"
        )
    verdict = "beats" if fit["beats_defaults"] else "does not beat"
    worse = ", ".join(fit["headline_clearly_worse"]) or "none"
    lines += [
        f"| **aggregate** | | **{fit['aggregate_posterior']:.3f}** | **{fit['aggregate_default']:.3f}** | "
        f"{fit['aggregate_error_posterior']:.3f} | {fit['aggregate_error_default']:.3f} |",
        "",
        f"The posterior {verdict} the defaults: a lower aggregate score, and on no headline target "
        f"({', '.join(fit['headline_targets'])}) a score more than {fit['clearly_worse_margin']} above the "
        f"defaults'. Headline targets clearly worse: {worse}.",
    ]
    lines += ["", "## What the data cannot identify", ""]
    if unidentified:
        lines.append(
            "Posterior 90 % intervals wider than 60 % of the prior range (the data barely narrow them): "
            + ", ".join(unidentified)
            + "."
        )
    else:
        lines.append("Every calibrated parameter's 90 % interval is narrower than 60 % of its prior range.")
    fixed = provenance["fixed_at_default"]
    lines += [
        "",
        f"The Morris screening found the other {len(fixed)} numeric parameters less influential on these targets; "
        "they stay at their defaults (or at the hindcast scenario's values), and the data say nothing about them "
        "through this calibration. Many act only after 2024 (pledges, elections, a ceasefire, US drawdown) or on "
        "outcomes that no target measures. They are: " + ", ".join(fixed) + ".",
        "",
        "Screening (mean scaled mu* over the targets), top 15:",
        "",
        "| parameter | mu* | calibrated |",
        "|---|---|---|",
    ]
    for name, score in screening["ranking"][:15]:
        lines.append(f"| {name} | {score:.3g} | {'yes' if name in chosen else 'no'} |")
    (folder / "report.md").write_text("\n".join(lines) + "\n")


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
