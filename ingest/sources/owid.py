"""Our World in Data grapher CSV ``homicide-rate-unodc``: homicide rate per 100,000 (UNODC).

Layout: ``Entity, Code, Year, <value column>[, World region according to OWID]``. OWID
renames the value column between releases (``Homicide rate per 100,000 population``, later
``… - sex: Total - age: Total``), so it is found by its prefix. One row per entity and year.

Regions: ``Code`` as published (ISO3, ``OWID_KOS``, ``OWID_CIS``); where ``Code`` is empty,
the ``Entity`` name (England and Wales, Scotland, Northern Ireland, ``Iraq (Central Iraq)``,
``Iraq (Kurdistan Region)``), which the region resolver knows. Left out on purpose and
counted in ``excluded["aggregate"]``: ``OWID_WRL`` and ``UN_*`` codes, and code-less
entities named like an aggregate (``World``, continents, income groups, or a name ending in
an all-capitals publisher tag such as ``Africa (UN)``). An empty value cell is counted in
``excluded["empty value"]``: not published, not zero.

Vintage: ``lastUpdated`` of the value column in the grapher ``.metadata.json`` when it comes
with the CSV (``fetch`` bundles both in a ZIP, like OWID's own download), else the
``vintage`` given to ``parse`` (a payload's hint or the retrieval date), else None.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from datetime import date
from typing import TYPE_CHECKING

from ingest.sources._tabular import (
    CountedResult,
    csv_records,
    drop_duplicates,
    fold,
    iso_date,
    number,
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

log = logging.getLogger(__name__)

SLUG = "homicide-rate-unodc"
CHART_URL = f"https://ourworldindata.org/grapher/{SLUG}"
QUERY = "?v=1&csvType=full&useColumnShortNames=false"
CSV_URL = f"{CHART_URL}.csv{QUERY}"
METADATA_URL = f"{CHART_URL}.metadata.json{QUERY}"
VALUE_PREFIX = "Homicide rate per 100,000 population"
TARGET = "homicide_rate"
EXPECTED = "an OWID grapher CSV (Entity, Code, Year, value) or its ZIP"
AGGREGATE_NAMES = frozenset(fold(name) for name in (
    "World", "Africa", "Asia", "Europe", "North America", "South America", "Oceania",
    "European Union (27)", "High-income countries", "Low-income countries",
    "Lower-middle-income countries", "Upper-middle-income countries",
))  # fmt: skip
_PUBLISHER_TAG = re.compile(r"\s\([A-Z]{2,6}\)$")  # "Africa (UN)", "Europe (WB)"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same data gives the same archive bytes


def is_aggregate(code: str, entity: str) -> bool:
    """Tell whether an OWID row is an aggregate by design (world, UN or OWID regions)."""
    if code:
        return code.upper() == "OWID_WRL" or code.upper().startswith("UN_")
    return fold(entity) in AGGREGATE_NAMES or bool(_PUBLISHER_TAG.search(entity.strip()))


def _value_column(header: list[str]) -> int:
    """Return the index of the homicide-rate column, matched by its prefix."""
    prefix = fold(VALUE_PREFIX)
    found = [i for i, name in enumerate(header) if fold(name).startswith(prefix)]
    exact = [i for i in found if fold(header[i]) == prefix]
    totals = [i for i in found if "total" in fold(header[i])]
    for choice in (exact, found if len(found) == 1 else [], totals if len(totals) == 1 else []):
        if choice:
            return choice[0]
    if not found:
        raise ParseError(f"no column starting {VALUE_PREFIX!r}; the header is {', '.join(header)}")
    names = ", ".join(header[i] for i in found)
    raise ParseError(f"several columns start {VALUE_PREFIX!r}: {names}")


def last_updated(metadata: bytes) -> date | None:
    """Return ``lastUpdated`` of the homicide-rate column in a grapher .metadata.json."""
    try:
        data = json.loads(metadata.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"the OWID metadata JSON does not parse: {exc}") from exc
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, dict):
        return None
    prefix = fold(VALUE_PREFIX)
    for name, column in columns.items():
        if not isinstance(column, dict):
            continue
        titles = (fold(name), fold(column.get("titleShort", "")))
        if any(title.startswith(prefix) for title in titles):
            return iso_date(column.get("lastUpdated"))
    return None


def _unzip(content: bytes, filename: str | None) -> tuple[bytes, bytes | None]:
    """Return the CSV and the metadata JSON (if any) of an OWID download ZIP."""
    name = filename or "the ZIP"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            csvs = [n for n in names if n.lower().endswith(".csv")]
            metas = [n for n in names if n.lower().endswith(".metadata.json")]
            if not csvs:
                raise ParseError(f"{name} holds no .csv (it holds {', '.join(names)})")
            return archive.read(csvs[0]), archive.read(metas[0]) if metas else None
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ParseError(f"{name} is not a readable ZIP: {exc}") from exc


def _read_record(
    header: list[str], cells: list[str], line: int, column: int, result: CountedResult
) -> None:
    """Add one CSV record: a row, a problem, or an exclusion count."""
    raw: dict[str, object] = dict(zip(header, cells, strict=False))
    entity, code = (str(raw.get(name, "")).strip() for name in ("Entity", "Code"))
    cell = cells[column].strip() if column < len(cells) else ""
    if is_aggregate(code, entity):
        result.excluded["aggregate"] += 1
        return
    if not cell:
        result.excluded["empty value"] += 1
        return
    try:
        if len(cells) != len(header):  # grapher CSVs write every cell; a cut file does not
            raise ValueError(f"{len(cells)} cells for {len(header)} columns: a cut or broken line")
        if not (code or entity):
            raise ValueError("no Code and no Entity")
        row = ParsedRow(code or entity, TARGET, year(raw.get("Year", "")), number(cell),
                        result.vintage, line, raw)  # fmt: skip
    except ValueError as exc:
        result.problems.append(Problem(str(exc), line, raw))
        return
    result.rows.append(row)


def parse(
    content: bytes,
    *,
    filename: str | None = None,
    vintage: date | None = None,
    metadata: bytes | None = None,
) -> CountedResult:
    """Parse the grapher CSV (or the ZIP of CSV and metadata) into homicide-rate rows."""
    kind = sniff(content)
    if kind == "zip":
        content, metadata = _unzip(content, filename)
    elif kind != "csv":
        raise ParseError(f"{describe_format(kind, filename)}; expected {EXPECTED}")
    header, records = csv_records(content, filename=filename, expected=EXPECTED)
    missing = [name for name in ("Entity", "Code", "Year") if name not in header]
    if missing:
        raise ParseError(f"no {', '.join(missing)} column; the header is {', '.join(header)}")
    column = _value_column(header)
    result = CountedResult(vintage=(last_updated(metadata) if metadata else None) or vintage)
    for line, cells in records:
        _read_record(header, cells, line, column, result)
    drop_duplicates(result)
    return result


def bundle(csv_bytes: bytes, metadata: bytes) -> bytes:
    """Return a ZIP holding the CSV and its metadata JSON, laid out like OWID's download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in ((f"{SLUG}.csv", csv_bytes), (f"{SLUG}.metadata.json", metadata)):
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), data)
    return buffer.getvalue()


