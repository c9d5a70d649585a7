"""World Bank WDI ``VC.IHR.PSRC.P5``: intentional homicides per 100,000 people.

Two layouts are read: the API v2 JSON envelope ``[meta, rows]`` (paged), and the bulk
download, a CSV with a 4-line preamble or the ZIP that holds it. ``country/all`` mixes the
World Bank's own aggregates (income groups, lending groups, regions) with countries; their
codes are listed here so that the job can drop them instead of quarantining them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from datetime import date
from typing import TYPE_CHECKING, Any

from backend.timeutil import utcnow
from ingest.sources.base import (
    FetchError,
    HttpGetter,
    ParsedRow,
    ParseError,
    ParseResult,
    Payload,
    Problem,
    Source,
    describe_format,
    sniff,
)

if TYPE_CHECKING:
    from backend.config import Settings

INDICATOR = "VC.IHR.PSRC.P5"
TARGET = "homicide_rate"
FIRST_YEAR = 1990
API_URL = (
    "https://api.worldbank.org/v2/country/all/indicator/{indicator}"
    "?format=json&per_page=20000&date={first}:{last}&page={page}"
)
# The World Bank's aggregates in country/all: ISO3-style codes and the API's 2-character ids.
AGGREGATES = frozenset((
    "AFE", "AFW", "ARB", "CEB", "CSS", "EAP", "EAR", "EAS", "ECA", "ECS", "EMU", "EUU", "FCS",
    "HIC", "HPC", "IBD", "IBT", "IDA", "IDB", "IDX", "INX", "LAC", "LCN", "LDC", "LIC", "LMC",
    "LMY", "LTE", "MEA", "MIC", "MNA", "NAC", "OED", "OSS", "PRE", "PSS", "PST", "SAS", "SSA",
    "SSF", "SST", "TEA", "TEC", "TLA", "TMN", "TSA", "TSS", "UMC", "WLD", "ZH", "ZI", "1A",
    "B8", "S3", "4E", "V2", "Z4", "7E", "Z7", "XC", "EU", "F1", "XD", "XE", "XF",
    "ZT", "XG", "XH", "XI", "XY", "XJ", "ZJ", "XL", "XM", "XN", "XO", "V3", "ZQ",
    "XP", "XQ", "XU", "OE", "S4", "V1", "S2", "V4", "8S", "ZF", "ZG", "S1", "T4",
    "T7", "T2", "T3", "T5", "T6", "XT", "1W",
))  # fmt: skip


def api_url(page: int, last_year: int) -> str:
    """Return the API v2 URL of one page of the indicator, 1990 to ``last_year``."""
    return API_URL.format(indicator=INDICATOR, first=FIRST_YEAR, last=last_year, page=page)


def _envelope(page: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return (meta, records) of one API page; the one-element error envelope raises."""
    if isinstance(page, list) and len(page) == 1 and isinstance(page[0], dict):
        messages = page[0].get("message") or [{}]
        first = messages[0] if isinstance(messages, list) and messages else {}
        first = first if isinstance(first, dict) else {}
        code, key, text = (str(first.get(k, "")).strip() for k in ("id", "key", "value"))
        raise ParseError(
            f"World Bank API error {code} ({key}): {text}"
            if text
            else f"World Bank API error: {page[0]}"
        )
    if not (isinstance(page, list) and len(page) == 2 and isinstance(page[0], dict)):
        raise ParseError("World Bank JSON is not the [meta, rows] envelope of API v2")
    records = page[1] if isinstance(page[1], list) else []  # rows == null: nothing on this page
    return page[0], records


def fetch(client: HttpGetter, settings: Settings) -> Payload:
    """Fetch every page of the indicator; several pages are bundled as a JSON array of pages."""
    del settings  # the fetcher already carries timeouts and retries
    last_year = utcnow().year
    first = client.get(api_url(1, last_year))
    if first.not_modified:
        return first
    try:
        meta, _ = _envelope(json.loads(first.content))
    except (ValueError, ParseError) as exc:
        raise FetchError(f"{first.url}: {exc}") from exc
    pages = [first.content]
    for number in range(2, int(meta.get("pages") or 1) + 1):
        pages.append(client.get(api_url(number, last_year), conditional=False).content)
    content = pages[0] if len(pages) == 1 else b"[" + b",".join(pages) + b"]"
    return Payload(
        content=content,
        url=first.url,
        content_type="application/json",
        vintage_hint=_iso_date(meta.get("lastupdated")),
    )


def _iso_date(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text).strip()) if text else None
    except ValueError:
        return None


def _number(text: object) -> float:
    if isinstance(text, bool):
        raise ValueError("a boolean is not a number")
    value = (
        float(text) if isinstance(text, int | float) else float(str(text).strip().replace(",", ""))
    )
    if not math.isfinite(value):
        raise ValueError(f"value {text!r} is not a finite number")
    return value


def _year(text: object) -> str:
    period = str(text).strip()
    if not (len(period) == 4 and period.isdigit()):
        raise ValueError(f"period {period!r} is not a year")
    return period


def _parse_json(content: bytes) -> ParseResult:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except ValueError as exc:
        raise ParseError(f"World Bank JSON does not parse: {exc}") from exc
    bundle = isinstance(data, list) and bool(data) and all(isinstance(p, list) for p in data)
    result = ParseResult()
    seen: set[object] = set()
    for page in data if bundle else [data]:
        meta, records = _envelope(page)
        vintage = _iso_date(meta.get("lastupdated"))
        result.vintage = result.vintage or vintage
        for record in records:
            if not isinstance(record, dict):
                result.problems.append(Problem("not a JSON object", None, {"record": repr(record)}))
                continue
            seen.add(_obj(record.get("indicator")).get("id"))
            _json_record(record, vintage, result)
    _require_indicator(seen)
    return result


