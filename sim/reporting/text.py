"""Words and numbers as the comparison and sweep figures and reports print them: outcome and factor labels,
percentages, numbers with enough decimals, the figure lines of a report, and the atomic write of a report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim.inputs.parameters import PARAMETERS
from sim.rules import outcomes as registry
from sim.util.files import write_atomically


def _difference_decimals(outcome: str) -> int:
    """The fewest decimals a difference in ``outcome`` is shown with (3 for names not in the registry)."""
    record = registry.OUTCOMES.get(outcome)
    return 3 if record is None else record.difference_decimals


def percent(share: float) -> str:
    """0.25 -> '25 %' (with the space the other reports use)."""
    return f"{100 * share:.0f} %" if np.isfinite(share) else "–"


def label(outcome: str, one_line: bool = True) -> str:
    """An outcome's label with its unit and explanation from the registry (``sim.rules.outcomes``), on one line
    unless ``one_line`` is False; other names with spaces for underscores."""
    return registry.label(outcome, one_line)


def short_label(outcome: str) -> str:
    """An outcome's label without its explanation, keeping its unit: 'Cohesion (0-1)', for titles and colour bars."""
    text = label(outcome)
    match = re.match(r"^(.*?) \((.*)\)$", text)
    if not match:
        return text
    units = [part for part in match.group(2).split(", ") if part == "0-1" or "%" in part]
    return match.group(1) + (f" ({units[-1]})" if units else "")


def factor_label(name: str) -> str:
    """A factor as a reader sees it: a model parameter with its unit from the registry, 'confidence_bound (distance
    in position)'; an event field (dotted) or another name as it is."""
    spec = PARAMETERS.get(name)
    return f"{name} ({spec.unit})" if spec is not None and spec.unit else name


def number(value: float, outcome: str = "", sign: bool = False, decimals: int | None = None) -> str:
    """A value of ``outcome`` with its usual decimals (or ``decimals``), a sign if asked, '–' when missing."""
    if value is None or not np.isfinite(value):
        return "–"
    decimals = _difference_decimals(outcome) if decimals is None else decimals
    text = f"{value:+.{decimals}f}" if sign else f"{value:.{decimals}f}"
    return text.replace("-", "−")


def decimals_for(width: float, value: float, outcome: str) -> int:
    """Enough decimals to show an interval's width (two significant digits), but not beyond the value's third."""
    default = _difference_decimals(outcome)
    if not np.isfinite(width) or width <= 0:
        return default
    wanted = 1 - np.floor(np.log10(width))
    enough = 2 - np.floor(np.log10(abs(value))) if np.isfinite(value) and value != 0 else wanted
    return int(np.clip(min(wanted, enough), default, 6))


def write_text(path: Path, text: str) -> Path:
    """``text`` into ``path`` (UTF-8), atomically; returns ``path``. Raises OSError if it cannot be written."""
    write_atomically(path, text.encode("utf-8"))
    return path


def figure_lines(figures: Sequence[Path], captions: dict[str, str], folder: Path) -> str:
    """The Markdown of a report's figures: each image (relative to ``folder``) with its caption by file stem."""
    return "\n\n".join(
        f"![{p.stem}]({p.relative_to(folder).as_posix()})\n\n*{captions.get(p.stem, '')}*" for p in figures
    )
