"""Months as integers: the model's clock.

A month is written ``YYYY-MM`` in files and held as the integer
``12 * year + (month - 1)`` inside the model, so that month arithmetic is
plain integer arithmetic.
"""

from __future__ import annotations

import datetime as _dt
import re

from sim.errors import InputError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EARLIEST_YEAR = 2014
LATEST_YEAR = 2100


def parse_month(value: object, field: str = "date") -> int:
    """'2026-03' (or a date / datetime) -> month index; InputError if malformed."""
    if isinstance(value, _dt.date):
        year, month = value.year, value.month
    else:
        match = _MONTH.match(str(value).strip())
        if not match:
            raise InputError(field, f"'{value}' is not a year-month; write YYYY-MM, e.g. 2026-03")
        year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InputError(field, f"'{value}' has month {month}; months run 01 to 12")
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InputError(field, f"'{value}' is outside {EARLIEST_YEAR}-01 to {LATEST_YEAR}-12")
    return 12 * year + (month - 1)


def format_month(index: int) -> str:
    """Month index -> 'YYYY-MM'."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def year_of(index: int) -> int:
    return index // 12


def month_of_year(index: int) -> int:
    """1..12"""
    return index % 12 + 1
