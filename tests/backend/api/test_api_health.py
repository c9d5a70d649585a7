"""GET /api/v1/health."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from backend.app import create_app, package_version
from backend.config import Settings
from backend.users import security


def test_health_is_ok_without_demo_data(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "version": package_version(),
        "demo_data": False,
    }


def test_health_reports_demo_data(client: TestClient, make: Any, world: Any) -> None:
    make.source("demo")
    indicator = make.indicator()
    make.obs(indicator, world.mex, "2020", 1.0, is_demo=True, source_id="demo")
    assert client.get("/api/v1/health").json()["demo_data"] is True


def test_unreachable_database_is_a_503_problem(app_settings: Callable[..., Settings]) -> None:
    # Port 1 refuses connections at once: the API must answer "degraded", not crash.
    settings = app_settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/health")
        # Checking a token needs the database too, so a read with one is the 503 as well.
        token = security.new_token()  # well-formed, so it is looked up
        other = client.get("/api/v1/regions", headers={"Authorization": f"Bearer {token}"})
    assert (other.status_code, other.json()["type"]) == (
        503,
        "urn:tocsin:problem:database-unavailable",
    )
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["title"]) == (503, "Service unavailable")
    assert body["health"] == {
        "status": "degraded",
        "database": "unreachable",
        "version": package_version(),
        "demo_data": None,
    }
