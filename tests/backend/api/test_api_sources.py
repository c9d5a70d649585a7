"""GET /api/v1/sources, /api/v1/sources/{id}/runs and /api/v1/coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.sources.models import IngestRun
from backend.sources.queries import freshness, next_fire
from backend.timeutil import utcnow


def run(make: Any, source: str, n: int, status: str = "succeeded", **fields: Any) -> IngestRun:
    """Insert run number n of a source, started n hours after 2024-07-01."""
    started = datetime(2024, 7, 1, tzinfo=UTC) + timedelta(hours=n)
    values: dict[str, Any] = {
        "source_id": source, "trigger": "schedule", "started_at": started,
        "finished_at": started + timedelta(minutes=5), "status": status, "rows_read": 10 * n,
        "rows_inserted": n, "rows_revised": 1, "rows_unchanged": 2, "rows_quarantined": 0,
    }  # fmt: skip
    return make.add(IngestRun(**(values | fields)))


def by_id(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/sources")
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


def test_sources_show_last_run_next_run_and_freshness(
    client: TestClient, make: Any, homicide: Any
) -> None:
    run(make, "worldbank_homicide", 1)
    run(make, "worldbank_homicide", 2, status="failed", error="HTTP 503", finished_at=None)
    sources = by_id(client)
    assert set(sources) == {"worldbank_homicide", "demo", "unodc_cts"}
    source = sources["worldbank_homicide"]
    last = source["last_run"]
    assert (last["status"], last["error"], last["finished_at"]) == ("failed", "HTTP 503", None)
    assert last["counts"] == {
        "read": 20, "inserted": 2, "revised": 1, "unchanged": 2, "quarantined": 0, "dropped": 0
    }  # fmt: skip
    assert datetime.fromisoformat(source["next_run"]) > utcnow()
    # The factory's observations carry vintage 2024-06-30: long stale for a yearly source.
    assert source["freshness"]["status"] == "stale"
    assert source["freshness"]["as_of"] == "2024-07-01"
    assert sources["unodc_cts"]["last_run"] is None
    assert sources["unodc_cts"]["freshness"] == {
        "status": "never", "as_of": None, "age_days": None, "cadence_days": 365
    }  # fmt: skip


@pytest.mark.parametrize(
    ("vintage", "success", "today", "expected"),
    [
        (date(2024, 1, 1), None, date(2024, 12, 1), "fresh"),
        (date(2024, 1, 1), None, date(2025, 3, 15), "fresh"),  # within the grace of 91 days
        (date(2024, 1, 1), None, date(2025, 6, 1), "stale"),
        (date(2020, 1, 1), datetime(2024, 11, 1, tzinfo=UTC), date(2024, 12, 1), "fresh"),
        (None, None, date(2024, 12, 1), "never"),
    ],
)
def test_freshness_against_cadence(
    vintage: date | None, success: datetime | None, today: date, expected: str
) -> None:
    judged = freshness(newest_vintage=vintage, last_success=success, cadence_days=365, today=today)
    assert judged.status == expected


def test_next_fire_follows_the_cron_schedule() -> None:
    now = datetime(2024, 7, 3, 12, 0, tzinfo=UTC)  # a Wednesday
    assert next_fire("0 3 * * *", enabled=True, now=now) == datetime(2024, 7, 4, 3, 0, tzinfo=UTC)
    assert next_fire("30 6 1 * *", enabled=True, now=now) == datetime(2024, 8, 1, 6, 30, tzinfo=UTC)
    assert next_fire("0 3 * * 1", enabled=False, now=now) is None
    assert next_fire("@every 15m", enabled=True, now=now) == now + timedelta(minutes=15)
    assert next_fire("off", enabled=True, now=now) is None
    assert next_fire("every monday", enabled=True, now=now) is None


def test_runs_are_paged_newest_first(client: TestClient, make: Any, homicide: Any) -> None:
    made = [run(make, "worldbank_homicide", n) for n in range(1, 6)]
    run(make, "demo", 9)
    body = client.get("/api/v1/sources/worldbank_homicide/runs?page=2&page_size=2").json()
    assert (body["total"], body["page"], body["page_size"]) == (5, 2, 2)
    assert [item["id"] for item in body["items"]] == [made[2].id, made[1].id]


def test_runs_of_an_unknown_source_are_a_404_problem(client: TestClient) -> None:
    response = client.get("/api/v1/sources/nope/runs")
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_coverage_gives_the_latest_period_per_pair(client: TestClient, homicide: Any) -> None:
    body = client.get("/api/v1/coverage").json()
    regions = [region["code"] for region in body["regions"]]
    # Grouped by M49 region (Africa before Americas), then by name; areas are not rows.
    assert regions == ["GHA", "NGA", "GTM", "HND", "MEX"]
    assert body["regions"][0]["group"] == "Africa"
    assert body["indicators"] == ["homicide_rate"]
    cells = {(regions[r], body["indicators"][i]): period for r, i, period in body["cells"]}
    assert cells == {
        ("NGA", "homicide_rate"): "2020",
        ("GTM", "homicide_rate"): "2019",
        ("HND", "homicide_rate"): "2020",
        ("MEX", "homicide_rate"): "2020",
    }


def test_coverage_of_an_empty_database(client: TestClient) -> None:
    assert client.get("/api/v1/coverage").json() == {"regions": [], "indicators": [], "cells": []}
