"""Every live source's publisher as a table of URL -> real-format bytes, for respx mocks.

Each ``Publisher`` answers exactly the URLs its source's ``fetch`` asks for today (the
URLs are built with the source module's own functions), with the recorded payloads of
tests/ingest/sources/payloads/ or the small payloads the source tests build. A new live
source adds one entry to ``PUBLISHERS``.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from backend.timeutil import utcnow
from ingest.sources import gdelt, owid, sdg, un_press, unodc_homicide, unodc_seizures, worldbank
from ingest.sources import unsc_meetings as unsc
from tests.ingest.sources.test_owid import HEADER as OWID_HEADER
from tests.ingest.sources.test_owid import METADATA as OWID_METADATA
from tests.ingest.sources.test_unodc_homicide import line, workbook

HERE = Path(__file__).resolve().parent
PAYLOADS = HERE / "sources" / "payloads"
WB_FIXTURES = HERE / "fixtures" / "worldbank"
GDELT_LATEST = "20191024143000"  # the newest slot lastupdate.txt names; its day before is fetched
CTS_PATH = "/sites/default/files/2025-06/" + unodc_homicide.FILENAME  # where the lookup points


@dataclass(frozen=True)
class Publisher:
    """A healthy publisher of one source, and the error envelope its API answers with."""

    source_id: str
    answers: Callable[[], dict[str, bytes]]  # URL -> body; any other URL is a 404
    envelope: bytes | None = None  # an error body served with HTTP 200, if the API has one
    envelope_reason: str = ""  # what the failed run must say about that envelope
    html_reason: str = "an HTML page, not data"  # what it says of an HTML error page
    later: Callable[[], str] | None = None  # a URL asked for after a first answer came back


def key(url: str | httpx.URL) -> str:
    """Return the URL as httpx sends it, so table lookups ignore encoding differences."""
    return str(httpx.URL(url))


def _worldbank() -> dict[str, bytes]:
    year = utcnow().year
    return {worldbank.api_url(n, year): (WB_FIXTURES / f"vc_ihr_psrc_p5_page{n}.json").read_bytes()
            for n in (1, 2)}  # fmt: skip


def _sdg() -> dict[str, bytes]:
    year = utcnow().year
    return {sdg.api_url(n, year): (PAYLOADS / f"sdg_vc_ihr_psrc_page{n}.json").read_bytes()
            for n in (1, 2)}  # fmt: skip


def _owid() -> dict[str, bytes]:
    rows = "Kenya,KEN,2020,5.1,Africa\nPeru,PER,2020,7.4,South America\n"
    return {owid.METADATA_URL: OWID_METADATA, owid.CSV_URL: (OWID_HEADER + rows).encode()}


def _unodc_homicide() -> dict[str, bytes]:
    found = {"filename": unodc_homicide.FILENAME, "uri": {"url": CTS_PATH},
             "changed": "2025-06-02T10:00:00"}  # fmt: skip
    lookup = {"data": [{"attributes": found}]}
    cts = workbook(line("KEN", 2020, 3500), line("PER", 2020, 2400))
    return {unodc_homicide.LOOKUP_URL: json.dumps(lookup).encode(),
            unodc_homicide.PORTAL + CTS_PATH: cts}  # fmt: skip


def _unodc_seizures() -> dict[str, bytes]:
    return {unodc_seizures.annex_url(utcnow().year): (PAYLOADS / "seizures_wdr2018_small.csv")
            .read_bytes()}  # fmt: skip


def _unsc_meetings() -> dict[str, bytes]:
    last_year = utcnow().year - 1  # this year's table is not out yet: a 404 the source skips
    table = (PAYLOADS / "unsc_2021_layout.html").read_bytes()
    return dict.fromkeys(unsc.table_urls(last_year), table)


def _un_press() -> dict[str, bytes]:
    return {un_press.RSS_URL: (PAYLOADS / "press_rss_2024-08.xml").read_bytes()}


def event_line(slot: str, number: int, country: str, code: str) -> str:
    """Return one 61-column GDELT 2.0 export line added in ``slot``."""
    added = datetime.strptime(slot, "%Y%m%d%H%M%S")
    cells = dict.fromkeys(gdelt.COLUMNS, "")
    cells.update(GLOBALEVENTID=f"{slot}{number}", SQLDATE=f"{added - gdelt.SLOT:%Y%m%d}",
                 EventCode=code, EventBaseCode=code, EventRootCode=code[:2],
                 GoldsteinScale="-5.0", AvgTone="-3.5", ActionGeo_CountryCode=country,
                 DATEADDED=slot, SOURCEURL=f"https://news.example.org/{slot}/{number}")  # fmt: skip
    return "\t".join(cells[name] for name in gdelt.COLUMNS)


def slot_zip(slot: str) -> bytes:
    """Return the events export ZIP of one slot: a fight in Kenya and a meeting in Peru."""
    lines = [event_line(slot, 1, "KE", "190"), event_line(slot, 2, "PE", "040")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{slot}.export.CSV", "\n".join(lines) + "\n")
    return buffer.getvalue()


def gdelt_day() -> date:
    """Return the day the GDELT fetch asks for: the one before the latest slot."""
    return datetime.strptime(GDELT_LATEST, "%Y%m%d%H%M%S").date() - timedelta(days=1)


def _gdelt() -> dict[str, bytes]:
    latest_url = gdelt.SLOT_URL.format(slot=GDELT_LATEST)
    latest = slot_zip(GDELT_LATEST)
    md5 = hashlib.md5(latest, usedforsecurity=False).hexdigest()
    listing = "".join(f"{len(latest)} {md5} {latest_url.replace('export', kind)}\n"
                      for kind in ("export", "mentions", "gkg"))  # fmt: skip
    slots = {gdelt.SLOT_URL.format(slot=s): slot_zip(s) for s in gdelt.day_slots(gdelt_day())}
    return {gdelt.LASTUPDATE_URL: listing.encode(), latest_url: latest, **slots}


WB_ERROR = (WB_FIXTURES / "vc_ihr_psrc_p5_error.json").read_bytes()
SDG_ERROR = b'{"message": "An error has occurred."}'  # ASP.NET Web API's error body

PUBLISHERS = {
    p.source_id: p
    for p in (
        Publisher("worldbank_homicide", _worldbank, WB_ERROR,
                  "World Bank API error 120 (Invalid value): The provided parameter value",
                  later=lambda: worldbank.api_url(2, utcnow().year)),
        Publisher("sdg_homicide", _sdg, SDG_ERROR,
                  "not a page of Series/Data: An error has occurred.",
                  later=lambda: sdg.api_url(2, utcnow().year)),
        Publisher("owid_homicide", _owid),  # without metadata the run goes on (its own test)
        Publisher("unodc_homicide", _unodc_homicide,
                  later=lambda: unodc_homicide.PORTAL + CTS_PATH),
        Publisher("unodc_seizures", _unodc_seizures),
        # The DHL tables ARE HTML: an error page in their place has no meeting table.
        Publisher("unsc_meetings", _unsc_meetings,
                  html_reason="not a DHL Security Council meetings table",
                  later=lambda: unsc.table_urls(utcnow().year)[0]),
        Publisher("un_press", _un_press),
        Publisher("gdelt_events", _gdelt,
                  later=lambda: gdelt.SLOT_URL.format(slot=gdelt.day_slots(gdelt_day())[40])),
    )
}  # fmt: skip
