"""Triage by people over the API: transitions, audit entries, stream events, conflicts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert, AlertTransition
from backend.events.models import Event
from backend.regions.models import Region
from backend.users.models import AuditEntry

# client and people are fixtures, found by pytest in this module's namespace.
from tests.backend.api._people import Person, client_fixture, people_fixture  # noqa: F401

API = "/api/v1/alerts"


@pytest.fixture
def alerts(session: Session) -> list[Alert]:
    """Insert a country and three new firing alerts."""
    region = Region(code="HND", level="country", name="Honduras")
    session.add(region)
    session.flush()
    rows = [
        Alert(fingerprint=f"fp{n}", rule_name="rate_spike", rule_version=1, region_id=region.id,
              indicator_code="homicide_rate", period=str(2018 + n),
              detected_at=datetime(2024, 7, 1, n, tzinfo=UTC), state="firing", triage="new",
              severity="warning", value=30.0 + n, baseline=20.0, threshold=26.0,
              explanation=f"alert {n}", details={}, labels={})
        for n in (1, 2, 3)
    ]  # fmt: skip
    session.add_all(rows)
    session.flush()
    return rows


def _post(client: TestClient, path: str, who: Person | None, body: dict[str, Any]) -> Any:
    return client.post(f"{API}{path}", json=body, headers=who.headers() if who else {})


def _events(session: Session) -> list[dict[str, Any]]:
    return [e.payload for e in session.scalars(select(Event).order_by(Event.id))]


def test_acknowledge_writes_transition_audit_and_event(
    client: TestClient, session: Session, people: dict[str, Person], alerts: list[Alert]
) -> None:
    alert = alerts[0]
    response = _post(client, f"/{alert.id}/acknowledge", people["analyst"], {"note": "seen"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["triage"] == "acknowledged"
    assert body["transitions"][-1] | {"at": None} == {
        "at": None, "actor": "analyst1", "field": "triage", "from_value": "new",
        "to_value": "acknowledged", "note": "seen",
    }  # fmt: skip
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "alert.acknowledge"))
    entry = audit.one()
    assert (entry.actor, entry.entity_id) == ("analyst1", str(alert.id))
    assert entry.before == {"state": "firing", "triage": "new", "assignee": None}
    assert entry.after == {"state": "firing", "triage": "acknowledged", "assignee": None}
    [event] = _events(session)
    assert event["alert_id"] == alert.id and event["region"] == "HND"
    assert event["action"] == "acknowledge" and event["triage"] == "acknowledged"
    assert event["change"] == {"field": "triage", "from": "new", "to": "acknowledged",
                               "note": "seen"}  # fmt: skip


@pytest.mark.parametrize(
    ("first", "then", "status"),
    [
        ("acknowledge", "acknowledge", 409),
        ("acknowledge", "escalate", 200),
        ("escalate", "acknowledge", 409),
        ("escalate", "dismiss", 200),
        ("dismiss", "escalate", 409),
        ("dismiss", "dismiss", 409),
        ("dismiss", "acknowledge", 409),
    ],
)
def test_triage_moves_follow_the_table(
    client: TestClient, people: dict[str, Person], alerts: list[Alert],
    first: str, then: str, status: int,
) -> None:  # fmt: skip
    path = f"/{alerts[0].id}"
    assert _post(client, f"{path}/{first}", people["analyst"], {}).status_code == 200
    response = _post(client, f"{path}/{then}", people["analyst"], {})
    assert response.status_code == status, response.text
    if status == 409:
        problem = response.json()
        assert problem["type"] == "urn:tocsin:problem:conflict"
        assert problem["triage"] in {"acknowledged", "escalated", "dismissed"}


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("viewer", 403), ("admin", 200)])
def test_triage_needs_analyst(
    client: TestClient, people: dict[str, Person], alerts: list[Alert], role: str | None,
    status: int,
) -> None:  # fmt: skip
    who = people[role] if role else None
    assert _post(client, f"/{alerts[0].id}/dismiss", who, {}).status_code == status


def test_unknown_alert_is_404_and_bad_note_is_422(
    client: TestClient, people: dict[str, Person], alerts: list[Alert]
) -> None:
    analyst = people["analyst"]
    assert _post(client, "/999999/acknowledge", analyst, {}).status_code == 404
    response = _post(client, f"/{alerts[0].id}/acknowledge", analyst, {"note": "x" * 2001})
    assert response.status_code == 422
    assert _post(client, f"/{alerts[0].id}/acknowledge", analyst, {"x": 1}).status_code == 422


def test_assign_checks_assignee_and_repeats(
    client: TestClient, session: Session, people: dict[str, Person], alerts: list[Alert]
) -> None:
    analyst, path = people["analyst"], f"/{alerts[0].id}/assign"
    assert _post(client, path, analyst, {"assignee": "nobody"}).status_code == 422
    response = _post(client, path, analyst, {"assignee": "viewer1"})
    assert response.status_code == 200 and response.json()["assignee"] == "viewer1"
    assert _post(client, path, analyst, {"assignee": "viewer1"}).status_code == 409
    response = _post(client, path, analyst, {"assignee": None})
    assert response.status_code == 200 and response.json()["assignee"] is None
    moves = session.scalars(select(AlertTransition).where(AlertTransition.field == "assignee"))
    assert [(m.from_value, m.to_value) for m in moves] == [(None, "viewer1"), ("viewer1", None)]


def test_comment_and_label_and_history(
    client: TestClient, session: Session, people: dict[str, Person], alerts: list[Alert]
) -> None:
    analyst, path = people["analyst"], f"/{alerts[0].id}"
    response = _post(client, f"{path}/comments", analyst, {"body": "  Matches press reports  "})
    assert response.status_code == 201
    assert [c["body"] for c in response.json()["comments"]] == ["Matches press reports"]
    assert _post(client, f"{path}/comments", analyst, {"body": "   "}).status_code == 422
    assert _post(client, f"{path}/label", analyst, {"label": "useful"}).status_code == 201
    assert _post(client, f"{path}/label", analyst, {"label": "useful"}).status_code == 409
    assert _post(client, f"{path}/label", analyst, {"label": "great"}).status_code == 422
    assert _post(client, f"{path}/escalate", analyst, {}).status_code == 200
    history = client.get(f"{API}{path}/history", headers=people["viewer"].headers())
    assert history.status_code == 200
    kinds = [(i["kind"], i["actor"]) for i in history.json()["items"]]
    assert kinds == [("comment", "analyst1"), ("label", "analyst1"), ("transition", "analyst1")]
    actions = [e["action"] for e in _events(session)]
    assert actions == ["comment", "label", "escalate"]
    assert client.get(f"{API}/999999/history", headers=analyst.headers()).status_code == 404


def test_bulk_reports_each_alert(
    client: TestClient, session: Session, people: dict[str, Person], alerts: list[Alert]
) -> None:
    analyst = people["analyst"]
    first, second, third = (a.id for a in alerts)
    assert _post(client, f"/{second}/dismiss", analyst, {}).status_code == 200
    body = {"ids": [first, second, third, 999999, first], "action": "acknowledge"}
    response = _post(client, "/bulk", analyst, body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["done"], result["refused"]) == (2, 2)
    assert [(i["id"], i["status"]) for i in result["items"]] == [
        (first, 200), (second, 409), (third, 200), (999999, 404),
    ]  # fmt: skip
    states = {a.id: a.triage for a in session.scalars(select(Alert))}
    assert states == {first: "acknowledged", second: "dismissed", third: "acknowledged"}


def test_bulk_label_and_assign_validate_their_arguments(
    client: TestClient, people: dict[str, Person], alerts: list[Alert]
) -> None:
    analyst, ids = people["analyst"], [a.id for a in alerts]
    assert _post(client, "/bulk", analyst, {"ids": ids, "action": "label"}).status_code == 422
    bad = {"ids": ids, "action": "assign", "assignee": "ghost"}
    assert _post(client, "/bulk", analyst, bad).status_code == 422
    good = {"ids": ids, "action": "label", "label": "false_alarm"}
    assert _post(client, "/bulk", analyst, good).json()["done"] == 3
    assert _post(client, "/bulk", people["viewer"], good).status_code == 403
    assert _post(client, "/bulk", analyst, {"ids": [], "action": "dismiss"}).status_code == 422
