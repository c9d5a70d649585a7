"""GET /api/v1/indicators, /api/v1/heatmap and /api/v1/observations."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def heatmap(client: TestClient, query: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/heatmap?indicator=homicide_rate{query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def values(body: dict[str, Any]) -> dict[str, float]:
    return {item["region"]: item["value"] for item in body["items"]}


def test_indicators_list_their_span_of_periods(
    client: TestClient, homicide: Any, make: Any
) -> None:
    make.indicator("sc_meetings")
    body = client.get("/api/v1/indicators").json()
    assert body["total"] == 2
    first, second = body["items"]
    assert (first["code"], first["periods"], first["source"]) == (
        "homicide_rate",
        ["2019", "2020"],
        "unodc_cts",
    )
    assert (second["code"], second["periods"]) == ("sc_meetings", [])
    assert set(first) >= {"code", "name", "unit", "frequency", "higher_is_worse", "periods"}


def test_heatmap_defaults_to_latest_period_and_latest_vintage(
    client: TestClient, homicide: Any
) -> None:
    body = heatmap(client, "")
    assert (body["period"], body["level"], body["periods"]) == ("2020", "country", ["2019", "2020"])
    assert body["indicator"] == {
        "code": "homicide_rate", "name": "Homicide rate",
        "unit": "per 100,000 population", "higher_is_worse": True,
    }  # fmt: skip
    # HND's revised value, NGA's real value over the demo one; the area is not a country.
    assert values(body) == {"HND": 36.0, "MEX": 28.0, "NGA": 22.0}
    assert body["missing"] == [
        {"code": "GHA", "name": "Ghana"},
        {"code": "GTM", "name": "Guatemala"},
    ]
    assert body["coverage"] == {"with_data": 3, "total": 5}


def test_heatmap_default_skips_a_sparse_newest_period(
    client: TestClient, make: Any, world: Any, homicide: Any
) -> None:
    make.obs(homicide, world.mex, "2021", 30.0)  # one early reporter against four in 2020
    body = heatmap(client, "")
    assert (body["period"], body["periods"]) == ("2020", ["2019", "2020", "2021"])
    assert values(heatmap(client, "&period=2021")) == {"MEX": 30.0}


def test_heatmap_item_carries_what_hover_needs(client: TestClient, homicide: Any) -> None:
    item = heatmap(client, "")["items"][0]
    assert item == {
        "region": "HND", "name": "Honduras", "value": 36.0, "period": "2020",
        "vintage": "2024-06-30", "source": "worldbank_homicide", "is_demo": False, "coverage": None,
    }  # fmt: skip


def test_heatmap_of_an_earlier_period(client: TestClient, homicide: Any) -> None:
    body = heatmap(client, "&period=2019")
    assert values(body) == {"GTM": 10.0, "HND": 40.0}
    assert body["coverage"] == {"with_data": 2, "total": 5}


def test_heatmap_of_a_period_without_data_is_all_missing(client: TestClient, homicide: Any) -> None:
    body = heatmap(client, "&period=1990")
    assert (body["items"], len(body["missing"]), body["periods"]) == ([], 5, ["2019", "2020"])


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # LatAm: HND 36, MEX 28 (GTM missing) -> median 32 over 2 of 3; SSA: NGA 22, 1 of 2.
        ("subregion", {"M49_419": (32.0, 2, 3), "M49_202": (22.0, 1, 2)}),
        ("region", {"M49_019": (32.0, 2, 3), "M49_002": (22.0, 1, 2)}),
    ],
)
def test_heatmap_aggregates_by_median_with_coverage(
    client: TestClient, homicide: Any, level: str, expected: dict[str, tuple[float, int, int]]
) -> None:
    body = heatmap(client, f"&level={level}")
    got = {
        i["region"]: (i["value"], i["coverage"]["with_data"], i["coverage"]["total"])
        for i in body["items"]
    }
    assert got == expected
    assert body["missing"] == [] and body["coverage"] == {"with_data": 2, "total": 2}


def test_heatmap_aggregate_marks_mixed_sources_and_demo(
    client: TestClient, homicide: Any, make: Any, world: Any
) -> None:
    make.obs(homicide, world.gha, "2020", 12.0, is_demo=True, source_id="demo")
    item = next(i for i in heatmap(client, "&level=subregion")["items"] if i["region"] == "M49_202")
    assert (item["value"], item["source"], item["is_demo"]) == (
        17.0,
        "demo, worldbank_homicide",
        True,
    )


def test_heatmap_of_indicator_without_data(client: TestClient, world: Any, make: Any) -> None:
    make.indicator()
    body = heatmap(client, "")
    assert (body["period"], body["periods"], body["items"]) == (None, [], [])
    assert body["coverage"] == {"with_data": 0, "total": 5}


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/heatmap?indicator=no_such_thing", 404),
        ("/api/v1/heatmap", 422),
        ("/api/v1/heatmap?indicator=homicide_rate&period=2020-13", 422),
        ("/api/v1/heatmap?indicator=homicide_rate&level=intermediate", 422),
        ("/api/v1/heatmap?indicator=homicide_rate&colour=red", 422),
        ("/api/v1/observations?region=ZZZ&indicator=homicide_rate", 404),
        ("/api/v1/observations?region=HND&indicator=nothing", 404),
        ("/api/v1/observations?region=HND", 422),
    ],
)
def test_bad_requests_are_problems(
    client: TestClient, homicide: Any, url: str, status: int
) -> None:
    response = client.get(url)
    assert (response.status_code, response.headers["content-type"]) == (
        status,
        "application/problem+json",
    )
    assert set(response.json()) >= {"type", "title", "status", "detail"}


def test_series_shows_latest_vintage(client: TestClient, homicide: Any) -> None:
    body = client.get("/api/v1/observations?region=hnd&indicator=homicide_rate").json()
    assert body["region"] == {"code": "HND", "name": "Honduras"}
    assert [(o["period"], o["value"], o["is_latest"]) for o in body["items"]] == [
        ("2019", 40.0, True),
        ("2020", 36.0, True),
    ]
    assert (body["total"], body["vintages"]) == (2, False)


def test_series_with_every_vintage(client: TestClient, homicide: Any) -> None:
    url = "/api/v1/observations?region=HND&indicator=homicide_rate&vintages=true&period_from=2020"
    items = client.get(url).json()["items"]
    assert [(o["period"], o["vintage"], o["value"], o["is_latest"]) for o in items] == [
        ("2020", "2023-06-30", 38.0, False),
        ("2020", "2024-06-30", 36.0, True),
    ]


def test_series_prefers_real_to_demo(client: TestClient, homicide: Any) -> None:
    items = client.get("/api/v1/observations?region=NGA&indicator=homicide_rate").json()["items"]
    assert [(o["value"], o["is_demo"]) for o in items] == [(22.0, False)]
