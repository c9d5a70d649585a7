"""``POST /uploads``: an analyst's CSV runs through the csv_upload ingest, like the CLI.

The ingest job commits on its own, so these tests use their own migrated database (SQLite
and PostgreSQL) instead of the rolled-back test session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend import migrate
from backend.app import create_app
from backend.config import Environment, Settings
from backend.db import transaction
from backend.observations.models import Observation
from backend.sources.models import Indicator, IngestRun
from backend.uploads import service as uploads
from backend.users.models import AuditEntry
from tests.backend.api._people import add_people, headers_for, use_cheap_hasher

URL = "/api/v1/uploads"
GOOD = (
    b"region,indicator,period,value,unit,note\n"
    b'JAM,homicide_rate,2023,12.3,"per 100,000 population",x\n'
    b"ECU,port_cocaine_seizures_t,2024Q1,10.5,tonnes,own series\n"
    b"Atlantis,homicide_rate,2023,1.0,,no such country\n"
)


@pytest.fixture
def app_client(
    blank_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """Yield a client (signed in as an analyst) of an app on its own migrated database,
    and a viewer's headers."""
    migrate.upgrade(blank_database_url)
    settings = Settings(
        env=Environment.test, database_url=blank_database_url, data_dir=tmp_path / "data"
    )
    app = create_app(settings)
    use_cheap_hasher(monkeypatch)
    with TestClient(app) as client, transaction(app.state.context.sessions) as session:
        people = add_people(session)
        client.headers.update(headers_for(people, "analyst"))
        viewer = headers_for(people, "viewer")
        session.commit()
        yield client, viewer


def test_upload_loads_rows_quarantines_bad_ones_and_is_audited(
    app_client: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = app_client
    answer = client.post(URL, files={"file": ("mine.csv", GOOD, "text/csv")})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "succeeded" and body["filename"] == "mine.csv"
    assert body["counts"]["read"] == 3 and body["counts"]["inserted"] == 2
    assert body["counts"]["quarantined"] == 1
    context = client.app.state.context  # type: ignore[attr-defined]
    with transaction(context.sessions) as session:
        run = session.get(IngestRun, body["run_id"])
        assert run is not None and (run.source_id, run.trigger) == ("csv_upload", "upload")
        codes = set(session.scalars(select(Indicator.code)))
        assert "port_cocaine_seizures_t" in codes
        assert session.scalars(select(Observation).where(Observation.run_id == run.id)).all()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "upload.csv")).one()
        assert (entry.actor, entry.entity_id) == ("analyst1", str(run.id))
    again = client.post(URL, files={"file": ("mine.csv", GOOD, "text/csv")}).json()
    assert again["replay_of"] == body["run_id"] and again["counts"]["inserted"] == 0


def test_refused_file_is_422_with_the_parsers_reason_and_viewers_are_403(
    app_client: tuple[TestClient, dict[str, str]],
) -> None:
    client, viewer_headers = app_client
    answer = client.post(URL, files={"file": ("x.csv", b"region;indicator;period;value\n")})
    assert answer.status_code == 422
    problem = answer.json()
    assert "comma-separated" in problem["detail"]
    viewer = client.post(URL, files={"file": ("x.csv", GOOD)}, headers=viewer_headers)
    assert viewer.status_code == 403


def test_files_over_the_limit_are_413(
    app_client: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = app_client
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 100)
    answer = client.post(URL, files={"file": ("big.csv", GOOD * 2)})
    assert answer.status_code == 413
    assert answer.json()["title"] == "Content too large"
