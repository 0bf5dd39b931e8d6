"""Who is writing a results folder: a lock held for the life of the command, and the process it names.

The command that writes a results folder (``cohesion run``, ``cohesion sweep``)
records its process id, host and start time in the manifest (``pid``,
``host``, ``started``) and holds a POSIX lock on the folder's ``.lock`` file
until it ends. The operating system releases the lock when the process dies,
however it dies (``kill -9`` included), so a later command tells a live
folder (locked) from a stale one (status ``running`` but unlocked): the stale
one is marked ``interrupted``, the live one is refused.

The lock is an ``fcntl.lockf`` record lock: it belongs to the process alone,
so forked worker processes do not keep it alive after the command is gone.
Such a lock does not exclude its own process (and closing any descriptor
of the file drops it), so the folders this process holds are also kept in
a set: within one process they count as live and are never probed.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path
from typing import IO, Any

from sim.util.errors import InputError
from sim.util.files import write_atomically

LOCK = ".lock"
_HELD: set[Path] = set()  # folders whose lock this process holds
STALE_NOTE = "the process that wrote this folder (pid {pid} on {host}) ended without finishing (killed?)"


def identity() -> dict[str, Any]:
    """This process: ``{"pid": int, "host": str}``, as recorded in a manifest."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def _try_lock(handle: IO[Any]) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock, every folder looks free
        return True
    try:
        fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class FolderLock:
    """The writer's lock on a results folder, held until :meth:`release` (or the process's death)."""

    def __init__(self, folder: Path, handle: IO[Any]) -> None:
        self.folder = folder
        self._handle: IO[Any] | None = handle

    @classmethod
    def acquire(cls, folder: Path) -> FolderLock | None:
        """The lock of ``folder``, or None when another writer holds it. OSError if the file cannot be opened."""
        if folder.resolve() in _HELD:
            return None
        handle = open(folder / LOCK, "a+")  # noqa: SIM115 - held open for the life of the command
        if not _try_lock(handle):
            handle.close()
            return None
        _HELD.add(folder.resolve())
        return cls(folder, handle)

    def release(self) -> None:
        """Let the folder go; safe to call twice."""
        if self._handle is not None:
            _HELD.discard(self.folder.resolve())
            self._handle.close()
            self._handle = None


def holder(manifest: dict[str, Any]) -> str:
    """'pid N on host H' from a manifest (what a refusal names)."""
    return f"pid {manifest.get('pid', '?')} on host {manifest.get('host', '?')}"


def _process_exists(manifest: dict[str, Any]) -> bool:
    pid, host = manifest.get("pid"), manifest.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def settle(folder: Path, manifest: dict[str, Any], manifest_name: str = "manifest.json") -> dict[str, Any]:
    """A folder's manifest before reading it: a live folder is refused, a stale ``running`` one becomes ``interrupted``.

    The lock decides whether the writer lives; a folder without a lock file
    (or one that cannot be opened) counts as live only if its recorded
    process still exists on this host. The stale folder's manifest is
    rewritten, under the lock (status ``interrupted``, the reason in
    ``error``), when the folder is writable; the returned manifest says
    ``interrupted`` either way.

    Raises:
        InputError: the folder is still being written ("still running, pid N on host H").
    """
    if manifest.get("status") != "running":
        return manifest
    lock: FolderLock | None = None
    try:
        lock = FolderLock.acquire(folder) if (folder / LOCK).is_file() else None
        live = lock is None and ((folder / LOCK).is_file() or _process_exists(manifest))
    except OSError:
        live = _process_exists(manifest)
    try:
        if live:
            raise InputError(
                f"{manifest_name}.status",
                f"still running, {holder(manifest)}; wait for it to finish (or stop it) and try again",
                str(folder),
            )
        settled = {
            **manifest,
            "status": "interrupted",
            "error": STALE_NOTE.format(pid=manifest.get("pid", "?"), host=manifest.get("host", "?")),
        }
        text = json.dumps(settled, indent=2, ensure_ascii=False) + "\n"
        with contextlib.suppress(OSError):  # a read-only folder: report it as interrupted without writing
            write_atomically(folder / manifest_name, text.encode("utf-8"))
        return settled
    finally:
        if lock is not None:
            lock.release()
