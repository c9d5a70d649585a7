"""The response cache of the hot reads: keyed by query, dropped by new events, behind auth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.alerts.service import Move, record_moves
from backend.cache import CACHE_HEADER, ResponseCache
from backend.events.service import append_event
from backend.users import service as users
from tests.backend.api._people import add_person

HEATMAP = "/api/v1/heatmap?indicator=homicide_rate&period=2020"
FIRING = "/api/v1/alerts?state=firing"


def _get(client: TestClient, path: str, **kwargs: Any) -> tuple[str, Any]:
    """GET path as the client's viewer; return the cache header and the JSON body."""
    response = client.get(path, **kwargs)
    assert response.status_code == 200, response.text
    return response.headers[CACHE_HEADER], response.json()


def _values(body: dict[str, Any]) -> dict[str, float]:
    return {item["region"]: item["value"] for item in body["items"]}


@pytest.mark.parametrize(
    "path",
    [HEATMAP, FIRING, "/api/v1/indicators", "/api/v1/regions?level=country"],
)
def test_a_repeated_read_is_served_from_the_cache(
    client: TestClient, homicide: Any, make: Any, world: Any, path: str
) -> None:
    make.alert(world.hnd, 1)
    state, first = _get(client, path)
    again, second = _get(client, path)
    assert (state, again) == ("miss", "hit")
    assert second == first


def test_the_key_includes_the_query(client: TestClient, homicide: Any) -> None:
    _get(client, HEATMAP)
    state, body = _get(client, "/api/v1/heatmap?indicator=homicide_rate&period=2019")
    assert state == "miss"
    assert _values(body) == {"GTM": 10.0, "HND": 40.0}
    # The same query spelled with its defaults is the same answer.
    assert _get(client, "/api/v1/alerts")[0] == "miss"
    assert _get(client, "/api/v1/alerts?page=1&sort=-detected_at")[0] == "hit"


def test_a_new_alert_shows_on_the_next_request(
    client: TestClient, session: Session, make: Any, world: Any
) -> None:
    first = make.alert(world.hnd, 1)
    assert [i["id"] for i in _get(client, FIRING)[1]["items"]] == [first.id]
    second = make.alert(world.mex, 2)
    # The engine records a new alert with its event, in the same transaction.
    record_moves(session=session, moves=[Move(second, None)], at=datetime.now(UTC))
    state, body = _get(client, FIRING)
    assert state == "miss"
    assert [i["id"] for i in body["items"]] == [second.id, first.id]


def test_a_triage_action_shows_on_the_next_request(
    client: TestClient, session: Session, make: Any, world: Any
) -> None:
    alert = make.alert(world.hnd, 1)
    assert _get(client, FIRING)[1]["items"][0]["triage"] == "new"
    analyst = add_person(session, "ana", "analyst")
    done = client.post(f"/api/v1/alerts/{alert.id}/acknowledge", json={}, headers=analyst.headers())
    assert done.status_code == 200, done.text
    assert _get(client, FIRING)[1]["items"][0]["triage"] == "acknowledged"


def test_a_new_observation_shows_on_the_next_request(
    client: TestClient, session: Session, make: Any, world: Any, homicide: Any
) -> None:
    assert "GHA" not in _values(_get(client, HEATMAP)[1])
    make.obs(homicide, world.gha, "2020", 12.5)
    # A finished ingest run appends its event in the run's transaction.
    append_event(session=session, kind="ingest_run", payload={"source": "unodc_cts"})
    state, body = _get(client, HEATMAP)
    assert state == "miss"
    assert _values(body)["GHA"] == 12.5


@pytest.mark.parametrize("path", [HEATMAP, FIRING])
def test_auth_is_checked_before_the_cache(
    client: TestClient, session: Session, homicide: Any, path: str
) -> None:
    viewer = add_person(session, "vera", "viewer").user
    token, secret = users.issue_token(session=session, actor="test", user=viewer, name="t")
    headers = {"Authorization": f"Bearer {secret}"}
    assert _get(client, path, headers=headers)[0] == "miss"
    assert _get(client, path)[0] == "hit"
    assert client.get(path, headers={"Authorization": ""}).status_code == 401
    users.revoke_token(session=session, actor="test", token=token)
    assert client.get(path, headers=headers).status_code == 401


def test_the_cache_is_bounded_and_versioned() -> None:
    cache = ResponseCache(max_entries=2, max_body_bytes=10)
    for key in ("a", "b", "c"):
        cache.put(key, 1, key.encode())
    cache.put("big", 1, b"x" * 11)
    assert len(cache) == 2
    assert (cache.get("a", 1), cache.get("b", 1), cache.get("c", 1)) == (None, b"b", b"c")
    assert cache.get("c", 2) is None
    assert cache.get("big", 1) is None
