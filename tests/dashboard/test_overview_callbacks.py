"""Overview views and callbacks with a fake API client (no HTTP, no browser)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from dash import dcc, html
from dash._utils import split_callback_id

from dashboard import api_client, ids, layout
from dashboard.api_client import ApiError
from dashboard.app import create_app
from dashboard.pages import overview

API = "http://api.test"


def indicator(code: str, periods: list[str] | None = None, name: str = "") -> dict[str, Any]:
    return {
        "code": code,
        "name": name or code.replace("_", " ").title(),
        "unit": "per 100,000 population",
        "frequency": "year",
        "higher_is_worse": True,
        "periods": periods,
    }


def heatmap(
    period: str | None = "2021", periods: tuple[str, ...] = ("2019", "2020", "2021")
) -> dict[str, Any]:
    items = [
        {"region": "HND", "name": "Honduras", "value": 35.8, "period": period, "vintage": "2023",
         "source": "demo", "is_demo": True},
        {"region": "NOR", "name": "Norway", "value": 0.5, "period": period, "vintage": "2023",
         "source": "demo", "is_demo": True},
    ]  # fmt: skip
    return {
        "indicator": {"code": "homicide_rate", "name": "Intentional homicide rate",
                      "unit": "per 100,000 population", "higher_is_worse": True},
        "period": period,
        "level": "country",
        "periods": list(periods),
        "items": items if periods else [],
        "missing": [{"region": "ATA", "name": "Antarctica"}],
        "coverage": {"with_data": 2 if periods else 0, "total": 3},
    }  # fmt: skip


def alert(n: int, severity: str = "warning") -> dict[str, Any]:
    return {
        "id": n, "rule": "homicide_surge", "rule_version": 1, "region": "HND",
        "region_name": "Honduras", "indicator": "homicide_rate", "period": "2021",
        "state": "firing", "triage": "new", "severity": severity, "value": 1234.5,
        "baseline": 20.0, "threshold": 25.0, "explanation": f"Rate rose sharply ({n}).",
        "detected_at": "2024-01-01T00:00:00Z", "is_demo": True,
    }  # fmt: skip


def failing(*_args: Any, **_kwargs: Any) -> Any:
    raise ApiError("Cannot reach the API at http://api.test: refused.")


def text_of(component: Any) -> str:
    """Flatten a Dash component tree to its words, separated by single spaces."""
    return " ".join(_words(component).split())


def _words(component: Any) -> str:
    if component is None or isinstance(component, bool):
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_words(child) for child in component)
    return _words(getattr(component, "children", None))


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Replace api_client functions by name with fakes."""

    def install(**fakes: Callable[..., Any]) -> None:
        for name, fake in fakes.items():
            monkeypatch.setattr(api_client, name, fake)

    return install


# ----------------------------------------------------------------- heat map


def test_map_view_shows_the_latest_period_by_default(fake_api: Callable[..., None]) -> None:
    calls: list[dict[str, Any]] = []

    def fake_heatmap(_url: str, **query: Any) -> dict[str, Any]:
        calls.append(query)
        return heatmap()

    fake_api(heatmap=fake_heatmap)
    view = overview.map_view(API, indicator="homicide_rate", period=None)
    assert calls == [{"indicator": "homicide_rate", "period": None}]
    assert view.message == ""
    assert view.position == 2 and view.period_label == "2021"
    assert "2 of 3 countries" in text_of(view.coverage)
    assert view.figure.data, "the figure builder drew traces"


def test_map_view_keeps_the_requested_period(fake_api: Callable[..., None]) -> None:
    fake_api(heatmap=lambda _url, **kw: heatmap(period=kw["period"]))
    view = overview.map_view(API, indicator="homicide_rate", period="2019")
    assert view.position == 0 and view.period_label == "2019"


def apply_patch(figure: dict[str, Any], patch: Any) -> dict[str, Any]:
    """Apply a dash.Patch's Assign operations to a figure dict, as the browser does."""
    for operation in patch.to_plotly_json()["operations"]:
        assert operation["operation"] == "Assign"
        *path, last = operation["location"]
        node = figure
        for step in path:
            node = node[step]
        node[last] = operation["params"]["value"]
    return figure


def test_a_period_change_patches_the_drawn_map_into_the_new_periods_map(
    fake_api: Callable[..., None],
) -> None:
    fake_api(heatmap=lambda _url, **kw: heatmap(period=kw["period"]))
    drawn = overview.map_view(API, indicator="homicide_rate", period=None).figure
    patched = overview.map_view(API, indicator="homicide_rate", period="2019", redraw=True)
    full = overview.map_view(API, indicator="homicide_rate", period="2019").figure
    assert patched.period_label == "2019" and patched.position == 0
    after = apply_patch(json.loads(drawn.to_json()), patched.figure)
    assert after == json.loads(full.to_json())
    assert "geojson" not in json.dumps(patched.figure.to_plotly_json())


