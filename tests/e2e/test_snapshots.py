"""Snapshots in a real browser: an analyst freezes a quarter and downloads its PDF."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dashboard import ids

if TYPE_CHECKING:  # only for annotations: "conftest" names a different module per folder
    from conftest import LiveServers, Visit

pytestmark = pytest.mark.e2e

WAIT_MS = 20_000
EXPORT_MS = 120_000  # the first PDF export of a snapshot takes seconds


@pytest.mark.parametrize("width", [1920, 1280])
def test_an_analyst_creates_a_snapshot_and_downloads_its_pdf(
    visit: Callable[..., Visit], live_servers: LiveServers, screenshots: Path, width: int
) -> None:
    opened = visit("/snapshots", role="analyst", width=width, height=1100)
    page = opened.page
    page.wait_for_selector(f"#{ids.SNAPSHOT_LIST} > *", timeout=WAIT_MS)
    rows_before = page.locator(f"#{ids.SNAPSHOT_LIST} tbody tr").count()
    page.click(f"#{ids.SNAPSHOT_CREATE}")
    page.wait_for_selector(f"#{ids.SNAPSHOT_MESSAGE} .notice", timeout=EXPORT_MS)
    rows = page.locator(f"#{ids.SNAPSHOT_LIST} tbody tr")
    assert rows.count() == rows_before + 1
    page.wait_for_selector(f"#{ids.SNAPSHOT_DIFF} .snapshot-diff", timeout=WAIT_MS)
    page.screenshot(path=str(screenshots / f"snapshots-{width}.png"), full_page=True)
    href = rows.first.locator("a", has_text="PDF").get_attribute("href")
    assert href is not None and href.startswith("/snapshots/")
    pdf = page.context.request.get(live_servers.dashboard_url + href, timeout=EXPORT_MS)
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    assert opened.blocked == []
    assert opened.errors == []


def test_a_viewer_can_download_but_not_create(visit: Callable[..., Visit]) -> None:
    opened = visit("/snapshots", role="viewer", width=1280, height=800)
    page = opened.page
    page.wait_for_selector(f"#{ids.SNAPSHOT_LIST} > *", timeout=WAIT_MS)
    assert page.locator(f"#{ids.SNAPSHOT_CREATE}").is_disabled()
