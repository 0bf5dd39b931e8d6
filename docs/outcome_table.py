"""Print the outcome tables of docs/ODD.md (section 7.11) from the outcome registry.

Run from the repository root:

    python docs/outcome_table.py            # print the Markdown tables
    python docs/outcome_table.py --check    # exit 1 if docs/ODD.md holds different tables
    python docs/outcome_table.py --write    # replace the tables in docs/ODD.md

The tables in ``docs/ODD.md`` sit between the lines ``<!-- outcome-table:start -->`` and
``<!-- outcome-table:end -->``; write them again whenever a record of ``sim/rules/outcomes.py`` changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import odd_tables  # noqa: E402  (docs/, beside this script)

from sim.rules.outcomes import OUTCOMES, STATE_OUTCOMES, Outcome  # noqa: E402

START = "<!-- outcome-table:start -->"
END = "<!-- outcome-table:end -->"
MODEL_COLUMNS = ("outcome", "label", "kind", "scale", "unit", "decimals", "headline panel", "report row", "produced")
STATE_COLUMNS = ("state variable", "label", "kind", "scale", "unit", "in plain words")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _table(columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def _model_row(o: Outcome) -> tuple[object, ...]:
    rank = lambda value: value or "—"  # noqa: E731
    return (f"`{o.name}`", o.one_line(), o.kind, o.scale, o.unit, o.decimals, rank(o.headline), rank(o.key), o.source)


def markdown_table() -> str:
    """The registry as Markdown: one table of the model outcomes, one of the state variables drawn by state."""
    model = _table(MODEL_COLUMNS, [_model_row(o) for o in OUTCOMES.values()])
    states = _table(
        STATE_COLUMNS,
        [(f"`{o.name}`", o.one_line(), o.kind, o.scale, o.unit, o.definition) for o in STATE_OUTCOMES.values()],
    )
    return "\n".join([*model, "", *states])


def table_in_document() -> str:
    """The table docs/ODD.md holds now (between its marker lines)."""
    return odd_tables.between(START, END)


def main(argv: list[str]) -> int:
    return odd_tables.main(
        argv, markdown_table(), START, END, "outcome tables", "sim/rules/outcomes.py", "docs/outcome_table.py"
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
