"""UNODC World Drug Report annex: kilograms of drugs seized, per drug group, country and year.

Two annex layouts are read. The WDR 2024 workbook ("Drug seizures, 2018-2022"; one sheet,
a title row, then ``Region, SubRegion, Country, DrugGroup, DrugSubGroup, DrugName,
Reference year, Kilograms, msCode``) is found by its ``Kilograms`` header cell, so the title
rows, the sheet name and the year window may change between editions. The WDR 2018 annex
(re-exported as a ``;`` CSV with a BOM: ``...CountryCode;Year;DrugGroup;Drug;...;
KgEquivalent;Comment``) rounds kilograms to whole numbers and codes Kosovo ``KKK``.

The files' drug groups map onto Tocsin's six (``GROUPS``, matched on folded text):

- ``cocaine``: "Cocaine-type"
- ``cannabis``: "Cannabis-type" (WDR 2018), "Cannabis-type drugs (excluding synthetic
  cannabinoids)" (WDR 2024)
- ``opioids``: "Opioids"
- ``ats``: "ATS" (WDR 2018, ecstasy included), "Amphetamine-type stimulants (excluding
  "ecstasy")" and ""Ecstasy"-type substances" (WDR 2024)
- ``nps``: "NPS" (WDR 2024); in WDR 2018 the same drug names sat under "Substances not
  under international control", so those names (``NPS_DRUGS``) map to ``nps`` too
- ``other``: everything else (sedatives, hallucinogens, precursors, solvents, "Any other
  drugs/substances", non-specified, ...)

Kilograms are summed over drug names (and over the several lines a drug may have) within
a group. A line that is a published group total ("Reported total ..." in WDR 2024, a
comment "... included in this total" in WDR 2018) already includes the lines above it:
such a file group is worth max(its total, the sum of its lines), never both added.
Empty kilogram cells are not zero: they are left out and counted in ``excluded``.
``seizure_drug_groups`` counts the groups with a positive seizure in the country-year, so
a group seized for the first time shows up. Both files code countries in ISO3 (M49);
there are no aggregate rows.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from python_calamine import CalamineError, CalamineWorkbook

from backend.timeutil import utcnow
from ingest.indicators import DRUG_GROUPS
from ingest.sources._tabular import CountedResult, fold, iso_date, number, year
from ingest.sources.base import (
    FetchError,
    HttpGetter,
    ParsedRow,
    ParseError,
    Payload,
    Problem,
    Source,
    describe_format,
    sniff,
)

if TYPE_CHECKING:
    from backend.config import Settings

ANNEX_URL = "https://www.unodc.org/documents/data-and-analysis/WDR_{wdr}/Annex/{name}"
# WDR_{Y} names its annex 7.1_Drug_seizures_{Y-6}-{Y-2}.xlsx (WDR 2024: 2018-2022, WDR 2025:
# 2019-2023), except where listed here.
ANNEX_NAMES = {2026: "7.1_Drug_seizures_2015-2024.xlsx"}
GROUP_COUNT = "seizure_drug_groups"
GROUPS = {
    "cocaine-type": "cocaine",
    "cannabis-type": "cannabis",
    "cannabis-type drugs (excluding synthetic cannabinoids)": "cannabis",
    "opioids": "opioids",
    "ats": "ats",
    "amphetamine-type stimulants (excluding “ecstasy”)": "ats",
    'amphetamine-type stimulants (excluding "ecstasy")': "ats",
    "“ecstasy”-type substances": "ats",
    '"ecstasy"-type substances': "ats",
    "nps": "nps",
}
NPS_DRUGS = frozenset((
    "plant-based nps", "ketamine and phencyclidine-type substances", "other nps",
    "synthetic cannabinoids (spice)", "synthetic cathinones", "phenethylamines",
    "piperazines", "tryptamines", "aminoindanes",
))  # fmt: skip
_XLSX_COLUMNS = {"code": "msCode", "year": "Reference year", "group": "DrugGroup",
                 "drug": "DrugName", "kg": "Kilograms"}  # fmt: skip
_CSV_COLUMNS = {"code": "CountryCode", "year": "Year", "group": "DrugGroup", "drug": "Drug",
                "kg": "KgEquivalent"}  # fmt: skip
_Cells = dict[tuple[str, str, str, str], "_Cell"]  # (code, year, group, file group)
_XLSX_TOTAL = ("DrugSubGroup", "reported total")
_CSV_TOTAL = ("Comment", "included in this total")


@dataclass(frozen=True)
class _Line:
    """One seizure line, in either layout, before it is checked."""

    number: int
    cells: dict[str, object]
    is_total: bool
    short: bool  # fewer cells than the columns it needs: a truncated or broken line


@dataclass
class _Cell:
    """The kilograms of one file group in one country-year: its lines and any total."""

    lines: float = 0.0
    total: float | None = None
    first_line: int = 0
    count: int = 0
    file_groups: set[str] = field(default_factory=set)

    def value(self) -> float:
        """Return the group's kilograms, a published total counted once."""
        return self.lines if self.total is None else max(self.total, self.lines)


