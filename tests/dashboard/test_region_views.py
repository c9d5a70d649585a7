"""Region page views and callbacks with a fake API client (no HTTP, no browser)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dashboard import api_client, ids
from dashboard.api_client import ApiError
from dashboard.app import create_app
from dashboard.pages import region

API = "http://api.test"
GNB = {
    "code": "GNB",
    "name": "Guinea-Bissau",
    "region_name": "Africa",
    "subregion_name": "Sub-Saharan Africa",
    "intermediate_name": "Western Africa",
    "ldc": True,
}


def catalogue() -> list[dict[str, Any]]:
    codes = ["homicide_rate", "seizures_cocaine_kg", "gdelt_crime_events", "empty_one"]
    return [{"code": c, "name": c, "unit": "u", "periods": [] if c == "empty_one" else ["2020"]}
            for c in codes]  # fmt: skip


def one_series(*, region: str, indicator: str, vintages: bool = True) -> dict[str, Any]:
    period = "2024-01-01" if indicator.startswith("gdelt") else "2020"
    item = {"period": period, "value": 5.0, "is_latest": True, "vintage": "2024-06-30",
            "source": "demo", "is_demo": True}  # fmt: skip
    return {"indicator": {"code": indicator, "name": indicator, "unit": "u"}, "items": [item]}


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Install a working fake API, then let a test replace some functions."""
    defaults: dict[str, Callable[..., Any]] = {
        "region": lambda _url, _code: GNB,
        "indicators": lambda _url: catalogue(),
        "series": lambda _url, **kw: one_series(**kw),
        "alerts": lambda _url, **_kw: {"items": [], "total": 0},
        "documents": lambda _url, **_kw: {"items": [], "total": 0},
        "sources": lambda _url: [{"id": "demo", "last_run": {"status": "succeeded",
                                  "finished_at": "2024-07-01T00:00:00Z"}}],
    }  # fmt: skip

    def install(**fakes: Callable[..., Any]) -> None:
        for name, fake in (defaults | fakes).items():
            monkeypatch.setattr(api_client, name, fake)

    install()
    return install


def text(component: Any) -> str:
    """Flatten a Dash component tree into its visible text."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text(child) for child in component)
    return text(getattr(component, "children", None))


def test_region_view_splits_series_into_panels(fake_api: Callable[..., None]) -> None:
    view = region.region_view(API, "GNB")
    assert view.message == ""
    assert "Guinea-Bissau" in text(view.header) and "Western Africa" in text(view.header)
    assert "LDC" in text(view.header)
    # Main figure: homicide only, plus the Council lane; seizures and GDELT have panels.
    names = {t.name for t in view.figure.data}
    assert "homicide_rate" in names and "seizures_cocaine_kg" not in names
    assert view.seizures.figure.data[0].name == "cocaine"
    assert len(view.gdelt.figure.data) == 1
    assert "tocsin ingest run unsc_meetings" in text(view.documents)
    assert "2024-07-01" in text(view.provenance)


def test_documents_link_to_undocs(fake_api: Callable[..., None]) -> None:
    doc = {"symbol": "S/PV.9000", "kind": "meeting", "date": "2022-03-01", "title": "GNB",
           "tags": {"regions": ["GNB"], "themes": ["drugs"]}}  # fmt: skip
    fake_api(documents=lambda _url, **_kw: {"items": [doc], "total": 1})
    table = region.region_view(API, "GNB").documents
    link = table.children.children[1].children[0].children[1].children
    assert link.href == "https://undocs.org/en/S/PV.9000" and link.target == "_blank"


def test_empty_panels_say_what_to_do(fake_api: Callable[..., None]) -> None:
    fake_api(series=lambda _url, **kw: {"indicator": {}, "items": []})
    view = region.region_view(API, "GNB")
    assert "tocsin demo load" in text(view.provenance)
    assert "unodc_seizures" in text(view.seizures) and "gdelt" in text(view.gdelt)


def test_unknown_region_is_a_message(fake_api: Callable[..., None]) -> None:
    def missing(_url: str, code: str) -> Any:
        raise ApiError(f"API error 404: No region with code '{code}'", status=404)

    fake_api(region=missing)
    view = region.region_view(API, "ZZZ")
    assert "404" in view.message and "Overview map" in view.message
    assert view.outputs()[2] is False  # the message is shown


def test_a_failing_documents_call_keeps_the_rest(fake_api: Callable[..., None]) -> None:
    def down(_url: str, **_kw: Any) -> Any:
        raise ApiError("API error 500: boom", status=500)

    fake_api(documents=down)
    view = region.region_view(API, "GNB")
    assert "Security Council documents: API error 500" in view.message
    assert "could not be loaded" in text(view.documents)
    assert view.seizures.figure.data


def test_lane_click_gives_the_document_link() -> None:
    click = {"points": [{"customdata": "S/RES/2700 (2023)"}]}
    link = region.lane_link(click)[1]
    assert link.href == "https://undocs.org/en/S/RES/2700 (2023)"
    assert region.lane_link({"points": [{"y": 3}]}) == ""


@pytest.mark.parametrize(
    ("click", "expected"),
    [({"points": [{"location": "BRA"}]}, "/region/BRA"),
     ({"points": [{"customdata": "TTO"}]}, "/region/TTO"),
     ({"points": [{"customdata": None}]}, None), (None, None),
     ({"points": [{"location": "javascript:x"}]}, None)],
)  # fmt: skip
def test_map_clicks_drill_down_to_a_country(click: Any, expected: str | None) -> None:
    assert region.region_href(click) == expected


def test_region_page_is_registered_with_its_callbacks() -> None:
    app = create_app(api_url=API)
    outputs = " ".join(app.callback_map)
    for component in (ids.REGION_SERIES, ids.REGION_DOC_LINK, ids.COVERAGE, ids.SOURCES_LIST):
        assert component in outputs
    assert f"{ids.OVERVIEW_NAV}.pathname" in outputs  # the map's drill-down
