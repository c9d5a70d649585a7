"""Every list answers CSV with ``format=csv`` or ``Accept: text/csv``: all rows, safe cells."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend import csvlist
from backend.documents.models import Document, DocumentTag
from backend.sources.models import IngestRun
from tests.backend.api._people import Person, headers_for
from tests.backend.api._people import people_fixture as people  # noqa: F401


def rows(answer: Any) -> list[dict[str, str]]:
    """Parse a CSV answer, checking it is one."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith('attachment; filename="tocsin-')
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_alerts_csv_holds_every_page_of_the_filtered_rows_with_safe_cells(
    client: TestClient, make: Any, world: Any, people: dict[str, Person],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(csvlist, "CSV_PAGE_SIZE", 2)
    ids = [make.alert(world.hnd, n, explanation=f"=HYPERLINK({n})").id for n in range(1, 6)]
    make.alert(world.mex, 6, state="resolved")
    params = {"state": "firing", "page_size": 1, "format": "csv"}
    got = rows(client.get("/api/v1/alerts", params=params, headers=headers_for(people, "viewer")))
    assert [r["id"] for r in got] == [str(i) for i in reversed(ids)]  # newest first, 3 pages
    assert got[0]["explanation"] == "'=HYPERLINK(5)"
    assert got[0]["region_name"] == "Honduras" and got[0]["is_demo"] == "false"


def test_accept_header_asks_for_csv_too(
    client: TestClient,
    make: Any,
    world: Any,
    people: dict[str, Person],  # noqa: F811
) -> None:
    make.alert(world.hnd, 1)
    headers = {**headers_for(people, "viewer"), "Accept": "text/csv"}
    got = rows(client.get("/api/v1/alerts", headers=headers))
    assert [r["region"] for r in got] == ["HND"]


def test_empty_list_still_has_its_header_row(client: TestClient) -> None:
    answer = client.get("/api/v1/documents", params={"format": "csv"})
    assert rows(answer) == []
    assert answer.text.splitlines()[0].startswith("id,symbol,kind,date,title,url")
    assert "tags.regions,tags.themes" in answer.text.splitlines()[0]


def test_documents_csv_flattens_tags_as_json_lists(
    client: TestClient, make: Any, world: Any
) -> None:
    make.source("unsc")
    doc = Document(symbol="S/PV.1", kind="meeting", title="+cmd|' /C calc'!A0", source_id="unsc")
    doc.tags.extend([DocumentTag(kind="region", value="HND"), DocumentTag(kind="theme", value="x")])
    make.add(doc)
    [got] = rows(client.get("/api/v1/documents", params={"format": "csv", "region": "HND"}))
    assert got["title"] == "'+cmd|' /C calc'!A0"
    assert (got["tags.regions"], got["tags.themes"], got["date"]) == ('["HND"]', '["x"]', "")


def test_regions_indicators_and_series_answer_csv(
    client: TestClient, world: Any, homicide: Any
) -> None:
    regions = rows(client.get("/api/v1/regions", params={"format": "csv", "level": "country"}))
    assert {r["code"] for r in regions} == {"GTM", "HND", "MEX", "GHA", "NGA"}
    indicators = rows(client.get("/api/v1/indicators", params={"format": "csv"}))
    assert [i["code"] for i in indicators] == ["homicide_rate"]
    params = {"format": "csv", "region": "HND", "indicator": "homicide_rate", "vintages": True}
    series = rows(client.get("/api/v1/observations", params=params))
    assert [(s["period"], s["value"], s["is_latest"]) for s in series] == [
        ("2019", "50.0", "false"), ("2019", "40.0", "true"),
        ("2020", "38.0", "false"), ("2020", "36.0", "true"),
    ]  # fmt: skip


def test_source_runs_csv_and_problems_stay_problems(client: TestClient, make: Any) -> None:
    make.source()
    started = datetime(2024, 7, 1, tzinfo=UTC)
    for status, error in (("succeeded", None), ("failed", "HTTP 503")):
        make.add(IngestRun(source_id="worldbank_homicide", started_at=started, status=status,
                           rows_read=3, error=error))  # fmt: skip
    got = rows(client.get("/api/v1/sources/worldbank_homicide/runs", params={"format": "csv"}))
    assert sorted((r["status"], r["counts.read"], r["error"]) for r in got) == [
        ("failed", "3", "HTTP 503"), ("succeeded", "3", ""),
    ]  # fmt: skip
    missing = client.get("/api/v1/sources/nope/runs", params={"format": "csv"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    bad = client.get("/api/v1/alerts", params={"format": "xml"})
    assert bad.status_code == 422
