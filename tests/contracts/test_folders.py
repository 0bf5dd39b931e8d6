"""Results folders that cannot lie: stale or live writers, damaged parts, full disks, unwritable folders.

Runs here are tiny (two months, a few replications) and run in this process
through the command line's entry point, so that a test can simulate a full
disk; a live writer is a small separate process holding the folder's lock.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.runs import folder as store
from sim.runs import sweep
from sim.util import processes

# ---------------------------------------------------------------------- helpers


def lines(text: str) -> list[str]:
    return [line for line in text.strip().splitlines() if line.strip()]


def one_line(capsys) -> str:
    """The command's stderr, which must be exactly one line without a traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    assert len(lines(err)) == 1, err
    return err.strip()


def scenario_file(folder: Path, replications: int = 3) -> Path:
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump({"name": "tiny", "end": "2025-02", "replications": replications}))
    return path


def experiment_file(folder: Path) -> Path:
    scenario_file(folder)
    path = folder / "tiny_sweep.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "tiny_sweep",
                "scenario": "tiny.yaml",
                "design": "grid",
                "replications": 2,
                "seed": 3,
                "factors": {"confidence_bound": [0.1, 0.2, 0.3]},
                "outputs": {"model": ["cohesion"], "agents": "final"},
            }
        )
    )
    return path