@cache  # a few hundred distinct (group, drug) pairs over thousands of lines
def group_of(file_group: str, drug: str) -> str:
    """Return Tocsin's drug group for a file's DrugGroup (and, for WDR 2018 NPS, its drug)."""
    found = GROUPS.get(fold(file_group))
    if found:
        return found
    return "nps" if fold(drug) in NPS_DRUGS else "other"


def annex_url(wdr: int) -> str:
    """Return the URL of the seizures annex of the World Drug Report of year ``wdr``."""
    name = ANNEX_NAMES.get(wdr, f"7.1_Drug_seizures_{wdr - 6}-{wdr - 2}.xlsx")
    return ANNEX_URL.format(wdr=wdr, name=name)


def fetch(client: HttpGetter, settings: Settings) -> Payload:
    """Fetch this year's seizures annex, or last year's while this year's is not out."""
    del settings
    this_year = utcnow().year
    failures = []
    for wdr in (this_year, this_year - 1):
        try:
            return client.get(annex_url(wdr))
        except FetchError as exc:
            if "HTTP 404" not in str(exc):
                raise
            failures.append(str(exc))
    raise FetchError("no World Drug Report seizures annex found: " + "; ".join(failures))


def _header_index(rows: Sequence[Sequence[object]]) -> int:
    """Return the index of the header row: the first with a 'Kilograms' cell."""
    for index, cells in enumerate(rows[:30]):
        if any(fold(cell) == "kilograms" for cell in cells):
            return index
    raise ParseError("no 'Kilograms' header cell in the first 30 rows: not a WDR seizures annex")


def _columns(header: list[str], wanted: dict[str, str], where: str) -> dict[str, int]:
    """Return the index of each wanted column; a missing one is a one-line ParseError."""
    folded = [fold(name) for name in header]
    missing = [name for name in wanted.values() if fold(name) not in folded]
    if missing:
        found = ", ".join(name for name in header if name) or "nothing"
        raise ParseError(f"{where} has no {', '.join(missing)} column (it has: {found})")
    return {key: folded.index(fold(name)) for key, name in wanted.items()}


def _lines(
    rows: Sequence[Sequence[object]],
    first: int,
    columns: dict[str, int],
    total: tuple[int | None, str],
) -> list[_Line]:
    """Turn data rows into lines keyed by role, noting published group totals."""
    total_at, marker = total
    width = max(columns.values()) + 1
    lines = []
    for offset, cells in enumerate(rows, start=first):
        if not any(str(cell).strip() for cell in cells):
            continue
        picked = {key: cells[i] if i < len(cells) else "" for key, i in columns.items()}
        is_total = (
            total_at is not None and total_at < len(cells) and marker in fold(cells[total_at])
        )
        short = len(cells) < width
        if short:  # keep what the line has, not a half-filled dict of roles
            picked = {"cells": [str(cell) for cell in cells]}
        lines.append(_Line(offset, picked, is_total, short))
    return lines


def _optional(header: list[str], name: str) -> int | None:
    """Return the index of an optional column, or None."""
    folded = [fold(cell) for cell in header]
    return folded.index(fold(name)) if fold(name) in folded else None


def _workbook_vintage(content: bytes) -> date | None:
    """Return the workbook's last-modified date from docProps/core.xml, if any."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            core = archive.read("docProps/core.xml").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile):
        return None
    found = re.search(r"<dcterms:modified[^>]*>([^<]+)<", core)
    return iso_date(found.group(1)) if found else None


def _xlsx_lines(content: bytes, filename: str | None) -> list[_Line]:
    """Read the lines of the first sheet that has a 'Kilograms' header (WDR 2024 on)."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = [book.get_sheet_by_index(i) for i in range(len(book.sheet_names))]
        tables = [sheet.to_python(skip_empty_area=False) for sheet in sheets]
    except CalamineError as exc:
        raise ParseError(f"{filename or 'the workbook'} is not a readable XLSX: {exc}") from exc
    for rows in tables:
        try:
            at = _header_index(rows)
        except ParseError:
            continue
        header = [str(cell).strip() for cell in rows[at]]
        columns = _columns(header, _XLSX_COLUMNS, f"header row {at + 1}")
        total = (_optional(header, _XLSX_TOTAL[0]), _XLSX_TOTAL[1])
        return _lines(rows[at + 1 :], at + 2, columns, total)
    raise ParseError(
        f"{filename or 'the workbook'} has no sheet with a 'Kilograms' header cell: "
        "not a WDR seizures annex"
    )


