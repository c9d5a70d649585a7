"""Helpers shared by the table-shaped sources: cell conversion, CSV reading, de-duplication.

Every parser here turns a cell it cannot use into a ``ValueError`` with a one-line reason;
the caller records it as a :class:`Problem`. ``CountedResult`` adds what a parser left out
on purpose (aggregates by design, series it does not read), so nothing vanishes unseen.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from ingest.sources.base import ParsedRow, ParseError, ParseResult, Problem, describe_format, sniff

_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_SPACES = re.compile(r"\s+")


@dataclass
class CountedResult(ParseResult):
    """A parse result that also counts the input rows left out on purpose, by reason."""

    excluded: Counter[str] = field(default_factory=Counter)


@lru_cache(maxsize=4096)  # tables repeat a few labels on thousands of rows
def fold(text: object) -> str:
    """Return a cell as comparable text: stripped, spaces collapsed, case folded."""
    return _SPACES.sub(" ", str(text)).strip().casefold()


def number(cell: object) -> float:
    """Return a published value as a float; text, empty cells and NaN raise ValueError."""
    if isinstance(cell, bool):
        raise ValueError(f"value {cell!r} is not a number")
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        text = str(cell).strip()
        if not text:
            raise ValueError("no value")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"value {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"value {cell!r} is not a finite number")
    return value


def year(cell: object) -> str:
    """Return a year cell (2020, 2020.0 or "2020") as the period "2020"."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not (len(text) == 4 and text.isdigit()):
        raise ValueError(f"year {text!r} is not a 4-digit year")
    return text


def day_month_year(cell: object) -> date | None:
    """Return the date in a title cell written dd/mm/yyyy (or stored as a date), else None."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    match = _DMY.match(str(cell))
    if not match:
        return None
    day, month, year_ = (int(part) for part in match.groups())
    try:
        return date(year_, month, day)
    except ValueError:
        return None


def iso_date(text: object) -> date | None:
    """Return the date at the start of an ISO date or timestamp string, else None."""
    try:
        return date.fromisoformat(str(text).strip()[:10]) if text else None
    except ValueError:
        return None


def csv_records(
    content: bytes, *, filename: str | None, expected: str
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the header and the (line number, cells) records of a UTF-8 comma CSV."""
    kind = sniff(content)
    if kind != "csv":
        raise ParseError(f"{describe_format(kind, filename)}; expected {expected}")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{filename or 'the CSV'} is not UTF-8 text: {exc.reason}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader, [])]
        records = []
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((reader.line_num, cells))
    except csv.Error as exc:
        where = f"{filename or 'the CSV'} breaks at line {reader.line_num}"
        raise ParseError(f"{where}: {exc}") from exc
    return header, records


def drop_duplicates(result: ParseResult) -> None:
    """Keep each (region, indicator, period) once; repeats and conflicts become problems.

    An exact repeat keeps its first row. Rows that disagree are all set aside: choosing
    one value silently would be guessing.
    """
    groups: defaultdict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, row in enumerate(result.rows):
        groups[(fold(row.region), row.indicator, row.period)].append(index)
    dropped: set[int] = set()
    for indexes in groups.values():
        if len(indexes) == 1:
            continue
        rows = [result.rows[i] for i in indexes]
        where = f"{rows[0].region} {rows[0].indicator} {rows[0].period}"
        if len({row.value for row in rows}) == 1:
            first = _row_label(rows[0])
            reason = f"duplicate of {first} for {where}"
            drop = indexes[1:]
        else:
            values = ", ".join(f"{row.value:g}" for row in rows)
            reason = f"conflicting values ({values}) for {where}: none kept"
            drop = indexes
        result.problems.extend(
            Problem(reason, result.rows[i].row_number, result.rows[i].raw) for i in drop
        )
        dropped.update(drop)
    if dropped:
        result.rows = [row for i, row in enumerate(result.rows) if i not in dropped]


def _row_label(row: ParsedRow) -> str:
    return f"row {row.row_number}" if row.row_number is not None else "an earlier record"


# A real workbook's sheet inflates about 10:1 (the CTS export: 3.3 MB to 35 MB).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200
RATIO_FLOOR = 16 * 1024 * 1024  # tiny members may compress better; only big ones are checked


def refuse_zip_bomb(content: bytes, name: str) -> None:
    """Refuse an archive whose members declare absurd sizes or ratios, before unzipping any."""
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not readable as a ZIP: the reader that follows says so
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        too_big = info.file_size > MAX_MEMBER_BYTES
        if too_big or (info.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise ParseError(
                f"{name}: {info.filename} inflates to {info.file_size} bytes "
                f"({ratio:.0f}x): refused (ZIP bomb guard)"
            )
