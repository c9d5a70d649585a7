"""The Alerts inbox in a real browser, against the real API serving the demo data.

Triage writes change the shared demo database, so each test picks alerts whose triage
status is still ``new`` (through the API) and filters the inbox to them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from dashboard import ids

if TYPE_CHECKING:  # only for annotations: "conftest" names a different module per folder
    from conftest import LiveServers, Visit

pytestmark = pytest.mark.e2e

# Generous: shared CI machines run several browsers at once (the benchmark measures speed).
WAIT_MS = 60_000
ROWS = f"#{ids.ALERTS_GRID} .ag-center-cols-container .ag-row"


def api_get(live_servers: LiveServers, path: str, **params: Any) -> Any:
    response = httpx.get(
        f"{live_servers.api_url}/api/v1/{path}",
        params=params,
        headers=live_servers.headers("viewer"),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def wait_for_rows(visit: Visit) -> Any:
    """Wait until the grid shows rows and return the rows locator."""
    visit.page.wait_for_selector(ROWS, timeout=WAIT_MS)
    return visit.page.locator(ROWS)


def action(visit: Visit, name: str) -> Any:
    """Return the action button that applies ``name`` to the selection."""
    return visit.page.locator(f"#{ids.ALERTS_ACTIONS} button", has_text=name).first


def result_text(visit: Visit, pattern: str) -> str:
    """Wait until the action result matches pattern and return it."""
    result = visit.page.locator(f"#{ids.ALERTS_RESULT}")
    visit.page.wait_for_function(
        f"new RegExp({pattern!r}).test(document.getElementById('{ids.ALERTS_RESULT}').innerText)",
        timeout=WAIT_MS,
    )
    return str(result.inner_text())


def only_new(visit: Visit) -> None:
    """Filter the inbox to firing alerts still untriaged."""
    visit.page.click(f"#{ids.ALERTS_TRIAGE}")
    visit.page.get_by_role("option", name="new", exact=True).click()
    visit.page.keyboard.press("Escape")
    visit.page.wait_for_function(
        f"[...document.querySelectorAll('{ROWS} [col-id=triage]')]"
        ".every(cell => cell.innerText.trim() === 'new')",
        timeout=WAIT_MS,
    )


@pytest.mark.parametrize("width", [1920, 1280])
def test_inbox_lists_alerts_offline(
    visit: Callable[..., Visit], live_servers: LiveServers, screenshots: Path, width: int
) -> None:
    firing = api_get(live_servers, "alerts", state="firing", page_size=1)["total"]
    assert firing > 0, "the demo data set raises alerts"
    opened = visit("/alerts", width=width, height=1000)
    rows = wait_for_rows(opened)
    assert rows.count() == min(firing, 50) or rows.count() > 10  # the grid virtualises rows
    pager = opened.page.locator(f"#{ids.ALERTS_PAGER}")
    assert f"of {firing} alerts" in pager.inner_text()
    rows.first.click()
    opened.page.wait_for_selector(f"#{ids.ALERTS_DETAIL} .context-graph .main-svg", timeout=WAIT_MS)
    opened.page.wait_for_timeout(300)
    opened.page.screenshot(path=str(screenshots / f"alerts-{width}.png"), full_page=True)
    assert opened.blocked == [], "the page tried to reach the internet"
    assert opened.errors == []


def test_acknowledge_one_alert(visit: Callable[..., Visit], live_servers: LiveServers) -> None:
    opened = visit("/alerts")
    wait_for_rows(opened)
    only_new(opened)
    row = opened.page.locator(ROWS).first
    alert_id = int(str(row.get_attribute("row-id")))
    row.locator("[col-id=rule]").click()
    opened.page.wait_for_selector(f"#{ids.ALERTS_DETAIL} >> text=Alert #{alert_id}")
    action(opened, "Acknowledge").click()
    assert result_text(opened, "Acknowledged 1 alert") == "Acknowledged 1 alert."
    assert api_get(live_servers, f"alerts/{alert_id}")["triage"] == "acknowledged"
    # The panel shows the new status and its transition in the history.
    detail = opened.page.locator(f"#{ids.ALERTS_DETAIL}")
    detail.locator("text=acknowledged").first.wait_for(timeout=WAIT_MS)
    assert "new → acknowledged" in detail.inner_text()
    assert opened.blocked == [] and opened.errors == []


def test_bulk_escalate_two_alerts(visit: Callable[..., Visit], live_servers: LiveServers) -> None:
    opened = visit("/alerts")
    wait_for_rows(opened)
    only_new(opened)
    rows = opened.page.locator(ROWS)
    chosen = [int(str(rows.nth(i).get_attribute("row-id"))) for i in (0, 1)]
    for index in (0, 1):
        rows.nth(index).locator(".ag-selection-checkbox input").check()
    action(opened, "Escalate").click()
    assert result_text(opened, "Escalated 2 alerts") == "Escalated 2 alerts."
    assert [api_get(live_servers, f"alerts/{i}")["triage"] for i in chosen] == ["escalated"] * 2
    assert opened.blocked == [] and opened.errors == []


def test_deep_link_opens_the_alert(visit: Callable[..., Visit], live_servers: LiveServers) -> None:
    newest = api_get(live_servers, "alerts", state="firing", page_size=1)["items"][0]
    opened = visit(f"/alerts?id={newest['id']}")
    detail = opened.page.locator(f"#{ids.ALERTS_DETAIL}")
    opened.page.wait_for_selector(f"#{ids.ALERTS_DETAIL} .context-graph .main-svg", timeout=WAIT_MS)
    text = detail.inner_text()
    assert f"Alert #{newest['id']}" in text
    assert newest["explanation"] in text
    assert re.search(r"Threshold\s", text)
    assert opened.blocked == [] and opened.errors == []


def test_viewer_sees_no_action_buttons(visit: Callable[..., Visit]) -> None:
    opened = visit("/alerts", role="viewer")
    wait_for_rows(opened)
    assert opened.page.locator(f"#{ids.ALERTS_ACTIONS}").is_hidden()
    # Hidden elements have no accessible role: the viewer finds no triage buttons at all.
    assert opened.page.get_by_role("button", name="Acknowledge").count() == 0
    assert opened.page.get_by_role("button", name="Escalate").count() == 0
