"""The sign-in, administration and snapshots pages: views, actions and the download proxy.

Views are pure functions of API answers; actions and the download route call the API,
mocked with respx.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import dash
import flask
import pytest
import respx
from dash import html

from dashboard import api_client, auth, ids, layout
from dashboard.app import create_app
from dashboard.pages import admin, login, snapshots
from dashboard.session import USER_SESSION_KEY

API = "http://api.test"
SNAPSHOT = {
    "id": 4,
    "quarter": "2023Q4",
    "created_at": "2024-01-15T08:00:00Z",
    "created_by": "analyst1",
    "counts": {"alerts": 6, "regions": 112, "documents": 41, "observations": 2240},
}
DIFF = {
    "quarter": "2023Q4",
    "previous_quarter": "2023Q3",
    "summary": "Two new alerts.",
    "new": [
        {"region_name": "Honduras", "rule": "spike", "period": "2023", "severity": "warning"}
    ],
    "escalated": [],
    "resolved": [],
    "ranks": [
        {"region_name": "Honduras", "indicator": "homicide_rate", "previous_rank": 4, "rank": 2,
         "moved": 2},
    ],
}  # fmt: skip


def _text(component: Any) -> str:
    """Return every string inside a Dash component tree, joined by spaces."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(child) for child in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


@pytest.fixture
def signed_in() -> Iterator[dict[str, str]]:
    """Run inside a request of the dashboard with a user whose role the test sets."""
    app = create_app(api_url=API)
    with app.server.test_request_context("/"):
        user = {"username": "ana", "role": "viewer"}
        flask.session[USER_SESSION_KEY] = user
        flask.session[api_client.TOKEN_SESSION_KEY] = "tok"
        yield user


def test_login_page_shows_only_known_messages_and_a_safe_next() -> None:
    page = login.layout(error="invalid", next="//evil.example")
    assert "Wrong username or password." in _text(page)
    assert "//evil.example" not in str(page)
    assert "<script>" not in _text(login.layout(error="<script>", notice="<script>"))


def test_nav_shows_admin_only_to_admins_and_nothing_to_strangers() -> None:
    create_app(api_url=API)
    names = {role: [link.children for link in layout.nav_links("/", role)] for role in
             ("viewer", "analyst", "admin")}  # fmt: skip
    assert "Admin" in names["admin"] and "Admin" not in names["analyst"]
    assert names["viewer"] == names["analyst"]
    assert "Sign in" not in names["admin"]
    assert layout.nav_links("/", None) == []
    box = layout.user_box({"username": "ana", "role": "viewer"})
    assert "ana" in _text(box) and "viewer" in _text(box)
    assert _text(layout.user_box(None)) == "Sign in"


def test_admin_page_refuses_below_admin(signed_in: dict[str, str]) -> None:
    refusal, panels = admin.layout().children
    assert refusal.hidden is False and panels.hidden is True
    assert _text(refusal).startswith("Not allowed")
    signed_in["role"] = "admin"
    flask.session[USER_SESSION_KEY] = signed_in
    refusal, panels = admin.layout().children
    assert refusal.hidden is True and panels.hidden is False


def test_users_and_tokens_tables() -> None:
    users = [
        {"id": 1, "username": "ana", "role": "admin", "is_active": True,
         "created_at": "2024-07-01T09:30:00Z"},
        {"id": 2, "username": "bo", "role": "viewer", "is_active": False, "email": "b@x.org",
         "created_at": None},
    ]  # fmt: skip
    table = admin.users_table(users)
    assert "2024-07-01 09:30 UTC" in _text(table) and "disabled" in _text(table)
    assert admin.user_options(users)[1] == {"label": "bo (viewer)", "value": 2}
    assert isinstance(admin.tokens_table([]), html.P)
    token = {"id": 7, "name": "etl", "role": "viewer", "created_at": "2024-07-01T09:30:00Z",
             "last_used_at": None, "expires_at": None}  # fmt: skip
    assert "never" in _text(admin.tokens_table([token]))


