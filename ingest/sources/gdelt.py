"""GDELT 2.0 events: daily counts of crime and violence events per country, and their tenor.

GDELT publishes a ZIP every 15 minutes (slot ``YYYYMMDDHHMMSS``) holding one tab-separated
file of 61 columns and no header (``COLUMNS``, from the GDELT 2.0 event codebook). The
slot list is ``lastupdate.txt`` (3 lines ``<bytes> <md5> <url>``: export, mentions, gkg)
or, for history, ``masterfilelist.txt`` in the same line format.

What is counted (see docs/gdelt-event-codes.md for the choice of codes and why):

- an event's place is ``ActionGeo_CountryCode``, a FIPS 10-4 code; rows carry it as
  ``FIPS:XX`` so the job resolves it with the FIPS table, not as ISO alpha-2. Events
  with no place are counted in ``excluded``.
- its day is ``SQLDATE``, kept only when it is the day the slot covers (the slot
  ``D+1 00:00:00`` closes day D): GDELT also dates "a year ago today" mentions a year
  back, and counting those would scatter partial counts over past days. They are counted
  in ``excluded``.
- one article (``SOURCEURL``) counts once per place, day and event code, however many
  actor variants GDELT coded from it; the repeats are counted in ``excluded``.
- ``gdelt_crime_events``: events whose CAMEO code is in ``CRIME_ROOTS`` or
  ``CRIME_BASES``; ``gdelt_goldstein_mean``: the mean Goldstein scale of all the
  country-day's events; ``gdelt_tone_mean``: the mean ``AvgTone`` of the same events.

A payload is one slot ZIP, or a bundle ZIP of slot ZIPs (``fetch`` bundles one whole
day, so each country-day is counted from all its slots at once; slots that are missing
upstream are listed in ``MISSING.txt`` and counted), or an export already unzipped.
Fetching the previous complete UTC day (not the latest slot) is deliberate: each daily
value is stored once, complete, instead of being revised every 15 minutes as slots arrive.
For testing, ``tocsin ingest run gdelt_events --file`` takes one ``.export.CSV`` or slot
``.zip``; its counts are then those of that slot alone.
Unzipping is capped (``MAX_UNZIPPED``) against ZIP bombs. A file whose first lines do not
have 61 tab-separated columns fails whole; a single bad line is a problem.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from ingest.sources._tabular import CountedResult
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

LASTUPDATE_URL = "http://data.gdeltproject.org/gdeltv2/lastupdate.txt"
SLOT_URL = "http://data.gdeltproject.org/gdeltv2/{slot}.export.CSV.zip"
FIPS = "FIPS:"
MISSING = "MISSING.txt"
MAX_UNZIPPED = 64 * 1024 * 1024  # per file; a real slot unzips to well under 2 MB
MAX_MEMBERS = 200
SLOT = timedelta(minutes=15)
CRIME_ROOTS = frozenset({"18", "19", "20"})  # assault, fight, unconventional mass violence
CRIME_BASES = frozenset({"145", "171", "173", "175"})  # riot, seize/damage, arrest, repression
INDICATORS = ("gdelt_crime_events", "gdelt_goldstein_mean", "gdelt_tone_mean")
COLUMNS = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate", "Actor1Code", "Actor1Name",
    "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode", "Actor1Religion1Code",
    "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code", "Actor1Type3Code", "Actor2Code",
    "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode",
    "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code",
    "Actor2Type3Code", "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
    "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone", "Actor1Geo_Type",
    "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code", "Actor1Geo_ADM2Code",
    "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID", "Actor2Geo_Type",
    "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code", "Actor2Geo_ADM2Code",
    "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID", "ActionGeo_Type",
    "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code", "ActionGeo_ADM2Code",
    "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID", "DATEADDED", "SOURCEURL",
)  # fmt: skip
_AT = {name: index for index, name in enumerate(COLUMNS)}
T = TypeVar("T")


@dataclass(frozen=True)
class FileEntry:
    """One line of lastupdate.txt or masterfilelist.txt."""

    size: int
    md5: str
    url: str

    @property
    def slot(self) -> str:
        """Return the 14-digit slot of the file (``20191024143000``)."""
        return self.url.rsplit("/", 1)[-1][:14]


@dataclass
class _Day:
    """What one country-day adds up to."""

    events: int = 0
    crime: int = 0
    goldstein: float = 0.0
    tone: float = 0.0
    first_line: int = 0


@dataclass
class _State:
    """The running totals of one parse."""

    days: dict[tuple[str, date], _Day] = field(default_factory=dict)
    seen: set[tuple[str, date, str, str]] = field(default_factory=set)
    latest: datetime | None = None


def read_file_list(text: str) -> list[FileEntry]:
    """Read ``<bytes> <md5> <url>`` lines; a malformed line is a one-line ParseError."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if not (len(parts) == 3 and parts[0].isdigit() and len(parts[1]) == 32
                and parts[2].startswith("http")):  # fmt: skip
            raise ParseError(f"file list line {number} is not '<bytes> <md5> <url>': {line[:80]!r}")
        entries.append(FileEntry(int(parts[0]), parts[1].lower(), parts[2]))
    return entries