def fetch(client: HttpGetter, settings: Settings) -> Payload:
    """Fetch the metadata and the CSV; bundle them so the vintage travels with the data."""
    del settings  # the fetcher already carries timeouts and retries
    try:
        metadata: bytes | None = client.get(METADATA_URL, conditional=False).content
        vintage = last_updated(metadata or b"")
    except (FetchError, ParseError) as exc:
        log.warning("OWID metadata unavailable, the retrieval date stands in: %s", exc)
        metadata, vintage = None, None
    data = client.get(CSV_URL)
    if data.not_modified or metadata is None:
        return data
    return Payload(content=bundle(data.content, metadata), url=data.url,
                   content_type="application/zip", vintage_hint=vintage,
                   filename=f"{SLUG}.zip")  # fmt: skip


SOURCE = Source(
    id="owid_homicide",
    title="Our World in Data: homicide rate (UNODC)",
    publisher="Our World in Data (from UNODC and UN World Population Prospects)",
    licence="CC BY 4.0 (OWID processing); UNODC terms of use apply to the underlying data",
    url=CHART_URL,
    cadence="yearly",
    cadence_days=365,
    schedule="45 5 * * 3",  # weekly check; the conditional GET makes a quiet week cheap
    indicators=(TARGET,),
    fetch=fetch,
    parse=parse,
    aggregates=frozenset(("OWID_WRL",)),
    description="The homicide-rate-unodc grapher chart: UNODC rates, recent years on WPP.",
)