@respx.mock
def test_user_actions_call_the_api_and_say_what_happened(signed_in: dict[str, str]) -> None:
    created = respx.post(f"{API}/api/v1/users").respond(
        201, json={"id": 5, "username": "cy", "role": "analyst"}
    )
    form = {"username": "cy", "password": "long-password", "email": "", "role": "analyst",
            "user_id": None, "new_role": None}  # fmt: skip
    assert "Created cy (analyst)." in _text(admin.user_action(API, ids.ADMIN_CREATE_USER, form))
    assert created.calls.last.request.headers["Authorization"] == "Bearer tok"
    patched = respx.patch(f"{API}/api/v1/users/5").respond(
        json={"id": 5, "username": "cy", "role": "analyst", "is_active": False}
    )
    said = admin.user_action(API, ids.ADMIN_DISABLE, {**form, "user_id": 5})
    assert "cy is now analyst, disabled." in _text(said)
    assert patched.calls.last.request.content == b'{"is_active":false}'
    missing = admin.user_action(API, ids.ADMIN_SET_ROLE, {**form, "user_id": 5})
    assert "Choose the new role." in _text(missing)
    assert admin.user_action(API, None, form) is None


@respx.mock
def test_token_actions_show_the_secret_once_and_revoke(signed_in: dict[str, str]) -> None:
    respx.post(f"{API}/api/v1/users/5/tokens").respond(
        201, json={"id": 9, "role": "viewer", "token": "tocsin_abc"}
    )
    revoke = respx.delete(f"{API}/api/v1/tokens/9").respond(204)
    form = {"user_id": 5, "name": "etl", "role": None, "days": 30, "token_id": 9}
    status, secret = admin.token_action(API, ids.ADMIN_CREATE_TOKEN, form)
    assert status is None and "tocsin_abc" in _text(secret)
    status, secret = admin.token_action(API, ids.ADMIN_REVOKE, form)
    assert "Token 9 revoked." in _text(status) and secret is None and revoke.called


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [(date(2026, 11, 23), "2026Q3", "2023Q4"), (date(2024, 2, 1), "2023Q4", "2021Q1")],
)
def test_recent_quarters_start_with_the_last_ended(today: date, first: str, last: str) -> None:
    quarters = snapshots.recent_quarters(today)
    assert quarters[0] == first and quarters[-1] == last and len(quarters) == 12


def test_snapshot_views() -> None:
    table = snapshots.snapshots_table([SNAPSHOT])
    assert "2,240" in _text(table) and "PDF" in _text(table)
    assert snapshots.file_href(4, "pdf") in str(table)
    assert isinstance(snapshots.snapshots_table([]), html.P)
    diff = _text(snapshots.diff_view(DIFF))
    assert "2023Q4 against 2023Q3" in diff and "Honduras — spike (2023, warning)" in diff
    assert "+2" in diff and "Escalated (0)" in diff


@respx.mock
def test_creating_a_snapshot_lists_it_and_an_error_is_a_message(
    signed_in: dict[str, str],
) -> None:
    respx.post(f"{API}/api/v1/snapshots").respond(201, json=SNAPSHOT)
    respx.get(f"{API}/api/v1/snapshots").respond(json={"items": [SNAPSHOT], "total": 1})
    status, table, options = snapshots.create_and_list(API, ids.SNAPSHOT_CREATE, "2023Q4")
    assert "Snapshot of 2023Q4 created (#4)." in _text(status)
    assert options == [{"label": "2023Q4 (#4)", "value": 4}]
    respx.post(f"{API}/api/v1/snapshots").respond(403, json={"detail": "analyst role needed"})
    status, table, _ = snapshots.create_and_list(API, ids.SNAPSHOT_CREATE, "2023Q4")
    assert _text(status) == "API error 403: analyst role needed"
    assert table is dash.no_update, "the list on screen stays as it was"


@respx.mock
def test_the_download_route_proxies_the_file_with_the_users_token() -> None:
    app = create_app(api_url=API)
    client = app.server.test_client()
    with client.session_transaction() as session:
        session[USER_SESSION_KEY] = {"username": "ana", "role": "viewer"}
        session[api_client.TOKEN_SESSION_KEY] = "tok"
    upstream = respx.get(f"{API}/api/v1/snapshots/4/files/pdf").respond(
        content=b"%PDF-1.4 ...",
        headers={"content-type": "application/pdf",
                 "content-disposition": 'attachment; filename="tocsin-2023Q4.pdf"'},
    )  # fmt: skip
    answer = client.get("/snapshots/4/files/pdf")
    assert answer.data.startswith(b"%PDF") and answer.mimetype == "application/pdf"
    assert "tocsin-2023Q4.pdf" in answer.headers["Content-Disposition"]
    assert upstream.calls.last.request.headers["Authorization"] == "Bearer tok"
    assert client.get("/snapshots/4/files/exe").status_code == 404
    respx.get(f"{API}/api/v1/snapshots/4/files/xlsx").respond(401, json={"detail": "expired"})
    expired = client.get("/snapshots/4/files/xlsx")
    assert expired.headers["Location"] == auth.login_url("/snapshots", error="expired")
