"""Reads are closed: every GET of the API answers 401 without a token, and a viewer reads.

The routes are taken from the app's own OpenAPI document, so a read added later without
the gate fails here. Only health and readiness stay open (load balancers, monitoring).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.backend.api._people import Person, client_fixture, people_fixture  # noqa: F401

OPEN_READS = {"/api/v1/health", "/api/v1/ready"}
NEVER_ENDS = {"/api/v1/stream"}  # a viewer's stream would not end; its 401 is checked below
# Reads of people and the audit log: admins (and a user's own subscriptions) only.
ADMIN_READS = ("/api/v1/users", "/api/v1/notifications/subscriptions", "/api/v1/audit")


def _reads(client: TestClient) -> list[str]:
    """Return every GET path of the OpenAPI document, parameters filled with "1"."""
    paths: dict[str, Any] = client.get("/openapi.json").json()["paths"]
    return sorted(
        re.sub(r"\{[^}]+\}", "1", path).replace("/files/1", "/files/pdf")
        for path, operations in paths.items()
        if "get" in operations and path not in OPEN_READS
    )


def test_every_read_but_health_needs_a_token(client: TestClient) -> None:
    reads = _reads(client)
    assert len(reads) > 20, "the OpenAPI document lists the API's reads"
    answers = {path: client.get(path).status_code for path in reads}
    assert {path: status for path, status in answers.items() if status != 401} == {}
    problem = client.get("/api/v1/regions")
    assert problem.headers["content-type"].startswith("application/problem+json")


def test_health_stays_open(client: TestClient) -> None:
    assert client.get("/api/v1/health").status_code == 200


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_every_role_reads(client: TestClient, people: dict[str, Person], role: str) -> None:
    headers = people[role].headers()
    refused = {
        path: status
        for path in _reads(client)
        if path not in NEVER_ENDS
        and (status := client.get(path, headers=headers).status_code) in (401, 403)
        and not path.startswith(ADMIN_READS)
    }
    assert refused == {}
