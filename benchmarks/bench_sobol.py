"""A large Sobol' study of the baseline, from start to written results: time and peak memory.

Usage: python benchmarks/bench_sobol.py [--samples 4096] [--replications 2] [--workers 2]

The factors and outcomes of ``experiments/sobol_key_parameters.yaml`` with
more samples (4,096 base samples x 14 x 2 replications = 114,688 runs by
default), ``agents: none``, run by ``cohesion sweep --workers N`` as a
subprocess: wall time from the command's start to its exit (results written:
parts, summary.csv, manifest), and peak resident memory of the whole process
tree (sampled every 0.1 s from /proc, Linux only). Run it twice with different
``--samples`` to see whether memory stays flat as runs grow.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sweep import run_measured  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-runs", type=int, default=None)
    args = parser.parse_args()
    spec = yaml.safe_load((ROOT / "experiments" / "sobol_key_parameters.yaml").read_text())
    spec.update(name="sobol_bench", samples=args.samples, replications=args.replications)
    spec["outputs"]["agents"] = "none"
    runs = args.samples * (len(spec["factors"]) + 2) * args.replications
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sobol_bench.yaml"
        path.write_text(yaml.safe_dump(spec))
        command = [sys.executable, "-m", "sim", "sweep", str(path), "--workers", str(args.workers)]
        command += ["--out", f"{folder}/out", "--quiet"]
        if args.chunk_runs:
            command += ["--chunk-runs", str(args.chunk_runs)]
        out, seconds, peaks = run_measured(command)
        parts = len(list((Path(folder) / "out" / "model").glob("part-*.parquet")))
    print(
        f"runs {runs}; workers {args.workers}; {seconds:.1f} s ({runs / seconds:.0f} runs/s, "
        f"{seconds / runs * 1000 * args.workers:.2f} ms per run per core); peak memory {peaks['tree'] / 1024:.0f} MiB "
        f"(parent {peaks['parent'] / 1024:.0f} MiB); {parts} parts"
    )


if __name__ == "__main__":
    main()