def _csv_lines(content: bytes, filename: str | None) -> list[_Line]:
    """Read the lines of the WDR 2018 ';' CSV."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{filename or 'the CSV'} is not UTF-8 text: {exc.reason}") from exc
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    except csv.Error as exc:
        raise ParseError(f"{filename or 'the CSV'} does not read as CSV: {exc}") from exc
    if not rows or len(rows[0]) < 2:
        raise ParseError(f"{filename or 'the CSV'} is not a ';'-separated WDR 2018 seizures table")
    header = [str(cell).strip() for cell in rows[0]]
    columns = _columns(header, _CSV_COLUMNS, "the header line")
    total = (_optional(header, _CSV_TOTAL[0]), _CSV_TOTAL[1])
    return _lines(rows[1:], 2, columns, total)


def _add_line(line: _Line, cells: _Cells, result: CountedResult) -> None:
    """Add one line's kilograms to its country-year-group cell, or record why not."""
    raw = {**line.cells}
    if line.short:
        result.problems.append(Problem("line is cut short: too few cells", line.number, raw))
        return
    code = str(line.cells["code"]).strip()
    if not str(line.cells["kg"]).strip():
        result.excluded["empty kilograms cell (not published, not zero)"] += 1
        return
    try:
        if not code:
            raise ValueError("no country code")
        period = year(line.cells["year"])
        kg = number(line.cells["kg"])
        if kg < 0:
            raise ValueError(f"kilograms {kg:g} is negative")
    except ValueError as exc:
        result.problems.append(Problem(str(exc), line.number, raw))
        return
    file_group = str(line.cells["group"]).strip()
    group = group_of(file_group, str(line.cells["drug"]))
    cell = cells.setdefault((code, period, group, file_group), _Cell(first_line=line.number))
    cell.count += 1
    if line.is_total:
        cell.total = (cell.total or 0.0) + kg
    else:
        cell.lines += kg


def _rows(cells: _Cells, result: CountedResult) -> None:
    """Sum file groups into Tocsin groups and count the groups seized per country-year."""
    merged: dict[tuple[str, str, str], _Cell] = {}
    for (code, period, group, file_group), cell in cells.items():
        into = merged.setdefault((code, period, group), _Cell(first_line=cell.first_line))
        into.lines += cell.value()
        into.count += cell.count
        into.first_line = min(into.first_line, cell.first_line)
        into.file_groups.add(file_group)
    seized: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for (code, period, group), cell in sorted(merged.items()):
        raw: dict[str, object] = {
            "code": code, "year": period, "lines": cell.count,
            "drug_groups": sorted(cell.file_groups),
        }  # fmt: skip
        indicator = f"seizures_{group}_kg"
        value = float(f"{cell.lines:.12g}")  # so that re-adding in another order is no revision
        result.rows.append(ParsedRow(code, indicator, period, value, result.vintage,
                                     cell.first_line, raw))  # fmt: skip
        groups = seized[(code, period)]  # a country-year seizing nothing still gets its 0
        if value > 0:
            groups.add(group)
    for (code, period), groups in sorted(seized.items()):
        raw = {"code": code, "year": period, "groups": sorted(groups)}
        result.rows.append(ParsedRow(code, GROUP_COUNT, period, float(len(groups)),
                                     result.vintage, None, raw))  # fmt: skip


def parse(content: bytes, *, filename: str | None = None) -> CountedResult:
    """Parse a WDR seizures annex (the WDR 2024 workbook or the WDR 2018 ';' CSV)."""
    kind = sniff(content)
    if kind == "zip":
        lines = _xlsx_lines(content, filename)
        result = CountedResult(vintage=_workbook_vintage(content))
    elif kind == "csv":
        lines = _csv_lines(content, filename)
        result = CountedResult()
    else:
        expected = "expected a WDR seizures annex (XLSX, or the WDR 2018 ';' CSV)"
        raise ParseError(f"{describe_format(kind, filename)}; {expected}")
    cells: _Cells = {}
    for line in lines:
        _add_line(line, cells, result)
    _rows(cells, result)
    return result


SOURCE = Source(
    id="unodc_seizures",
    title="UNODC World Drug Report: drug seizures (kg) by drug group",
    publisher="UNODC (World Drug Report statistical annex)",
    licence="UN/UNODC terms of use (no open licence stated)",
    url="https://www.unodc.org/unodc/en/data-and-analysis/world-drug-report.html",
    cadence="yearly (late June)",
    cadence_days=365,
    schedule="0 5 * * 1",  # weekly check; a 404 for this year's annex falls back to last year's
    indicators=(*(f"seizures_{group}_kg" for group in DRUG_GROUPS), GROUP_COUNT),
    fetch=fetch,
    parse=parse,
    description="Kilograms seized per drug group, country and year, from the WDR seizures annex.",
)
