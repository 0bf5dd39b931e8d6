"""Signals reach `cohesion run` and `cohesion sweep` at any moment: exit 1 within ten seconds, status 'interrupted'.

Each test starts real commands in their own process groups (as `timeout`
or a terminal would) and signals the whole group, as `timeout 20 cohesion
run ...` or Ctrl-C does, at a given moment: while the command sets up, while
it starts its workers, in the middle of its runs, while it writes its tables
and figures. The commands of a test run side by side to keep the file short.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

DEADLINE_S = 10.0  # from the signal to the exit
START_TIMEOUT_S = 120.0  # for the moment to come on a busy machine


def _scenario(folder: Path, replications: int) -> Path:
    path = folder / f"short_{replications}.yaml"
    path.write_text(yaml.safe_dump({"name": "short", "end": "2025-02", "replications": replications}))
    return path


def _experiment(folder: Path) -> Path:
    _scenario(folder, 1)
    path = folder / "long_sweep.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "long_sweep",
                "scenario": "short_1.yaml",
                "design": "grid",
                "replications": 50_000,
                "factors": {"confidence_bound": [0.1, 0.3]},
                "outputs": {"model": ["cohesion"]},
            }
        )
    )
    return path


def _handler_installed(pid: int) -> bool:
    """Whether the process catches SIGTERM yet (the command's handler is installed): /proc/PID/status, SigCgt."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(caught, 16) & (1 << (signal.SIGTERM - 1)))


def _manifests(out: Path) -> list[dict]:
    found = []
    for path in out.rglob("manifest.json"):
        try:
            found.append(json.loads(path.read_text()))
        except ValueError:
            continue  # being replaced this instant
    return found


def _ledger_lines(out: Path) -> int:
    ledger = out / "chunks.jsonl"
    return len(ledger.read_text().splitlines()) if ledger.is_file() else 0


@dataclass
class Case:
    """One command, the signal it gets and the moment it gets it."""

    name: str
    argv: list[str]
    out: Path
    sent: int
    moment: Callable[[Case], bool]
    process: subprocess.Popen | None = None
    signalled_at: float | None = None
    exited_after: float | None = None
    stderr: str = ""
    notes: list[str] = field(default_factory=list)


def _start(case: Case) -> None:
    case.process = subprocess.Popen(
        [sys.executable, "-m", "sim", *case.argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, signalled as a whole
    )


def _drive(cases: list[Case]) -> None:
    """Start every case, signal each process group at its moment, wait for all to end (or kill them and fail)."""
    for case in cases:
        _start(case)
    began = time.monotonic()
    try:
        while any(c.signalled_at is None for c in cases):
            for case in cases:
                if case.signalled_at is None and case.moment(case):
                    os.killpg(case.process.pid, case.sent)
                    case.signalled_at = time.monotonic()
                elif case.signalled_at is None and case.process.poll() is not None:
                    pytest.fail(f"{case.name}: ended (exit {case.process.returncode}) before its moment came")
            if time.monotonic() - began > START_TIMEOUT_S:
                pytest.fail(
                    "the moment to signal never came: " + ", ".join(c.name for c in cases if not c.signalled_at)
                )
            time.sleep(0.01)
        for case in cases:
            try:
                _, case.stderr = case.process.communicate(timeout=DEADLINE_S + 20)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{case.name}: still running {DEADLINE_S + 20:.0f} s after the signal (a hang)")
            case.exited_after = time.monotonic() - case.signalled_at
    finally:
        for case in cases:
            if case.process is not None and case.process.poll() is None:
                os.killpg(case.process.pid, signal.SIGKILL)
                case.process.communicate()


def _check(case: Case, folder_required: bool = True) -> None:
    process = case.process
    assert process.returncode == 1, f"{case.name}: exit {process.returncode}, stderr: {case.stderr[-800:]}"
    # Cases run side by side; each exit is timed from its own signal, with the others' ends overlapping it.
    assert case.exited_after <= DEADLINE_S, f"{case.name}: took {case.exited_after:.1f} s to stop"
    assert "Traceback" not in case.stderr, f"{case.name}: {case.stderr}"
    assert "leaked semaphore" not in case.stderr, f"{case.name}: {case.stderr}"
    assert "interrupted" in case.stderr, f"{case.name}: {case.stderr}"
    manifests = _manifests(case.out)
    if folder_required:
        assert manifests, f"{case.name}: no manifest"
    for manifest in manifests:
        assert manifest["status"] == "interrupted", f"{case.name}: status {manifest['status']}"
    leftovers = [p.name for p in case.out.rglob("*.tmp")] if case.out.exists() else []
    assert not leftovers, f"{case.name}: temporary files left: {leftovers}"


def _cases(tmp_path: Path, moment: Callable[[Case], bool], replications: int, signals: tuple[int, ...]) -> list[Case]:
    scenario = _scenario(tmp_path, replications)
    experiment = _experiment(tmp_path)
    cases = []
    for command, target in (("run", scenario), ("sweep", experiment)):
        for workers in (1, 2):
            for sent in signals:
                name = f"{command} --workers {workers} {signal.Signals(sent).name}"
                out = tmp_path / name.replace(" ", "_").replace("--", "")
                cases.append(
                    Case(name, [command, str(target), "--workers", str(workers), "--out", str(out)], out, sent, moment)
                )
    return cases


def test_signal_while_the_command_sets_up(tmp_path: Path) -> None:
    """Right after the command's handlers exist: before or while the scenario is read and the folder made."""
    cases = _cases(tmp_path, lambda c: _handler_installed(c.process.pid), 5000, (signal.SIGTERM,))
    _drive(cases)
    for case in cases:
        _check(case, folder_required=False)  # a folder is made only if the set-up got that far


def test_signal_while_the_workers_start(tmp_path: Path) -> None:
    """The moment the results folder is locked: the worker processes start next."""
    cases = _cases(tmp_path, lambda c: any(c.out.rglob(".lock")), 5000, (signal.SIGINT,))
    _drive(cases)
    for case in cases:
        _check(case, folder_required=False)  # a sweep interrupted before its manifest leaves no folder


def _running(case: Case) -> bool:
    if case.argv[0] == "sweep":
        return _ledger_lines(case.out) >= 1
    return any(m.get("runs_done", 0) >= 1 for m in _manifests(case.out))


def test_signal_in_the_middle_of_the_runs(tmp_path: Path) -> None:
    """After some runs have finished: SIGTERM (timeout, a scheduler) and SIGINT (Ctrl-C), one and two workers."""
    cases = _cases(tmp_path, _running, 5000, (signal.SIGTERM, signal.SIGINT))
    _drive(cases)
    for case in cases:
        _check(case)
        manifest = _manifests(case.out)[0]
        assert 1 <= manifest["runs_done"] < manifest["runs_total"]


def test_signal_while_the_run_writes_its_tables_and_figures(tmp_path: Path) -> None:
    """Every run done, the tables written, the figures being drawn."""
    scenario = _scenario(tmp_path, 24)

    def writing(case: Case) -> bool:
        return any(case.out.glob("*/model/part-000000.parquet"))

    cases = [
        Case(
            f"run --workers {workers} SIGTERM while writing",
            ["run", str(scenario), "--workers", str(workers), "--out", str(tmp_path / f"writing{workers}")],
            tmp_path / f"writing{workers}",
            signal.SIGTERM,
            writing,
        )
        for workers in (1, 2)
    ]
    _drive(cases)
    for case in cases:
        _check(case)
        assert _manifests(case.out)[0]["runs_done"] == 24


def test_signal_in_the_middle_of_a_sweep_on_a_local_dask_cluster(tmp_path: Path) -> None:
    """The same for `--dask-local 2`: the cluster's workers leave Ctrl-C to the command, SIGTERM ends them."""
    experiment = _experiment(tmp_path)
    cases = []
    for sent in (signal.SIGTERM, signal.SIGINT):
        name = f"sweep --dask-local 2 {signal.Signals(sent).name}"
        out = tmp_path / f"dask_{signal.Signals(sent).name}"
        argv = ["sweep", str(experiment), "--dask-local", "2", "--out", str(out)]
        cases.append(Case(name, argv, out, sent, _running))
    _drive(cases)
    for case in cases:
        _check(case)
        manifest = _manifests(case.out)[0]
        assert 1 <= manifest["runs_done"] < manifest["runs_total"]


def _children(case: Case) -> bool:
    """The command has started its first child process: on `--dask-local`, the cluster is starting."""
    for thread in Path(f"/proc/{case.process.pid}/task").glob("*/children"):  # started by any of its threads
        try:
            if thread.read_text().split():
                return True
        except OSError:
            continue
    return False


def test_ctrl_c_while_a_local_dask_cluster_starts_stops_the_sweep(tmp_path: Path) -> None:
    """A Ctrl-C while `--dask-local 2` starts its cluster is held until the cluster is up, then stops the sweep."""
    experiment = _experiment(tmp_path)
    out = tmp_path / "dask_start"
    case = Case(
        "sweep --dask-local 2 SIGINT at start-up",
        ["sweep", str(experiment), "--dask-local", "2", "--out", str(out)],
        out,
        signal.SIGINT,
        _children,
    )
    _drive([case])
    _check(case, folder_required=False)  # a sweep interrupted before its manifest leaves no folder
    for manifest in _manifests(case.out):
        assert manifest["runs_done"] < manifest["runs_total"]


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
def test_a_sweep_on_worker_processes_stops_without_a_thread_traceback_at_any_moment(tmp_path: Path, sent) -> None:
    """Tasks still queued in the pool when the signal comes are dropped quietly, whichever moment it comes at:
    six sweeps side by side, signalled after their first to sixth chunks (the pool's thread once failed the
    futures the command had cancelled: an InvalidStateError traceback, about one try in three)."""
    experiment = _experiment(tmp_path)
    cases = []
    for chunks in range(1, 7):
        out = tmp_path / f"sweep_{chunks}"
        argv = ["sweep", str(experiment), "--workers", "2", "--chunk-runs", "4", "--out", str(out)]
        cases.append(
            Case(
                f"sweep --workers 2 after {chunks} chunks",
                argv,
                out,
                sent,
                lambda c, n=chunks: _ledger_lines(c.out) >= n,
            )
        )
    _drive(cases)
    for case in cases:
        _check(case)
        assert "Exception in thread" not in case.stderr, f"{case.name}: {case.stderr}"
        assert len(case.stderr.strip().splitlines()) == 1, f"{case.name}: {case.stderr}"


def test_ctrl_c_at_any_moment_of_a_local_dask_cluster_start_up_is_one_line(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group, the cluster's worker processes too: whether they are being
    spawned or importing their modules, none prints a traceback (they once died mid-import, 40-90 lines)."""
    experiment = _experiment(tmp_path)
    cases = []
    for delay in (0.0, 0.5, 1.0, 2.0):

        def moment(case: Case, delay: float = delay) -> bool:
            if not _children(case):
                return False
            case.notes.append(case.notes[0] if case.notes else str(time.monotonic()))
            return time.monotonic() - float(case.notes[0]) >= delay

        out = tmp_path / f"dask_{delay}"
        argv = ["sweep", str(experiment), "--dask-local", "2", "--out", str(out)]
        cases.append(
            Case(f"sweep --dask-local 2 SIGINT {delay} s after its first child", argv, out, signal.SIGINT, moment)
        )
    _drive(cases)
    for case in cases:
        _check(case, folder_required=False)
        assert len(case.stderr.strip().splitlines()) == 1, f"{case.name}: {case.stderr}"
