"""UN Dag Hammarskjöld Library tables "Meetings conducted by the Security Council in YEAR".

One HTML table per year (``scact{YEAR}_table_en.htm``, ``.html`` from 2022; 2020 has a
second page for the remote meetings of the pandemic). Columns are found by their header
text, so every layout from 1994 on reads (the older four-column ones too): meeting record,
date, press release (none in the 2021 table and the 2020 COVID table), topic, outcome,
plus the 2020-2021 columns for the letters of written procedures, which are ignored.
Rows whose ``<tr>`` tag is missing (2014, 2017, 2018, 2020 and 2022 have some) are still
rows, and the 2014-2019 pages' doubly encoded byte-order mark is skipped.

Documents: each meeting record (``S/PV.n``, a resumption ``S/PV.n (Resumption k)`` being a
meeting of its own), each resolution (``S/RES/n (yyyy)``) and presidential statement
(``S/PRST/yyyy/n``) in the outcome cell, and each press release (``SC/n``) of the meeting,
linked with the table's hrefs or undocs.org. A meeting record ``--`` is an outcome adopted
by written procedure, with no meeting. A row with no meeting record and no date continues
the meeting above it. A date is a day and month ("14-15 October", "22/23 November" and
"29 + 30 March" count as their first day); the year comes from the file name, else from
the page title (the 2020 COVID page's title says 2021, so the file name wins). Several
tables can come in one payload, each after a ``<!-- tocsin:part FILE_NAME -->`` line.

Indicators per region (ISO3) and quarter, for every region a topic names (see
``_documents``): ``sc_meetings`` (meeting records), ``sc_outcomes`` (resolutions and
presidential statements; the table's SC/ releases are meeting coverage, not statements)
and ``sc_crime_outcomes`` (those outcomes whose topic has a crime theme). A region-quarter
with no row had no meeting or outcome naming it. The table has no release date: the
vintage is left to the job.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from backend.timeutil import utcnow
from ingest.sources._documents import (
    MEETING,
    PRESS,
    PRST,
    RESOLUTION,
    DocumentResult,
    ParsedDocument,
    Tagger,
    tagger_for,
    undocs_url,
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

FIRST_YEAR = 1994
TABLE_URL = "https://www.un.org/depts/dhl/resguide/scact{year}_table_en.{ext}"
COVID_2020_URL = "https://www.un.org/depts/dhl/resguide/SC_2020-revised.html"
PART = "<!-- tocsin:part {name} -->"
MOJIBAKE_BOM = "\ufeff".encode().decode("cp1252").encode()  # 2014-2019 pages start with it
INDICATORS = ("sc_meetings", "sc_outcomes", "sc_crime_outcomes")
PRESS_URL = "https://press.un.org/en/{year}/sc{number}.doc.htm"

_PART = re.compile(r"<!-- tocsin:part (\S+) -->")
_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[4-9]\d|20\d\d)(?!\d)")
_TITLE_YEAR = re.compile(r"Security Council in (\d{4})")
_MEETING = re.compile(r"S/PV\.(\d+)\s*(?:\(?\s*(Resumption|Part)\s*([0-9IV]*)\s*\))?", re.I)
_RESOLUTION = re.compile(r"S/RES/(\d+)\s*\((\d{4})\)")
_PRST = re.compile(r"S/PRST/(\d{4})/(\d+)")
_PRESS = re.compile(r"SC/(\d{3,6})")
_DATE = re.compile(r"^(\d{1,2})(?:\s*[-/+]\s*\d{1,2})?\s+([A-Za-z]{3})[a-z]*\.?$")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                        "sep", "oct", "nov", "dec"), 1)}  # fmt: skip
_ROLES = ("meeting", "date", "press", "topic", "outcome")  # words of the header cells
_ROMAN = {"I": "1", "II": "2", "III": "3"}


@dataclass
class _Cell:
    """A table cell: its tag, its text and the links in it."""

    tag: str
    parts: list[str] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Return the cell's text with its whitespace collapsed."""
        return " ".join("".join(self.parts).split())


class _TableReader(HTMLParser):
    """Collect the rows of HTML tables, tolerating missing ``<tr>``, ``</td>`` and ``</tr>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[int, list[_Cell]]] = []
        self._row: list[_Cell] | None = None
        self._cell: _Cell | None = None
        self._line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open rows and cells (a ``<td>`` with no open row opens one); note links."""
        if tag == "tr":
            self._end_row()
            self._row, self._line = [], self.getpos()[0]
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:
                self._row, self._line = [], self.getpos()[0]
            self._cell = _Cell(tag)
        elif self._cell is not None and tag == "a":
            self._cell.hrefs.extend(v for k, v in attrs if k == "href" and v)
        elif self._cell is not None and tag == "br":
            self._cell.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        """Close the cell or row that ends."""
        if tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()

    def handle_data(self, data: str) -> None:
        """Keep text inside cells only."""
        if self._cell is not None:
            self._cell.parts.append(data)

    def close(self) -> None:
        """Finish the input, keeping a last row left open."""
        super().close()
        self._end_row()

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append(self._cell)
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row:
            self.rows.append((self._line, self._row))
        self._row = None


