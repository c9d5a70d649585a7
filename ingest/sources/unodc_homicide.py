"""UNODC dataUNODC CTS export ``data_cts_intentional_homicide.xlsx``: homicide victims.

The workbook has title rows (A1 ``UNODC``, A2 the release date ``dd/mm/yyyy``, which is the
vintage), then a header row found by its ``Iso3_code`` cell, then one row per value. It mixes
many disaggregations; reading any but the totals double-counts. What is read, all from
``Indicator = Victims of intentional homicide`` with ``Sex = Age = Total``:

- ``homicide_rate``: ``Dimension = Category = Total``, unit ``Rate per 100,000 population``;
- ``homicide_count``: the same, unit ``Counts``;
- ``homicide_firearm_share``: ``by mechanisms`` / ``Firearms or explosives - firearms``;
- ``homicide_ocg_share``: ``by situational context`` / ``Organized criminal groups or gangs``.

The file has no percentage rows, so a share is computed here: 100 x the category's count /
the total count of the same country and year (both as published in this release). No total,
a total of 0 (share undefined) or a category count above the total (the two came from
different national sources) makes the category row a Problem, not a guessed share.

Left out on purpose and counted in ``excluded``: ``aggregate`` (the ``Victims of Intentional
Homicide - Regional Estimate`` rows and codes ``WORLD``, ``M49_*``, ``BIG5_*``),
``city-level`` (``… - City-level data``), and ``other series`` (arrests, convictions,
prison deaths, and the sex, age, citizenship and other breakdowns). Codes are left as
published: ``GBR_EW``, ``GBR_S``, ``GBR_NI``, ``IRQ_C``, ``IRQ_KUR``, ``KOS``. The 2022
release also has ``GBR`` totals for 1990-2018 that UNODC computed from the three parts
(``Source = Computed``); they are a country's own series and are kept. A (country,
indicator, year) published twice is a Problem.
"""

from __future__ import annotations

import gc
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING

from python_calamine import CalamineError, CalamineWorkbook

from ingest.sources._tabular import (
    CountedResult,
    day_month_year,
    drop_duplicates,
    fold,
    iso_date,
    number,
    refuse_zip_bomb,
    year,
)
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

FILENAME = "data_cts_intentional_homicide.xlsx"
PORTAL = "https://data.unodc.org"
LOOKUP_URL = (
    f"{PORTAL}/jsonapi/file/file?filter[fn][condition][path]=filename"
    f"&filter[fn][condition][operator]=CONTAINS&filter[fn][condition][value]={FILENAME}"
)
OLD_PORTAL_URL = f"https://dataunodc.un.org/sites/dataunodc.un.org/files/{FILENAME}"

VICTIMS = "victims of intentional homicide"
RATE, COUNTS = "rate per 100,000 population", "counts"
# (Dimension, Category, Unit of measurement) -> indicator, for victims with Sex = Age = Total.
SERIES = {
    ("total", "total", RATE): "homicide_rate",
    ("total", "total", COUNTS): "homicide_count",
    ("by mechanisms", "firearms or explosives - firearms", COUNTS): "homicide_firearm_share",
    ("by situational context", "organized criminal groups or gangs", COUNTS): "homicide_ocg_share",
}
SHARES = frozenset(("homicide_firearm_share", "homicide_ocg_share"))
COLUMNS = ("Iso3_code", "Indicator", "Dimension", "Category", "Sex", "Age", "Year",
           "Unit of measurement", "VALUE")  # fmt: skip
