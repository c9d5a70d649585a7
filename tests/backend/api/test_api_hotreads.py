"""The hot-read door: repeated cacheable reads skip the framework, never the checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.cache import CACHE_HEADER, VERSION_HEADER, ResponseCache
from backend.events.service import append_event
from backend.hotreads import HotReads
from backend.users import service as users
from backend.users.models import ApiToken, User
from tests.backend.api._people import add_person

FIRING = "/api/v1/alerts?state=firing"


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the answers the full application built or took from its own cache."""
    calls: list[str] = []
    original = ResponseCache.json_response

    def counting(self: ResponseCache, **kwargs: Any) -> Any:
        calls.append(str(kwargs["key"][0]))
        return original(self, **kwargs)

    monkeypatch.setattr(ResponseCache, "json_response", counting)
    return calls


def _viewer(session: Session, name: str = "vera") -> tuple[ApiToken, dict[str, str]]:
    """Return a fresh viewer token, used once already (its last-used hint is fresh)."""
    user = add_person(session, name, "viewer").user
    token, secret = users.issue_token(session=session, actor="test", user=user, name="t")
    token.last_used_at = datetime.now(UTC)
    session.flush()
    return token, {"Authorization": f"Bearer {secret}"}


def test_a_repeated_read_skips_the_framework_with_the_same_bytes_and_headers(
    client: TestClient, make: Any, world: Any, built: list[str]
) -> None:
    make.alert(world.hnd, 1)
    first = client.get(FIRING)
    again = client.get(FIRING)
    assert (first.status_code, again.status_code) == (200, 200)
    assert built == ["alerts"]  # the second answer came from the door
    assert again.content == first.content
    assert (first.headers[CACHE_HEADER], again.headers[CACHE_HEADER]) == ("miss", "hit")
    for name in ("content-type", "content-security-policy", "x-content-type-options",
                 VERSION_HEADER):  # fmt: skip
        assert again.headers[name] == first.headers[name]


def test_another_viewer_is_served_the_same_answer(
    client: TestClient, session: Session, built: list[str]
) -> None:
    client.get(FIRING)
    _token, headers = _viewer(session)
    assert client.get(FIRING, headers=headers).status_code == 200
    assert built == ["alerts"]


def _revoke(session: Session, token: ApiToken) -> None:
    users.revoke_token(session=session, actor="test", token=token)


def _expire(session: Session, token: ApiToken) -> None:
    token.expires_at = datetime.now(UTC) - timedelta(seconds=1)


def _disable(session: Session, token: ApiToken) -> None:
    user = session.get(User, token.user_id)
    assert user is not None
    user.is_active = False


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [(_revoke, "Token revoked"), (_expire, "Token expired"), (_disable, "User disabled")],
)
def test_a_refused_token_gets_the_full_applications_401(
    client: TestClient, session: Session, spoil: Any, reason: str
) -> None:
    token, headers = _viewer(session)
    assert client.get(FIRING, headers=headers).status_code == 200
    assert client.get(FIRING, headers=headers).headers[CACHE_HEADER] == "hit"
    spoil(session, token)
    session.flush()
    refused = client.get(FIRING, headers=headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == reason


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer tcn_not-a-real-token-but-long-enough-to-look-up"]
)
def test_no_or_an_unknown_token_gets_a_401(
    client: TestClient, built: list[str], authorization: str | None
) -> None:
    client.get(FIRING)
    headers = {"Authorization": authorization or ""}
    assert client.get(FIRING, headers=headers).status_code == 401


def test_a_due_last_used_hint_goes_through_and_is_written(
    client: TestClient, session: Session, built: list[str]
) -> None:
    token, headers = _viewer(session)
    client.get(FIRING, headers=headers)
    long_ago = datetime.now(UTC) - users.LAST_USED_RESOLUTION - timedelta(seconds=5)
    token.last_used_at = long_ago
    session.flush()
    assert client.get(FIRING, headers=headers).status_code == 200
    assert built == ["alerts", "alerts"]
    session.refresh(token)
    assert users.last_use_is_stale(token.last_used_at, datetime.now(UTC)) is False


def test_a_new_event_sends_the_read_to_the_full_application(
    client: TestClient, session: Session, built: list[str]
) -> None:
    first = client.get(FIRING)
    append_event(session=session, kind="ingest_run", payload={"source": "unodc_cts"})
    second = client.get(FIRING)
    assert built == ["alerts", "alerts"]
    assert int(second.headers[VERSION_HEADER]) > int(first.headers[VERSION_HEADER])


def test_cross_origin_and_csv_reads_are_not_served_by_the_door(
    client: TestClient, built: list[str]
) -> None:
    client.get(FIRING)
    client.get(FIRING, headers={"Origin": "https://elsewhere.example"})
    assert built == ["alerts", "alerts"]
    for _ in range(2):
        csv = client.get(f"{FIRING}&format=csv")
        assert csv.status_code == 200
        assert CACHE_HEADER not in csv.headers


def test_the_door_keeps_a_bounded_number_of_answers() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    door = HotReads(app, max_entries=2, max_body_bytes=10)
    headers = [(VERSION_HEADER.encode(), b"3"), (CACHE_HEADER.encode(), b"miss")]
    for path in ("/a", "/b", "/c"):
        door._keep((path, b""), headers, b"{}")
    door._keep(("/big", b""), headers, b"x" * 11)
    door._keep(("/unversioned", b""), [(CACHE_HEADER.encode(), b"miss")], b"{}")
    assert [key[0] for key in door.kept] == ["/b", "/c"]
    assert door.kept[("/c", b"")].version == 3
    assert (CACHE_HEADER.encode(), b"hit") in door.kept[("/c", b"")].headers
    assert door.total_bytes == 4


def test_the_door_keeps_a_bounded_number_of_bytes() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    door = HotReads(app, max_entries=10, max_body_bytes=10, max_total_bytes=25)
    headers = [(VERSION_HEADER.encode(), b"1")]
    for path in ("/a", "/b", "/c"):
        door._keep((path, b""), headers, b"x" * 10)
    assert ([key[0] for key in door.kept], door.total_bytes) == (["/b", "/c"], 20)
    door._keep(("/c", b""), headers, b"y" * 4)  # a new answer replaces the old one's bytes
    assert ([key[0] for key in door.kept], door.total_bytes) == (["/b", "/c"], 14)
