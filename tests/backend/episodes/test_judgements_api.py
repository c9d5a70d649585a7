"""Analysts' judgements per region over the API: history newest first, adding one, audit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.users.models import AuditEntry

# client and people are fixtures, found by pytest in this module's namespace.
from tests.backend.api._people import Person, client_fixture, people_fixture  # noqa: F401

URL = "/api/v1/regions/{code}/judgements"


def _judge(client: TestClient, who: Person, body: dict[str, Any], code: str = "MEX") -> Any:
    return client.post(URL.format(code=code), json=body, headers=who.headers())


def test_history_is_newest_first_and_audited(
    client: TestClient, session: Session, people: dict[str, Person], geography: dict[str, int]
) -> None:
    analyst = people["analyst"]
    first = _judge(client, analyst, {"verdict": "deteriorated", "text": "Cartel war spreads."})
    assert first.status_code == 201, first.text
    assert (first.json()["region"], first.json()["author"]) == ("MEX", "analyst1")
    _judge(client, analyst, {"verdict": "unchanged", "text": "Still high."}, code="mex")
    _judge(client, analyst, {"verdict": "improved", "text": "Fewer killings."}, code="HND")
    history = client.get(URL.format(code="MEX"), headers=people["viewer"].headers()).json()
    assert history["total"] == 2
    assert [j["verdict"] for j in history["items"]] == ["unchanged", "deteriorated"]
    download = client.get(URL.format(code="MEX"), params={"format": "csv"},
                          headers=people["viewer"].headers())  # fmt: skip
    assert [line.split(",")[2] for line in download.text.splitlines()] == [
        "verdict", "unchanged", "deteriorated"
    ]  # fmt: skip
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "judgement.create"))
    assert [e.after["region"] for e in entries if e.after] == ["MEX", "MEX", "HND"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"verdict": "worse", "text": "x"}, 422),
        ({"verdict": "improved", "text": ""}, 422),
        ({"verdict": "improved", "text": "x" * 5001}, 422),
        ({"verdict": "improved", "text": "x" * 5000}, 201),
        ({"verdict": "improved", "text": "x", "author": "me"}, 422),
    ],
)
def test_verdict_and_text_are_checked(
    client: TestClient, people: dict[str, Person], geography: dict[str, int],
    body: dict[str, Any], status: int,
) -> None:  # fmt: skip
    assert _judge(client, people["analyst"], body).status_code == status


def test_unknown_region_and_roles(
    client: TestClient, people: dict[str, Person], geography: dict[str, int]
) -> None:
    body = {"verdict": "improved", "text": "x"}
    assert _judge(client, people["analyst"], body, code="XXX").status_code == 404
    viewer = people["viewer"].headers()
    assert client.get(URL.format(code="XXX"), headers=viewer).status_code == 404
    assert _judge(client, people["viewer"], body).status_code == 403
    assert client.post(URL.format(code="MEX"), json=body).status_code == 401
