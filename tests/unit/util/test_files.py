"""sim.util.files: the one atomic writer, file digests and damage, and provenance (git revision, versions)."""

from __future__ import annotations

import errno
import hashlib
import os
import re

import pytest

from sim.util import files
from sim.util.resources import PACKAGE


def _fsynced(monkeypatch) -> list[str]:
    """The paths of the files fsync is called on from now on (it still syncs them)."""
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


@pytest.mark.parametrize("form", ["bytes", "callback"])
def test_write_atomically_syncs_the_whole_file_before_it_takes_the_name(tmp_path, monkeypatch, form):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    synced = _fsynced(monkeypatch)
    content = b"a,b\n1,2\n"
    files.write_atomically(target, content if form == "bytes" else lambda temporary: temporary.write_bytes(content))
    assert target.read_bytes() == content
    assert synced == [str(tmp_path / ".table.csv.tmp")], "the temporary file is synced, then renamed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


@pytest.mark.parametrize("form", ["bytes", "callback"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, form):
    target = tmp_path / "manifest.json"
    target.write_text("{}\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        files.write_atomically(target, b"{...}" if form == "bytes" else lambda p: p.write_text("{...}"))
    assert target.read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]


def test_digests_of_bytes_and_of_files_agree_and_damage_names_what_differs(tmp_path):
    data = b"x" * 100_000
    path = tmp_path / "part-000000.parquet"
    files.write_atomically(path, data)
    hex_digest = hashlib.sha256(data).hexdigest()
    assert files.data_digest(data) == files.file_digest(path) == {"bytes": len(data), "sha256": hex_digest}
    assert files.file_sha256(path) == files.data_sha256(data) == f"sha256:{hex_digest}"
    recorded = files.file_digest(path)
    assert files.damage(path, recorded) is None
    assert files.damage(path, None) is None  # nothing recorded: nothing to check
    path.write_bytes(data[:-1])
    assert files.damage(path, recorded) == f"is damaged ({len(data) - 1} bytes, {len(data)} when written)"
    path.write_bytes(data[:-1] + b"y")
    assert "sha256 differs" in files.damage(path, recorded)
    path.unlink()
    assert files.damage(path, recorded) == "is missing"


def test_the_code_revision_is_a_commit_and_a_flag_or_nulls_without_git(tmp_path, monkeypatch):
    revision = files.code_revision()
    assert set(revision) == {"commit", "modified"}
    if revision["commit"] is not None:  # a source checkout
        assert re.fullmatch(r"[0-9a-f]{40}", revision["commit"]) and isinstance(revision["modified"], bool)
    monkeypatch.setattr(files, "PACKAGE", tmp_path)  # a folder outside any repository: git fails
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert files.code_revision() == {"commit": None, "modified": None}
    monkeypatch.setenv("PATH", str(tmp_path))  # no git program at all
    assert files.code_revision() == {"commit": None, "modified": None}


def test_package_versions_name_python_the_packages_and_none_for_one_not_installed():
    versions = files.package_versions(("no-such-package-here",))
    assert list(versions)[: len(files.PACKAGES) + 1] == ["python", *files.PACKAGES]
    assert versions["numpy"] and versions["no-such-package-here"] is None


def test_no_module_writes_renames_or_hashes_a_file_but_the_one_writer():
    """Every file the tool writes goes through files.write_atomically; every sha256 and git call is there too."""
    allowed = {"os.fsync": {"runs/sweep/folder.py"}}  # the sweep ledger is appended to, line by line, and synced
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name == "util/files.py":
            continue
        text = path.read_text(encoding="utf-8")
        for call in ("os.replace", "os.rename", "os.fsync", "hashlib", "rev-parse"):
            if call in text and name not in allowed.get(call, set()):
                offenders.append(f"{name}: {call}")
    assert offenders == []
