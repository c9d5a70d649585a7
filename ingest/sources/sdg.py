"""UN SDG Global Database API, series ``VC_IHR_PSRC`` (indicator 16.1.1): homicide rate.

``GET /v1/sdg/Series/Data`` answers one page as ``{totalElements, totalPages, pageNumber,
data: [...]}``; ``fetch`` reads every page and bundles them as a JSON array of pages.
Each ``data`` element carries ``series, geoAreaCode (M49, as text, unpadded), geoAreaName,
timePeriodStart, value (text), attributes {Nature, Units}, dimensions {Sex, Age, …}``.
No real response was available when this was written (see DATA-SOURCES §3.4): the field list
comes from the API documentation; record a fixture on the first live call.

Kept: elements whose dimensions, where present, are the totals: ``Sex = BOTHSEX``,
``Age = ALLAGE`` and ``Reporting Type = G`` (the global series, not national figures).
Other breakdowns are counted in ``excluded["breakdown"]``. Regions stay as published (M49
numbers; the resolver reads them). Aggregates by design, counted in
``excluded["aggregate"]``: the M49 world, regions, sub-regions and intermediate regions,
and the SDG groupings listed in ``SDG_GROUPS``. An empty value is ``excluded["empty
value"]``. There is no release date in the response; the job uses the run's date.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from backend.timeutil import utcnow
from ingest.sources._tabular import CountedResult, drop_duplicates, number, year
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

SERIES = "VC_IHR_PSRC"
TARGET = "homicide_rate"
FIRST_YEAR = 1990
PAGE_SIZE = 1000
API_URL = (
    "https://unstats.un.org/sdgapi/v1/sdg/Series/Data?seriesCode={series}"
    "&timePeriodStart={first}&timePeriodEnd={last}&pageSize={size}&page={page}"
)
TOTALS = {"Sex": "BOTHSEX", "Age": "ALLAGE", "Reporting Type": "G"}
# M49 world (1), regions, sub-regions and intermediate regions.
M49_AGGREGATES = frozenset((
    1, 2, 5, 9, 11, 13, 14, 15, 17, 18, 19, 21, 29, 30, 34, 35, 39, 53, 54, 57, 61,
    142, 143, 145, 150, 151, 154, 155, 202, 419,
))  # fmt: skip
# SDG reporting groups: Central and Southern Asia (62), LDCs (199), LLDCs (432), Europe and
# Northern America (513), developed (514) and developing (515) regions, Oceania excluding
# Australia and New Zealand (543), SIDS (722), Northern Africa and Western Asia (747),
# Eastern and South-Eastern Asia (753).
SDG_GROUPS = frozenset((62, 199, 432, 513, 514, 515, 543, 722, 747, 753))
AGGREGATES = M49_AGGREGATES | SDG_GROUPS


def api_url(page: int, last_year: int) -> str:
    """Return the URL of one page of the series, 1990 to ``last_year``."""
    return API_URL.format(series=SERIES, first=FIRST_YEAR, last=last_year, size=PAGE_SIZE,
                          page=page)  # fmt: skip


def _pages(content: bytes, filename: str | None) -> list[dict[str, Any]]:
    """Return the pages of a single-page response or of a bundle of pages."""
    kind = sniff(content)
    if kind != "json":
        expected = "expected SDG API JSON (a page or a bundle of pages)"
        raise ParseError(f"{describe_format(kind, filename)}; {expected}")
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"SDG API JSON does not parse: {exc}") from exc
    pages = data if isinstance(data, list) else [data]
    for page in pages:
        if not (isinstance(page, dict) and isinstance(page.get("data"), list)):
            raise ParseError(f"SDG API JSON is not a page of Series/Data: {_complaint(page)}")
    _require_every_page(pages)
    return pages


def _complaint(page: object) -> str:
    """Return what an error body says, or a short description of the unexpected value."""
    if isinstance(page, dict):
        for key in ("message", "Message", "title", "error"):
            if page.get(key):
                return " ".join(str(page[key]).split())
        keys = " ".join(", ".join(sorted(map(str, page))).split())  # a key may hold newlines
        return f"keys {keys[:200] or 'none'}"
    return f"a JSON {type(page).__name__}"


def _require_every_page(pages: list[dict[str, Any]]) -> None:
    """Refuse a bundle that holds fewer pages than the API announced (a truncated download)."""
    try:
        announced = max(int(page.get("totalPages") or 1) for page in pages)
    except (TypeError, ValueError) as exc:
        raise ParseError(f"SDG API page has a bad totalPages: {exc}") from exc
    if len(pages) < announced:
        raise ParseError(f"the payload holds {len(pages)} of the {announced} pages announced")


def _exclusion(element: dict[str, Any]) -> str | None:
    """Return why an element is left out on purpose (aggregate, breakdown), else None."""
    code = str(element.get("geoAreaCode") or "").strip()
    if code.isdigit() and int(code) in AGGREGATES:
        return "aggregate"
    dimensions = element.get("dimensions") or {}
    if isinstance(dimensions, dict):
        for name, total in TOTALS.items():
            if name in dimensions and str(dimensions[name]).strip().upper() != total:
                return "breakdown"
    if element.get("value") in (None, ""):
        return "empty value"
    return None


def _element(element: dict[str, Any], result: CountedResult) -> None:
    """Add one data element: a row, a problem, or an exclusion count."""
    excluded = _exclusion(element)
    if excluded:
        result.excluded[excluded] += 1
        return
    try:
        if element.get("series", SERIES) != SERIES:
            raise ValueError(f"series {element.get('series')!r} is not {SERIES}")
        code = str(element.get("geoAreaCode") or "").strip()
        if not code:
            raise ValueError("no geoAreaCode")
        row = ParsedRow(code, TARGET, year(element.get("timePeriodStart", "")),
                        number(element["value"]), None, None, element)  # fmt: skip
    except ValueError as exc:
        result.problems.append(Problem(str(exc), None, element))
        return
    result.rows.append(row)


def parse(content: bytes, *, filename: str | None = None) -> CountedResult:
    """Parse a Series/Data page, or a bundle of pages, of VC_IHR_PSRC into rate rows."""
    pages = _pages(content, filename)
    elements = [e for page in pages for e in page["data"] if isinstance(e, dict)]
    found = {e.get("series") for e in elements if e.get("series")}
    if found and SERIES not in found:
        raise ParseError(f"the payload holds {', '.join(sorted(map(str, found)))}, not {SERIES}")
    result = CountedResult()
    for element in elements:
        _element(element, result)
    drop_duplicates(result)
    return result


def fetch(client: HttpGetter, settings: Settings) -> Payload:
    """Fetch every page of the series; several pages are bundled as a JSON array of pages."""
    del settings  # the fetcher already carries timeouts and retries
    last_year = utcnow().year
    first = client.get(api_url(1, last_year))
    if first.not_modified:
        return first
    try:
        total_pages = int(json.loads(first.content).get("totalPages") or 1)
    except (ValueError, AttributeError, TypeError) as exc:
        raise FetchError(f"{first.url}: not an SDG API page ({exc})") from exc
    pages = [first.content]
    for page in range(2, total_pages + 1):
        pages.append(client.get(api_url(page, last_year), conditional=False).content)
    content = pages[0] if len(pages) == 1 else b"[" + b",".join(pages) + b"]"
    return Payload(content=content, url=first.url, content_type="application/json")


SOURCE = Source(
    id="sdg_homicide",
    title="UN SDG Global Database: intentional homicide rate (16.1.1)",
    publisher="UN Statistics Division, SDG Global Database (data from UNODC)",
    licence="UN terms of use",
    url="https://unstats.un.org/sdgs/dataportal",
    cadence="yearly",
    cadence_days=365,
    schedule="0 6 * * 4",  # weekly check of a yearly series
    indicators=(TARGET,),
    fetch=fetch,
    parse=parse,
    aggregates=frozenset(str(code) for code in AGGREGATES),
    description="Series VC_IHR_PSRC (victims per 100,000 population), every country, 1990 on.",
)
