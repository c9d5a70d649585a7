"""GET /api/v1/documents: Security Council documents filtered by tag, kind and date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.documents.models import Document, DocumentTag


@pytest.fixture
def documents(make: Any) -> list[Document]:
    """Insert four documents: three about GNB (one undated) and an MLI press statement."""
    make.source("unsc_meetings")
    rows = [
        ("S/PV.9000", "meeting", date(2022, 3, 1), [("region", "GNB"), ("theme", "drugs")]),
        ("S/RES/2700 (2023)", "resolution", date(2023, 5, 2), [("region", "GNB")]),
        ("SC/15000", "press", date(2023, 8, 9), [("region", "MLI"), ("theme", "drugs")]),
        ("S/PV.8000", "meeting", None, [("region", "GNB")]),
    ]
    made = []
    for symbol, kind, when, tags in rows:
        document = Document(
            symbol=symbol, kind=kind, date=when, title=f"Title of {symbol}",
            url=f"https://undocs.org/en/{symbol}", source_id="unsc_meetings",
        )  # fmt: skip
        document.tags = [DocumentTag(kind=k, value=v) for k, v in tags]
        made.append(make.add(document))
    return made


def symbols(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/documents{query}")
    assert response.status_code == 200, response.text
    return [item["symbol"] for item in response.json()["items"]]


def test_documents_are_listed_newest_first_with_undated_last(
    client: TestClient, documents: list[Document]
) -> None:
    assert symbols(client) == ["SC/15000", "S/RES/2700 (2023)", "S/PV.9000", "S/PV.8000"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?region=GNB", ["S/RES/2700 (2023)", "S/PV.9000", "S/PV.8000"]),
        ("?region=gnb&kind=meeting", ["S/PV.9000", "S/PV.8000"]),
        ("?theme=drugs", ["SC/15000", "S/PV.9000"]),
        ("?date_from=2023-01-01", ["SC/15000", "S/RES/2700 (2023)"]),
        ("?date_to=2023-05-02&region=GNB", ["S/RES/2700 (2023)", "S/PV.9000"]),
        ("?region=XYZ", []),
    ],
)
def test_documents_filter(
    client: TestClient, documents: list[Document], query: str, expected: list[str]
) -> None:
    assert symbols(client, query) == expected


def test_a_document_carries_its_tags_and_link(
    client: TestClient, documents: list[Document]
) -> None:
    body = client.get("/api/v1/documents?kind=meeting&date_from=2022-01-01").json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["tags"] == {"regions": ["GNB"], "themes": ["drugs"]}
    assert item["date"] == "2022-03-01"
    assert item["url"] == "https://undocs.org/en/S/PV.9000"
    assert item["source"] == "unsc_meetings"


def test_documents_are_paged(client: TestClient, documents: list[Document]) -> None:
    body = client.get("/api/v1/documents?page=2&page_size=3").json()
    assert (body["total"], body["page"], body["page_size"]) == (4, 2, 3)
    assert [item["symbol"] for item in body["items"]] == ["S/PV.8000"]


def test_no_documents_is_an_empty_page(client: TestClient) -> None:
    body = client.get("/api/v1/documents?region=GNB").json()
    assert body == {"items": [], "total": 0, "page": 1, "page_size": 100}


@pytest.mark.parametrize("query", ["?page=0", "?page_size=5000", "?kind=a%20b", "?color=red"])
def test_bad_document_queries_are_problems(client: TestClient, query: str) -> None:
    response = client.get(f"/api/v1/documents{query}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
