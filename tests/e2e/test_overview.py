"""The Overview page in a real browser, against the real API serving the demo data.

Loading the page costs seconds of browser work, so the tests that only read it share one
load (``overview``); the test that moves the period slider opens its own.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from dashboard import ids
from dashboard.pages import overview as overview_page
from tests.dashboard.test_plotly_bundle import plotly_js_version

if TYPE_CHECKING:  # only for annotations: "conftest" names a different module per folder
    from conftest import LiveServers, Visit

pytestmark = pytest.mark.e2e

# Generous: shared CI machines run several browsers at once (the benchmark measures speed).
WAIT_MS = 60_000
# The world has about 250 countries and areas; a map that drew has well over 150 shapes.
MIN_SHAPES = 150
SHAPES = ".choroplethlocation"


def wait_for_overview(visit: Visit) -> Visit:
    """Wait until the map has drawn its shapes and every panel has content."""
    visit.page.wait_for_function(
        f"document.querySelectorAll('{SHAPES}').length > {MIN_SHAPES}", timeout=WAIT_MS
    )
    for selector in (f"#{ids.ALERT_LIST} > *", f"#{ids.HEADLINE_COVERAGE} .headline-number"):
        visit.page.wait_for_selector(selector, timeout=WAIT_MS)
    return visit


def map_title(visit: Visit) -> str:
    return str(visit.page.locator(f"#{ids.MAP} .gtitle").text_content())


def api_json(live_servers: LiveServers, path: str, **params: str | int) -> dict[str, object]:
    response = httpx.get(
        f"{live_servers.api_url}/api/v1/{path}",
        params=params,
        headers=live_servers.headers("viewer"),
        timeout=10,
    )
    response.raise_for_status()
    return dict(response.json())


@pytest.fixture(scope="module")
def overview(visit: Callable[..., Visit]) -> Visit:
    """Return the Overview, loaded once at 1920x1080, for tests that only read it."""
    return wait_for_overview(visit("/", width=1920, height=1080))


def test_overview_draws_the_map_with_no_internet(overview: Visit, screenshots: Path) -> None:
    page = overview.page
    page.screenshot(path=str(screenshots / "overview.png"), full_page=True)
    assert page.locator(SHAPES).count() > MIN_SHAPES
    assert "Intentional homicide rate" in map_title(overview)

    page.set_viewport_size({"width": 1280, "height": 800})
    # The graph is responsive: wait until plotly has redrawn the map for the narrower page.
    page.wait_for_function(
        f"document.querySelector('#{ids.MAP} .main-svg').getBoundingClientRect().width < 1280",
        timeout=WAIT_MS,
    )
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / "overview-1280.png"), full_page=True)
    assert page.locator(SHAPES).count() > MIN_SHAPES
    assert overview.blocked == [], "the page tried to reach the internet"
    assert overview.errors == []


def test_the_page_draws_with_the_partial_plotly_bundle(overview: Visit) -> None:
    # dcc.Graph takes window.Plotly from the assets and never fetches its full 4.8 MB bundle.
    page = overview.page
    assert page.evaluate("window.Plotly.version") == plotly_js_version()
    fetched = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    assert [url for url in fetched if "plotly.min.js" in url] == []
    assert any("plotly-tocsin.min.js" in url for url in fetched)


def test_alerts_and_demo_banner_are_shown(overview: Visit, live_servers: LiveServers) -> None:
    firing = api_json(live_servers, "alerts", state="firing", page_size=1)["total"]
    assert isinstance(firing, int) and firing > 0, "the demo data set raises alerts"
    page = overview.page
    banner = page.locator(f"#{ids.DEMO_BANNER}")
    banner.wait_for(state="visible", timeout=WAIT_MS)
    assert banner.inner_text() == "DEMO DATA — synthetic values, not real statistics"
    rows = page.locator(f"#{ids.ALERT_LIST} tr.alert-row")
    assert rows.count() == min(firing, overview_page.ALERT_PAGE_SIZE)
    assert rows.first.locator(".chip").inner_text().lower() in {"critical", "warning", "info"}
    rule, explanation = rows.first.locator("td.alert-rule").inner_text().split("\n", 1)
    assert rule.strip() and explanation.strip()  # the rule's name, then why it fired
    headline = page.locator(f"#{ids.HEADLINE_ALERTS} .headline-number").inner_text()
    assert headline == str(firing)


def test_changing_the_period_redraws_the_map(
    visit: Callable[..., Visit], live_servers: LiveServers
) -> None:
    periods = api_json(live_servers, "heatmap", indicator="homicide_rate")["periods"]
    assert isinstance(periods, list) and len(periods) >= 3
    opened = wait_for_overview(visit("/"))
    label = opened.page.locator(f"#{ids.PERIOD_LABEL}")
    assert label.inner_text() == periods[-1]
    assert map_title(opened).endswith(periods[-1])

    opened.page.locator(f"#{ids.PERIOD} [role=slider]").focus()
    opened.page.keyboard.press("ArrowLeft")
    opened.page.keyboard.press("ArrowLeft")

    opened.page.wait_for_function(
        f"document.querySelector('#{ids.MAP} .gtitle')?.textContent.endsWith('{periods[-3]}')",
        timeout=WAIT_MS,
    )
    assert label.inner_text() == periods[-3]
    assert opened.page.locator(SHAPES).count() > MIN_SHAPES
    # Small states are markers; hovering one shows its value (or "No data") for the period.
    opened.page.locator(f"#{ids.MAP} .scattergeo .point").last.hover(force=True)
    hover = opened.page.locator(f"#{ids.MAP} .hoverlayer .hovertext").first
    hover.wait_for(timeout=WAIT_MS)
    assert periods[-3] in str(hover.text_content())
    assert opened.blocked == [] and opened.errors == []


# ----------------------------------------------------------------- timeline and live updates

TIMELINE_POINTS = f"#{ids.TIMELINE} .scatterlayer .point"
LIVE_RULE = """groups:
  - name: e2e
    rules:
      - name: e2e_live_{suffix}
        indicator: homicide_rate
        operator: threshold_above
        params: {{threshold: 30.0}}
        severity: critical
        annotations:
          summary: "{{region}} {{value:.1f}} in {{period}}"
