"""The rules workbench in a real browser: the default pack listed, an edit previewed against
the saved version, a line-numbered validation message, saving a version with its diff, and
saving unavailable to viewers."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from dashboard import ids, rule_form
from dashboard.figures import format_value

if TYPE_CHECKING:  # only for annotations: "conftest" names a different module per folder
    from conftest import LiveServers, Visit

pytestmark = pytest.mark.e2e

# Generous: the machines these run on are shared, and plotly.js is 4.8 MB to parse.
WAIT_MS = 60_000
PREVIEWED = "homicide_rate_highest_5y"
SAVED = "homicide_rate_jump"


def api(live_servers: LiveServers, method: str, path: str, **kwargs: Any) -> Any:
    """Call the API as an analyst and return the decoded body."""
    answer = httpx.request(
        method, f"{live_servers.api_url}/api/v1{path}", headers=live_servers.headers("analyst"),
        timeout=30, **kwargs,
    )  # fmt: skip
    answer.raise_for_status()
    return answer.json()


def open_rule(visit: Callable[..., Visit], name: str, **options: Any) -> Visit:
    """Open the workbench on one rule and wait until its YAML is in the editor."""
    opened = visit(f"/rules?rule={name}", **options)
    opened.page.wait_for_function(
        "([id, name]) => (document.getElementById(id)?.value || '').includes('name: ' + name)",
        arg=[ids.RULES_EDITOR, name],
        timeout=WAIT_MS,
    )
    return opened


def edit(page: Any, text: str) -> None:
    """Replace the editor's text, as typing would."""
    page.fill(f"#{ids.RULES_EDITOR}", text)


@pytest.mark.parametrize("width", [1920, 1280])
def test_an_edit_previews_the_alerts_it_adds_and_removes(
    visit: Callable[..., Visit], live_servers: LiveServers, screenshots: Path, width: int
) -> None:
    listed = api(live_servers, "GET", "/rules")["items"]
    saved = api(live_servers, "GET", f"/rules/{PREVIEWED}")["yaml"]
    edited = rule_form.set_param(saved, rule=PREVIEWED, parameter="floor", value=1.0)
    expected = api(live_servers, "POST", f"/rules/{PREVIEWED}/impact", json={"yaml": edited})
    opened = open_rule(visit, PREVIEWED, width=width, height=1000)
    page = opened.page
    page.wait_for_selector(f"#{ids.RULES_LIST} .rule-link", timeout=WAIT_MS)
    assert page.locator(f"#{ids.RULES_LIST} .rule-link").count() == len(listed) >= 10
    edit(page, edited)
    page.click(f"#{ids.RULES_PREVIEW}")
    summary = f"This edit adds {expected['added']} and removes {expected['removed']} past alerts"
    page.wait_for_selector(f"#{ids.RULES_PREVIEW_SUMMARY}:has-text('{summary}')", timeout=WAIT_MS)
    assert expected["added"] > 0, "lowering the floor to 1 must raise more alerts"
    # The timeline draws in its own callback: wait for the edit's legend, not the saved one's.
    drawn = (
        f"#{ids.RULES_PREVIEW_TIMELINE} .legendtext:has-text('by the edit ({expected['added']})')"
    )
    page.wait_for_selector(drawn, timeout=WAIT_MS)
    added = page.locator(f"#{ids.RULES_PREVIEW_TIMELINE} .scatterlayer .trace:nth-child(2) .point")
    assert added.count() == expected["added"], "every added alert is a triangle"
    legend = " ".join(
        page.locator(f"#{ids.RULES_PREVIEW_TIMELINE} .legendtext").all_text_contents()
    )
    assert f"kept ({expected['unchanged']})" in legend
    assert f"added by the edit ({expected['added']})" in legend
    changed = page.locator(f"#{ids.RULES_PREVIEW_LIST} tbody tr")
    assert changed.count() == expected["added"] + expected["removed"]
    page.wait_for_selector(f"#{ids.RULES_VALIDATION} .validation.valid", timeout=WAIT_MS)
    page.wait_for_timeout(400)
    page.screenshot(path=str(screenshots / f"rules-{width}.png"), full_page=True)
    assert opened.blocked == [], "the page tried to reach the internet"
    assert opened.errors == []


def test_invalid_yaml_shows_a_line_numbered_message(visit: Callable[..., Visit]) -> None:
    opened = open_rule(visit, PREVIEWED, width=1280)
    page = opened.page
    broken = page.input_value(f"#{ids.RULES_EDITOR}").replace("periods: 5", "periods: 0")
    edit(page, broken)
    problem = page.locator(f"#{ids.RULES_VALIDATION} .validation.invalid li")
    problem.first.wait_for(timeout=WAIT_MS)
    assert re.search(r"yaml:\d+: .*periods", problem.first.inner_text())
    assert opened.blocked == [] and opened.errors == []


