"""Period strings: cadence detection and a gap-free period axis.

Observations carry their period as a sortable string of one cadence per indicator:
``2020`` (year), ``2020Q1`` (quarter), ``2020-01`` (month), ``2020-W05`` (ISO week) or
``2020-01-15`` (day). Windows such as "the previous 5 years" are calendar windows, so the
evaluator lays every series on a complete axis from its first to its last period, with
missing periods as NaN columns: a gap in the data is a gap, never a shorter window.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from rules.errors import PanelError

# Guards memory: a daily axis of 200,000 periods is already more than 500 years.
MAX_AXIS_LENGTH = 200_000


@dataclass(frozen=True)
class Cadence:
    """One period format, with a bijection to consecutive integers."""

    name: str
    pattern: re.Pattern[str]
    to_ordinal: Callable[[str], int]
    from_ordinal: Callable[[int], str]


def _week_to_ordinal(text: str) -> int:
    monday = date.fromisocalendar(int(text[:4]), int(text[6:8]), 1)
    # Day ordinal 1 (0001-01-01) is a Monday, so Mondays are 1 modulo 7.
    return (monday.toordinal() - 1) // 7


def _week_from_ordinal(number: int) -> str:
    year, week, _ = date.fromordinal(number * 7 + 1).isocalendar()
    return f"{year:04d}-W{week:02d}"


CADENCES: tuple[Cadence, ...] = (
    Cadence("year", re.compile(r"\d{4}"), int, lambda n: f"{n:04d}"),
    Cadence(
        "quarter",
        re.compile(r"\d{4}Q[1-4]"),
        lambda s: int(s[:4]) * 4 + int(s[5]) - 1,
        lambda n: f"{n // 4:04d}Q{n % 4 + 1}",
    ),
    Cadence(
        "month",
        re.compile(r"\d{4}-(0[1-9]|1[0-2])"),
        lambda s: int(s[:4]) * 12 + int(s[5:7]) - 1,
        lambda n: f"{n // 12:04d}-{n % 12 + 1:02d}",
    ),
    Cadence(
        "week",
        re.compile(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])"),
        _week_to_ordinal,
        _week_from_ordinal,
    ),
    Cadence(
        "day",
        re.compile(r"\d{4}-\d{2}-\d{2}"),
        lambda s: date.fromisoformat(s).toordinal(),
        lambda n: date.fromordinal(n).isoformat(),
    ),
)


def detect_cadence(period: str) -> Cadence:
    """Return the cadence whose format matches one period string."""
    for cadence in CADENCES:
        if cadence.pattern.fullmatch(period):
            return cadence
    raise PanelError(
        f"period {period!r} is not one of: 2020, 2020Q1, 2020-01, 2020-W05, 2020-01-15"
    )


def period_axis(
    periods: Sequence[str], *, label: str = "series"
) -> tuple[list[str], npt.NDArray[np.intp]]:
    """Return the complete axis covering periods and each period's position on it."""
    if not periods:
        return [], np.zeros(0, dtype=np.intp)
    cadence = detect_cadence(periods[0])
    ordinals = np.empty(len(periods), dtype=np.int64)
    for i, period in enumerate(periods):
        if not cadence.pattern.fullmatch(period):
            raise PanelError(
                f"{label} mixes period formats: {periods[0]!r} ({cadence.name}) and {period!r}"
            )
        try:
            ordinals[i] = cadence.to_ordinal(period)
        except ValueError as exc:
            raise PanelError(f"{label}: invalid {cadence.name} {period!r}: {exc}") from None
    low, high = int(ordinals.min()), int(ordinals.max())
    if high - low + 1 > MAX_AXIS_LENGTH:
        raise PanelError(f"{label} spans {high - low + 1} {cadence.name}s; too long to evaluate")
    axis = [cadence.from_ordinal(n) for n in range(low, high + 1)]
    return axis, (ordinals - low).astype(np.intp)