"""


def test_timeline_draws_swimlanes_and_opens_an_alert(overview: Visit, screenshots: Path) -> None:
    page = overview.page
    page.wait_for_selector(TIMELINE_POINTS, timeout=WAIT_MS)
    lanes = page.locator(f"#{ids.TIMELINE} .yaxislayer-above .ytick").count()
    assert lanes > 1
    page.locator(f"#{ids.TIMELINE_LANES} label", has_text="by rule").click()
    page.wait_for_function(
        f"document.querySelectorAll('#{ids.TIMELINE} .yaxislayer-above .ytick').length !== {lanes}",
        timeout=WAIT_MS,
    )
    for selector in (
        f"#{ids.HEADLINE_NEW} .headline-number",
        f"#{ids.HEADLINE_STALE} .headline-number",
    ):
        assert page.locator(selector).inner_text().strip() not in {"", "—"}
    page.screenshot(path=str(screenshots / "overview-timeline.png"), full_page=True)
    page.locator(TIMELINE_POINTS).first.click(force=True)
    page.wait_for_url("**/alerts?id=*", timeout=WAIT_MS)
    alert_id = page.url.rsplit("=", 1)[1]
    page.wait_for_selector(f"#{ids.ALERTS_DETAIL} >> text=Alert #{alert_id}", timeout=WAIT_MS)
    assert overview.blocked == [] and overview.errors == []


def test_new_alerts_appear_without_a_reload(
    visit: Callable[..., Visit], live_servers: LiveServers, screenshots: Path
) -> None:
    opened = wait_for_overview(visit("/"))
    page = opened.page
    page.wait_for_selector(TIMELINE_POINTS, timeout=WAIT_MS)
    before = page.locator(TIMELINE_POINTS).count()
    page.evaluate("window.__not_reloaded = true")
    notice = page.locator(f"#{ids.LIVE_NOTICE}")
    assert notice.is_hidden()
    page.wait_for_timeout(1500)  # live.js opens the stream within a second of the page showing

    rule = LIVE_RULE.format(suffix=int(time.time()))
    created = httpx.post(
        f"{live_servers.api_url}/api/v1/rules",
        json={"yaml": rule, "reason": "e2e live update"},
        headers=live_servers.headers("analyst"),
        timeout=30,
    )
    assert created.status_code == 201, created.text

    notice.wait_for(state="visible", timeout=WAIT_MS)
    assert re.fullmatch(r"\d+ new alerts? · hide", notice.inner_text().strip())
    page.wait_for_function(
        f"document.querySelectorAll('{TIMELINE_POINTS}').length > {before}", timeout=WAIT_MS
    )
    assert page.evaluate("window.__not_reloaded") is True
    page.screenshot(path=str(screenshots / "overview-live.png"), full_page=True)
    notice.click()
    notice.wait_for(state="hidden", timeout=WAIT_MS)
    assert opened.blocked == [] and opened.errors == []