def test_map_view_says_when_an_indicator_has_no_data(fake_api: Callable[..., None]) -> None:
    fake_api(heatmap=lambda _url, **_kw: heatmap(period=None, periods=()))
    view = overview.map_view(API, indicator="homicide_rate", period=None)
    assert "No data yet for Intentional homicide rate" in view.message
    assert view.outputs()[5] == 0  # slider max
    assert view.outputs()[-1] is True  # the period control is hidden


def test_map_view_shows_api_errors_as_a_message(fake_api: Callable[..., None]) -> None:
    fake_api(heatmap=failing)
    outputs = overview.map_view(API, indicator="homicide_rate", period=None).outputs()
    _figure, message, hidden, coverage, *_slider, period_hidden = outputs
    assert "Cannot reach the API" in message and hidden is False
    assert text_of(coverage) == "—" and period_hidden is True


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, {}),
        (1, {0: "p0"}),
        (3, {0: "p0", 1: "p1", 2: "p2"}),
        (31, {0: "p0", 4: "p4", 8: "p8", 12: "p12", 16: "p16", 20: "p20", 24: "p24", 30: "p30"}),
    ],
)
def test_period_marks_are_sparse_and_end_on_the_last_period(
    count: int, expected: dict[int, str]
) -> None:
    assert overview.period_marks([f"p{i}" for i in range(count)]) == expected


# ----------------------------------------------------------------- indicators


BOTH = [indicator("homicide_count", ["2000", "2020"]), indicator("homicide_rate", ["2000", "2021"])]
NO_RATE = [indicator("homicide_rate", None), indicator("sc_meetings", ["2010", "2024"])]


@pytest.mark.parametrize(
    ("current", "catalogue", "expected_value"),
    [
        (None, BOTH, "homicide_rate"),
        ("homicide_count", BOTH, None),
        ("homicide_rate", NO_RATE, "sc_meetings"),
        ("homicide_rate", NO_RATE[:1], None),
    ],
    ids=["default", "keep-current", "first-with-data", "nothing-has-data"],
)
def test_indicator_choices_pick_a_sensible_value(
    fake_api: Callable[..., None],
    current: str | None,
    catalogue: list[dict[str, Any]],
    expected_value: str | None,
) -> None:
    fake_api(indicators=lambda _url: catalogue)
    options, value, message = overview.indicator_choices(API, current)
    assert value == expected_value and message == ""
    assert [o["disabled"] for o in options] == [not i["periods"] for i in catalogue]


def test_indicator_choices_report_api_errors(fake_api: Callable[..., None]) -> None:
    fake_api(indicators=failing)
    assert overview.indicator_choices(API, "homicide_rate") == (
        [],
        None,
        "Indicators unavailable. Cannot reach the API at http://api.test: refused.",
    )


# ----------------------------------------------------------------- alerts


def fake_alerts(items: list[dict[str, Any]], total: int | None = None) -> Callable[..., Any]:
    def alerts(_url: str, *, severity: str | None = None, **_kw: Any) -> dict[str, Any]:
        chosen = [a for a in items if severity in (None, a["severity"])]
        return {"items": chosen, "total": total if severity is None and total else len(chosen)}

    return alerts


def test_alerts_view_lists_alerts_and_counts_by_severity(fake_api: Callable[..., None]) -> None:
    fake_api(alerts=fake_alerts([alert(1, "critical"), alert(2), alert(3)]))
    table, headline = overview.alerts_view(API)
    rows = table.children[1].children
    assert [row.className for row in rows] == [
        "alert-row severity-critical", "alert-row severity-warning", "alert-row severity-warning"
    ]  # fmt: skip
    assert "Rate rose sharply (1)." in text_of(rows[0]) and "1,234" in text_of(rows[0])
    assert text_of(headline).split() == [
        "3",
        "firing",
        "critical",
        "1",
        "warning",
        "2",
        "info",
        "0",
    ]


def test_alerts_view_says_when_more_alerts_fire_than_shown(fake_api: Callable[..., None]) -> None:
    fake_api(alerts=fake_alerts([alert(1)], total=120))
    table, _headline = overview.alerts_view(API)
    assert "Showing the newest 1 of 120 firing alerts." in text_of(table)


def test_alerts_view_empty_state_says_what_to_do(fake_api: Callable[..., None]) -> None:
    fake_api(alerts=fake_alerts([]))
    table, _headline = overview.alerts_view(API)
    assert text_of(table) == (
        "No firing alerts. Load data with tocsin ingest run ... or tocsin demo load ."
    )


def test_alerts_view_shows_api_errors_in_the_panel(fake_api: Callable[..., None]) -> None:
    fake_api(alerts=failing)
    table, headline = overview.alerts_view(API)
    assert "Alerts could not be loaded. Cannot reach the API" in text_of(table)
    assert text_of(headline) == "—"


@pytest.mark.parametrize(
    ("colour", "ink"), [("#e69f00", "#111111"), ("#5e3c99", "#ffffff"), ("#d55e00", "#111111")]
)
def test_chip_text_contrasts_with_its_colour(colour: str, ink: str) -> None:
    assert overview.ink_for(colour) == ink


