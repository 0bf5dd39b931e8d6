"""Print the parameter table of docs/ODD.md (section 8) from the parameter registry.

Run from the repository root:

    python docs/parameter_table.py            # print the Markdown table
    python docs/parameter_table.py --check    # exit 1 if docs/ODD.md holds a different table
    python docs/parameter_table.py --write    # replace the table in docs/ODD.md

The table in ``docs/ODD.md`` sits between the lines
``<!-- parameter-table:start -->`` and ``<!-- parameter-table:end -->``;
paste the output of this script there whenever ``sim/inputs/parameters.py`` changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.inputs.parameters import PARAMETERS, Parameter  # noqa: E402

START = "<!-- parameter-table:start -->"
END = "<!-- parameter-table:end -->"
COLUMNS = ("name", "default", "range or choices", "unit", "process", "justification")


def _number(value: float) -> str:
    return f"{value:g}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _row(p: Parameter) -> tuple[str, ...]:
    if p.is_categorical:
        default = str(p.default)
        allowed = ", ".join(p.choices)
    else:
        default = _number(float(p.default))
        allowed = f"{_number(p.low)} to {_number(p.high)}"
    return (f"`{p.name}`", default, allowed, p.unit, p.process, p.justification)


def markdown_table() -> str:
    """The registry as a Markdown table, one row per parameter, in registry order."""
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    for p in PARAMETERS.values():
        lines.append("| " + " | ".join(_cell(c) for c in _row(p)) + " |")
    return "\n".join(lines)


def table_in_document(path: Path = ROOT / "docs" / "ODD.md") -> str:
    """The text between the two marker lines of the ODD (without the markers)."""
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path.name} lacks the lines {START} and {END}")
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def main(argv: list[str]) -> int:
    table = markdown_table()
    if "--write" in argv:
        path = ROOT / "docs" / "ODD.md"
        text = path.read_text(encoding="utf-8")
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        path.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
        return 0
    if "--check" in argv:
        if table_in_document() != table:
            print(
                "docs/ODD.md: the parameter table differs from sim/inputs/parameters.py; "
                "paste the output of 'python docs/parameter_table.py'",
                file=sys.stderr,
            )
            return 1
        print("docs/ODD.md parameter table agrees with sim/inputs/parameters.py")
        return 0
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
