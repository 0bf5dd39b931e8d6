"""The generated tables of docs/ODD.md: each sits between a start and an end marker line, and a script prints,
checks or writes it (docs/parameter_table.py, docs/outcome_table.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"


def between(start: str, end: str, path: Path = ODD) -> str:
    """The text between the two marker lines of ``path`` (without the markers); ValueError if one is missing."""
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise ValueError(f"{path.name} lacks the lines {start} and {end}")
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def main(argv: list[str], table: str, start: str, end: str, what: str, source: str, script: str) -> int:
    """``--write`` puts ``table`` between the markers of docs/ODD.md; ``--check`` exits 1 if the document holds
    another; otherwise the table is printed. ``what`` names the table, ``source`` the module it is made from."""
    if "--write" in argv:
        text = ODD.read_text(encoding="utf-8")
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        ODD.write_text(f"{head}{start}\n{table}\n{end}{tail}", encoding="utf-8")
        return 0
    if "--check" in argv:
        if between(start, end) != table:
            print(f"docs/ODD.md: the {what} differs from {source}; run 'python {script} --write'", file=sys.stderr)
            return 1
        print(f"docs/ODD.md: {what} up to date with {source}")
        return 0
    print(table)
    return 0
