"""Months as integers: the model's clock.

A month is written ``YYYY-MM`` in files and held as the integer
``12 * year + (month - 1)`` inside the model, so that month arithmetic is
plain integer arithmetic.
"""

from __future__ import annotations

import datetime as _dt
import re

from sim.util.errors import InputError, shown

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_FULL_DATE = re.compile(r"^(\d{4})-(\d{1,2})-\d{1,2}([Tt ].*)?$")
EARLIEST_YEAR = 2014
LATEST_YEAR = 2100


def parse_month(value: object, field: str = "date") -> int:
    """'2026-03' -> month index; InputError naming ``field`` if it is anything but a year-month.

    A full date (``2035-12-31``, written or as a date object) is refused rather
    than cut to its month: the model has no days, and the user should say which
    month is meant.
    """
    if isinstance(value, _dt.date):
        value = value.isoformat()
    if not isinstance(value, str):
        raise InputError(field, f"{shown(value)} is not a year-month; write YYYY-MM, e.g. 2026-03")
    full = _FULL_DATE.match(value.strip())
    if full:
        month_text = f"{full.group(1)}-{int(full.group(2)):02d}"
        raise InputError(
            field, f"{shown(value)} is a full date; write the year-month YYYY-MM (e.g. {month_text}), without a day"
        )
    match = _MONTH.match(value.strip())
    if not match:
        raise InputError(field, f"{shown(value)} is not a year-month; write YYYY-MM, e.g. 2026-03")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InputError(field, f"{shown(value)} has month {month}; months run 01 to 12")
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InputError(field, f"{shown(value)} is outside {EARLIEST_YEAR}-01 to {LATEST_YEAR}-12")
    return 12 * year + (month - 1)


def format_month(index: int) -> str:
    """Month index -> 'YYYY-MM'."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def year_of(index: int) -> int:
    return index // 12


def month_of_year(index: int) -> int:
    """1..12"""
    return index % 12 + 1
