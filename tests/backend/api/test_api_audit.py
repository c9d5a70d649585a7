"""GET /audit: administrators read every write, who made it and when; nobody else does."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.backend.api._people import Person, client_fixture, people_fixture  # noqa: F401

URL = "/api/v1/audit"
PASSWORD = "a long enough password"


def _create_user(client: TestClient, admin: Person, username: str) -> None:
    body = {"username": username, "password": PASSWORD, "role": "viewer"}
    answer = client.post("/api/v1/users", json=body, headers=admin.headers())
    assert answer.status_code == 201, answer.text


def test_an_admin_reads_the_writes_newest_first_without_secrets(
    client: TestClient, people: dict[str, Person]
) -> None:
    admin = people["admin"]
    _create_user(client, admin, "vera")
    _create_user(client, admin, "victor")
    answer = client.get(URL, params={"action": "user.create"}, headers=admin.headers())
    created = [item for item in answer.json()["items"] if item["actor"] == "admin1"]
    assert [item["entity"] for item in created] == ["user", "user"]
    assert created[0]["id"] > created[1]["id"]  # newest first
    assert created[0]["after"]["username"] == "victor"
    assert PASSWORD not in answer.text and "$argon2" not in answer.text


def test_filters_window_and_pages(client: TestClient, people: dict[str, Person]) -> None:
    admin = people["admin"]
    for n in range(3):
        _create_user(client, admin, f"user{n}")
    headers = admin.headers()
    mine = {"actor": "admin1", "action": "user.create", "page_size": 2}
    first = client.get(URL, params=mine, headers=headers).json()
    second = client.get(URL, params={**mine, "page": 2}, headers=headers).json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert client.get(URL, params={**mine, "since": later}, headers=headers).json()["total"] == 0
    assert client.get(URL, params={**mine, "until": later}, headers=headers).json()["total"] == 3
    assert client.get(URL, params={"bogus": 1}, headers=headers).status_code == 422


def test_the_whole_log_downloads_as_csv(client: TestClient, people: dict[str, Person]) -> None:
    admin = people["admin"]
    _create_user(client, admin, "carla")
    answer = client.get(URL, params={"format": "csv", "actor": "admin1"}, headers=admin.headers())
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["action"] for row in rows] == ["user.create"]


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("analyst", 403), ("admin", 200)])
def test_only_admins_read_it(
    client: TestClient, people: dict[str, Person], role: str, status: int
) -> None:
    assert client.get(URL, headers=people[role].headers()).status_code == status
    assert client.get(URL).status_code == 401
