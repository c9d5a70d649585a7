"""The Region page in a real browser: it draws a demo country, and the map drills down to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from dashboard import ids

if TYPE_CHECKING:  # only for annotations: "conftest" names a different module per folder
    from conftest import LiveServers, Visit

pytestmark = pytest.mark.e2e

WAIT_MS = 20_000
POINTS = f"#{ids.REGION_SERIES} .scatterlayer .point"
DRILL_TO = "BRA"  # large and convex enough that the middle of its outline is inside it


def alerted_region(live_servers: LiveServers) -> str:
    """Return the region of the newest firing demo alert."""
    response = httpx.get(
        f"{live_servers.api_url}/api/v1/alerts",
        params={"state": "firing", "page_size": 1},
        headers=live_servers.headers("viewer"),
    )
    response.raise_for_status()
    return str(response.json()["items"][0]["region"])


def wait_for_region(visit: Visit) -> Visit:
    """Wait until the small multiples have drawn points and the provenance table has rows."""
    visit.page.wait_for_function(
        f"document.querySelectorAll('{POINTS}').length > 5", timeout=WAIT_MS
    )
    visit.page.wait_for_selector(f"#{ids.REGION_PROVENANCE} tbody tr", timeout=WAIT_MS)
    return visit


@pytest.mark.parametrize("width", [1920, 1280])
def test_region_page_draws_series_alerts_and_provenance(
    visit: Callable[..., Visit], live_servers: LiveServers, screenshots: Path, width: int
) -> None:
    code = alerted_region(live_servers)
    opened = wait_for_region(visit(f"/region/{code}", width=width, height=1000))
    page = opened.page
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / f"region-{width}.png"), full_page=True)
    header = page.locator(f"#{ids.REGION_HEADER}").inner_text()
    assert code in header and "firing)" in header
    # Alert markers are triangles; at least the alert we picked is drawn.
    assert page.locator(f"#{ids.REGION_SERIES} path.point[d*='L']").count() > 0
    assert "Security Council" in page.locator(f"#{ids.REGION_SERIES}").inner_text()
    assert (
        page.locator(f"#{ids.REGION_DOCUMENTS} .empty-state, #{ids.REGION_DOCUMENTS} table").count()
        == 1
    )
    assert opened.blocked == [], "the page tried to reach the internet"
    assert opened.errors == []


def test_unknown_region_says_so(visit: Callable[..., Visit]) -> None:
    opened = visit("/region/ZZZ")
    message = opened.page.locator(f"#{ids.REGION_MESSAGE}")
    message.wait_for(state="visible", timeout=WAIT_MS)
    assert "ZZZ" in message.inner_text() and "404" in message.inner_text()
    assert opened.blocked == []


def test_clicking_a_country_on_the_map_opens_its_region_page(
    visit: Callable[..., Visit], screenshots: Path
) -> None:
    opened = visit("/")
    page = opened.page
    page.wait_for_function(
        "document.querySelectorAll('.choroplethlocation').length > 150", timeout=WAIT_MS
    )
    box = page.evaluate(
        """code => {
            const shape = [...document.querySelectorAll('.choroplethlocation')]
                .find(p => p.__data__ && p.__data__.loc === code);
            const r = shape.getBoundingClientRect();
            return {x: r.x + r.width / 2, y: r.y + r.height / 2};
        }""",
        DRILL_TO,
    )
    page.mouse.move(box["x"], box["y"])
    page.mouse.click(box["x"], box["y"])
    page.wait_for_url(f"**/region/{DRILL_TO}", timeout=WAIT_MS)
    page.wait_for_function(
        f"document.querySelector('#{ids.REGION_HEADER}')?.innerText.includes('{DRILL_TO}')",
        timeout=WAIT_MS,
    )
    assert "Brazil" in page.locator(f"#{ids.REGION_HEADER}").inner_text()
    page.screenshot(path=str(screenshots / "region-drilldown.png"))
    assert opened.blocked == [] and opened.errors == []
