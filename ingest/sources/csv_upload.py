"""An analyst's own indicator, uploaded as a CSV made from ``docs/csv-upload-template.md``.

UTF-8 (a BOM is fine), comma-separated, one header line naming at least ``region,
indicator, period, value`` (``unit`` and ``note`` are optional; extra columns are kept in
``raw``). One value per line:

- ``region``: an ISO3 code, M49 number or name, left as written (the job resolves it);
- ``indicator``: a catalogue code (``ingest.indicators``) or a new lower_snake_case code
  matching ``NEW_CODE``; new codes are listed in ``UploadResult.new_indicators`` with the
  unit and frequency the file gives them, for the job to create;
- ``period``: ``2024`` (year), ``2024Q2`` (quarter), ``2024-W07`` (week), ``2024-05``
  (month) or ``2024-05-17`` (day), matching the indicator's frequency;
- ``value``: a number (``.`` decimal point, no thousands separators);
- ``unit``, ``note``: free text. They are user text and kept as text, unescaped: escaping
  happens where they are displayed.

A line that cannot be used becomes a Problem with its line number and reason; the others
still load. A (region, indicator, period) given twice is a Problem. Nothing is fetched:
this source runs only with ``--file`` and is never scheduled.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from backend.observations.upsert import PeriodError, period_start
from ingest.indicators import BY_CODE
from ingest.sources._tabular import csv_records, drop_duplicates, fold, number
from ingest.sources.base import (
    FetchError,
    HttpGetter,
    ParsedRow,
    ParseError,
    ParseResult,
    Payload,
    Problem,
    Source,
)

if TYPE_CHECKING:
    from backend.config import Settings

REQUIRED = ("region", "indicator", "period", "value")
OPTIONAL = ("unit", "note")
NEW_CODE = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
ADJECTIVES = {"year": "yearly", "quarter": "quarterly", "week": "weekly", "month": "monthly",
              "day": "daily"}  # fmt: skip
# Values a catalogue unit can take: rates, shares and counts are never negative.
UNIT_RANGES = {
    "per 100,000 population": (0.0, 100_000.0),
    "% of homicides": (0.0, 100.0),
    **dict.fromkeys(
        ("victims", "kg", "groups", "meetings", "documents", "events"), (0.0, math.inf)
    ),
}
EXPECTED = "a CSV made from the upload template (region,indicator,period,value,unit,note)"


@dataclass(frozen=True)
class NewIndicator:
    """An indicator code the catalogue lacks, as the upload describes it."""

    unit: str
    frequency: str


@dataclass
class UploadResult(ParseResult):
    """A parse result that also lists the new indicator codes the job must create."""

    new_indicators: dict[str, NewIndicator] = field(default_factory=dict)


def frequency(period: str) -> str:
    """Return the frequency of a valid period: year, quarter, week, month or day."""
    if len(period) == 4:
        return "year"
    if "Q" in period:
        return "quarter"
    if "-W" in period:
        return "week"
    return "month" if len(period) == 7 else "day"


def _period(text: str) -> str:
    period = text.strip().upper()  # 2024q2 and 2024-w07 are meant as 2024Q2 and 2024-W07
    if not period:
        raise ValueError("no period")
    try:
        period_start(period)
    except PeriodError as exc:
        raise ValueError(str(exc)) from None
    return period


def _check_indicator(code: str, unit: str, period: str, result: UploadResult) -> None:
    """Check an indicator code, its unit and the period's frequency against what is known."""
    spec = BY_CODE.get(code)
    known = NewIndicator(spec.unit, spec.frequency) if spec else result.new_indicators.get(code)
    if known is None:
        if not NEW_CODE.match(code):
            raise ValueError(
                f"indicator {code!r} is not in the catalogue and is not a valid new code "
                "(lower_snake_case, 3 to 64 characters, starting with a letter)"
            )
        result.new_indicators[code] = NewIndicator(unit, frequency(period))
        return
    if unit and fold(unit) != fold(known.unit):
        raise ValueError(f"unit {unit!r} is not {code}'s unit {known.unit!r}")
    if frequency(period) != known.frequency:
        raise ValueError(f"period {period!r} is not {ADJECTIVES[known.frequency]} as {code} is")


def _check_plausible(code: str, value: float, period: str, today: date) -> None:
    """Refuse a period that has not started yet, or a value outside its unit's range."""
    if period_start(period) > today:
        raise ValueError(f"period {period} is in the future")
    spec = BY_CODE.get(code)
    low, high = UNIT_RANGES.get(spec.unit if spec else "", (-math.inf, math.inf))
    if not low <= value <= high:
        raise ValueError(f"value {value:g} is outside {low:g} to {high:g} ({spec and spec.unit})")


def _read_line(raw: dict[str, str], line: int, result: UploadResult, today: date) -> None:
    """Add one CSV line to the result: a row or a problem."""
    region, code = raw["region"].strip(), raw["indicator"].strip()
    try:
        if not region:
            raise ValueError("no region")
        period = _period(raw["period"])
        value = number(raw["value"])
        _check_indicator(code, raw.get("unit", "").strip(), period, result)
        _check_plausible(code, value, period, today)
    except ValueError as exc:
        result.problems.append(Problem(str(exc), line, dict(raw)))
        return
    result.rows.append(ParsedRow(region, code, period, value, None, line, dict(raw)))


def _header(names: list[str]) -> list[str]:
    """Return the header folded to the template's names; a missing column fails in one line."""
    header = [fold(name) for name in names]
    twice = sorted({name for name in header if name and header.count(name) > 1})
    if twice:
        raise ParseError(f"the header names {', '.join(twice)} more than once; keep one of each")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        hint = " (the template is comma-separated)" if ";" in ",".join(names) else ""
        found = ", ".join(names) or "nothing"
        raise ParseError(f"no {', '.join(missing)} column{hint}; the header is {found}")
    return header


def parse(
    content: bytes, *, filename: str | None = None, today: date | None = None
) -> UploadResult:
    """Parse an upload made from the template into rows, problems and new indicator codes."""
    today = today or date.today()
    names, records = csv_records(content, filename=filename, expected=EXPECTED)
    header = _header(names)
    result = UploadResult()
    for line, cells in records:
        if len(cells) > len(header):
            reason = f"{len(cells)} cells for {len(header)} columns (an unquoted comma?)"
            result.problems.append(Problem(reason, line, {"cells": cells}))
            continue
        raw = dict.fromkeys((*REQUIRED, *OPTIONAL), "")
        raw.update(zip(header, cells, strict=False))  # short lines lack trailing optional cells
        _read_line(raw, line, result, today)
    drop_duplicates(result)
    return result


def fetch(client: HttpGetter, settings: Settings) -> Payload:
    """Refuse: an upload has no remote source."""
    del client, settings
    raise FetchError("csv_upload has no remote source: use --file")


SOURCE = Source(
    id="csv_upload",
    title="Analyst upload (CSV template)",
    publisher="Tocsin analysts (their own data)",
    licence="as stated by the analyst who uploads it",
    url="docs/csv-upload-template.md",
    cadence="on upload",
    cadence_days=36_500,  # never stale: nothing is expected on a schedule
    schedule="off",
    indicators=tuple(BY_CODE),
    fetch=fetch,
    parse=parse,
    live=False,
    description="Values an analyst uploads with --file, from the documented CSV template.",
)
