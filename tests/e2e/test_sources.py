"""The Sources page in a real browser: source cards and the coverage matrix."""

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


@pytest.mark.parametrize("width", [1920, 1280])
def test_sources_page_shows_freshness_and_the_coverage_matrix(
    visit: Callable[..., Visit], live_servers: LiveServers, screenshots: Path, width: int
) -> None:
    sources = httpx.get(
        f"{live_servers.api_url}/api/v1/sources", headers=live_servers.headers("viewer")
    ).json()["items"]
    opened = visit("/sources", width=width, height=1000)
    page = opened.page
    page.wait_for_selector(f"#{ids.COVERAGE} .heatmaplayer image", timeout=WAIT_MS)
    page.wait_for_selector(f"#{ids.SOURCES_LIST} .source-card", timeout=WAIT_MS)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / f"sources-{width}.png"), full_page=True)
    assert page.locator(".source-card").count() == len(sources)
    chips = [chip.lower() for chip in page.locator(".source-card .chip").all_text_contents()]
    assert set(chips) <= {"fresh", "stale", "no data"} and chips
    ticks = page.locator(f"#{ids.COVERAGE} .ytick").count()
    assert ticks > 100, "every country is a row of the matrix"
    assert opened.blocked == [], "the page tried to reach the internet"
    assert opened.errors == []
