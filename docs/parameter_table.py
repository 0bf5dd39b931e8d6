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

import odd_tables  # noqa: E402  (docs/, beside this script)

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


def table_in_document() -> str:
    """The table docs/ODD.md holds now (between its marker lines)."""
    return odd_tables.between(START, END)


def main(argv: list[str]) -> int:
    return odd_tables.main(
        argv, markdown_table(), START, END, "parameter table", "sim/inputs/parameters.py", "docs/parameter_table.py"
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
