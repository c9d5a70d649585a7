"""Administration in a real browser: an admin creates a user, who can then sign in."""

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


def _choose(page: object, dropdown_id: str, label: str) -> None:
    """Pick one option of a Dash dropdown by its visible text."""
    page.click(f"#{dropdown_id}")  # type: ignore[attr-defined]
    page.get_by_role("option", name=label).click()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [1920, 1280])
def test_an_admin_creates_a_user_and_issues_a_token(
    visit: Callable[..., Visit], live_servers: LiveServers, screenshots: Path, width: int
) -> None:
    username = f"briefer{width}"
    opened = visit("/admin", role="admin", width=width, height=1100)
    page = opened.page
    page.wait_for_selector(f"#{ids.ADMIN_USERS} table", timeout=WAIT_MS)
    assert "Admin" in page.locator(f"#{ids.NAV} a").all_inner_texts()
    page.fill(f"#{ids.ADMIN_NEW_USERNAME}", username)
    page.fill(f"#{ids.ADMIN_NEW_PASSWORD}", "briefer-e2e-password")
    page.click(f"#{ids.ADMIN_CREATE_USER}")
    page.wait_for_selector(f"#{ids.ADMIN_USER_MESSAGE} .notice", timeout=WAIT_MS)
    assert page.locator(f"#{ids.ADMIN_USERS} td", has_text=username).count() == 1

    _choose(page, ids.ADMIN_TOKEN_USER, f"{username} (viewer)")
    page.wait_for_selector(f"#{ids.ADMIN_TOKENS} .empty-state", timeout=WAIT_MS)
    page.fill(f"#{ids.ADMIN_TOKEN_NAME}", "nightly export")
    page.click(f"#{ids.ADMIN_CREATE_TOKEN}")
    secret = page.locator(f"#{ids.ADMIN_SECRET}")
    secret.wait_for(timeout=WAIT_MS)
    page.wait_for_selector(f"#{ids.ADMIN_TOKENS} table", timeout=WAIT_MS)
    page.screenshot(path=str(screenshots / f"admin-{width}.png"), full_page=True)
    me = httpx.get(
        f"{live_servers.api_url}/api/v1/auth/me",
        headers={"Authorization": f"Bearer {secret.inner_text()}"},
    )
    assert me.json()["user"]["username"] == username and me.json()["role"] == "viewer"
    assert opened.blocked == []
    assert opened.errors == []


def test_an_analyst_is_not_allowed_in(visit: Callable[..., Visit]) -> None:
    opened = visit("/admin", role="analyst", width=1280, height=800)
    refusal = opened.page.locator(".admin > p.message.error")
    refusal.wait_for(timeout=WAIT_MS)
    assert refusal.inner_text().startswith("Not allowed")
    assert not opened.page.locator(f"#{ids.ADMIN_CREATE_USER}").is_visible()