def export_entry(entries: list[FileEntry]) -> FileEntry:
    """Return the events export of a file list (the ``.export.CSV.zip`` line)."""
    for entry in entries:
        if entry.url.endswith(".export.CSV.zip"):
            return entry
    raise ParseError("the file list has no .export.CSV.zip line")


def day_slots(day: date) -> list[str]:
    """Return the 96 slots that cover ``day``: 00:15 on it to 00:00 the next day."""
    start = datetime(day.year, day.month, day.day)
    return [(start + SLOT * i).strftime("%Y%m%d%H%M%S") for i in range(1, 97)]


def _capped(archive: zipfile.ZipFile, name: str) -> bytes:
    """Read one member, refusing to unzip more than MAX_UNZIPPED bytes."""
    with archive.open(name) as member:
        data = member.read(MAX_UNZIPPED + 1)
    if len(data) > MAX_UNZIPPED:
        raise ParseError(
            f"{name} unzips to more than {MAX_UNZIPPED} bytes: refused (ZIP bomb guard)"
        )
    return data


def _members(content: bytes, result: CountedResult, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    """Yield (name, text bytes) of the export files in a slot ZIP or a bundle of them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise ParseError(f"the GDELT ZIP is broken: {exc}") from exc
    if len(names) > MAX_MEMBERS:
        raise ParseError(f"the ZIP holds {len(names)} files, more than {MAX_MEMBERS}: refused")
    for name in names:
        try:
            data = _capped(archive, name)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ParseError(f"{name} in the GDELT ZIP is broken: {exc}") from exc
        if name == MISSING:
            result.excluded["slot missing upstream"] += len(data.split())
        elif name.lower().endswith(".zip") and depth == 0:
            yield from _members(data, result, depth + 1)
        elif name.lower().endswith(".csv"):
            yield name, data


@lru_cache(maxsize=4096)  # a slot has one DATEADDED and a handful of SQLDATEs
def _stamp(text: str) -> datetime:
    """Return a ``YYYYMMDDHHMMSS`` timestamp."""
    return datetime.strptime(text, "%Y%m%d%H%M%S")


@lru_cache(maxsize=4096)
def _date(text: str) -> date:
    """Return a ``YYYYMMDD`` date."""
    return datetime.strptime(text, "%Y%m%d").date()


def _field(cells: list[str], name: str, convert: Callable[[str], T]) -> T:
    """Convert one named cell; a bad one is a ValueError naming the column."""
    value = cells[_AT[name]]
    try:
        return convert(value)
    except ValueError:
        raise ValueError(f"{name} {value[:40]!r} does not read") from None


def _add_event(cells: list[str], line: int, state: _State, result: CountedResult) -> None:
    """Add one event line to its country-day, or record why it is not counted."""
    country = cells[_AT["ActionGeo_CountryCode"]].strip()
    if not country:
        result.excluded["no ActionGeo_CountryCode (not located)"] += 1
        return
    added = _field(cells, "DATEADDED", _stamp)
    day = _field(cells, "SQLDATE", _date)
    goldstein, tone = _field(cells, "GoldsteinScale", float), _field(cells, "AvgTone", float)
    state.latest = max(state.latest or added, added)
    if day != (added - SLOT).date():
        result.excluded["SQLDATE is not the day the slot covers"] += 1
        return
    code = cells[_AT["EventCode"]]
    key = (country, day, cells[_AT["SOURCEURL"]] or cells[_AT["GLOBALEVENTID"]], code)
    if key in state.seen:
        result.excluded["same article, place, day and event code"] += 1
        return
    state.seen.add(key)
    total = state.days.setdefault((country, day), _Day(first_line=line))
    total.events += 1
    total.goldstein += goldstein
    total.tone += tone
    if cells[_AT["EventRootCode"]] in CRIME_ROOTS or cells[_AT["EventBaseCode"]] in CRIME_BASES:
        total.crime += 1


def _add_file(name: str, data: bytes, state: _State, result: CountedResult) -> None:
    """Add every line of one export file; a bad line is a problem, the rest still counts."""
    text = data.decode("utf-8", errors="replace")
    if sniff(data[:2048]) == "html":
        raise ParseError(f"{describe_format('html', name)}; expected a GDELT events export")
    lines = text.splitlines()
    if lines and not any(row.count("\t") == len(COLUMNS) - 1 for row in lines[:50]):
        found = lines[0].count("\t") + 1
        raise ParseError(
            f"{name} has {found} tab-separated columns, not the 61 of a GDELT 2.0 export"
        )
    for line, row in enumerate(lines, start=1):
        cells = row.split("\t")
        try:
            if len(cells) != len(COLUMNS):
                raise ValueError(f"line has {len(cells)} columns, expected {len(COLUMNS)}")
            _add_event(cells, line, state, result)
        except ValueError as exc:
            raw: dict[str, object] = {"file": name, "line": row[:300]}
            result.problems.append(Problem(str(exc), line, raw))


def _tidy(value: float) -> float:
    """Drop float noise, so the same events summed in another order are no revision."""
    return float(f"{value:.12g}")


def _rows(state: _State, result: CountedResult) -> None:
    """Turn country-day totals into rows (counts include zero; means of all events)."""
    for (country, day), total in sorted(state.days.items()):
        period, region = day.isoformat(), FIPS + country
        tone = _tidy(total.tone / total.events)
        raw: dict[str, object] = {"fips": country, "day": period, "events": total.events,
                                  "crime_events": total.crime, "tone_mean": tone}  # fmt: skip
        values = (float(total.crime), _tidy(total.goldstein / total.events), tone)
        for indicator, value in zip(INDICATORS, values, strict=True):
            result.rows.append(ParsedRow(region, indicator, period, value, result.vintage,
                                         total.first_line, raw))  # fmt: skip


def parse(content: bytes, *, filename: str | None = None) -> CountedResult:
    """Parse a GDELT 2.0 events slot ZIP (or a bundle of slots) into country-day rows."""
    kind = sniff(content)
    if kind not in ("zip", "csv"):
        expected = "expected a GDELT 2.0 events export ZIP (or a bundle of them)"
        raise ParseError(f"{describe_format(kind, filename)}; {expected}")
    result, state = CountedResult(), _State()
    if kind == "csv":  # an export already unzipped, as GDELT's own tools leave it
        files = [(filename or "the export", content)]
    else:
        files = list(_members(content, result))
    if not files:
        raise ParseError(f"{filename or 'the ZIP'} holds no .export.CSV file")
    for name, data in files:
        _add_file(name, data, state, result)
    result.vintage = state.latest.date() if state.latest else None
    _rows(state, result)
    return result


def verify_md5(content: bytes, md5: str, url: str) -> None:
    """Refuse a download whose md5 is not the one the file list gave."""
    got = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if got != md5.lower():
        raise FetchError(f"{url}: md5 {got} is not the published {md5}")


def fetch_latest(client: HttpGetter) -> tuple[FileEntry, bytes]:
    """Fetch lastupdate.txt and the latest events slot, checked against its md5."""
    listing = client.get(LASTUPDATE_URL, conditional=False)
    entry = export_entry(read_file_list(listing.content.decode("ascii", errors="replace")))
    content = client.get(entry.url, conditional=False).content
    verify_md5(content, entry.md5, entry.url)
    return entry, content


def fetch_day(client: HttpGetter, day: date, *, known: Mapping[str, str] | None = None) -> Payload:
    """Fetch the 96 slots of one day as a bundle ZIP; missing slots (404) are listed."""
    bundle, missing = io.BytesIO(), []
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_STORED) as archive:
        for slot in day_slots(day):
            url = SLOT_URL.format(slot=slot)
            try:
                content = client.get(url, conditional=False).content
            except FetchError as exc:
                if "HTTP 404" not in str(exc):
                    raise
                missing.append(slot)
                continue
            if known and url in known:
                verify_md5(content, known[url], url)
            archive.writestr(f"{slot}.export.CSV.zip", content)
        archive.writestr(MISSING, "\n".join(missing))
    if len(missing) == 96:
        raise FetchError(f"no GDELT events slot of {day.isoformat()} is published")
    return Payload(content=bundle.getvalue(), url=SLOT_URL.format(slot=day.strftime("%Y%m%d*")),
                   content_type="application/zip", vintage_hint=day,
                   filename=f"gdelt_events_{day:%Y%m%d}.zip")  # fmt: skip


def fetch(client: HttpGetter, settings: Settings) -> Payload:
    """Fetch the last complete UTC day before the latest slot, checking what md5 is known."""
    del settings
    try:
        entry, _ = fetch_latest(client)
    except ParseError as exc:
        raise FetchError(f"{LASTUPDATE_URL}: {exc}") from exc
    day = _stamp(entry.slot).date() - timedelta(days=1)
    return fetch_day(client, day, known={entry.url: entry.md5})


SOURCE = Source(
    id="gdelt_events",
    title="GDELT 2.0 events: crime and violence events per country and day",
    publisher="The GDELT Project",
    licence="GDELT terms of use (free for any use, with attribution)",
    url="https://www.gdeltproject.org/data.html#rawdatafiles",
    cadence="every 15 min (daily counts)",
    cadence_days=1,
    schedule="40 0 * * *",  # after the 00:00 slot that closes the previous day
    indicators=INDICATORS,
    fetch=fetch,
    parse=parse,
    description="Daily counts of crime- and violence-coded CAMEO events by place (FIPS), "
    "one per article, and the day's mean Goldstein scale.",
)
