"""``POST /sources/{id}/runs``: analysts queue a run for the scheduler; 202 with the request."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.users.models import AuditEntry
from tests.backend.api._people import Person, headers_for
from tests.backend.api._people import people_fixture as people  # noqa: F401

URL = "/api/v1/sources/{}/runs"


def test_a_request_waits_in_the_runs_list_and_asking_twice_gives_it_back(
    client: TestClient,
    session: Session,
    make: Any,
    people: dict[str, Person],  # noqa: F811
) -> None:
    make.source()
    analyst = headers_for(people, "analyst")
    first = client.post(URL.format("worldbank_homicide"), headers=analyst)
    assert first.status_code == 202, first.text
    request = first.json()
    assert (request["status"], request["trigger"], request["finished_at"]) == (
        "requested", "manual", None,
    )  # fmt: skip
    again = client.post(URL.format("worldbank_homicide"), headers=analyst).json()
    assert again["id"] == request["id"]
    listed = client.get(URL.format("worldbank_homicide"), headers=headers_for(people, "viewer"))
    assert [(r["id"], r["status"]) for r in listed.json()["items"]] == [
        (request["id"], "requested")
    ]
    audits = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "source.run_requested")
    ).all()
    assert [(a.actor, a.entity_id) for a in audits] == [("analyst1", "worldbank_homicide")]


def test_requests_are_for_analysts_known_sources_and_fetchable_ones(
    client: TestClient,
    make: Any,
    people: dict[str, Person],  # noqa: F811
) -> None:
    make.source()
    make.source("csv_upload")
    viewer = client.post(URL.format("worldbank_homicide"), headers=headers_for(people, "viewer"))
    assert viewer.status_code == 403
    analyst = headers_for(people, "analyst")
    assert client.post(URL.format("nope"), headers=analyst).status_code == 404
    upload = client.post(URL.format("csv_upload"), headers=analyst)
    assert upload.status_code == 422 and "/api/v1/uploads" in upload.json()["detail"]
