"""Errors raised for bad input.

Every problem a user can cause with a scenario, an experiment or a model
argument is an :class:`InputError`: it names the field and what is allowed,
so that the command line can print it on one line and exit with code 2.

:func:`shown` echoes a user's value back short and on one line;
:func:`pydantic_problem` words a validation error of the schema library in
the project's own terms (what was given, what is allowed), so that no
message quotes the library.
"""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

SHOWN_CHARS = 40  # a value echoed back in a message is cut to this many characters
SOURCE_CHARS = 120  # a file name longer than this is cut in the middle
FIELD_CHARS = 80  # so is a field name (a user's unknown key) longer than this
LINE_CHARS = 400  # an error line is cut to this many characters (lists of choices are kept far shorter)
LIST_CHARS = 200  # a list of choices longer than this is told by its closest names
CLOSEST = 4  # names told from a long list
OUTCOMES_LISTED = "'cohesion list outcomes'"  # where every model outcome is listed


class RunFailure(RuntimeError):
    """A run or sweep that cannot go on for a reason outside the user's input (no Dask worker joined, the
    workers cannot import the model, a worker process died): the command line prints its message as one
    line and exits with code 1; the results folder, if any, is marked ``failed`` with it."""


class InputError(ValueError):
    """Bad input: names the offending field and what is allowed.

    ``source`` is the file (or command-line option) at fault, ``field`` the
    key in it, ``message`` what is wrong and what is allowed.
    :meth:`one_line` is the text the command line prints: always a single line.
    """

    def __init__(self, field: str, message: str, source: str | None = None) -> None:
        self.field = field
        self.message = message
        self.source = source
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """``source: field: message`` on one line (line breaks in echoed values become spaces)."""
        where = f"{_cut_middle(str(self.source))}: " if self.source else ""
        line = " ".join(f"{where}{_cut_middle(str(self.field), FIELD_CHARS)}: {self.message}".split())
        return line if len(line) <= LINE_CHARS - len("error: ") else line[: LINE_CHARS - len("error: ") - 3] + "..."

    def with_source(self, source: str) -> InputError:
        """The same error, attributed to a file."""
        return InputError(self.field, self.message, source)


def out_of_memory(error: MemoryError) -> str:
    """One line for a command that ran out of memory: what failed and what to make smaller (no traceback)."""
    detail = f" ({error})" if str(error) else ""
    return shorten(
        f"error: out of memory{detail}; make the job smaller: fewer samples, levels or replications in the "
        "experiment file, fewer months or replications in the scenario, or fewer --workers",
        LINE_CHARS,
    )


def short_path(text: str, limit: int = SOURCE_CHARS) -> str:
    """A file name cut in the middle to at most ``limit`` characters ('start...end'), for messages."""
    return _cut_middle(str(text), limit)


def _cut_middle(text: str, limit: int = SOURCE_CHARS) -> str:
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]}...{text[-half:]}"


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with '...' when longer."""
    text = " ".join(str(text).split()) if "\n" in str(text) or "\r" in str(text) else str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A user's value as it would be written in YAML, quoted if text, at most ``limit`` characters.

    ``'DNKK'``, ``0.3``, ``true``, ``null``, ``[EST, LVA]``, ``{x: 1}``, ``.nan``; dates as ``2035-12-31``.
    """
    if isinstance(value, str):
        return f"'{shorten(value, limit - 2)}'"
    return shorten(_yamlish(value), limit)


def _yamlish(value: Any, depth: int = 0) -> str:
    if depth > 3:
        return "..."
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        text = str(value) if value.bit_length() < 200 else f"a {len(str(abs(value)))}-digit number"
        return text
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        items = list(value.items())[:4]
        inner = ", ".join(f"{_yamlish(k, depth + 1)}: {_yamlish(v, depth + 1)}" for k, v in items)
        return "{" + inner + (", ..." if len(value) > 4 else "") + "}"
    if isinstance(value, list | tuple):
        inner = ", ".join(_yamlish(v, depth + 1) for v in value[:6])
        return "[" + inner + (", ..." if len(value) > 6 else "") + "]"
    return type(value).__name__


