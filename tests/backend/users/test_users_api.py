"""The users, tokens and auth endpoints: roles, 401/403/429 problems, and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.users import service
from backend.users.models import AuditEntry

PASSWORD = "correct horse battery staple"
NEW_USER = {"username": "newbie", "password": PASSWORD, "role": "viewer"}

# (method, path, body, expected status per caller). Paths name the admin ("{admin}"), the
# viewer ("{viewer}") or a token of the analyst ("{analyst_token}").
MATRIX: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("GET", "/users", None, {"anonymous": 401, "viewer": 403, "analyst": 403, "admin": 200}),
    ("POST", "/users", NEW_USER, {"anonymous": 401, "viewer": 403, "analyst": 403, "admin": 201}),
    ("PATCH", "/users/{viewer}", {"role": "analyst"},
     {"anonymous": 401, "viewer": 403, "analyst": 403, "admin": 200}),
    ("GET", "/users/{viewer}/tokens", None,
     {"anonymous": 401, "viewer": 200, "analyst": 403, "admin": 200}),
    ("POST", "/users/{viewer}/tokens", {"name": "x"},
     {"anonymous": 401, "viewer": 201, "analyst": 403, "admin": 201}),
    ("POST", "/users/{admin}/tokens", {"name": "x"},
     {"anonymous": 401, "viewer": 403, "analyst": 403, "admin": 201}),
    ("DELETE", "/tokens/{analyst_token}", None,
     {"anonymous": 401, "viewer": 403, "analyst": 204, "admin": 204}),
    ("GET", "/auth/me", None, {"anonymous": 401, "viewer": 200, "analyst": 200, "admin": 200}),
    ("POST", "/auth/logout", None, {"anonymous": 401, "viewer": 204, "analyst": 204, "admin": 204}),
]  # fmt: skip
CASES = [
    pytest.param(method, path, body, caller, status, id=f"{caller}-{method}-{path}")
    for method, path, body, expected in MATRIX
    for caller, status in expected.items()
]


@pytest.mark.parametrize(("method", "path", "body", "caller", "status"), CASES)
def test_role_matrix(
    client: TestClient,
    people: Any,
    session: Session,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    caller: str,
    status: int,
) -> None:
    analyst_token = service.list_tokens(session=session, user_id=people.analyst.user.id)[0]
    url = "/api/v1" + path.format(
        admin=people.admin.user.id, viewer=people.viewer.user.id, analyst_token=analyst_token.id
    )
    person = people.by_role(caller)
    headers = person.headers if person else {}
    response = client.request(method, url, json=body, headers=headers)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status


def _login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_login_me_logout(client: TestClient, people: Any) -> None:
    response = _login(client, "Analyst1")
    assert response.status_code == 200, response.text
    issued = response.json()
    assert issued["token"].startswith("tocsin_") and issued["token_type"] == "bearer"
    assert issued["name"] == "session" and issued["expires_at"] is not None
    headers = {"Authorization": f"Bearer {issued['token']}"}
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["user"]["username"] == "analyst1" and me["role"] == "analyst"
    assert me["token"]["id"] == issued["id"] and "token" not in me["token"]
    assert "password_hash" not in me["user"]
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401 and after.json()["detail"] == "Token revoked"


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer tocsin_" + "x" * 43],
)
def test_missing_or_invalid_token_is_401(client: TestClient, authorization: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["type"] == "urn:tocsin:problem:unauthorized"


def test_expired_token_is_401(client: TestClient, people: Any, session: Session) -> None:
    created = client.post(
        f"/api/v1/users/{people.viewer.user.id}/tokens",
        json={"name": "soon", "expires_in_days": 1},
        headers=people.viewer.headers,
    ).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    token = service.get_token(session=session, token_id=created["id"])
    token.expires_at = token.created_at
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and response.json()["detail"] == "Token expired"


def test_revoked_token_is_401(client: TestClient, people: Any, session: Session) -> None:
    (token,) = service.list_tokens(session=session, user_id=people.viewer.user.id)
    revoke = client.delete(f"/api/v1/tokens/{token.id}", headers=people.admin.headers)
    assert revoke.status_code == 204
    response = client.get("/api/v1/auth/me", headers=people.viewer.headers)
    assert response.status_code == 401 and response.json()["detail"] == "Token revoked"


def test_disabling_a_user_stops_their_tokens(client: TestClient, people: Any) -> None:
    url = f"/api/v1/users/{people.analyst.user.id}"
    changed = client.patch(url, json={"is_active": False}, headers=people.admin.headers)
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert client.get("/api/v1/auth/me", headers=people.analyst.headers).status_code == 401


def test_lowering_a_role_lowers_existing_tokens(
    client: TestClient, people: Any, make_person: Callable[..., Any]
) -> None:
    second = make_person("admin2", "admin")
    url = f"/api/v1/users/{second.user.id}"
    assert (
        client.patch(url, json={"role": "viewer"}, headers=people.admin.headers).status_code == 200
    )
    me = client.get("/api/v1/auth/me", headers=second.headers).json()
    assert me["role"] == "viewer" and me["token"]["role"] == "admin"
    assert client.get("/api/v1/users", headers=second.headers).status_code == 403


@pytest.mark.parametrize(
    ("caller", "role", "status"),
    [("viewer", "analyst", 422), ("admin", "admin", 422), ("admin", "viewer", 201)],
)
def test_token_role_never_exceeds_the_users(
    client: TestClient, people: Any, caller: str, role: str, status: int
) -> None:
    url = f"/api/v1/users/{people.viewer.user.id}/tokens"
    body = {"name": "x", "role": role}
    response = client.post(url, json=body, headers=people.by_role(caller).headers)
    assert response.status_code == status, response.text


def test_a_viewer_token_of_an_admin_cannot_mint_admin_tokens(
    client: TestClient, people: Any
) -> None:
    url = f"/api/v1/users/{people.admin.user.id}/tokens"
    low = client.post(url, json={"name": "ro", "role": "viewer"}, headers=people.admin.headers)
    low_headers = {"Authorization": f"Bearer {low.json()['token']}"}
    assert (
        client.post(url, json={"name": "up", "role": "admin"}, headers=low_headers).status_code
        == 403
    )
    default = client.post(url, json={"name": "dflt"}, headers=low_headers)
    assert default.status_code == 201 and default.json()["role"] == "viewer"


def test_token_listing_never_shows_secrets(client: TestClient, people: Any) -> None:
    body = client.get(
        f"/api/v1/users/{people.viewer.user.id}/tokens", headers=people.viewer.headers
    ).json()
    assert body["total"] == 1
    assert set(body["items"][0]) == {
        "id",
        "user_id",
        "name",
        "role",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/users", {**NEW_USER, "username": "viewer1"}, 409),
        ("POST", "/users", {**NEW_USER, "password": "short"}, 422),
        ("POST", "/users", {**NEW_USER, "is_admin": True}, 422),
        ("POST", "/users", {**NEW_USER, "username": "Bad Name!"}, 422),
        ("PATCH", "/users/{admin}", {"role": "viewer"}, 409),
        ("PATCH", "/users/999999", {"role": "viewer"}, 404),
        ("PATCH", "/users/0", {"role": "viewer"}, 422),
        ("GET", "/users/999999/tokens", None, 404),
        ("DELETE", "/tokens/999999", None, 404),
    ],
)
def test_admin_errors_are_problems(
    client: TestClient, people: Any, method: str, path: str, body: Any, status: int
) -> None:
    url = "/api/v1" + path.format(admin=people.admin.user.id)
    response = client.request(method, url, json=body, headers=people.admin.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_failed_logins_are_rate_limited(client: TestClient, people: Any) -> None:
    for _ in range(5):
        assert _login(client, "viewer1", "wrong password").status_code == 401
    limited = _login(client, "viewer1", PASSWORD)
    assert limited.status_code == 429
    problem = limited.json()
    assert problem["type"] == "urn:tocsin:problem:too-many-requests"
    assert 1 <= problem["retry_after"] <= 301
    assert _login(client, "analyst1").status_code == 200  # another username is not blocked


def test_a_successful_login_resets_the_failures(client: TestClient, people: Any) -> None:
    for _ in range(4):
        _login(client, "viewer1", "wrong password")
    assert _login(client, "viewer1").status_code == 200
    for _ in range(4):
        assert _login(client, "viewer1", "wrong password").status_code == 401


def test_unknown_user_and_wrong_password_answer_alike(client: TestClient, people: Any) -> None:
    unknown, wrong = _login(client, "nobody"), _login(client, "viewer1", "wrong password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_writes_are_audited_without_secrets(
    client: TestClient, people: Any, session: Session
) -> None:
    admin = people.admin.headers
    created = client.post("/api/v1/users", json=NEW_USER, headers=admin).json()
    client.patch(f"/api/v1/users/{created['id']}", json={"role": "analyst"}, headers=admin)
    token = client.post(
        f"/api/v1/users/{created['id']}/tokens", json={"name": "ci"}, headers=admin
    ).json()
    client.delete(f"/api/v1/tokens/{token['id']}", headers=admin)
    session_token = _login(client, "newbie").json()
    client.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {session_token['token']}"}
    )
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.actor.in_(["admin1", "newbie"])).order_by(AuditEntry.id)
    ).all()
    assert [(e.actor, e.action) for e in entries] == [
        ("admin1", "user.create"),
        ("admin1", "user.update"),
        ("admin1", "token.create"),
        ("admin1", "token.revoke"),
        ("newbie", "auth.login"),
        ("newbie", "auth.logout"),
    ]
    assert entries[1].before == {**entries[0].after, "role": "viewer"}  # type: ignore[dict-item]
    assert all(e.actor_id is not None for e in entries)
    text = repr([(e.before, e.after) for e in entries])
    for secret in (PASSWORD, token["token"], session_token["token"], "argon2", "token_hash"):
        assert secret not in text
