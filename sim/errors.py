"""Errors raised for bad input.

Every problem a user can cause with a scenario, an experiment or a model
argument is an :class:`InputError`: it names the field and what is allowed,
so that the command line can print it on one line and exit with code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(ValueError):
    """Bad input: names the offending field and what is allowed."""

    def __init__(self, field: str, message: str, source: str | None = None) -> None:
        self.field = field
        self.message = message
        self.source = source
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.field}: {self.message}"

    def with_source(self, source: str) -> InputError:
        """The same error, attributed to a file."""
        return InputError(self.field, self.message, source)


def nearest(name: str, choices: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest choice, or '' when none is close."""
    match = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
