"""Reading the YAML files a user writes (scenarios, experiments): any failure is bad input.

:func:`read` returns the parsed content of a file, or raises
:class:`~sim.util.errors.InputError` naming the file, whatever went wrong: the
operating system (no such file, a folder, a name too long, no permission),
the encoding (not UTF-8), the YAML (syntax, duplicate keys, unhashable keys),
the shape (nested deeper than :data:`MAX_DEPTH` levels, a self-referencing
alias, more than :data:`MAX_VALUES` values once aliases are expanded).

The loader is PyYAML's safe loader (no arbitrary objects) with three
changes: a key written twice in one mapping is refused (YAML would keep the
last silently); merge keys (``<<: *defaults``) work as in standard YAML, the
keys written beside them overriding the merged ones; and a full date such
as ``2035-12-31`` stays the text it was written as (PyYAML would make a
date of it), so that the unquoted and the quoted form get the same answer
from the field that reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sim.util.errors import InputError

MAX_DEPTH = 32  # a scenario needs 4 levels (states.POL.threat), an experiment with an inline scenario 6
MAX_VALUES = 200_000  # values in one file once aliases are expanded (a scenario holds a few hundred)
MAX_BYTES = 10_000_000  # a scenario or experiment file is a few kilobytes
MAX_DIGITS = 100  # digits of a whole number written in a file (Python converts at most 4,300 digits of text)
_MERGE_TAG = "tag:yaml.org,2002:merge"


# libyaml's parser when PyYAML was built with it: fast, and it stops deep nesting at once, where the
# pure-Python scanner takes seconds; the constructors (below) are the same either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_SafeLoader):
    """SafeLoader that refuses duplicate keys, supports merge keys and keeps full dates as text."""


def _mapping_without_duplicates(loader: Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = "<<" if key_node.tag == _MERGE_TAG else loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key (a list as key): the constructor reports it
            break
        if duplicate:
            shown = str(key) if len(str(key)) <= 40 else str(key)[:37] + "..."
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{shown}'", key_node.start_mark)
        seen.add(key)
    # SafeConstructor.construct_mapping merges '<<' keys first; the keys written beside them win.
    return loader.construct_mapping(node, deep=deep)


class _TooManyDigits(yaml.constructor.ConstructorError):
    """A whole number longer than MAX_DIGITS digits (reported with its line, never echoed)."""


def _whole_number(loader: Loader, node: yaml.ScalarNode) -> int:
    digits = sum(character.isdigit() for character in node.value)
    if digits > MAX_DIGITS:
        raise _TooManyDigits(None, None, f"a whole number of {digits:,} digits", node.start_mark)
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)
Loader.add_constructor("tag:yaml.org,2002:int", _whole_number)
Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.constructor.SafeConstructor.construct_yaml_str)


def parse(text: str, source: str) -> Any:
    """Parse YAML text; InputError naming ``source`` and the line for anything that is not usable YAML."""
    try:
        content = yaml.load(text, Loader=Loader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "yaml"
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        if not problem.startswith("duplicate key"):  # ours, with the key cut short; the parser's quote anything
            problem = _without_snippets(problem)
        if isinstance(error, _TooManyDigits):
            raise InputError(where, f"{problem}; write whole numbers of at most {MAX_DIGITS} digits", source) from None
        if "nesting depth" in problem:  # libyaml's own limit
            raise InputError(
                "top level", f"nested too deeply; a file takes at most {MAX_DEPTH} levels", source
            ) from None
        raise InputError(where, f"not valid YAML ({problem})", source) from None
    except RecursionError:
        raise InputError("top level", f"nested too deeply; a file takes at most {MAX_DEPTH} levels", source) from None
    check_shape(content, source)
    return content


def _without_snippets(problem: str) -> str:
    """The parser's problem without the text it quotes from the file (an alias, an anchor, a tag): never echoed.

    Its other problems quote only the syntax (``expected ',' or ']'``, a character that cannot start a token).
    """
    if re.search(r"alias|anchor|tag|escape", problem):
        return re.sub(r"""\s*['"].*$""", "", problem)
    return problem


#: A key as a person writes one in a scenario or experiment file: a word, with '_', '-' or '.' inside.
_PLAUSIBLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,59}")


def not_keys(content: Any, source: str, what: str, known: tuple[str, ...]) -> InputError | None:
    """The error for a file that is no ``what`` file at all (None for one that may be, even with wrong keys).

    Such a file's top level is text, a list or a single value, or a mapping none of whose keys is one of
    ``known`` and some of whose keys no one would write (spaces, colons, slashes: a password file read as
    YAML). The message never echoes the file's content; ordinary unknown keys are left to the caller, which
    names them (they help to correct a typo).
    """
    kind = f"an {what}" if what[:1] in "aeiou" else f"a {what}"
    keys = ", ".join(f"{key}:" for key in known[:2])
    if isinstance(content, Mapping):
        if any(key in known for key in content) or all(
            not isinstance(key, str) or _PLAUSIBLE_KEY.fullmatch(key) for key in content
        ):
            return None
        top = "text"
    else:
        top = "text" if isinstance(content, str) else "a list" if isinstance(content, list) else "a single value"
    return InputError("top level", f"is not {kind} file: its top level is {top}, not keys such as {keys}", source)


def check_shape(content: Any, source: str) -> None:
    """Refuse content nested deeper than MAX_DEPTH (or referring to itself) or larger than MAX_VALUES values."""
    stack: list[tuple[Any, int]] = [(content, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise InputError(
                "top level",
                f"holds more than {MAX_VALUES:,} values once YAML aliases are expanded; write a smaller file",
                source,
            )
        if isinstance(value, Mapping | list):
            if depth > MAX_DEPTH:
                raise InputError(
                    "top level",
                    f"nested too deeply (or an alias refers to itself); a file takes at most {MAX_DEPTH} levels",
                    source,
                )
            items = value.values() if isinstance(value, Mapping) else value
            stack.extend((item, depth + 1) for item in items)


def read(path: str | Path, source: str, what: str = "scenario") -> tuple[Any, str]:
    """(parsed content, text) of a user's YAML file; InputError naming ``source`` for any failure.

    ``what`` names the kind of file in messages ("scenario", "experiment").
    """
    kind = f"an {what}" if what[:1] in "aeiou" else f"a {what}"
    path = Path(path)
    try:
        if exists(path) and not path.is_file() and not path.is_dir():
            raise InputError("file", f"is not a regular file; give {kind} file (.yaml)", source)
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise InputError("file", f"is larger than {MAX_BYTES:,} bytes; {kind} file is a few kB", source)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file", f"no such file; give {kind} file (.yaml)", source) from None
    except IsADirectoryError:
        raise InputError("file", f"is a folder; give {kind} file (.yaml)", source) from None
    except UnicodeDecodeError:
        raise InputError("file", f"is not text (UTF-8); give {kind} file in YAML", source) from None
    except OSError as error:
        raise InputError("file", f"cannot be read ({error.strerror or type(error).__name__})", source) from None
    return parse(text, source), text


def is_file(path: str | Path) -> bool:
    """Whether ``path`` is a file; False (not an exception) for a name the system cannot even look up."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte
        return False


def exists(path: str | Path) -> bool:
    """Whether anything is at ``path`` (a file, a folder, a device, a pipe); False for a name that cannot be."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def is_dir(path: str | Path) -> bool:
    """Whether ``path`` is a folder; False for a name the system cannot look up."""
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):
        return False
