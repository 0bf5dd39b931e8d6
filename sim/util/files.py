"""Files the tool writes, their digests, and the provenance every folder records.

One writer for every file (:func:`write_atomically`): the content goes to a
hidden temporary file beside the target (``.<name>.tmp``; Parquet readers and
globs skip names starting with '.'), is forced to disk (``fsync``) and only
then renamed into place, so a file that exists is whole, whatever stops the
writing (a full disk, a kill, a power cut). Tables, manifests, ledgers,
reports, figures, CSV files and posteriors all go through it.

Digests: :func:`file_digest` and :func:`data_digest` give the
``{"bytes": size, "sha256": hex}`` records of manifests and ledgers, and
:func:`damage` checks a file against one; :func:`file_sha256` and
:func:`data_sha256` give ``"sha256:<hex>"`` texts (posterior files, content
hashes).

Provenance: :func:`code_revision` (the git commit and whether it had
uncommitted changes; nulls without git), :func:`package_versions` (Python and
the packages the numbers depend on) and :func:`code_hash` (the hash of the
package's own source and data files, which tells whether the model that wrote
a folder is the one installed).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import subprocess
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.util.resources import PACKAGE

# The packages whose versions every folder records: those the numbers depend on.
PACKAGES = ("alliance-cohesion", "mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "pyyaml", "matplotlib")
GIT_TIMEOUT_S = 5


# ====================================================================== writing
def write_atomically(path: str | Path, content: bytes | Callable[[Path], None]) -> None:
    """Write ``content`` to ``path`` whole or not at all: to a temporary file, then fsync, then rename.

    ``content`` is the file's bytes, or a callback ``write(temporary)`` that writes the file at the path it is
    given (``frame.to_parquet``, ``figure.savefig``, ...). The temporary file is ``.<name>.tmp`` in the same
    folder (renaming is atomic on one file system). An existing file at ``path`` is replaced.

    Raises:
        OSError: the file cannot be written (a full disk, a folder that is gone); the temporary file is
            removed and ``path`` is left as it was. Any error of the callback is raised the same way.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        if callable(content):
            content(temporary)
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
        else:
            with open(temporary, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_text(path: str | Path, text: str) -> None:
    """:func:`write_atomically` of ``text`` in UTF-8."""
    write_atomically(path, text.encode("utf-8"))


# ====================================================================== digests
def data_sha256(data: bytes) -> str:
    """``"sha256:<64 hex digits>"`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def file_sha256(path: str | Path) -> str:
    """``"sha256:<64 hex digits>"`` of the bytes of the file ``path``; OSError if it cannot be read."""
    return "sha256:" + file_digest(path)["sha256"]


def data_digest(data: bytes) -> dict[str, Any]:
    """``{"bytes": size, "sha256": hex digest}`` of ``data``, as manifests and ledgers record a file."""
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def file_digest(path: str | Path) -> dict[str, Any]:
    """``{"bytes": size, "sha256": hex digest}`` of a file, as recorded in manifests and the sweep ledger.

    Reads the file once, in blocks. Raises OSError if it cannot be read.
    """
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
        size = os.fstat(handle.fileno()).st_size
    return {"bytes": size, "sha256": digest}


def damage(path: Path, recorded: dict[str, Any] | None) -> str | None:
    """What is wrong with a file against its recorded size and checksum, or None if it matches (or nothing is recorded).

    A missing file, another size or another sha256 is damage; returns a phrase to follow the file's name
    ('is missing', 'is damaged (...)', 'cannot be read (...)').
    """
    if not path.is_file():
        return "is missing"
    if not isinstance(recorded, dict):
        return None
    size = path.stat().st_size
    if "bytes" in recorded and size != recorded["bytes"]:
        return f"is damaged ({size} bytes, {recorded['bytes']} when written)"
    try:
        actual = file_digest(path)["sha256"]
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if "sha256" in recorded and actual != recorded["sha256"]:
        return "is damaged (its sha256 differs from the one recorded when it was written)"
    return None


# ====================================================================== provenance
def code_revision() -> dict[str, Any]:
    """``{"commit": hex, "modified": bool}``: the git commit of the code that runs and whether the checkout has
    uncommitted changes to tracked files; ``{"commit": None, "modified": None}`` without git (an installed wheel,
    no git program)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PACKAGE,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PACKAGE,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "modified": None}
    return {"commit": commit, "modified": bool(status.strip())}


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Python's version and those of :data:`PACKAGES` and the ``extra`` ones, by name; None for one not installed."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in dict.fromkeys(PACKAGES + extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# Suffixes of the package's own source and data files. Everything else under the package (``__pycache__``,
# ``*.pyc``, numba's cache, editor leftovers) differs between interpreters and settings, not between models.
_HASHED_SUFFIXES = frozenset({".py", ".csv", ".json", ".md", ".yaml", ".yml"})
# The wheel carries the packaged scenarios and experiments inside the package; they are inputs a sweep's own
# content hash already covers, so the code hash is the same for a source checkout and an installed wheel.
_UNHASHED_DATA = frozenset({("data", "scenarios"), ("data", "experiments")})


def code_hash(package: Path | None = None) -> str:
    """sha256 of the package's source and data files, recursively: tells whether the model changed since a folder
    was written (a resumed sweep or calibration warns if it did).

    Each file counts by its path relative to the package (``/`` separators) and its bytes, in sorted order.
    Only files ending in ``.py``, ``.csv``, ``.json``, ``.md``, ``.yaml`` or ``.yml`` count; ``__pycache__``
    folders, folders whose name starts with '.', hidden files, compiled files and the wheel's copies of the
    packaged scenarios and experiments (``data/scenarios``, ``data/experiments``) do not. Returns
    ``"sha256:<64 hex digits>"``. ``package`` defaults to the installed ``sim`` package's folder.
    """
    root = PACKAGE if package is None else Path(package)
    digest = hashlib.sha256()
    files = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        folders = relative.parts[:-1]
        if "__pycache__" in folders or any(part.startswith(".") for part in folders) or folders[:2] in _UNHASHED_DATA:
            continue
        if path.suffix in _HASHED_SUFFIXES and not path.name.startswith(".") and path.is_file():
            files.append((relative.as_posix(), path))
    for name, path in sorted(files):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()
