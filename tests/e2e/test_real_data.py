"""With the real public data loaded: real values and real alerts on the overview, and
Guinea-Bissau's Security Council meetings on its region page.

``real_servers`` (tests/e2e/conftest.py) serves a database filled by the real command line
from ../shared/data: the UNODC homicide workbook and the Council's meeting tables of
2008 to 2012, when Guinea-Bissau was on its agenda through the drug-trafficking crisis.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from dashboard import ids
from dashboard.pages.overview import ALERT_PAGE_SIZE

if TYPE_CHECKING:  # only for annotations: "conftest" names a different module per folder
    from conftest import LiveServers, Visit

pytestmark = [pytest.mark.e2e, pytest.mark.realdata]

WAIT_MS = 60_000


def api_json(servers: LiveServers, path: str, **params: object) -> dict[str, object]:
    """GET one API endpoint as a viewer and return its JSON body."""
    answer = httpx.get(f"{servers.api_url}/api/v1/{path}", params=params,
                       headers=servers.headers("viewer"), timeout=30)  # fmt: skip
    answer.raise_for_status()
    body: dict[str, object] = answer.json()
    return body


def test_the_overview_shows_real_values_and_real_alerts(
    visit_real: Callable[..., Visit], real_servers: LiveServers, screenshots: Path
) -> None:
    firing = api_json(real_servers, "alerts", state="firing", page_size=1)["total"]
    assert isinstance(firing, int) and firing > 0, "the default rules fire on the real data"
    opened = visit_real("/", width=1920, height=1080)
    page = opened.page
    page.wait_for_function(
        "document.querySelectorAll('.choroplethlocation').length > 150", timeout=WAIT_MS
    )
    page.wait_for_selector(f"#{ids.ALERT_LIST} tr.alert-row", timeout=WAIT_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "real-overview.png"), full_page=True)
    assert page.locator(f"#{ids.DEMO_BANNER}").is_hidden(), "real data, no demo banner"
    heatmap = api_json(real_servers, "heatmap", indicator="homicide_rate")
    items: list[dict[str, object]] = heatmap["items"]  # type: ignore[assignment]
    real = [item for item in items if item["value"] is not None]
    # The newest year is sparse: about 97 countries had published 2020 by the 2022 release.
    assert len(real) > 90 and not any(item["is_demo"] for item in real)
    assert page.locator(f"#{ids.ALERT_LIST} tr.alert-row").count() == min(firing, ALERT_PAGE_SIZE)
    assert opened.blocked == [] and opened.errors == []


def test_guinea_bissau_shows_its_security_council_meetings(
    visit_real: Callable[..., Visit], real_servers: LiveServers, screenshots: Path
) -> None:
    documents = api_json(real_servers, "documents", region="GNB", page_size=500)
    found: list[dict[str, object]] = documents["items"]  # type: ignore[assignment]
    meetings = [d for d in found if d["kind"] == "meeting"]
    assert len(meetings) >= 20, "the Council met on Guinea-Bissau many times in 2008-2012"
    opened = visit_real("/region/GNB", width=1920, height=1100)
    page = opened.page
    page.wait_for_function(
        f"document.querySelector('#{ids.REGION_HEADER}')?.innerText.includes('Guinea-Bissau')",
        timeout=WAIT_MS,
    )
    page.wait_for_selector(f"#{ids.REGION_SERIES} .scatterlayer .point", timeout=WAIT_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "real-region-GNB.png"), full_page=True)
    drawn = page.evaluate(
        """id => [...document.querySelectorAll(`#${id} .scatterlayer .trace`)]
              .filter(t => t.__data__ && t.__data__[0] && t.__data__[0].trace.name === 'meetings')
              .map(t => t.querySelectorAll('.point').length)
              .reduce((a, b) => a + b, 0)""",
        ids.REGION_SERIES,
    )
    assert drawn == len([m for m in meetings if m["date"]])
    table = page.locator(f"#{ids.REGION_DOCUMENTS}").inner_text()
    assert meetings[0]["symbol"] in table
    assert opened.blocked == [] and opened.errors == []
