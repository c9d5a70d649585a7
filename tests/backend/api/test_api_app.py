"""The application shell: OpenAPI, problem details, headers, CORS and offline docs."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.app import create_app, package_version
from backend.config import Settings
from backend.errors import Conflict


@pytest.fixture
def bare(app_settings: Callable[..., Settings]) -> TestClient:
    """A client of an app on an unused database, for tests that never reach it."""
    return TestClient(create_app(app_settings()), raise_server_exceptions=False)


def test_openapi_documents_every_route(bare: TestClient) -> None:
    schema = bare.get("/openapi.json").json()
    assert (schema["info"]["title"], schema["info"]["version"]) == ("Tocsin API", package_version())
    operations = [(path, op) for path, item in schema["paths"].items() for op in item.values()]
    assert {path for path, _ in operations} >= {
        "/api/v1/health", "/api/v1/regions", "/api/v1/regions/{code}", "/api/v1/indicators",
        "/api/v1/heatmap", "/api/v1/observations", "/api/v1/alerts", "/api/v1/alerts/{alert_id}",
    }  # fmt: skip
    for path, op in operations:
        assert path.startswith("/api/v1/")
        assert op.get("summary") and op.get("description"), path
        assert op.get("tags"), path
        assert "HTTPValidationError" not in str(op["responses"]), path


def test_every_schema_field_is_described(bare: TestClient) -> None:
    schemas = bare.get("/openapi.json").json()["components"]["schemas"]
    undocumented = [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, prop in schema.get("properties", {}).items()
        if not prop.get("description") and "$ref" not in prop
    ]
    assert undocumented == []


def test_security_headers(bare: TestClient) -> None:
    headers = bare.get("/openapi.json").headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in headers["content-security-policy"]


def test_docs_are_served_offline(bare: TestClient) -> None:
    page = bare.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert bare.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert bare.get("/redoc").status_code == 404


def test_an_app_is_freed_when_dropped(app_settings: Callable[..., Settings]) -> None:
    # FastAPI caches endpoint and dependency functions process-wide; a closure over the app
    # among them kept every app alive (hundreds in this suite, and seconds-long GC pauses).
    def serve_and_drop() -> weakref.ref[FastAPI]:
        app = create_app(app_settings())
        with TestClient(app) as client:
            assert client.get("/docs").status_code == 200
            assert client.get("/api/v1/health").status_code in (200, 503)
        app.state.context.dispose()
        return weakref.ref(app)

    dropped = serve_and_drop()
    gc.collect()
    assert dropped() is None


def test_cors_allows_configured_origins(app_settings: Callable[..., Settings]) -> None:
    app = create_app(app_settings(cors_origins=["http://localhost:8050"]))
    client = TestClient(app)
    allowed = client.get("/openapi.json", headers={"Origin": "http://localhost:8050"})
    other = client.get("/openapi.json", headers={"Origin": "http://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:8050"
    assert "access-control-allow-origin" not in other.headers


def _boom() -> None:
    raise RuntimeError("secret connection string postgresql://user:pw@db")


def _conflict() -> None:
    raise Conflict("Rule version 3 was saved by someone else", extra={"current_version": 4})


@pytest.mark.parametrize(
    ("handler", "status", "expected"),
    [
        (
            _boom,
            500,
            {
                "type": "urn:tocsin:problem:internal",
                "title": "Internal server error",
                "status": 500,
                "detail": "An unexpected error occurred; it has been logged.",
            },
        ),
        (
            _conflict,
            409,
            {
                "type": "urn:tocsin:problem:conflict",
                "title": "Conflict",
                "status": 409,
                "detail": "Rule version 3 was saved by someone else",
                "current_version": 4,
            },
        ),
    ],
)
def test_errors_become_problems(
    app_settings: Callable[..., Settings], handler: Any, status: int, expected: dict[str, Any]
) -> None:
    app = create_app(app_settings())
    app.add_api_route("/api/v1/test-error", handler)
    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/test-error")
    assert (response.status_code, response.headers["content-type"]) == (
        status,
        "application/problem+json",
    )
    assert response.json() == expected


@pytest.mark.parametrize(
    ("method", "url", "status", "title"),
    [("GET", "/nowhere", 404, "Not found"), ("POST", "/api/v1/health", 405, "Method not allowed")],
)
def test_http_errors_become_problems(
    bare: TestClient, method: str, url: str, status: int, title: str
) -> None:
    response = bare.request(method, url)
    assert response.status_code == status
    assert response.json()["title"] == title and response.json()["status"] == status