def kind_of(value: Any) -> str:
    """What a YAML value is, in words: 'text', 'a number', 'a list', 'a mapping', 'true/false', 'empty'."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


def nearest(name: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest choice, or '' when none is close."""
    name = str(name)
    if len(name) > 2 * SHOWN_CHARS:  # nothing registered is that long; difflib on long text is slow
        return ""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def one_of(choices: Iterable[str], given: Any = None, what: str = "names", every: str = "") -> str:
    """'one of a, b, c' for a short list; for a long one its size, the names closest to ``given`` and ``every``.

    A message lists every choice only while the list is short (:data:`LIST_CHARS`): 29 outcomes in full made
    a line of 611 characters. ``what`` names the choices ("model outcomes"), ``every`` says where all are
    listed ("'cohesion list outcomes'"). Returns e.g. "one of the 29 model outcomes (the closest:
    cohesion, cohesion_burden, blocs, mean_threat; all in 'cohesion list outcomes')".
    """
    choices = [str(choice) for choice in choices]
    listed = ", ".join(choices)
    if len(listed) <= LIST_CHARS:
        return f"one of {listed}"
    name = str(given) if given is not None else ""
    close = difflib.get_close_matches(name, choices, n=CLOSEST, cutoff=0.0) if 0 < len(name) <= 80 else []
    named = f"the closest: {', '.join(close)}" if close else f"e.g. {', '.join(choices[:CLOSEST])}"
    return f"one of the {len(choices)} {what} ({named}" + (f"; all in {every})" if every else ")")


def pydantic_problem(detail: Mapping[str, Any], allowed: str) -> str:
    """One validation error of the schema library (an item of ``ValidationError.errors()``) in our words.

    ``allowed`` says what the field takes (e.g. "a whole number from 1 to 120"); the
    result reads "<value> is not allowed; use <allowed>" or a more specific sentence
    (a list shown as the fix for a single value, a missing field, a fraction given
    where a whole number is needed). The library's own wording is never returned.
    """
    kind = detail.get("type", "")
    value = detail.get("input")
    if kind == "missing":
        return f"missing; give {allowed}"
    if kind == "list_type" and not isinstance(value, list | Mapping) and value is not None:
        return f"{shown(value)} is not a list; write a list, e.g. [{shorten(_yamlish(value), SHOWN_CHARS - 2)}]"
    if kind in ("int_from_float", "int_type") and isinstance(value, float) and math.isfinite(value):
        return f"{shown(value)} is not a whole number; use {allowed}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{shown(value)} is not a finite number; use {allowed}"
    too_large = kind in ("float_type", "int_type", "less_than", "less_than_equal", "greater_than_equal")
    if too_large and isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return f"{shown(value)} is too large; use {allowed}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{shown(value)} is {kind_of(value)}; use {allowed}"
    return f"{shown(value)} is not allowed; use {allowed}"


# Operating-system errors that mean a path given on the command line cannot name a file or folder.
_NAME_ERRORS = frozenset({errno.ENAMETOOLONG, errno.ENOTDIR, errno.ELOOP, errno.EINVAL, errno.ENOENT, errno.EISDIR})
_READ_ERRORS = _NAME_ERRORS | {errno.EACCES, errno.EPERM}
_PATH_ARGUMENTS = (("file", "file", _READ_ERRORS), ("files", "file", _READ_ERRORS))
_PATH_ARGUMENTS += (("folder", "folder", _READ_ERRORS), ("folders", "folder", _READ_ERRORS))
_PATH_ARGUMENTS += (("out", "--out", _NAME_ERRORS),)


def bad_path(args: Any, error: OSError) -> InputError | None:
    """The InputError for an OSError on a path given on the command line (bad input), None for any other.

    ``args`` is the parsed command line (an ``argparse.Namespace``): its ``file``, ``files``, ``folder``,
    ``folders`` and ``out`` attributes are the paths the user gave. An error on another path (a full disk,
    a file of the package) is not the user's and gives None.
    """
    if not isinstance(error.filename, str | os.PathLike):
        return None
    failed = os.fspath(error.filename)
    for attribute, option, errors in _PATH_ARGUMENTS:
        given = getattr(args, attribute, None)
        for path in given if isinstance(given, list) else [given]:
            if not isinstance(path, str) or error.errno not in errors:
                continue
            if failed == path or failed.startswith(path.rstrip(os.sep) + os.sep):
                reason = error.strerror or type(error).__name__
                inside = "" if failed == path else f": {short_path(failed[len(path.rstrip(os.sep)) + 1 :], 60)}"
                return InputError(option, f"cannot be used{inside} ({reason})", path)
    return None
