"""GET /api/v1/alerts and /api/v1/alerts/{id}."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.alerts.models import AlertComment, AlertTransition


@pytest.fixture
def alerts(make: Any, world: Any) -> list[Any]:
    """Insert five alerts, detected at 1..5 o'clock."""
    return [
        make.alert(world.hnd, 1, state="resolved", severity="info", period="2018"),
        make.alert(world.hnd, 2, state="firing", severity="critical", period="2020Q3"),
        make.alert(
            world.mex, 3, state="pending", severity="warning", period="2021", triage="acknowledged"
        ),
        make.alert(
            world.nga, 4, state="firing", severity="info", period="2022", rule_name="seizure_jump"
        ),
        make.alert(world.gtm, 5, state="firing", severity="critical", period="2020", is_demo=True),
    ]


def ids(client: TestClient, query: str) -> list[int]:
    response = client.get(f"/api/v1/alerts{query}")
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def numbers(alerts: list[Any], *ns: int) -> list[int]:
    return [alerts[n - 1].id for n in ns]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [5, 4, 3, 2, 1]),
        ("?sort=detected_at", [1, 2, 3, 4, 5]),
        ("?state=firing", [5, 4, 2]),
        ("?state=firing&state=pending", [5, 4, 3, 2]),
        ("?severity=critical&sort=period", [5, 2]),
        ("?triage=acknowledged", [3]),
        ("?region=hnd&region=GTM", [5, 2, 1]),
        ("?within=M49_013", [5, 3, 2, 1]),
        ("?within=M49_002", [4]),
        ("?rule=seizure_jump", [4]),
        ("?period_from=2020&period_to=2021", [5, 3, 2]),
        ("?period_to=2020", [5, 2, 1]),
        ("?is_demo=false&state=firing", [4, 2]),
        ("?sort=-severity", [5, 2, 3, 4, 1]),
        ("?sort=severity", [4, 1, 3, 5, 2]),
        ("?sort=region", [5, 2, 1, 3, 4]),
        ("?sort=-period", [4, 3, 2, 5, 1]),
        ("?region=ZZZ", []),
    ],
)
def test_filters_and_sorts(
    client: TestClient, alerts: list[Any], query: str, expected: list[int]
) -> None:
    assert ids(client, query) == numbers(alerts, *expected)


def test_pages_carry_the_total(client: TestClient, alerts: list[Any]) -> None:
    pages = [client.get(f"/api/v1/alerts?page_size=2&page={page}").json() for page in (1, 2, 3, 4)]
    assert [[i["id"] for i in p["items"]] for p in pages] == [
        numbers(alerts, 5, 4), numbers(alerts, 3, 2), numbers(alerts, 1), []
    ]  # fmt: skip
    assert {(p["total"], p["page_size"]) for p in pages} == {(5, 2)}
    assert [p["page"] for p in pages] == [1, 2, 3, 4]


def test_list_item_shape(client: TestClient, alerts: list[Any]) -> None:
    item = client.get("/api/v1/alerts?state=pending").json()["items"][0]
    assert item == {
        "id": alerts[2].id, "rule": "homicide_rate_spike", "rule_version": 1, "region": "MEX",
        "region_name": "Mexico", "indicator": "homicide_rate", "period": "2021",
        "state": "pending", "triage": "acknowledged", "severity": "warning", "value": 33.0,
        "baseline": 20.0, "threshold": 26.0, "explanation": "alert 3",
        "detected_at": "2024-07-01T03:00:00Z", "assignee": None, "is_demo": False,
        "is_rollup": False, "muted_by": None,
    }  # fmt: skip


def test_detail_has_history(client: TestClient, alerts: list[Any], make: Any) -> None:
    alert = alerts[1]
    at = datetime(2024, 7, 2, 8, 30, tzinfo=UTC)
    make.add(AlertTransition(alert_id=alert.id, at=at, actor="system:rules", field="state",
                             from_value="pending", to_value="firing"))  # fmt: skip
    make.add(
        AlertComment(alert_id=alert.id, author="ana", body="Seen in the press.", created_at=at)
    )
    body = client.get(f"/api/v1/alerts/{alert.id}").json()
    assert (body["id"], body["region_name"], body["fingerprint"]) == (alert.id, "Honduras", "fp2")
    assert body["transitions"] == [{"at": "2024-07-02T08:30:00Z", "actor": "system:rules",
                                    "field": "state", "from_value": "pending", "to_value": "firing",
                                    "note": None}]  # fmt: skip
    assert [c["body"] for c in body["comments"]] == ["Seen in the press."]
    assert body["feedback"] == []


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/alerts/999999", 404),
        ("/api/v1/alerts/0", 422),
        ("/api/v1/alerts/99999999999999999999", 422),
        ("/api/v1/alerts/abc", 422),
        ("/api/v1/alerts?sort=fingerprint", 422),
        ("/api/v1/alerts?sort=-detected_at;drop table alert", 422),
        ("/api/v1/alerts?page_size=501", 422),
        ("/api/v1/alerts?page_size=0", 422),
        ("/api/v1/alerts?page=0", 422),
        ("/api/v1/alerts?page=99999999999999999999", 422),
        ("/api/v1/alerts?state=burning", 422),
        ("/api/v1/alerts?rule=%00", 422),
        ("/api/v1/alerts?period_from=last+year", 422),
        ("/api/v1/alerts?colour=red", 422),
    ],
)
def test_bad_requests_are_problems(
    client: TestClient, alerts: list[Any], url: str, status: int
) -> None:
    response = client.get(url)
    assert (response.status_code, response.headers["content-type"]) == (
        status,
        "application/problem+json",
    )
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:tocsin:problem:")
    if status == 422:
        assert body["errors"] and body["detail"]