@dataclass(frozen=True)
class _Meeting:
    """One table row, read: the meeting (or written procedure) and what came of it."""

    line: int
    meeting: str | None
    meeting_url: str | None
    day: date
    topic: str
    outcome: _Cell
    press: _Cell | None


def _roles(header: list[_Cell]) -> dict[str, int]:
    """Return the column of each role, by the words in the header cells."""
    roles: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell.text.casefold()
        if "letter" in name:
            continue  # 2020-2021: "Letter with Vote Outcome" is not the outcome column
        for role in _ROLES:
            if role in name and role not in roles:
                roles[role] = index
                break
    return roles


def _table_year(name: str | None, text: str) -> int:
    """Return the table's year: from the file name, else from the page title."""
    found = _YEAR_IN_NAME.search(name or "") or _TITLE_YEAR.search(text)
    if not found:
        raise ParseError(f"{name or 'the table'}: no year in the file name or the page title")
    return int(found.group(1))


def meeting_symbol(text: str) -> str | None:
    """Return the normalised meeting symbol in a cell ("S/PV.3454 (Resumption 2)"), or None."""
    found = _MEETING.search(text)
    if not found:
        return None
    number, kind, part = found.groups()
    if not kind:
        return f"S/PV.{number}"
    if kind.lower() == "resumption":
        part = _ROMAN.get(part.upper(), part)  # "(ResumptionI)" once, in 2007
    return f"S/PV.{number} ({kind.capitalize()} {part})".replace(" )", ")")


def meeting_date(text: str, year: int) -> date:
    """Return the date of a day-and-month cell in ``year``; a range gives its first day."""
    found = _DATE.match(text.strip())
    month = _MONTHS.get(found.group(2).lower()) if found else None
    if not found or month is None:
        raise ValueError(f"date {text!r} is not a day and month")
    return date(year, month, int(found.group(1)))


def _link(cell: _Cell | None, needle: str, fallback: str | None) -> str | None:
    """Return the cell's href that names ``needle`` (spaces ignored), else ``fallback``."""
    squeezed = needle.replace(" ", "")
    for href in cell.hrefs if cell else []:
        if squeezed in href.replace(" ", "").replace("%20", ""):
            return "".join(href.split())  # the tables have "S/RES/1650 (2005)" in some hrefs
    return fallback


def _read_row(line: int, cells: list[_Cell], roles: dict[str, int], year: int,
              last: _Meeting | None) -> _Meeting:  # fmt: skip
    """Read one data row; a row with no meeting record and no date continues ``last``."""
    record, when = cells[roles["meeting"]].text, cells[roles["date"]].text
    if not record and not when:
        if last is None:
            raise ValueError("a continuation row with no meeting above it")
        return _Meeting(line, last.meeting, last.meeting_url, last.day,
                        cells[roles["topic"]].text or last.topic, cells[roles["outcome"]],
                        None)  # fmt: skip
    symbol = meeting_symbol(record)
    if symbol is None and record.strip() != "--":
        raise ValueError(f"meeting record {record!r} is neither S/PV.n nor --")
    press = cells[roles["press"]] if "press" in roles else None
    url = _link(cells[roles["meeting"]], symbol.split()[0], None) if symbol else None
    return _Meeting(line, symbol, url or (undocs_url(symbol) if symbol else None),
                    meeting_date(when, year), cells[roles["topic"]].text,
                    cells[roles["outcome"]], press)  # fmt: skip


def _documents(meeting: _Meeting, tagger: Tagger, result: DocumentResult) -> None:
    """Add the meeting and its outcomes and press releases as documents."""
    regions, themes = tagger.regions(meeting.topic), tagger.themes(meeting.topic)
    raw: dict[str, object] = {"line": meeting.line, "topic": meeting.topic,
                              "outcome": meeting.outcome.text}  # fmt: skip

    def add(symbol: str, kind: str, url: str | None, of: str | None) -> None:
        """Add one document of this row."""
        document = ParsedDocument(symbol, kind, meeting.day, meeting.topic, url, of,
                                  regions, themes, raw)  # fmt: skip
        result.add_document(document)

    if meeting.meeting:
        add(meeting.meeting, MEETING, meeting.meeting_url, None)
    text = meeting.outcome.text
    for number, year in _RESOLUTION.findall(text):
        symbol = f"S/RES/{number} ({year})"
        add(symbol, RESOLUTION, _link(meeting.outcome, f"S/RES/{number}", undocs_url(symbol)),
            meeting.meeting)  # fmt: skip
    for year, number in _PRST.findall(text):
        symbol = f"S/PRST/{year}/{number}"
        add(symbol, PRST, _link(meeting.outcome, symbol, undocs_url(symbol)), meeting.meeting)
    for number in _PRESS.findall(meeting.press.text if meeting.press else ""):
        fallback = PRESS_URL.format(year=meeting.day.year, number=number)
        add(f"SC/{number}", PRESS, _link(meeting.press, f"sc{number}.", fallback), meeting.meeting)