def test_saving_with_a_reason_adds_a_version_and_its_diff(
    visit: Callable[..., Visit], live_servers: LiveServers, screenshots: Path
) -> None:
    before = api(live_servers, "GET", f"/rules/{SAVED}")
    opened = open_rule(visit, SAVED, width=1920, height=1200)
    page = opened.page
    edit(page, rule_form.set_param(before["yaml"], rule=SAVED, parameter="min_change", value=0.3))
    page.click(f"#{ids.RULES_SAVE}")
    page.wait_for_selector(f"#{ids.RULES_SAVE_MESSAGE} .panel-message", timeout=WAIT_MS)
    assert "reason is required" in page.inner_text(f"#{ids.RULES_SAVE_MESSAGE}")
    page.fill(f"#{ids.RULES_REASON}", "Fewer, larger surges: +30% in the e2e test")
    page.click(f"#{ids.RULES_SAVE}")
    version = before["current_version"] + 1
    saved = f"#{ids.RULES_SAVE_MESSAGE}:has-text('Saved version {version}')"
    page.wait_for_selector(saved, timeout=WAIT_MS)
    page.wait_for_selector(f"#{ids.RULES_HISTORY} tbody tr >> nth={version - 1}", timeout=WAIT_MS)
    assert "Fewer, larger surges" in page.inner_text(f"#{ids.RULES_HISTORY}")
    assert f"version {version} by analyst1" in page.inner_text(f"#{ids.RULES_HEADER}")
    added = page.locator(f"#{ids.RULES_DIFF} .diff-added")
    added.first.wait_for(timeout=WAIT_MS)
    assert added.all_inner_texts() == ["+  min_change: 0.3"]
    removed = page.locator(f"#{ids.RULES_DIFF} .diff-removed").all_inner_texts()
    assert removed == ["-  min_change: 0.25"]
    after = api(live_servers, "GET", f"/rules/{SAVED}")
    assert after["current_version"] == version and after["versions"][0]["author"] == "analyst1"
    page.locator(f"#{ids.RULES_DIFF}").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "rules-saved.png"), full_page=True)
    assert opened.blocked == [] and opened.errors == []


def test_viewers_preview_but_cannot_save(visit: Callable[..., Visit]) -> None:
    opened = open_rule(visit, PREVIEWED, role="viewer", width=1280)
    page = opened.page
    summary = f"#{ids.RULES_PREVIEW_SUMMARY}:has-text('This edit adds 0')"
    page.wait_for_selector(summary, timeout=WAIT_MS)
    assert page.locator(f"#{ids.RULES_SAVE}").is_disabled()
    assert page.locator(f"#{ids.RULES_REASON}").is_disabled()
    assert "needs an analyst" in page.inner_text(".rules")
    assert opened.blocked == [] and opened.errors == []


def test_the_scorecard_and_the_noise_budget_suggestion_reach_the_editor(
    visit: Callable[..., Visit], live_servers: LiveServers, screenshots: Path
) -> None:
    # Reference episodes where the saved rule alerts, so there is a recall to rank values by.
    alerts = api(live_servers, "POST", f"/rules/{PREVIEWED}/backtest", json={})["alerts"]
    for found in alerts[::40][:5]:
        episode = {"region": found["region"], "onset_period": found["period"], "label": "e2e"}
        api(live_servers, "POST", "/episodes", json=episode)
    saved = api(live_servers, "GET", f"/rules/{PREVIEWED}")["yaml"]
    budget = {"yaml": saved, "max_per_quarter": 2, "rule": PREVIEWED}
    expected = api(live_servers, "POST", "/rules/noise-budget", json=budget)
    assert expected["suggested"] is not None
    opened = open_rule(visit, PREVIEWED, width=1920, height=1200)
    page = opened.page
    page.locator(f"#{ids.RULES_SCORECARD} .barlayer .point").first.wait_for(timeout=WAIT_MS)
    assert "Missed" in page.inner_text(f"#{ids.RULES_SCORECARD}")
    page.click(f"#{ids.RULES_NOISE_RUN}")
    headline = f"Suggested {expected['parameter']}: {format_value(expected['suggested'])}"
    page.wait_for_selector(f"#{ids.RULES_NOISE_RESULT}:has-text('{headline}')", timeout=WAIT_MS)
    page.click(f"#{ids.RULES_NOISE_APPLY}")
    applied = f"{expected['parameter']}: {expected['suggested']}"
    page.wait_for_function(
        "([id, text]) => document.getElementById(id).value.includes(text)",
        arg=[ids.RULES_EDITOR, applied],
        timeout=WAIT_MS,
    )
    page.locator(f"#{ids.RULES_SCORECARD}").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "rules-evidence.png"), full_page=True)
    assert opened.blocked == [] and opened.errors == []
