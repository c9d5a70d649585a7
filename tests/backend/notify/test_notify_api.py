"""The notification API on both databases: subscriptions, silences, deliveries, audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.notify.models import Delivery, Subscription
from backend.timeutil import utcnow
from backend.users.models import AuditEntry

# client and people are fixtures, found by pytest in this module's namespace.
from tests.backend.api._people import Person, client_fixture, people_fixture  # noqa: F401
from tests.backend.notify.factory import HOOK, T0, subscribe

API = "/api/v1/notifications"
NEW = {"name": "Central America desk", "channel": "webhook", "target": HOOK,
       "regions": ["M49_013"], "min_severity": "critical", "themes": ["homicide"]}  # fmt: skip


def _audit(session: Session, action: str) -> AuditEntry:
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action)).one()


def test_create_read_update_delete_a_subscription(
    client: TestClient, session: Session, people: dict[str, Person]
) -> None:
    headers = people["analyst"].headers()
    created = client.post(f"{API}/subscriptions", json=NEW, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["target"] == "https://hooks.example.org/..."  # the token stays in the database
    assert (body["owner"], body["states"], body["grace_minutes"]) == (
        "analyst1", ["firing", "resolved"], 1440,
    )  # fmt: skip
    path = f"{API}/subscriptions/{body['id']}"
    patched = client.patch(path, json={"min_severity": "warning", "enabled": False},
                           headers=headers)  # fmt: skip
    assert patched.status_code == 200, patched.text
    assert (patched.json()["min_severity"], patched.json()["enabled"]) == ("warning", False)
    listed = client.get(f"{API}/subscriptions", headers=headers).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    assert client.delete(path, headers=headers).status_code == 204
    assert client.get(path, headers=headers).status_code == 404
    entries = [_audit(session, f"subscription.{a}") for a in ("create", "update", "delete")]
    assert entries[1].before["min_severity"] == "critical"  # type: ignore[index]
    assert all("T0K3N" not in str((e.before, e.after)) for e in entries)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"channel": "email", "target": "not-an-address"}, "e-mail address"),
        ({"target": "ftp://hooks.example.org/x"}, "http(s) URL"),
        ({"min_severity": "loud"}, "min_severity"),
        ({"regions": ["no such code!"]}, "regions"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_subscription_is_a_422(
    client: TestClient, people: dict[str, Person], change: dict[str, Any], problem: str
) -> None:
    response = client.post(f"{API}/subscriptions", json=NEW | change,
                           headers=people["analyst"].headers())  # fmt: skip
    assert response.status_code == 422 and problem in response.text


def test_a_new_target_must_suit_the_channel(
    client: TestClient, session: Session, people: dict[str, Person]
) -> None:
    mail = subscribe(session, channel="email", target="desk@example.org")
    response = client.patch(f"{API}/subscriptions/{mail.id}", json={"target": HOOK},
                            headers=people["analyst"].headers())  # fmt: skip
    assert response.status_code == 422 and "e-mail address" in response.text


def test_subscriptions_are_for_analysts(client: TestClient, people: dict[str, Person]) -> None:
    assert client.get(f"{API}/subscriptions").status_code == 401
    assert client.get(f"{API}/subscriptions", headers=people["viewer"].headers()).status_code == 403


def test_create_update_expire_a_silence(
    client: TestClient, session: Session, people: dict[str, Person]
) -> None:
    headers = people["analyst"].headers()
    ends = (utcnow() + timedelta(hours=2)).isoformat()
    body = {"region": "HND", "ends_at": ends, "comment": "election week"}
    created = client.post(f"{API}/silences", headers=headers, json=body)
    assert created.status_code == 201, created.text
    silence = created.json()
    assert (silence["author"], silence["active"], silence["rule"]) == ("analyst1", True, None)
    path = f"{API}/silences/{silence['id']}"
    later = (utcnow() + timedelta(hours=5)).isoformat()
    moved = client.patch(path, json={"ends_at": later}, headers=headers)
    assert moved.status_code == 200 and moved.json()["ends_at"] != silence["ends_at"]
    viewer = people["viewer"].headers()
    active = client.get(f"{API}/silences?active=true", headers=viewer).json()["items"]
    assert [s["id"] for s in active] == [silence["id"]]
    expired = client.post(f"{path}/expire", headers=headers)
    assert expired.status_code == 200 and expired.json()["active"] is False
    assert client.get(f"{API}/silences?active=true", headers=viewer).json()["items"] == []
    assert client.get(f"{API}/silences", headers=viewer).json()["total"] == 1
    assert _audit(session, "silence.expire").after["active"] is False  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"ends_at": "2030-01-01T00:00:00Z", "comment": "x"}, "at least one matcher"),
        ({"region": "HND", "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z",
          "comment": "x"}, "after starts_at"),
        ({"region": "HND", "ends_at": "2000-01-01T00:00:00Z", "comment": "x"}, "after starts_at"),
        ({"region": "HND", "ends_at": "2030-01-01T00:00:00Z", "comment": ""}, "comment"),
    ],
)  # fmt: skip
def test_a_bad_silence_is_a_422(
    client: TestClient, people: dict[str, Person], body: dict[str, Any], problem: str
) -> None:
    response = client.post(f"{API}/silences", json=body, headers=people["analyst"].headers())
    assert response.status_code == 422 and problem in response.text


def test_deliveries_are_listed_for_viewers_newest_first(
    client: TestClient, session: Session, people: dict[str, Person]
) -> None:
    subscription = subscribe(session)
    for n, status in enumerate(("sent", "failed", "silenced"), start=1):
        session.add(Delivery(
            subscription_id=subscription.id, event_id=n, channel="webhook", fingerprint=f"fp{n}",
            alert_state="firing", status=status, attempts=1, created_at=T0,
            last_error="timed out" if status == "failed" else None,
            payload={"rule": "spike", "region": "HND", "severity": "warning"},
        ))  # fmt: skip
    session.flush()
    viewer = people["viewer"].headers()
    page = client.get(f"{API}/deliveries?limit=2", headers=viewer).json()
    assert page["total"] == 3
    assert [(d["fingerprint"], d["status"]) for d in page["items"]] == [
        ("fp3", "silenced"), ("fp2", "failed"),
    ]  # fmt: skip
    [failed] = client.get(f"{API}/deliveries?status=failed", headers=viewer).json()["items"]
    assert (failed["region"], failed["rule"], failed["last_error"]) == ("HND", "spike", "timed out")
    assert "T0K3N" not in str(page)


def test_deleting_a_subscription_fails_what_it_had_not_sent(
    client: TestClient, session: Session, people: dict[str, Person]
) -> None:
    subscription = subscribe(session, channel="email", target="desk@example.org")
    session.add(Delivery(subscription_id=subscription.id, event_id=1, channel="email",
                         fingerprint="fp1", alert_state="firing", status="queued", attempts=0,
                         created_at=T0, payload={}))  # fmt: skip
    session.flush()
    response = client.delete(f"{API}/subscriptions/{subscription.id}",
                             headers=people["analyst"].headers())  # fmt: skip
    assert response.status_code == 204
    session.expire_all()
    delivery = session.scalars(select(Delivery)).one()
    assert (delivery.subscription_id, delivery.status) == (None, "failed")
    assert session.get(Subscription, subscription.id) is None
