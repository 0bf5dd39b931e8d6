"""Check that two results folders of ``cohesion run`` hold the same model, agents and events tables, exactly.

Used to show that a change of how a run is driven (the command line, the API, the folder writing) changed no
number: run the same command before and after the change, then::

    python tests/golden/same_tables.py FOLDER_BEFORE FOLDER_AFTER

Every column of each table is compared without tolerance (values and types). Prints one line per table and
exits 0 when all three are identical, 1 otherwise. Either folder may be in the layout of this version (each
table in a folder of its own, ``model/part-000000.parquet``) or the earlier one (``model.parquet``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

TABLES = ("model", "agents", "events")


def table_path(folder: Path, name: str) -> Path:
    """The file of table ``name`` in a run folder of either layout."""
    own = folder / name / "part-000000.parquet"
    return own if own.is_file() else folder / f"{name}.parquet"


def differences(before: Path, after: Path) -> dict[str, str | None]:
    """Per table, None if identical, else what differs (the first assertion pandas reports, on one line)."""
    found: dict[str, str | None] = {}
    for name in TABLES:
        a = pd.read_parquet(table_path(before, name))
        b = pd.read_parquet(table_path(after, name))
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
        except AssertionError as error:
            found[name] = " ".join(str(error).split())[:300]
        else:
            found[name] = None
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tests/golden/same_tables.py FOLDER_BEFORE FOLDER_AFTER", file=sys.stderr)
        return 2
    before, after = (Path(a) for a in argv)
    found = differences(before, after)
    for name, problem in found.items():
        rows = len(pd.read_parquet(table_path(before, name)))
        print(f"{name}: {'identical' if problem is None else 'DIFFERENT: ' + problem} ({rows} rows)")
    return 0 if all(problem is None for problem in found.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