# ----------------------------------------------------------------- shell and app


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        (lambda _url: {"status": "ok", "demo_data": True}, (False, True, "")),
        (lambda _url: {"status": "ok", "demo_data": False}, (True, True, "")),
    ],
    ids=["demo", "real"],
)
def test_demo_banner_follows_the_api(
    fake_api: Callable[..., None], health: Callable[..., Any], expected: tuple[bool, bool, str]
) -> None:
    fake_api(health=health)
    assert layout.api_banners(API) == expected


def test_an_unreachable_api_is_announced(fake_api: Callable[..., None]) -> None:
    fake_api(health=failing)
    demo_hidden, status_hidden, text = layout.api_banners(API)
    assert (demo_hidden, status_hidden) == (True, False)
    assert text.startswith("The API is unavailable: Cannot reach the API at http://api.test")


def test_create_app_wires_pages_callbacks_and_healthz() -> None:
    app = create_app(api_url=API)
    again = create_app(api_url=API)  # a second app in one process gets its own callbacks
    for built in (app, again):
        outputs = " ".join(built.callback_map)
        for component in (ids.MAP, ids.ALERT_LIST, ids.INDICATOR, ids.DEMO_BANNER, ids.NAV):
            assert component in outputs
    client = app.server.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/").headers["Location"] == "/login", "pages need a signed-in user"
    page = client.get("/login")
    assert page.status_code == 200
    assert b"cdn" not in page.data.lower(), "every script and stylesheet is served locally"


def test_the_world_outline_url_is_versioned_and_cached_for_good() -> None:
    app = create_app(api_url=API)
    url = overview.MapGeometry.for_app(app).geojson_url
    assert url.startswith("/assets/geo/world.geojson?m=")
    client = app.server.test_client()
    versioned = client.get(url).headers["Cache-Control"]
    assert "immutable" in versioned and "max-age=31536000" in versioned
    assert "no-cache" not in versioned
    # Without a version the browser must revalidate: the file may change under that URL.
    assert "max-age" not in client.get("/assets/geo/world.geojson").headers["Cache-Control"]


def test_nav_marks_the_current_page() -> None:
    create_app(api_url=API)
    links = layout.nav_links("/", "viewer")
    marked = [(link.children, getattr(link, "className", "")) for link in links]
    # Overview first and active; every other page is a plain link (drill-down pages have none).
    assert marked[0] == ("Overview", "nav-link active")
    assert all(css == "nav-link" for _, css in marked[1:])
    assert "Region" not in [name for name, _ in marked]
    assert isinstance(overview.layout(), html.Div)


# ----------------------------------------------------------------- drawn page


def component_ids(page: Any) -> dict[str, Any]:
    return {c.id: c for c in page._traverse() if isinstance(getattr(c, "id", None), str)}


def test_the_overview_arrives_with_every_panel_drawn(fake_api: Callable[..., None]) -> None:
    def fake_alerts(_url: str, **query: Any) -> dict[str, Any]:
        if query.get("severity"):
            return {"items": [], "total": {"critical": 1, "warning": 1}.get(query["severity"], 0)}
        return {"items": [alert(1), alert(2, "critical")], "total": 2}

    fake_api(
        indicators=lambda _url: [indicator("homicide_rate", ["2019", "2020", "2021"])],
        heatmap=lambda _url, **_kw: heatmap(),
        alerts=fake_alerts,
        sources=lambda _url: [{"id": "unodc_cts", "freshness": {"status": "stale"}}],
    )
    panels = component_ids(overview.drawn_layout(API, overview.MapGeometry()))
    assert panels[ids.MAP].figure.data, "the map"
    assert "2021" in text_of(panels[ids.PERIOD_LABEL])
    assert "Honduras" in text_of(panels[ids.ALERT_LIST])
    assert text_of(panels[ids.HEADLINE_ALERTS]).startswith("2 firing critical 1 warning 1")
    assert text_of(panels[ids.HEADLINE_NEW]).startswith("0 new")
    assert text_of(panels[ids.HEADLINE_STALE]).startswith("1 of 1")
    assert text_of(panels[ids.HEADLINE_COVERAGE]).startswith("2 of 3 countries")
    assert [len(trace["x"]) for trace in panels[ids.TIMELINE].figure["data"]] == [1, 1]


def test_no_overview_callback_runs_when_the_page_arrives() -> None:
    """The page arrives drawn: a callback at load would fetch its panel a second time.

    Dash runs a callback when its inputs arrive with a page unless it has
    ``prevent_initial_call``, and even then when an output is outside the page (the
    map's drill-down once wrote the shell's URL), or when an input is a memory
    ``dcc.Store`` holding None (the store writes it again on mount).
    """
    app = create_app(api_url=API)
    on_page = component_ids(overview.layout())
    for callback in app._callback_list:
        inputs = {used["id"] for used in callback["inputs"]}
        if not inputs & on_page.keys():
            continue
        split = split_callback_id(callback["output"])
        outputs = {used["id"] for used in (split if isinstance(split, list) else [split])}
        assert callback["prevent_initial_call"], outputs
        assert outputs <= on_page.keys(), outputs
    stores = [c for c in on_page.values() if isinstance(c, dcc.Store)]
    assert stores and all(store.data is not None for store in stores)
