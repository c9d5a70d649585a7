"""Snapshots over HTTP: create (analyst), list, read with summary, diff, and file downloads."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.config import Environment, Settings
from backend.snapshots.models import SnapshotFile
from tests.backend.api._people import (
    Person,
    add_people,
    headers_for,
    serve_session,
    use_cheap_hasher,
)
from tests.backend.snapshots.factory import at, build_2023

URL = "/api/v1/snapshots"


@pytest.fixture
def people(session: Session, monkeypatch: pytest.MonkeyPatch) -> dict[str, Person]:
    """Insert viewer1, analyst1 and admin1."""
    use_cheap_hasher(monkeypatch)
    return add_people(session)


@pytest.fixture
def client(session: Session, tmp_path: Path) -> Iterator[TestClient]:
    """Yield a client on the test session whose exports go to a temporary data folder."""
    settings = Settings(
        env=Environment.test,
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        data_dir=tmp_path / "data",
        snapshot_classification="OFFICIAL USE",
    )
    app = create_app(settings)

    serve_session(app, session)
    with TestClient(app) as test_client:
        yield test_client


def _create(client: TestClient, people: dict[str, Person], quarter: str) -> dict[str, object]:
    answer = client.post(URL, json={"quarter": quarter}, headers=headers_for(people, "analyst"))
    assert answer.status_code == 201, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_create_answers_counts_files_and_the_default_marking(
    session: Session, client: TestClient, people: dict[str, Person]
) -> None:
    world = build_2023(session)
    world.alert("SQA", "2022", at(2023, 11, 5), severity="critical")
    world.document("S/PV.9999", date(2023, 12, 1), "SQA")
    body = _create(client, people, "2023q4")
    assert body["quarter"] == "2023Q4" and body["created_by"] == "analyst1"
    assert body["classification"] == "OFFICIAL USE"
    counts = body["counts"]
    assert isinstance(counts, dict)
    assert counts["alerts"] == 1 and counts["documents"] == 1
    assert counts["observations"] >= 9 and counts["regions"] >= 3
    assert body["files"] == [
        {"format": f, "sha256": None, "url": f"{URL}/{body['id']}/files/{f}"}
        for f in ("pdf", "xlsx", "csv", "zip")
    ]


@pytest.mark.parametrize(
    ("role", "body", "status"),
    [
        ("viewer", {"quarter": "2023Q4"}, 403),
        ("analyst", {"quarter": "2023Q5"}, 422),
        ("analyst", {"quarter": "2999Q1"}, 422),
        ("analyst", {"quarter": "2023Q4", "extra": 1}, 422),
    ],
)
def test_create_refuses_viewers_and_bad_or_unstarted_quarters(
    client: TestClient, people: dict[str, Person], role: str, body: dict[str, object], status: int
) -> None:
    answer = client.post(URL, json=body, headers=headers_for(people, role))
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"


def test_list_is_newest_first_filtered_and_paged(
    session: Session, client: TestClient, people: dict[str, Person]
) -> None:
    build_2023(session)
    ids = [_create(client, people, q)["id"] for q in ("2023Q3", "2023Q4", "2023Q4")]
    viewer = headers_for(people, "viewer")
    page = client.get(URL, params={"page_size": 2}, headers=viewer).json()
    assert [i["id"] for i in page["items"]] == [ids[2], ids[1]] and page["total"] == 3
    only = client.get(URL, params={"quarter": "2023Q3"}, headers=viewer).json()
    assert [i["id"] for i in only["items"]] == [ids[0]]


def test_detail_has_the_summary_and_diff_the_changes(
    session: Session, client: TestClient, people: dict[str, Person]
) -> None:
    world = build_2023(session)
    world.alert("SQC", "2021", at(2023, 8, 1))
    _create(client, people, "2023Q3")
    world.alert("SQA", "2022", at(2023, 11, 5), severity="critical")
    snap_id = _create(client, people, "2023Q4")["id"]
    viewer = headers_for(people, "viewer")
    detail = client.get(f"{URL}/{snap_id}", headers=viewer).json()
    summary = detail["summary"]
    assert summary["alerts_raised"] == 1 and summary["alerts_active"] == 2
    assert summary["paragraphs"][0].startswith("During the quarter the rules raised 1 alert")
    assert next(m["region"] for m in summary["movers"] if m["region"].startswith("SQ")) == "SQA"
    diff = client.get(f"{URL}/{snap_id}/diff", headers=viewer).json()
    assert diff["previous_quarter"] == "2023Q3"
    assert [(a["region"], a["severity"]) for a in diff["new"]] == [("SQA", "critical")]
    assert diff["summary"].startswith("Compared with the snapshot of 2023Q3: 1 new alert")
    assert client.get(f"{URL}/999999/diff", headers=viewer).status_code == 404


def test_files_are_exported_once_then_served_with_their_hash(
    session: Session, client: TestClient, people: dict[str, Person], tmp_path: Path
) -> None:
    build_2023(session)
    snap_id = _create(client, people, "2023Q4")["id"]
    viewer = headers_for(people, "viewer")
    first = client.get(f"{URL}/{snap_id}/files/xlsx", headers=viewer)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = first.headers["content-disposition"]
    assert disposition == f'attachment; filename="tocsin-2023Q4-{snap_id}.xlsx"'
    sheet = load_workbook(io.BytesIO(first.content)).worksheets[0]
    assert sheet.max_row >= 1
    again = client.get(f"{URL}/{snap_id}/files/xlsx", headers=viewer)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    stmt = select(func.count()).select_from(SnapshotFile).where(SnapshotFile.format == "xlsx")
    assert session.scalar(stmt) == 1
    assert (tmp_path / "data" / "snapshots" / f"tocsin-2023Q4-{snap_id}.xlsx").is_file()
    sha = first.headers["etag"].strip('"')
    listed = client.get(f"{URL}/{snap_id}", headers=viewer).json()["files"]
    assert {f["format"]: f["sha256"] for f in listed}["xlsx"] == sha
    unchanged = {**viewer, "If-None-Match": first.headers["etag"]}
    assert client.get(f"{URL}/{snap_id}/files/xlsx", headers=unchanged).status_code == 304


def test_csv_export_is_a_zip_of_tables_and_unknown_formats_are_422(
    session: Session, client: TestClient, people: dict[str, Person]
) -> None:
    build_2023(session)
    snap_id = _create(client, people, "2023Q4")["id"]
    viewer = headers_for(people, "viewer")
    answer = client.get(f"{URL}/{snap_id}/files/csv", headers=viewer)
    assert answer.headers["content-type"] == "application/zip"
    assert f'filename="tocsin-2023Q4-{snap_id}-csv.zip"' in answer.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert "manifest.json" in names and any(n.endswith(".csv") for n in names)
    assert client.get(f"{URL}/{snap_id}/files/doc", headers=viewer).status_code == 422


def test_list_downloads_as_csv(
    session: Session, client: TestClient, people: dict[str, Person]
) -> None:
    build_2023(session)
    snap_id = _create(client, people, "2023Q4")["id"]
    answer = client.get(URL, params={"format": "csv"}, headers=headers_for(people, "viewer"))
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["id"], r["quarter"], r["counts.alerts"]) for r in rows] == [
        (str(snap_id), "2023Q4", "0")
    ]