def run_folder(tmp_path: Path, capsys) -> Path:
    out = tmp_path / "results"
    assert main(["run", str(scenario_file(tmp_path)), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    (folder,) = out.iterdir()
    return folder


def sweep_folder(tmp_path: Path, capsys, *options: str) -> Path:
    out = tmp_path / "sweep"
    argv = [
        "sweep",
        str(experiment_file(tmp_path)),
        "--workers",
        "1",
        "--chunk-runs",
        "2",
        "--quiet",
        "--out",
        str(out),
    ]
    assert main([*argv, *options]) == 0
    capsys.readouterr()
    return out


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def set_manifest(folder: Path, **changes) -> None:
    (folder / "manifest.json").write_text(json.dumps({**manifest(folder), **changes}))


HOLD_LOCK = """
import fcntl, sys, time
handle = open(sys.argv[1], "a+")
fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
print("locked", flush=True)
time.sleep(120)
"""


class LiveWriter:
    """Another process holding a folder's lock, as a command writing it would."""

    def __init__(self, folder: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(folder / ".lock")], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline().strip() == "locked"
        self.pid = self.process.pid

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def no_temporary_files(folder: Path) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob("*.tmp")]


# ---------------------------------------------------------------------- who is writing
def test_a_run_records_its_process_and_host_and_holds_the_lock_while_it_writes(tmp_path, capsys):
    folder = run_folder(tmp_path, capsys)
    recorded = manifest(folder)
    assert recorded["pid"] == os.getpid() and recorded["host"] == socket.gethostname()
    assert recorded["started"] and recorded["status"] == "complete"
    assert (folder / ".lock").is_file()
    # Every table, the chance-only runs of this posterior run among them, in its own folder with its digest.
    tables = {"model", "agents", "events", "chance_model"}
    assert set(recorded["tables"]) == {f"{table}/part-000000.parquet" for table in tables}
    assert all(store.damage(folder / name, digest) is None for name, digest in recorded["tables"].items())


def test_a_killed_run_is_told_from_a_live_one(tmp_path, capsys):
    folder = run_folder(tmp_path, capsys)
    # As after kill -9: the manifest says running, and nobody holds the lock.
    set_manifest(folder, status="running", pid=999_999_999)
    writer = LiveWriter(folder)
    try:
        set_manifest(folder, pid=writer.pid)
        assert main(["plot", str(folder)]) == 2
        message = one_line(capsys)
        assert f"still running, pid {writer.pid} on host {socket.gethostname()}" in message
        assert main(["compare", str(folder), str(folder)]) == 2
        assert "still running" in one_line(capsys)
        assert manifest(folder)["status"] == "running", "a live folder is left alone"
    finally:
        writer.stop()
    assert main(["plot", str(folder)]) == 2
    message = one_line(capsys)
    assert "is 'interrupted'" in message
    settled = manifest(folder)
    assert settled["status"] == "interrupted"
    assert f"pid {writer.pid}" in settled["error"] and "ended without finishing" in settled["error"]


def test_a_killed_sweep_is_reported_interrupted_a_live_one_refused_and_resume_takes_over(tmp_path, capsys):
    out = sweep_folder(tmp_path, capsys)
    set_manifest(out, status="running")
    writer = LiveWriter(out)
    try:
        set_manifest(out, pid=writer.pid)
        assert main(["analyze", str(out)]) == 2
        assert f"still running, pid {writer.pid} on host" in one_line(capsys)
        again = ["sweep", str(tmp_path / "tiny_sweep.yaml"), "--workers", "1", "--quiet", "--out", str(out)]
        assert main(again) == 2
        assert f"still running, pid {writer.pid} on host" in one_line(capsys)
    finally:
        writer.stop()
    assert main(["analyze", str(out)]) == 2
    assert "is 'interrupted'" in one_line(capsys)
    assert manifest(out)["status"] == "interrupted"
    set_manifest(out, status="running")  # killed again; this time the sweep is resumed
    assert main(again) == 0
    assert manifest(out)["status"] == "complete" and manifest(out)["pid"] == os.getpid()


# ---------------------------------------------------------------------- damaged parts
def test_a_damaged_part_is_run_again_on_resume_and_refused_by_readers(tmp_path, capsys, caplog):
    out = sweep_folder(tmp_path, capsys)
    ledger = [json.loads(line) for line in (out / "chunks.jsonl").read_text().splitlines()]
    assert all(set(e["parts"]) == {"model", "agents", "summary"} for e in ledger)
    assert all(len(p["sha256"]) == 64 and p["bytes"] > 0 for e in ledger for p in e["parts"].values())
    part = out / "model" / "part-000001.parquet"
    original = part.read_bytes()
    before = pd.read_parquet(out / "model")
    part.write_bytes(original[: len(original) // 2])  # truncated

    assert main(["analyze", str(out)]) == 2
    message = one_line(capsys)
    assert "model/part-000001.parquet is damaged" in message and "run the same sweep command" in message

    argv = ["sweep", str(tmp_path / "tiny_sweep.yaml"), "--workers", "1", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    warning = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]  # stderr outside pytest
    assert len(warning) == 1 and "part-000001.parquet" in warning[0] and "running its chunk again" in warning[0]
    assert "2 this time" in captured.out, "the chunk of the damaged part, two runs, ran again"
    assert part.read_bytes() == original, "the re-run chunk is the same, byte for byte"
    pd.testing.assert_frame_equal(pd.read_parquet(out / "model"), before)

    # A part that no ledger entry vouches for (copied in by hand) is damage too.
    (out / "model" / "part-000099.parquet").write_bytes(original)
    assert main(["analyze", str(out)]) == 2
    assert "part-000099.parquet is not in the ledger" in one_line(capsys)


def test_a_flipped_byte_is_caught_by_the_checksum(tmp_path, capsys):
    out = sweep_folder(tmp_path, capsys)
    part = out / "summary" / "part-000000.parquet"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other content
    part.write_bytes(bytes(data))
    assert main(["analyze", str(out)]) == 2
    assert "summary/part-000000.parquet is damaged (its sha256 differs" in one_line(capsys)


def test_a_damaged_run_table_is_refused_with_one_line(tmp_path, capsys):
    folder = run_folder(tmp_path, capsys)
    table = folder / "model" / "part-000000.parquet"
    table.write_bytes(table.read_bytes()[:100])
    for command in (["plot", str(folder)], ["compare", str(folder), str(folder)]):
        assert main(command) == 2
        assert "model/part-000000.parquet: is damaged" in one_line(capsys)


def test_an_unreadable_table_without_a_recorded_checksum_is_one_line(tmp_path, capsys):
    folder = run_folder(tmp_path, capsys)
    set_manifest(folder, tables={})  # as written before checksums were recorded
    (folder / "agents" / "part-000000.parquet").write_bytes(b"not parquet at all")
    assert main(["plot", str(folder)]) == 2
    assert "agents/part-000000.parquet: cannot be read" in one_line(capsys)


def test_a_folder_written_before_whose_scenario_needs_no_stored_runs_is_still_drawn(tmp_path, capsys):
    """The earlier layout (model.parquet, agents.parquet, events.parquet beside each other, checksums) of a run
    that needs neither the baseline behind it (no parents) nor the chance-only runs (no posterior draws):
    read for its numbers, and `cohesion plot` draws it from its tables."""
    import shutil

    import sim

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({"name": "tiny", "end": "2025-02", "replications": 2, "uncertainty": "none"}))
    out = tmp_path / "results"
    assert main(["run", str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    (folder,) = out.iterdir()
    made = sim.load_results(folder)
    assert manifest(folder)["behind"] == {"baseline": None, "chance": None}
    checksums = {}
    for name in ("model", "agents", "events"):
        shutil.move(folder / name / "part-000000.parquet", folder / f"{name}.parquet")
        (folder / name).rmdir()
        checksums[f"{name}.parquet"] = store.file_digest(folder / f"{name}.parquet")
    recorded = {k: v for k, v in manifest(folder).items() if k not in ("tables", "behind")}
    (folder / "manifest.json").write_text(json.dumps({**recorded, "checksums": checksums}))
    shutil.rmtree(folder / "figures")
    (folder / "report.md").unlink()
    old = sim.load_results(folder)
    for name in ("model", "agents", "events"):
        pd.testing.assert_frame_equal(getattr(old, name), getattr(made, name), obj=name)
    capsys.readouterr()
    assert main(["plot", str(folder)]) == 0, capsys.readouterr().err
    assert (folder / "report.md").is_file() and (folder / "figures" / "headline.png").is_file()
    assert "## Chance and parameters" not in (folder / "report.md").read_text()


@pytest.fixture(scope="module")
def tables_only_folder(tmp_path_factory) -> Path:
    """A complete results folder of a two-month scenario: its tables and manifest, no figures (fast to make)."""
    from sim.runs.replications import run_scenario
    from sim.scenarios.scenario import from_mapping

    scenario = from_mapping({"name": "tiny", "end": "2025-02", "replications": 2}, source="tiny.yaml")
    folder = store.ResultsFolder.create(tmp_path_factory.mktemp("made"), scenario)
    folder.write_results(run_scenario(scenario))
    folder.finish("complete")
    folder.release()
    return folder.path


@pytest.mark.parametrize(("table", "column"), [("model", "cohesion"), ("model", "seed"), ("agents", "us_trust")])
def test_a_results_folder_missing_a_column_is_one_line_naming_the_folder_and_the_column(
    tmp_path, capsys, tables_only_folder, table, column
):
    folder = _edited(tmp_path, tables_only_folder, table, lambda t: t.drop(columns=[column]))
    _assert_refused(tmp_path, capsys, folder, table, f"has no column '{column}'", first=True)


def _assert_refused(tmp_path: Path, capsys, folder: Path, table: str, named: str, first: bool = False) -> None:
    """``plot`` (and ``compare``, which reads the model table alone) exit 2 with one line naming ``folder``,
    ``table`` and ``named`` (right after them with ``first``), and write nothing."""
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    commands = [["plot", str(folder)]]
    if table == "model":
        commands.append(["compare", str(folder), str(folder), "--out", str(tmp_path / "compared")])
    for command in commands:
        assert main(command) == 2, command
        line = one_line(capsys)
        prefix = f"error: {folder}: {table}/part-000000.parquet: "
        assert line.startswith(prefix + named) if first else (line.startswith(prefix) and named in line), line
        assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before, "something was written"


def _edited(tmp_path: Path, made: Path, table: str, edit) -> Path:
    """A copy of the folder ``made`` whose ``table`` was rewritten by ``edit`` (a DataFrame to a DataFrame)."""
    import shutil

    import pandas as pd

    folder = tmp_path / "results" / made.name
    shutil.copytree(made, folder)
    set_manifest(folder, tables={})  # as written by an older version, or edited by hand
    path = folder / table / "part-000000.parquet"
    edit(pd.read_parquet(path)).to_parquet(path, index=False)
    return folder


EDITS = {
    "cohesion as text": ("model", lambda t: t.assign(cohesion=t["cohesion"].astype(str)), "column 'cohesion'"),
    "a count not whole": ("model", lambda t: t.assign(blocs=t["blocs"] + 0.5), "column 'blocs'"),
    "dates as text": ("model", lambda t: t.assign(date=t["date"].astype(str)), "column 'date' holds '2025-01-01'"),
    "agents' dates as text": ("agents", lambda t: t.assign(date=t["date"].astype(str)), "column 'date'"),
    "a run's row dropped": ("model", lambda t: t.iloc[:-1], "run 1 has 1 months, not the 2 of run 0"),
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_results_folder_with_edited_values_is_one_line_naming_the_folder_the_table_and_the_column_or_run(
    tmp_path, capsys, tables_only_folder, edit
):
    table, change, named = EDITS[edit]
    _assert_refused(tmp_path, capsys, _edited(tmp_path, tables_only_folder, table, change), table, named)


def test_an_older_folder_with_text_months_is_still_read(tmp_path, tables_only_folder):
    # Folders written before the columns were typed hold the month as 'YYYY-MM' text.
    folder = _edited(
        tmp_path, tables_only_folder, "model", lambda t: t.assign(date=t["date"].map(lambda d: d.strftime("%Y-%m")))
    )
    model = store.ResultsFolder.open(folder).read_table("model")
    assert list(model["date"].unique()) == ["2025-01", "2025-02"]


# ---------------------------------------------------------------------- full disks, unwritable folders
def _full_disk_for(monkeypatch, fragment: str) -> None:
    """fsync of any file whose path holds ``fragment`` fails as on a full disk (after the data was written)."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if fragment in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_a_sweep_on_a_full_disk_is_marked_failed_with_the_reason_and_resumes_later(tmp_path, capsys, monkeypatch):
    experiment = experiment_file(tmp_path)
    out = tmp_path / "sweep"
    argv = ["sweep", str(experiment), "--workers", "1", "--chunk-runs", "2", "--quiet", "--out", str(out)]
    _full_disk_for(monkeypatch, "part-000001")
    assert main(argv) == 1
    message = one_line(capsys)
    assert "No space left on device" in message
    written = manifest(out)
    assert written["status"] == "failed" and "No space left on device" in written["error"]
    assert written["runs_done"] == 2, "the chunk written before the disk filled up counts"
    assert no_temporary_files(out) == []
    monkeypatch.undo()
    assert main(argv) == 0
    assert manifest(out)["status"] == "complete" and manifest(out)["runs_done"] == 6


def test_a_run_on_a_full_disk_is_marked_failed_with_the_reason(tmp_path, capsys, monkeypatch):
    out = tmp_path / "results"
    real = pd.DataFrame.to_parquet

    def to_parquet(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)  # the temporary file exists, then the disk is full
        if "agents" in str(path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", to_parquet)
    assert main(["run", str(scenario_file(tmp_path)), "--workers", "1", "--quiet", "--out", str(out)]) == 1
    message = one_line(capsys)
    assert message.startswith("error: cannot write the results: No space left on device")
    (folder,) = out.iterdir()
    written = manifest(folder)
    assert written["status"] == "failed" and "No space left on device" in written["error"]
    assert no_temporary_files(folder) == []


def test_a_manifest_that_cannot_be_written_leaves_a_folder_later_commands_call_interrupted(
    tmp_path, capsys, monkeypatch
):
    experiment = experiment_file(tmp_path)
    out = tmp_path / "sweep"
    argv = ["sweep", str(experiment), "--workers", "1", "--chunk-runs", "2", "--quiet", "--out", str(out)]
    real = sweep.SweepFolder.commit

    def commit(self, result):
        real(self, result)
        _full_disk_for(monkeypatch, "")  # everything from now on: parts, ledger and manifest

    monkeypatch.setattr(sweep.SweepFolder, "commit", commit)
    assert main(argv) == 1
    assert "No space left on device" in one_line(capsys)
    monkeypatch.undo()
    assert no_temporary_files(out) == []
    assert manifest(out)["status"] == "running", "the manifest could not be written"
    assert main(["analyze", str(out)]) == 2
    assert "is 'interrupted'" in one_line(capsys), "but nobody holds the lock: it is no live folder"


def _unwritable(tmp_path: Path) -> Path:
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    return blocker / "results"


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_an_out_folder_that_cannot_be_made_is_bad_input_for_both_commands(tmp_path, capsys, command):
    target = scenario_file(tmp_path) if command == "run" else experiment_file(tmp_path)
    out = _unwritable(tmp_path)
    assert main([command, str(target), "--workers", "1", "--out", str(out)]) == 2
    message = one_line(capsys)
    assert "--out" in message and "cannot make" in message
    assert not out.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="as root, chmod does not stop writes (see the test above instead)")
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_read_only_out_folder_is_bad_input_for_both_commands(tmp_path, capsys, command):
    target = scenario_file(tmp_path) if command == "run" else experiment_file(tmp_path)
    out = tmp_path / "read_only"
    out.mkdir()
    out.chmod(0o500)
    try:
        destination = out / "results" if command == "run" else out
        assert main([command, str(target), "--workers", "1", "--out", str(destination)]) == 2
        assert "--out" in one_line(capsys)
    finally:
        out.chmod(0o700)


# ---------------------------------------------------------------------- the command recorded, worker counts
def test_the_manifests_record_the_command_as_typed(tmp_path, capsys):
    out = sweep_folder(tmp_path, capsys)
    assert manifest(out)["command"] == [
        "cohesion",
        "sweep",
        str(tmp_path / "tiny_sweep.yaml"),
        "--workers",
        "1",
        "--chunk-runs",
        "2",
        "--quiet",
        "--out",
        str(out),
    ]
    folder = run_folder(tmp_path, capsys)
    assert manifest(folder)["command"][:3] == ["cohesion", "run", str(tmp_path / "tiny.yaml")]


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_too_many_workers_are_refused_and_more_than_the_cpus_warned(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setattr(processes, "cpu_count", lambda: 1)
    target = scenario_file(tmp_path) if command == "run" else experiment_file(tmp_path)
    out = tmp_path / "out"
    assert main([command, str(target), "--workers", "5", "--out", str(out)]) == 2
    message = one_line(capsys)
    assert "--workers: 5 is not allowed; use a whole number from 1 to 4" in message
    assert not out.exists()
    assert main([command, str(target), "--workers", "2", "--quiet", "--out", str(out)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: --workers 2")]
    assert len(warnings) == 1 and "more than the 1 CPU" in warnings[0]


def test_too_many_dask_workers_are_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(processes, "cpu_count", lambda: 2)
    assert main(["sweep", str(experiment_file(tmp_path)), "--dask-local", "9", "--out", str(tmp_path / "o")]) == 2
    assert "--dask-local: 9 is not allowed; use a whole number from 1 to 8" in one_line(capsys)


def test_write_atomically_removes_its_temporary_file_when_writing_fails(tmp_path):
    target = tmp_path / "table.csv"

    def fail(temporary: Path) -> None:
        temporary.write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OSError):
        store.write_atomically(target, fail)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_this_process_writes_is_live_to_its_own_readers_and_keeps_its_lock(tmp_path):
    from sim.scenarios.scenario import load

    folder = store.ResultsFolder.create(tmp_path, load(scenario_file(tmp_path)))
    try:
        with pytest.raises(store.InputError, match=f"still running, pid {os.getpid()} on host"):
            store.ResultsFolder.open(folder.path)
        probe = subprocess.run(
            [sys.executable, "-c", HOLD_LOCK, str(folder.path / ".lock")], capture_output=True, text=True, timeout=60
        )
        assert probe.returncode != 0 and "locked" not in probe.stdout, "the reader must not drop the writer's lock"
    finally:
        folder.finish("interrupted", "end of the test")


def test_a_refused_resume_lets_the_folder_go(tmp_path, capsys):
    out = sweep_folder(tmp_path, capsys)
    changed = experiment_file(tmp_path)
    changed.write_text(changed.read_text().replace("replications: 2", "replications: 3"))
    argv = ["sweep", str(changed), "--workers", "1", "--quiet", "--out", str(out)]
    assert main(argv) == 2
    assert "different experiment" in one_line(capsys)
    changed.write_text(changed.read_text().replace("replications: 3", "replications: 2"))
    assert main(argv) == 0, "the refused command held no lock after it ended"


def test_a_folder_written_before_the_trust_parts_is_drawn_with_one_sentence_for_them(tmp_path, capsys):
    # Folders written before trust's signal was split into US words and US troops (ODD 7.5) lack the two columns.
    import pandas as pd

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({"name": "tiny", "end": "2025-02", "replications": 2, "uncertainty": "none"}))
    assert main(["run", str(path), "--workers", "1", "--quiet", "--out", str(tmp_path / "out")]) == 0
    (folder,) = (tmp_path / "out").iterdir()
    name = "agents/part-000000.parquet"
    pd.read_parquet(folder / name).drop(columns=["trust_words", "trust_boots"]).to_parquet(folder / name, index=False)
    set_manifest(folder, tables={**manifest(folder)["tables"], name: store.file_digest(folder / name)})
    capsys.readouterr()
    assert main(["plot", str(folder)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().err == ""
    report = (folder / "report.md").read_text(encoding="utf-8")
    section = report.split("## What drove trust in the US", 1)[1].split("\n## ", 1)[0].strip()
    assert section.startswith("This folder's agents table has no `trust_words`, `trust_boots` column"), section
    assert "\n" not in section, section
