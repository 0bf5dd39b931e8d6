"""Sweeps: the code hash, executors, streaming to Parquet parts, resume, failures (experiment files, designs and
run seeds: tests/unit/scenarios/).

Sweeps here are small (a two-year horizon, a dozen runs) so that the whole
file runs in well under a minute on two cores; the command is run as a real
subprocess wherever a process boundary matters (workers, SIGKILL).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.runs import sweep
from sim.runs.executors import ProcessExecutor
from sim.scenarios.experiment import load, run_seed
from sim.util import files
from sim.util.errors import InputError
from sim.util.resources import PACKAGE
from tests.helpers import SHORT_SCENARIO, experiment_file

# The command under test: `cohesion sweep`, as a real process.
COMMAND = [sys.executable, "-m", "sim", "sweep"]


def sweep_command(*args: str, background: bool = False, **options) -> subprocess.CompletedProcess | subprocess.Popen:
    """Run the sweep command with ``args``; with ``background`` return the running process instead."""
    argv = [*COMMAND, *map(str, args)]
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **options}
    if background:
        return subprocess.Popen(argv, start_new_session=True, **options)
    return subprocess.run(argv, timeout=300, **options)


def sweep_in_process(*args: str) -> int:
    """The same command in this process (so that a test can monkeypatch what a run does)."""
    from sim.cli import main

    return main(["sweep", *map(str, args)])


def read_results(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        "model": pd.read_parquet(folder / "model"),
        "agents": pd.read_parquet(folder / "agents"),
        "summary": pd.read_csv(folder / "summary.csv"),
        "points": pd.read_parquet(folder / "points"),
    }


def assert_same_results(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


# ====================================================================== experiment files
def test_the_code_hash_is_of_the_whole_package_not_of_the_sweep_package() -> None:
    """The hash lives in a subpackage (``sim.runs.sweep``) but covers all of ``sim``: an edit to the engine counts."""
    import sim

    whole = Path(sim.__file__).resolve().parent
    assert sweep._code_hash() == sweep._code_hash(whole)
    assert sweep._code_hash() != sweep._code_hash(Path(sweep.__file__).resolve().parent)


def test_code_hash_covers_source_and_data_recursively_and_skips_compiled_files(tmp_path: Path) -> None:
    package = tmp_path / "sim"
    (package / "data").mkdir(parents=True)
    (package / "engine").mkdir()
    (package / "__init__.py").write_text("")
    (package / "data" / "member_states.csv").write_text("iso3\nPOL\n")
    (package / "engine" / "kernels.py").write_text("x = 1\n")
    before = files.code_hash(package)
    # What an ordinary install adds by itself: bytecode (a folder under data/ too) and numba's cache.
    for folder in (package / "__pycache__", package / "data" / "__pycache__", package / "engine" / "__pycache__"):
        folder.mkdir()
        (folder / "kernels.cpython-312.pyc").write_bytes(b"\x00compiled")
        (folder / "kernels.step-1.py311.nbi").write_bytes(b"\x01")
    assert files.code_hash(package) == before
    # An edit in a subpackage, in data, or a new module changes it.
    (package / "engine" / "kernels.py").write_text("x = 2\n")
    after_engine = files.code_hash(package)
    assert after_engine != before
    (package / "data" / "member_states.csv").write_text("iso3\nEST\n")
    assert files.code_hash(package) != after_engine
    # A file moved to another folder is a different package.
    moved = files.code_hash(package)
    (package / "engine" / "kernels.py").rename(package / "kernels.py")
    assert files.code_hash(package) != moved
    # The scenarios layer is source like any other; the wheel's copies of the packaged files are not.
    (package / "scenarios").mkdir()
    (package / "scenarios" / "scenario.py").write_text("x = 3\n")
    with_layer = files.code_hash(package)
    assert with_layer != moved
    for copies in (package / "data" / "scenarios", package / "data" / "experiments"):
        copies.mkdir()
        (copies / "baseline.yaml").write_text("name: baseline\n")
    assert files.code_hash(package) == with_layer


def test_a_sweep_runs_with_bytecode_writing_on(tmp_path: Path) -> None:
    """With PYTHONDONTWRITEBYTECODE unset, importing the package writes __pycache__ under sim/data/."""
    (PACKAGE / "data" / "__pycache__").mkdir(exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "sweep",
            str(experiment_file(tmp_path)),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "complete"


def test_process_executor_keeps_few_tasks_in_flight() -> None:
    taken = []

    def tasks():
        for k in range(40):
            taken.append(k)
            yield k

    executor = ProcessExecutor(2)
    with executor:
        results = executor.map_unordered(pow, 2, tasks())
        first = next(results)
        assert len(taken) <= 2 * (2 * 2)  # never the whole queue: memory does not grow with the task count
        assert sorted([first, *results]) == [2**k for k in range(40)]


# ====================================================================== running
@pytest.mark.slow
def test_serial_local_workers_and_dask_cluster_give_identical_results(tmp_path: Path) -> None:
    from distributed import LocalCluster

    path = experiment_file(tmp_path)
    serial = sweep_command(path, "--out", tmp_path / "serial", "--workers", "1")
    assert serial.returncode == 0, serial.stderr
    assert "complete; 12 of 12 runs" in serial.stdout
    local = sweep_command(path, "--out", tmp_path / "local", "--workers", "2", "--quiet")
    assert local.returncode == 0, local.stderr
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = sweep_command(path, "--out", tmp_path / "dask", "--scheduler", cluster.scheduler_address, "--quiet")
    assert dask.returncode == 0, dask.stderr
    dask_local = sweep_command(path, "--out", tmp_path / "dask_local", "--dask-local", "2", "--quiet")
    assert dask_local.returncode == 0, dask_local.stderr

    reference = read_results(tmp_path / "serial")
    for other in ("local", "dask", "dask_local"):
        assert_same_results(reference, read_results(tmp_path / other))

    # Streamed: several part files, each table whole through pandas, one row per run x step (x state).
    assert len(list((tmp_path / "serial" / "model").glob("part-*.parquet"))) > 1
    model, agents, summary = reference["model"], reference["agents"], reference["summary"]
    assert len(model) == 12 * 24 and not model.duplicated(["point", "replication", "step"]).any()
    assert len(agents) == 12 * 24 * agents["iso3"].nunique()
    assert not agents.duplicated(["point", "replication", "step", "iso3"]).any()
    assert list(model.columns[:6]) == ["run", "point", "replication", "seed", "step", "date"]
    assert len(summary) == 12 and summary["error"].isna().all()
    assert set(summary.columns) >= {"events.us_troops[-1].change", "eu_cfsp_rule", "final_cohesion", "mean_cohesion"}
    assert summary["seed"].tolist() == [run_seed(11, p, k) for p in range(4) for k in range(3)]
    last = model[model["step"] == 23].reset_index(drop=True)
    np.testing.assert_array_equal(summary["final_cohesion"], last["cohesion"])
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert (
        manifest["status"] == "complete" and manifest["runs_done"] == 12 and manifest["executor"]["executor"] == "dask"
    )


@pytest.mark.slow
def test_resume_after_sigkill_finishes_without_duplicates_or_losses(tmp_path: Path) -> None:
    # Five years and 160 runs in chunks of 4: a few seconds of work, killed after a few chunks.
    path = experiment_file(
        tmp_path,
        scenario=dict(SHORT_SCENARIO, end="2029-12"),
        replications=40,
        outputs={"model": "all", "agents": "final"},
    )
    out = tmp_path / "killed"
    args = (path, "--out", out, "--workers", "2", "--chunk-runs", "4", "--quiet")
    process = sweep_command(*args, background=True)
    ledger = out / "chunks.jsonl"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if ledger.is_file() and len(ledger.read_text().splitlines()) >= 3:
                break
            time.sleep(0.02)
        assert process.poll() is None, f"the sweep ended before it could be killed: {process.communicate()}"
        workers = _children(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        _wait_gone(workers)  # the workers die with their parent rather than run on as orphans
    finally:
        process.stdout.close()
        process.stderr.close()
        _kill_group(process.pid)

    finished = {json.loads(line)["chunk"] for line in ledger.read_text().splitlines() if line.strip()}
    assert 0 < len(finished) < 40
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "model").glob("part-*.parquet")}

    resumed = sweep_command(*args)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{160 - 4 * len(finished)} this time" in resumed.stdout
    entries = [json.loads(line)["chunk"] for line in ledger.read_text().splitlines()]
    assert sorted(entries) == list(range(40))  # every chunk once
    for chunk in finished:  # finished chunks were not run again
        name = f"part-{chunk:06d}.parquet"
        assert (out / "model" / name).stat().st_mtime_ns == stamps[name]

    reference = sweep_command(path, "--out", tmp_path / "uninterrupted", "--workers", "2", "--quiet")
    assert reference.returncode == 0, reference.stderr
    assert_same_results(read_results(tmp_path / "uninterrupted"), read_results(out))
    model = read_results(out)["model"]
    assert len(model) == 160 * 60 and not model.duplicated(["point", "replication", "step"]).any()


@pytest.mark.slow
def test_sigterm_marks_the_sweep_interrupted(tmp_path: Path) -> None:
    path = experiment_file(tmp_path, scenario=dict(SHORT_SCENARIO, end="2029-12"), replications=40)
    out = tmp_path / "out"
    process = sweep_command(path, "--out", out, "--workers", "1", "--chunk-runs", "4", background=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out / "chunks.jsonl").is_file():
            time.sleep(0.02)
        while time.monotonic() < deadline and not (out / "chunks.jsonl").read_text():
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        _kill_group(process.pid)
    assert process.returncode == 1 and "run the same command again to resume" in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and 0 < manifest["runs_done"] < 160


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _wait_gone(pids: list[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        time.sleep(0.05)
    assert not alive, f"worker processes {alive} outlived their killed parent"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@pytest.mark.slow
def test_rerun_of_a_finished_sweep_does_nothing_and_a_changed_file_is_refused(tmp_path: Path) -> None:
    path = experiment_file(tmp_path, outputs={"model": ["cohesion"], "agents": "none"})
    out = tmp_path / "out"
    assert sweep_command(path, "--out", out, "--workers", "1").returncode == 0
    again = sweep_command(path, "--out", out, "--workers", "1")
    assert again.returncode == 0 and "0 this time" in again.stdout
    experiment_file(tmp_path, outputs={"model": ["cohesion"], "agents": "none"}, replications=4)
    changed = sweep_command(path, "--out", out)
    assert changed.returncode == 2
    assert "different experiment" in changed.stderr and len(changed.stderr.strip().splitlines()) == 1
    missing = sweep_command(tmp_path / "nope.yaml")
    assert missing.returncode == 2 and "no such experiment file" in missing.stderr


def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = experiment_file(tmp_path, outputs={"model": ["cohesion"], "agents": "none"})
    real = sweep.chunks.run_spec

    def flaky(experiment, values, seed, *replication):
        if values[0] == -0.6 and values[1] == "qmv":  # point 3
            raise FloatingPointError("provoked for the test")
        return real(experiment, values, seed, *replication)

    monkeypatch.setattr(sweep.chunks, "run_spec", flaky)
    out = tmp_path / "out"
    assert sweep_in_process(path, "--out", out, "--workers", "1", "--quiet") == 1
    failures = pd.read_csv(out / "failures.csv")
    assert failures["point"].tolist() == [3, 3, 3] and failures["replication"].tolist() == [0, 1, 2]
    assert failures["error"].str.contains("FloatingPointError: provoked for the test").all()
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 12 and summary["error"].notna().sum() == 3
    assert summary.loc[summary["point"] != 3, "final_cohesion"].notna().all()
    model = pd.read_parquet(out / "model")
    assert sorted(model["point"].unique()) == [0, 1, 2] and len(model) == 9 * 24
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["runs_failed"] == 3 and manifest["runs_done"] == 12


@pytest.mark.slow
def test_progress_bar_with_eta_on_a_terminal(tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    path = experiment_file(tmp_path, outputs={"model": ["cohesion"], "agents": "none"})
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    try:
        done = sweep_command(path, "--out", tmp_path / "out", "--workers", "1", stderr=terminal, stdout=subprocess.PIPE)
        os.close(terminal)
        drawn = b""
        with contextlib.suppress(OSError):  # reading past the end of a closed pty raises EIO
            while chunk := os.read(controller, 65536):
                drawn += chunk
    finally:
        os.close(controller)
    assert done.returncode == 0
    bar = drawn.decode(errors="replace")
    assert "12/12" in bar and "run/s" in bar and "<" in bar  # count, rate and elapsed<remaining (the ETA)


def test_chunk_size_never_changes_a_number(tmp_path: Path) -> None:
    path = experiment_file(tmp_path)
    results = {}
    for size in (1, 5, 12):
        out = tmp_path / f"chunks-{size}"
        assert sweep_in_process(path, "--out", out, "--workers", "1", "--chunk-runs", str(size), "--quiet") == 0
        assert len(list((out / "model").glob("part-*.parquet"))) == -(-12 // size)
        results[size] = read_results(out)
    assert_same_results(results[1], results[5])
    assert_same_results(results[1], results[12])
    # And a run of the sweep equals the same run as a Mesa model alone.
    experiment = load(path)
    summary, model = results[12]["summary"], results[12]["model"]
    row = summary.iloc[7]
    values = tuple(row[f.name] for f in experiment.factors)
    alone = sweep.simulate(experiment, values, int(row["seed"]), int(row["replication"])).model_dataframe()
    ours = model[model["run"] == row["run"]].reset_index(drop=True)
    for name in ("cohesion", "article5_credibility", "spending_pct_gdp"):
        np.testing.assert_array_equal(ours[name].to_numpy(), alone[name].to_numpy())


def test_a_batch_that_raises_is_run_again_run_by_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = experiment_file(tmp_path, outputs={"model": ["cohesion"], "agents": "none"})
    assert sweep_in_process(path, "--out", tmp_path / "reference", "--workers", "1", "--quiet") == 0
    real = sweep.chunks.run_batch
    culprit = run_seed(11, 2, 1)

    def fragile(specs, keep_agents=True):
        if any(spec.seed == culprit for spec in specs):
            raise FloatingPointError("provoked for the test")
        return real(specs, keep_agents)

    monkeypatch.setattr(sweep.chunks, "run_batch", fragile)
    out = tmp_path / "out"
    assert sweep_in_process(path, "--out", out, "--workers", "1", "--chunk-runs", "6", "--quiet") == 1
    failures = pd.read_csv(out / "failures.csv")
    assert failures["seed"].tolist() == [culprit]
    reference = pd.read_parquet(tmp_path / "reference" / "model")
    model = pd.read_parquet(out / "model")
    kept = reference[reference["seed"] != culprit].reset_index(drop=True)
    pd.testing.assert_frame_equal(model, kept, check_exact=True)


# ====================================================================== a lost ledger or manifest
def tiny_sweep(
    folder: Path, capsys: pytest.CaptureFixture[str], exit_code: int = 0, **changes
) -> tuple[Path, list[str]]:
    """A finished sweep of 3 points x 2 replications over two months in chunks of 2 runs, run in this process."""
    path = experiment_file(
        folder,
        "tiny",
        **{
            "scenario": {"name": "tiny", "end": "2025-02"},
            "replications": 2,
            "factors": {"confidence_bound": [0.1, 0.2, 0.3]},
            "outputs": {"model": ["cohesion"], "agents": "final"},
            **changes,
        },
    )
    out = folder / "out"
    argv = ["sweep", str(path), "--workers", "1", "--chunk-runs", "2", "--quiet", "--out", str(out)]
    from sim.cli import main

    assert main(argv) == exit_code
    capsys.readouterr()
    return out, argv


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_parts_are_verified_by_the_manifest_when_the_ledger_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    import sim
    from sim.cli import main

    out, argv = tiny_sweep(tmp_path, capsys)
    ledger = [json.loads(line) for line in (out / "chunks.jsonl").read_text().splitlines()]
    recorded = json.loads((out / "manifest.json").read_text())["parts"]
    assert recorded == {
        p["name"]: {"bytes": p["bytes"], "sha256": p["sha256"]} for e in ledger for p in e["parts"].values()
    }
    assert len(recorded) == 9  # 3 chunks x (model, agents, summary)
    before = read_results(out)
    (out / "chunks.jsonl").unlink()
    assert len(sim.load_sweep(out).summary) == 6  # the manifest vouches for every part

    # A part rewritten with other (valid) data is refused by the readers, naming the folder and the part.
    part = out / "model" / "part-000001.parquet"
    original = part.read_bytes()
    part.write_bytes((out / "model" / "part-000000.parquet").read_bytes())
    assert main(["analyze", str(out)]) == 2
    line = one_error_line(capsys)
    assert str(out) in line and "model/part-000001.parquet is damaged" in line
    with pytest.raises(InputError, match="model/part-000001.parquet is damaged"):
        sim.load_sweep(out)
    # Resume runs its chunk again (and only it), byte for byte the same, and rebuilds the ledger.
    caplog.clear()
    assert main(argv) == 0
    assert "2 this time" in capsys.readouterr().out
    assert part.read_bytes() == original
    assert any("chunks.jsonl was missing" in r.getMessage() for r in caplog.records)
    assert sorted(json.loads(line)["chunk"] for line in (out / "chunks.jsonl").read_text().splitlines()) == [0, 1, 2]
    assert_same_results(before, read_results(out))

    # With the ledger gone again, whole parts are kept: nothing runs again.
    (out / "chunks.jsonl").unlink()
    assert main(argv) == 0
    assert "0 this time" in capsys.readouterr().out
    assert_same_results(before, read_results(out))

    # A part that neither the ledger nor the manifest records cannot be verified: refused by readers and resume.
    (out / "chunks.jsonl").unlink()
    (out / "summary" / "part-000007.parquet").write_bytes((out / "summary" / "part-000000.parquet").read_bytes())
    assert main(["analyze", str(out)]) == 2
    line = one_error_line(capsys)
    assert str(out) in line and "summary/part-000007.parquet cannot be verified" in line
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert str(out) in line and "summary/part-000007.parquet" in line and "delete" in line
    assert (out / "summary" / "part-000007.parquet").is_file(), "a refused resume changes nothing"

    # A folder of an earlier version (no checksums in the manifest) without its ledger cannot be verified at all.
    (out / "summary" / "part-000007.parquet").unlink()
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["parts"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="records no checksums"):
        sim.load_sweep(out)


def test_a_sweep_whose_manifest_is_gone_is_resumed_by_the_same_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim
    from sim.cli import main

    out, argv = tiny_sweep(tmp_path, capsys)
    before = read_results(out)
    original = json.loads((out / "manifest.json").read_text())
    # As after a kill: the last chunk's parts are written but its ledger line is not; then the manifest is lost.
    ledger = out / "chunks.jsonl"
    lines = ledger.read_text().splitlines()
    ledger.write_text("\n".join(line for line in lines if json.loads(line)["chunk"] != 2) + "\n")
    (out / "manifest.json").unlink()

    assert main(["analyze", str(out)]) == 2
    line = one_error_line(capsys)
    assert f"manifest.json: is missing; run the same sweep command again with --out {out}" in line

    assert main(argv) == 0
    assert "2 this time" in capsys.readouterr().out
    rebuilt = json.loads((out / "manifest.json").read_text())
    assert rebuilt["status"] == "complete" and rebuilt["manifest_rebuilt"]
    for key in ("experiment_hash", "chunk_runs", "code_hash", "runs_done", "parts", "seed", "design"):
        assert rebuilt[key] == original[key], key
    assert_same_results(before, read_results(out))
    assert len(sim.load_sweep(out).summary) == 6

    # Another experiment's command, or a ledger that does not say whose runs it holds: one line on what to do.
    (out / "manifest.json").unlink()
    other = experiment_file(tmp_path, "other", replications=3)
    assert main([*argv[:1], str(other), *argv[2:]]) == 2
    assert "records runs of a different experiment" in one_error_line(capsys)
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    ledger.write_text(
        "".join(json.dumps({k: v for k, v in e.items() if k != "experiment_hash"}) + "\n" for e in entries)
    )
    assert main(argv) == 2
    line = one_error_line(capsys)
    assert str(out) in line and "does not record which experiment" in line and "delete the folder" in line


def test_failures_are_kept_when_the_ledger_is_rebuilt_from_the_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.cli import main

    real = sweep.chunks.run_spec

    def flaky(experiment, values, seed, *replication):
        if values[0] == 0.3:  # point 2
            raise FloatingPointError("provoked for the test")
        return real(experiment, values, seed, *replication)

    monkeypatch.setattr(sweep.chunks, "run_spec", flaky)
    out, argv = tiny_sweep(tmp_path, capsys, exit_code=1)  # the two runs of point 2 failed
    failures = (out / "failures.csv").read_text()
    assert len(pd.read_csv(out / "failures.csv")) == 2
    (out / "chunks.jsonl").unlink()
    assert main(argv) == 1
    assert "0 this time" in capsys.readouterr().out
    assert (out / "failures.csv").read_text() == failures
    assert json.loads((out / "manifest.json").read_text())["runs_failed"] == 2


def test_a_changed_points_table_or_csv_is_refused_by_readers_and_rewritten_by_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    import sim
    from sim.cli import main

    out, argv = tiny_sweep(tmp_path, capsys)
    tables = json.loads((out / "manifest.json").read_text())["tables"]
    assert sorted(tables) == sorted(sweep.TABLE_FILES)
    points_path = out / "points" / "part-000000.parquet"
    original = points_path.read_bytes()
    # A factor column rewritten with other (valid) values: the readers refuse the folder, naming the file.
    points = pd.read_parquet(points_path)
    points["confidence_bound"] = 3.0
    points.to_parquet(points_path, index=False)
    assert main(["analyze", str(out)]) == 2
    line = one_error_line(capsys)
    assert str(out) in line and "points/part-000000.parquet is damaged" in line
    # Resume writes the points again from the experiment file (they are its inputs) and says so.
    caplog.clear()
    assert main(argv) == 0
    assert points_path.read_bytes() == original
    assert any("points/part-000000.parquet is damaged" in r.getMessage() for r in caplog.records)
    assert len(sim.load_sweep(out).summary) == 6
    # The CSV tables are checked too.
    for name in ("points.csv", "summary.csv"):
        path = out / name
        text = path.read_text()
        path.write_text(text + text.splitlines()[-1] + "\n")  # a row twice
        with pytest.raises(InputError, match=f"{name} is damaged"):
            sim.load_sweep(out)
        path.write_text(text)


def test_an_oversized_design_is_refused_by_validate_and_sweep_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.cli import main

    path = experiment_file(tmp_path, design="lhs", samples=100_000_000, factors={"confidence_bound": "range"})
    for argv in (["validate", str(path)], ["sweep", str(path), "--out", str(tmp_path / "out")]):
        assert main(argv) == 2
        line = one_error_line(capsys)
        assert str(path) in line and "samples:" in line
    assert not (tmp_path / "out").exists()


def test_running_out_of_memory_is_one_line_saying_what_to_make_smaller(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.cli import main
    from sim.scenarios import experiment

    def too_big(self):
        raise MemoryError("Unable to allocate 763. MiB for an array with shape (100000000,) and data type float64")

    monkeypatch.setattr(experiment.Experiment, "points", too_big)
    path = experiment_file(tmp_path)
    for argv in (["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"], ["validate", str(path)]):
        if argv[0] == "validate":
            monkeypatch.setattr("sim.scenarios.experiment.load", lambda *a, **k: too_big(None))
        code = main(argv)
        line = one_error_line(capsys)
        assert code == 1, line
        assert line.startswith("error: out of memory (Unable to allocate 763. MiB") and "fewer samples" in line