def _header(rows: list[tuple[int, list[_Cell]]], name: str | None) -> tuple[int, dict[str, int]]:
    """Return the index of the header row and its roles; no such row is a ParseError."""
    for index, (_, cells) in enumerate(rows):
        roles = _roles(cells) if all(c.tag == "th" for c in cells) else {}
        if {"meeting", "date", "topic", "outcome"} <= roles.keys():
            return index, roles
    raise ParseError(
        f"{name or 'the page'} has no meeting table (no header row with Meeting Record, "
        "Date, Topic and Outcome): not a DHL Security Council meetings table"
    )


def _parse_part(html: str, name: str | None, tagger: Tagger, result: DocumentResult) -> None:
    """Parse one yearly table into documents."""
    reader = _TableReader()
    reader.feed(html)
    reader.close()
    at, roles = _header(reader.rows, name)
    year = _table_year(name, html)
    width, last = len(reader.rows[at][1]), None
    for line, cells in reader.rows[at + 1 :]:
        raw: dict[str, object] = {"file": name, "cells": [c.text for c in cells]}
        if len(cells) == 1:
            result.excluded["note row"] += 1
            continue
        try:
            if len(cells) != width:
                raise ValueError(f"row has {len(cells)} cells, the header has {width}")
            last = _read_row(line, cells, roles, year, last)
        except ValueError as exc:
            result.problems.append(Problem(str(exc), line, raw))
            continue
        _documents(last, tagger, result)


def _quarter(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _indicator_rows(result: DocumentResult) -> None:
    """Count meetings, outcomes and crime-themed outcomes per region and quarter."""
    counts: defaultdict[tuple[str, str], dict[str, list[str]]] = defaultdict(
        lambda: {code: [] for code in INDICATORS}
    )
    for doc in result.documents:
        if doc.date is None or doc.kind == PRESS:
            continue
        names = ["sc_meetings"] if doc.kind == MEETING else ["sc_outcomes"]
        if doc.kind != MEETING and doc.themes:
            names.append("sc_crime_outcomes")
        for region in doc.regions:
            for name in names:
                counts[(region, _quarter(doc.date))][name].append(doc.symbol)
    for (region, quarter), by_code in sorted(counts.items()):
        for code, symbols in by_code.items():
            raw: dict[str, object] = {"symbols": symbols}
            result.rows.append(
                ParsedRow(region, code, quarter, float(len(symbols)), None, None, raw)
            )


def _parts(text: str, filename: str | None) -> list[tuple[str | None, str]]:
    """Split a payload into (file name, HTML) parts at ``tocsin:part`` markers."""
    pieces = _PART.split(text)
    parts: list[tuple[str | None, str]] = [(filename, pieces[0])] if pieces[0].strip() else []
    parts.extend((pieces[i], pieces[i + 1]) for i in range(1, len(pieces) - 1, 2))
    return parts


def parse(
    content: bytes, *, filename: str | None = None, names: Mapping[str, str] | None = None
) -> DocumentResult:
    """Parse one or more DHL meeting tables into documents and quarterly indicator rows."""
    content = content.removeprefix(MOJIBAKE_BOM)
    kind = sniff(content)
    if kind != "html":
        expected = "expected a DHL Security Council meetings table (HTML)"
        raise ParseError(f"{describe_format(kind, filename)}; {expected}")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # the older pages are Windows-1252
    tagger, result = tagger_for(names), DocumentResult()
    for name, html in _parts(text, filename):
        _parse_part(html, name, tagger, result)
    _indicator_rows(result)
    return result


def table_urls(year: int) -> list[str]:
    """Return the DHL page(s) of one year's meetings."""
    url = TABLE_URL.format(year=year, ext="htm" if year < 2022 else "html")
    return [url, COVID_2020_URL] if year == 2020 else [url]


def fetch(client: HttpGetter, settings: Settings) -> Payload:
    """Fetch last year's and this year's tables as one payload of marked parts."""
    del settings
    this_year = utcnow().year
    parts: list[bytes] = []
    for url in [*table_urls(this_year - 1), *table_urls(this_year)]:
        try:
            payload = client.get(url, conditional=False, accept_html=True)
        except FetchError as exc:
            if "HTTP 404" in str(exc) and str(this_year) in url:
                continue  # this year's page appears some weeks into January
            raise
        name = url.rsplit("/", 1)[-1]
        parts.append(PART.format(name=name).encode() + b"\n" + payload.content)
    return Payload(content=b"\n".join(parts), url=TABLE_URL.format(year=this_year, ext="html"),
                   content_type="text/html", filename=f"scact{this_year}_bundle.html")  # fmt: skip


SOURCE = Source(
    id="unsc_meetings",
    title="UN Security Council meetings and outcomes (Dag Hammarskjöld Library tables)",
    publisher="United Nations, Dag Hammarskjöld Library",
    licence="UN website terms of use",
    url="https://research.un.org/en/docs/sc/quick/meetings",
    cadence="continuous (days after meetings)",
    cadence_days=7,
    schedule="15 6 * * *",
    indicators=INDICATORS,
    fetch=fetch,
    parse=parse,
    description="Meetings, resolutions, presidential statements and press releases, tagged "
    "with the regions and crime themes their topics name; counts per region and quarter.",
)