HEADER_SEARCH_ROWS = 20
# The cells that name a row's series.
LABELS = ("Indicator", "Dimension", "Category", "Sex", "Age", "Unit of measurement")
Rows = Sequence[Sequence[object]]
_AGGREGATE_CODE = re.compile(r"^(WORLD|M49_\w*|BIG5_\w*)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Layout:
    """The header of the sheet: its names, and where each column read here sits."""

    names: list[str]
    index: dict[str, int]
    last: int  # the highest index of the columns read here
    pick: Callable[[Sequence[object]], tuple[object, ...]]  # the LABELS cells of a full row

    def cell(self, cells: Sequence[object], name: str) -> object:
        """Return the cell of column ``name`` in a row ("" past the row's end)."""
        at = self.index[name]
        return cells[at] if at < len(cells) else ""

    def labels(self, cells: Sequence[object]) -> tuple[object, ...]:
        """Return the cells of ``LABELS`` in a row, in that order, in one C-level call."""
        if len(cells) > self.last:
            return self.pick(cells)
        return tuple(self.cell(cells, name) for name in LABELS)

    def raw(self, cells: Sequence[object]) -> dict[str, object]:
        """Return a row as {column name: cell} for quarantine and provenance."""
        return {name: cell for name, cell in zip(self.names, cells, strict=False) if name}


def _sheet_rows(content: bytes, filename: str | None) -> tuple[Rows, int]:
    """Return the rows (from A1) of the first sheet with an ``Iso3_code`` header, and its index."""
    kind = sniff(content)
    if kind != "zip":
        raise ParseError(f"{describe_format(kind, filename)}; expected the CTS workbook (.xlsx)")
    name = filename or "the payload"
    refuse_zip_bomb(content, name)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        for sheet in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            header_at = _header_at(rows)
            if header_at is not None:
                return rows, header_at
    except CalamineError as exc:
        raise ParseError(f"{name} is not a readable .xlsx workbook ({exc})") from exc
    raise ParseError(f"{name} has no 'Iso3_code' header cell: not a dataUNODC CTS export")


def _header_at(rows: Rows) -> int | None:
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(fold(cell) == "iso3_code" for cell in cells):
            return index
    return None


def _layout(header: Sequence[object], line: int) -> _Layout:
    """Map the columns read here to their positions; a missing one fails in one line."""
    names = [str(cell).strip() for cell in header]
    folded = {fold(name): i for i, name in reversed(list(enumerate(names)))}
    missing = [name for name in COLUMNS if fold(name) not in folded]
    if missing:
        found = ", ".join(name for name in names if name)
        raise ParseError(f"the header (row {line}) lacks {', '.join(missing)}; it has: {found}")
    index = {name: folded[fold(name)] for name in COLUMNS}
    pick = itemgetter(*(index[name] for name in LABELS))
    return _Layout(names, index, max(index.values()), pick)


def _release_date(title_rows: Rows) -> date | None:
    """Return the release date written in the title cells above the header (A2)."""
    for cells in title_rows:
        for cell in cells:
            found = day_month_year(cell)
            if found is not None:
                return found
    return None


_AGGREGATE, _CITY, _OTHER = "aggregate", "city-level", "other series"


@lru_cache(maxsize=8192)  # a few hundred distinct label combinations over ~76,000 rows
def _series(indicator: object, dimension: object, category: object, sex: object, age: object,
            unit: object) -> str:  # fmt: skip
    """Return the indicator a row's labels feed, or the reason it is left out."""
    name = fold(indicator)
    if "regional estimate" in name:
        return _AGGREGATE
    if "city-level" in name:
        return _CITY
    if name != VICTIMS or fold(sex) != "total" or fold(age) != "total":
        return _OTHER
    return SERIES.get((fold(dimension), fold(category), fold(unit)), _OTHER)


@lru_cache(maxsize=8192)
def _aggregate_code(code: str) -> bool:
    return _AGGREGATE_CODE.match(code) is not None


def _classified(
    layout: _Layout, body: Rows, first_line: int, result: CountedResult
) -> Iterator[tuple[int, Sequence[object], str, str]]:
    """Yield (line, cells, code, indicator) of the rows read; count the others as excluded."""
    excluded, labels_of, cell = result.excluded, layout.labels, layout.cell
    for line, cells in enumerate(body, start=first_line):
        if cells.count("") == len(cells):  # a blank row; list.count runs in C
            continue
        target = _series(*labels_of(cells))
        code = str(cell(cells, "Iso3_code")).strip()
        if target == _AGGREGATE or _aggregate_code(code):
            excluded[_AGGREGATE] += 1
        elif target in (_CITY, _OTHER):
            excluded[target] += 1
        else:
            yield line, cells, code, target


def _read_row(
    layout: _Layout, cells: Sequence[object], line: int, code: str, target: str,
    result: CountedResult,
) -> None:  # fmt: skip
    """Add one row of a series read to the result: a row, or a problem."""
    raw = layout.raw(cells)
    try:
        if not code:
            raise ValueError("no Iso3_code")
        period = year(layout.cell(cells, "Year"))
        value = number(layout.cell(cells, "VALUE"))
    except ValueError as exc:
        result.problems.append(Problem(str(exc), line, raw))
        return
    result.rows.append(ParsedRow(code, target, period, value, result.vintage, line, raw))


def _share(row: ParsedRow, total: ParsedRow | None) -> ParsedRow:
    """Turn a category count into its percentage of the total count of that country-year."""
    where = f"{row.region} {row.period}"
    if total is None:
        raise ValueError(f"no total victim count for {where} to compute {row.indicator}")
    if total.value <= 0:
        raise ValueError(f"total victim count for {where} is {total.value:g}: share undefined")
    if row.value > total.value:
        raise ValueError(
            f"category count {row.value:g} exceeds the total {total.value:g} for {where} "
            f"(row {total.row_number}): sources disagree"
        )
    raw = {**row.raw, "total_count": total.value, "total_row": total.row_number}
    return replace(row, value=100.0 * row.value / total.value, raw=raw)


def _to_shares(result: CountedResult) -> None:
    """Replace the category counts by shares of the total count, or by problems."""
    totals = {(r.region, r.period): r for r in result.rows if r.indicator == "homicide_count"}
    kept: list[ParsedRow] = []
    for row in result.rows:
        if row.indicator not in SHARES:
            kept.append(row)
            continue
        try:
            kept.append(_share(row, totals.get((row.region, row.period))))
        except ValueError as exc:
            result.problems.append(Problem(str(exc), row.row_number, row.raw))
    result.rows = kept


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (if on) while the block builds many new objects.

    The sheet becomes ~76,000 fresh lists that all stay alive until the parse ends: collector
    passes triggered by those allocations free nothing and cost a large share of the parse.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse(content: bytes, *, filename: str | None = None) -> CountedResult:
    """Parse the CTS intentional homicide workbook into totals, counts and shares."""
    with _no_cyclic_gc():
        return _parse(content, filename)


def _parse(content: bytes, filename: str | None) -> CountedResult:
    rows, header_at = _sheet_rows(content, filename)
    layout = _layout(rows[header_at], header_at + 1)
    result = CountedResult(vintage=_release_date(rows[:header_at]))
    body = rows[header_at + 1 :]
    for line, cells, code, target in _classified(layout, body, header_at + 2, result):
        _read_row(layout, cells, line, code, target, result)
    drop_duplicates(result)
    _to_shares(result)
    return result


def latest_file_url(content: bytes) -> tuple[str, date | None]:
    """Return the URL and change date of the newest file so named in a JSON:API lookup."""
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise ParseError(f"the portal's file lookup is not JSON: {exc}") from exc
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ParseError("the portal's file lookup has no 'data' list")
    files = [e.get("attributes") or {} for e in entries if isinstance(e, dict)]
    named = [a for a in files if a.get("filename") == FILENAME and (a.get("uri") or {}).get("url")]
    if not named:
        raise ParseError(f"the portal's file lookup lists no {FILENAME}")
    newest = max(named, key=lambda attributes: str(attributes.get("changed") or ""))
    path = str(newest["uri"]["url"])
    return (path if path.startswith("http") else PORTAL + path), iso_date(newest.get("changed"))


def _candidates(client: HttpGetter, failures: list[str]) -> list[tuple[str, date | None]]:
    """Return the workbook URLs to try: the new portal's current file, then the old portal."""
    try:
        found = [latest_file_url(client.get(LOOKUP_URL, conditional=False).content)]
    except (FetchError, ParseError) as exc:
        failures.append(f"new portal lookup: {exc}")
        found = []
    return [*found, (OLD_PORTAL_URL, None)]


def fetch(client: HttpGetter, settings: Settings) -> Payload:
    """Fetch the workbook from the new portal's current folder, else from the old portal."""
    del settings  # the fetcher already carries timeouts and retries
    failures: list[str] = []
    for url, changed in _candidates(client, failures):
        try:
            payload = client.get(url)
        except FetchError as exc:
            failures.append(str(exc))
            continue
        if payload.not_modified:
            return payload
        return Payload(content=payload.content, url=payload.url, filename=FILENAME,
                       content_type=payload.content_type, vintage_hint=changed)  # fmt: skip
    raise FetchError("no copy of the CTS workbook could be fetched: " + "; ".join(failures))


SOURCE = Source(
    id="unodc_homicide",
    title="UNODC dataUNODC: victims of intentional homicide (CTS)",
    publisher="UNODC (dataUNODC, Crime Trends Survey)",
    licence="UN/UNODC terms of use (no open licence stated)",
    url="https://dataunodc.un.org/dp-intentional-homicide-victims",
    cadence="yearly",
    cadence_days=365,
    schedule="15 5 * * 2",  # weekly check; the conditional GET makes a quiet week cheap
    indicators=("homicide_rate", "homicide_count", *sorted(SHARES)),
    fetch=fetch,
    parse=parse,
    description=(
        "The CTS bulk workbook: homicide rate and count (totals), and the firearm and "
        "organized-crime shares of the total count."
    ),
)