def _require_indicator(seen: set[object]) -> None:
    """Refuse a payload of another indicator as a whole rather than row by row."""
    if seen and INDICATOR not in seen:
        found = ", ".join(sorted(str(code) for code in seen))
        raise ParseError(f"the payload holds {found}, not {INDICATOR}")


def _obj(value: object) -> dict[str, Any]:
    """Return a nested JSON object, or an empty one when the API sent something else."""
    return value if isinstance(value, dict) else {}


def _json_record(record: dict[str, Any], vintage: date | None, result: ParseResult) -> None:
    """Add one API record to the result: a row, a problem, or nothing for a null value."""
    if record.get("value") is None:
        return  # the API lists every year slot; null means not published, not zero
    country = _obj(record.get("country"))
    region = str(record.get("countryiso3code") or country.get("id") or "").strip()
    indicator = _obj(record.get("indicator")).get("id")
    try:
        if indicator != INDICATOR:
            raise ValueError(f"indicator {indicator!r} is not {INDICATOR}")
        if not region:
            raise ValueError("no country code")
        row = ParsedRow(region, TARGET, _year(record.get("date")), _number(record["value"]),
                        vintage, None, record)  # fmt: skip
    except ValueError as exc:
        result.problems.append(Problem(str(exc), None, record))
        return
    result.rows.append(row)


def _csv_header(lines: list[list[str]]) -> tuple[int, date | None]:
    """Return the index of the header line and the "Last Updated Date" of the preamble."""
    vintage = None
    for index, cells in enumerate(lines[:20]):
        if cells[:2] == ["Country Name", "Country Code"]:
            return index, vintage
        if cells and cells[0] == "Last Updated Date" and len(cells) > 1:
            vintage = _iso_date(cells[1])
    raise ParseError("no 'Country Name,Country Code' header line: not a World Bank bulk CSV")


def _parse_csv(text: str) -> ParseResult:
    lines = list(csv.reader(io.StringIO(text)))
    start, vintage = _csv_header(lines)
    header = lines[start]
    years = [(i, name) for i, name in enumerate(header) if len(name) == 4 and name.isdigit()]
    result = ParseResult(vintage=vintage)
    _require_indicator({cells[3] for cells in lines[start + 1 :] if len(cells) > 3})
    for offset, cells in enumerate(lines[start + 1 :], start=start + 2):
        if not any(cell.strip() for cell in cells):
            continue
        fields = dict(zip(header[:4], cells[:4], strict=False))
        for index, year in years:
            cell = cells[index].strip() if index < len(cells) else ""
            if cell:
                _csv_cell(fields, year, cell, offset, vintage, result)
    return result


def _csv_cell(
    fields: dict[str, str],
    year: str,
    cell: str,
    line: int,
    vintage: date | None,
    result: ParseResult,
) -> None:
    """Add one non-empty year cell of a bulk CSV line to the result."""
    raw: dict[str, object] = {**fields, "year": year, "value": cell}
    try:
        if fields.get("Indicator Code") != INDICATOR:
            raise ValueError(f"indicator {fields.get('Indicator Code')!r} is not {INDICATOR}")
        value = _number(cell)
    except ValueError as exc:
        result.problems.append(Problem(f"bad value: {exc}", line, raw))
        return
    region = fields.get("Country Code", "").strip()
    result.rows.append(ParsedRow(region, TARGET, year, value, vintage, line, raw))


def _parse_zip(content: bytes, filename: str | None) -> ParseResult:
    name = filename or "the ZIP"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [
                n for n in archive.namelist() if n.rsplit("/", 1)[-1].upper().startswith("API_")
            ]
            csvs = [n for n in names if n.lower().endswith(".csv")]
            if not csvs:
                listed = ", ".join(archive.namelist()) or "nothing"
                raise ParseError(f"{name} holds no API_*.csv (it holds {listed})")
            text = archive.read(csvs[0]).decode("utf-8-sig")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ParseError(f"{name} is not a readable ZIP: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ParseError(f"{name}: the CSV inside is not UTF-8 text: {exc.reason}") from exc
    return _parse_csv(text)


def parse(content: bytes, *, filename: str | None = None) -> ParseResult:
    """Parse an API v2 JSON response (or bundle of pages), a bulk CSV, or the bulk ZIP."""
    kind = sniff(content)
    if kind == "json":
        return _parse_json(content)
    if kind == "zip":
        return _parse_zip(content, filename)
    if kind == "csv":
        try:
            return _parse_csv(content.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise ParseError(f"{filename or 'the CSV'} is not UTF-8 text: {exc.reason}") from exc
    expected = "expected World Bank API JSON, a bulk CSV or its ZIP"
    raise ParseError(f"{describe_format(kind, filename)}; {expected}")


SOURCE = Source(
    id="worldbank_homicide",
    title="World Bank WDI: intentional homicides (per 100,000 people)",
    publisher="World Bank (World Development Indicators; data from UNODC)",
    licence="CC BY 4.0",
    url="https://data.worldbank.org/indicator/VC.IHR.PSRC.P5",
    cadence="yearly",
    cadence_days=365,
    schedule="30 4 * * 1",  # weekly check; the conditional GET makes a quiet week cheap
    indicators=(TARGET,),
    fetch=fetch,
    parse=parse,
    aggregates=AGGREGATES,
    description="Indicator VC.IHR.PSRC.P5 through the World Bank API v2, 1990 to this year.",
)
