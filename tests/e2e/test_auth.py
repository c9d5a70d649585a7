"""Signing in and out in a real browser, and what each role finds on the pages."""

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


def _fill_login(page: object, username: str, password: str) -> None:
    """Type a username and password into the sign-in form and submit it."""
    page.fill(f"#{ids.LOGIN_USERNAME}", username)  # type: ignore[attr-defined]
    page.fill(f"#{ids.LOGIN_PASSWORD}", password)  # type: ignore[attr-defined]
    page.click(f"#{ids.LOGIN_SUBMIT}")  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [1920, 1280])
def test_sign_in_returns_to_the_page_asked_for_and_sign_out_ends_it(
    visit: Callable[..., Visit], screenshots: Path, width: int
) -> None:
    opened = visit("/sources", role=None, width=width, height=900)
    page = opened.page
    page.wait_for_selector(f"#{ids.LOGIN_FORM}", timeout=WAIT_MS)
    assert "/login?next=%2Fsources" in page.url
    page.screenshot(path=str(screenshots / f"login-{width}.png"))
    _fill_login(page, "analyst1", "analyst1-e2e-password")
    page.wait_for_selector(f"#{ids.SOURCES_LIST}", timeout=WAIT_MS)
    assert page.url.endswith("/sources")
    identity = page.locator(f"#{ids.USER_BOX} .user-identity")
    identity.wait_for(timeout=WAIT_MS)
    assert identity.inner_text() == "analyst1 · analyst"
    page.screenshot(path=str(screenshots / f"signed-in-header-{width}.png"))
    page.click(f"#{ids.LOGOUT_FORM} button")
    page.wait_for_selector(f"#{ids.LOGIN_NOTICE}", timeout=WAIT_MS)
    page.goto(page.url.split("/login")[0] + "/sources")
    page.wait_for_selector(f"#{ids.LOGIN_FORM}", timeout=WAIT_MS)
    assert opened.blocked == []
    assert opened.errors == []


def test_a_wrong_password_is_refused_with_a_message(
    visit: Callable[..., Visit], screenshots: Path
) -> None:
    opened = visit("/login", role=None, width=1280, height=800)
    page = opened.page
    page.wait_for_selector(f"#{ids.LOGIN_FORM}", timeout=WAIT_MS)
    _fill_login(page, "viewer1", "not-the-password")
    message = page.locator(f"#{ids.LOGIN_ERROR}")
    message.wait_for(timeout=WAIT_MS)
    assert message.inner_text() == "Wrong username or password."
    page.screenshot(path=str(screenshots / "login-wrong-password-1280.png"))
    assert "analyst1" not in page.locator(f"#{ids.USER_BOX}").inner_text()


def test_the_browser_never_holds_the_api_token(
    visit: Callable[..., Visit], live_servers: LiveServers
) -> None:
    opened = visit("/sources", role="viewer", width=1280, height=800)
    opened.page.wait_for_selector(f"#{ids.SOURCES_LIST}", timeout=WAIT_MS)
    cookies = opened.page.context.cookies()
    session = next(cookie for cookie in cookies if cookie["name"] == "tocsin_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    me = httpx.get(
        f"{live_servers.api_url}/api/v1/auth/me", headers=live_servers.headers("viewer")
    ).json()
    assert me["role"] == "viewer"
    page_text = opened.page.content()
    assert all(cookie["value"] not in page_text for cookie in cookies if cookie["httpOnly"])
    assert "tocsin_" not in opened.page.evaluate("document.cookie").replace("_csrf_token", "")


def test_a_cross_site_post_is_refused(live_servers: LiveServers) -> None:
    answer = httpx.post(
        f"{live_servers.dashboard_url}/_dash-update-component",
        json={"output": "x", "inputs": []},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403


@pytest.mark.parametrize("width", [1920, 1280])
def test_a_viewer_finds_editing_unavailable(
    visit: Callable[..., Visit], screenshots: Path, width: int
) -> None:
    opened = visit("/", role="viewer", width=width, height=900)
    page = opened.page
    nav = page.locator(f"#{ids.NAV} a")
    nav.first.wait_for(timeout=WAIT_MS)
    names = nav.all_inner_texts()
    assert "Admin" not in names and "Overview" in names
    page.goto(page.url.rstrip("/") + "/admin")
    refusal = page.locator(".admin > p.message.error")
    refusal.wait_for(timeout=WAIT_MS)
    assert refusal.inner_text().startswith("Not allowed")
    page.screenshot(path=str(screenshots / f"viewer-admin-refused-{width}.png"))
    page.goto(page.url.replace("/admin", "/alerts"))
    page.wait_for_selector(f"#{ids.ALERTS_GRID}", timeout=WAIT_MS)
    assert page.locator(f"#{ids.ALERTS_ACTIONS}").is_hidden(), "no triage buttons for a viewer"
    page.goto(page.url.replace("/alerts", "/rules"))
    page.wait_for_selector(f"#{ids.RULES_SAVE}", state="attached", timeout=WAIT_MS)
    assert page.locator(f"#{ids.RULES_SAVE}").is_disabled()
    assert page.locator(f"#{ids.RULES_REASON}").is_disabled()
    page.screenshot(path=str(screenshots / f"viewer-rules-{width}.png"))
    page.goto(page.url.replace("/rules", "/snapshots"))
    page.wait_for_selector(f"#{ids.SNAPSHOT_LIST} > *", timeout=WAIT_MS)
    assert page.locator(f"#{ids.SNAPSHOT_CREATE}").is_disabled()
    assert opened.errors == []
