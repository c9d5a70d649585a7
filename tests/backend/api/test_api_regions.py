"""GET /api/v1/regions and /api/v1/regions/{code}."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("", ["GHA", "GTM", "HND", "HND_X", "M49_001", "M49_002", "M49_013", "M49_019",
              "M49_202", "M49_419", "MEX", "NGA"]),
        ("?level=country", ["GHA", "GTM", "HND", "MEX", "NGA"]),
        ("?level=subregion", ["M49_202", "M49_419"]),
        ("?parent=M49_013", ["GTM", "HND", "MEX"]),
        ("?parent=m49_001", ["M49_002", "M49_019"]),
        ("?level=country&within=M49_002", ["GHA", "NGA"]),
        ("?within=M49_019", ["GTM", "HND", "M49_013", "M49_419", "MEX"]),
        ("?parent=XYZ", []),
    ],
)  # fmt: skip
def test_list_filters(client: TestClient, world: Any, query: str, codes: list[str]) -> None:
    body = client.get(f"/api/v1/regions{query}").json()
    assert [item["code"] for item in body["items"]] == codes
    assert body["total"] == len(codes)


def test_region_carries_its_m49_hierarchy(client: TestClient, world: Any) -> None:
    response = client.get("/api/v1/regions/hnd")
    assert response.status_code == 200
    assert response.json() == {
        "code": "HND", "m49": 340, "name": "Honduras", "level": "country",
        "parent": "M49_013", "parent_name": "Central America",
        "region": "M49_019", "region_name": "Americas",
        "subregion": "M49_419", "subregion_name": "Latin America and the Caribbean",
        "intermediate": "M49_013", "intermediate_name": "Central America",
        "iso2": None, "sids": False, "ldc": False, "lldc": False, "lat": 15.2, "lon": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/regions/ZZZ", 404),
        ("/api/v1/regions?level=planet", 422),
        ("/api/v1/regions?colour=red", 422),
        ("/api/v1/regions?parent=%00", 422),
    ],
)
def test_bad_requests_are_problems(client: TestClient, world: Any, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
