"""Time the start of the command and of the package: ``python -m sim --help`` and ``python -c "import sim"``.

Usage: python benchmarks/bench_startup.py [--repeats N]

Each is run as a whole process, ``N`` times after one untimed run (default 7); prints the median and the
range of the wall time and the median peak memory (resident set, the process alone). The package found on
``PYTHONPATH`` or installed is the one measured, so an older checkout can be measured the same way:
``PYTHONPATH=/path/to/old/checkout python benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "python -m sim --help": [sys.executable, "-m", "sim", "--help"],
    'python -c "import sim"': [sys.executable, "-c", "import sim"],
}


def measure(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of one run of ``argv``."""
    started = time.perf_counter()
    # From another folder, so that a checkout in the current one does not shadow the package measured.
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {process.returncode}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    for name, argv in COMMANDS.items():
        measure(argv)  # untimed: bytecode written, caches warm
        runs = [measure(argv) for _ in range(args.repeats)]
        walls = [wall for wall, _ in runs]
        peak = statistics.median(memory for _, memory in runs) / 1024
        print(
            f"{name}: {statistics.median(walls):.3f} s median wall ({min(walls):.3f}-{max(walls):.3f}), "
            f"{peak:.0f} MiB peak, {args.repeats} runs"
        )


if __name__ == "__main__":
    main()
