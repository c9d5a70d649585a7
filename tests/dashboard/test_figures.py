"""The heat-map figure builder, and the geo assets it relies on (no browser, no HTTP)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from dashboard import figures

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "dashboard" / "assets"
URL = re.compile(r"https?://", re.IGNORECASE)

POINTS = [
    {"iso3": "JAM", "name": "Jamaica", "lat": 18.16, "lon": -77.31},
    {"iso3": "ABW", "name": "Aruba", "lat": 12.52, "lon": -69.98},
    {"iso3": "MCO", "name": "Monaco", "lat": 43.75, "lon": 7.41},
]


def item(region: str, value: float | None, **extra: Any) -> dict[str, Any]:
    """Return one heat-map item as GET /api/v1/heatmap returns it."""
    return {"region": region, "name": extra.pop("name", region), "value": value,
            "period": "2020", "vintage": "2022-07-20", "source": "worldbank_homicide",
            "is_demo": False, **extra}  # fmt: skip


def payload(items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Return a heat-map payload: 4 values (one demo), 1 null value, 2 missing."""
    if items is None:
        items = [item("AFG", 6.7, name="Afghanistan"), item("BRA", 22.4, name="Brazil"),
                 item("NOR", 0.5, name="Norway"), item("JAM", 44.95, name="Jamaica",
                 is_demo=True), item("SYR", None, name="Syria")]  # fmt: skip
    return {
        "indicator": {"code": "homicide_rate", "name": "Intentional homicide rate",
                      "unit": "per 100,000 population", "higher_is_worse": True},
        "period": "2020", "level": "country", "periods": ["2019", "2020"], "items": items,
        "missing": [{"region": "ABW", "name": "Aruba"}, {"region": "GRL", "name": "Greenland"}],
        "coverage": {"with_data": 4, "total": 7},
    }  # fmt: skip


@pytest.fixture
def fig() -> go.Figure:
    return figures.heatmap_figure(payload(), points=POINTS)


def traces(fig: go.Figure) -> dict[str, Any]:
    """Return the four traces by role."""
    legend, grey, values, markers = fig.data
    return {"legend": legend, "grey": grey, "values": values, "markers": markers}


def test_the_figure_has_the_grey_layer_then_the_value_layer(fig: go.Figure) -> None:
    assert [t.type for t in fig.data] == ["scattergeo", "choropleth", "choropleth", "scattergeo"]
    t = traces(fig)
    assert list(t["values"].locations) == ["AFG", "BRA", "NOR", "JAM"]
    assert t["values"].geojson == figures.DEFAULT_GEOJSON_URL
    assert t["values"].coloraxis == "coloraxis" and t["markers"].marker.coloraxis == "coloraxis"


def test_a_lon_lat_trace_comes_first_so_plotly_fetches_no_base_map(fig: go.Figure) -> None:
    # plotly.js 4 fetches {topojsonURL}world_110m.json when the first geo trace has a
    # locationmode (a choropleth with geojson always has one) or a base layer is shown.
    first = fig.data[0]
    assert first.type == "scattergeo" and first.locations is None and first.locationmode is None
    assert len(first.lon) >= 1
    geo = fig.layout.geo
    assert geo.visible is False
    for layer in ("land", "ocean", "lakes", "rivers", "countries", "coastlines", "subunits"):
        assert getattr(geo, f"show{layer}") in (None, False), layer


def test_missing_regions_are_grey_and_listed(fig: go.Figure) -> None:
    t = traces(fig)
    assert list(t["grey"].locations) == ["ABW", "GRL", "SYR"]  # a null value counts as missing
    assert {c for _, c in t["grey"].colorscale} == {figures.NO_DATA_COLOR}
    assert t["grey"].showscale is False
    assert t["legend"].name == "No data (3)" and t["legend"].showlegend is not False
    assert t["legend"].legendgroup == t["grey"].legendgroup == "no-data"
    assert t["legend"].marker.color == figures.NO_DATA_COLOR
    assert fig.layout.meta["missing"] == ["ABW", "GRL", "SYR"]
    assert "No data for 2020" in t["grey"].text[0]


def test_no_data_grey_is_clearly_unlike_every_palette_colour() -> None:
    def lightness(hex_colour: str) -> float:
        r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    def chroma(hex_colour: str) -> int:
        channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
        return max(channels) - min(channels)

    grey = figures.NO_DATA_COLOR
    assert chroma(grey) == 0
    lightest = figures.MAP_COLORSCALE[0]
    assert lightness(lightest) - lightness(grey) > 30
    assert all(chroma(c) > 40 for c in figures.MAP_COLORSCALE)


def test_hover_shows_value_unit_period_source_and_vintage(fig: go.Figure) -> None:
    text = traces(fig)["values"].text[0]
    for part in ("Afghanistan", "6.7 per 100,000 population", "2020", "worldbank_homicide",
                 "2022-07-20"):  # fmt: skip
        assert part in text
    assert "demo" not in text.lower()
    assert traces(fig)["values"].hovertemplate == "%{text}<extra></extra>"


def test_hover_flags_demo_data(fig: go.Figure) -> None:
    jamaica = traces(fig)["values"].text[3]
    assert "Jamaica" in jamaica and "demo" in jamaica.lower()


def test_small_states_are_markers_on_the_same_scale_or_grey(fig: go.Figure) -> None:
    t = traces(fig)
    assert list(t["markers"].customdata) == ["JAM"]
    assert (t["markers"].lat[0], t["markers"].lon[0]) == (18.16, -77.31)
    jamaica_z = t["values"].z[3]
    assert t["markers"].marker.color[0] == jamaica_z
    assert list(t["legend"].customdata) == ["ABW"]  # Monaco has no row: no marker at all
    assert t["legend"].marker.color == figures.NO_DATA_COLOR


def test_no_trace_layout_or_config_references_an_internet_url(fig: go.Figure) -> None:
    assert not URL.search(fig.to_json())
    assert not URL.search(json.dumps(figures.GRAPH_CONFIG))
    assert figures.GRAPH_CONFIG["showSendToCloud"] is False
    assert figures.GRAPH_CONFIG["topojsonURL"] == "/assets/geo/plotly/"


def test_graph_config_follows_an_assets_prefix() -> None:
    config = figures.graph_config("/tocsin/assets/")
    assert config["topojsonURL"] == "/tocsin/assets/geo/plotly/"
    assert figures.graph_config()["topojsonURL"] == figures.GRAPH_CONFIG["topojsonURL"]


def test_geo_layout_is_clean(fig: go.Figure) -> None:
    geo = fig.layout.geo
    assert geo.projection.type == "natural earth"
    assert geo.showframe is False
    assert not geo.lataxis.showgrid and not geo.lonaxis.showgrid
    assert fig.layout.margin.l == fig.layout.margin.r == fig.layout.margin.b == 0
    assert fig.layout.font.size >= 14


def test_one_outlier_does_not_wash_out_the_map() -> None:
    values = [float(v) for v in range(1, 40)] + [1000.0]
    fig = figures.heatmap_figure(payload([item(f"C{i:02d}", v) for i, v in enumerate(values)]))
    axis = fig.layout.coloraxis
    assert axis.cmax < figures.ColorScale(values).z(1000.0) + 1e-9
    assert figures.ColorScale(values).cap < 100
    assert axis.colorbar.ticktext[-1].startswith("≥ ")
    assert "darkest colour" in axis.colorbar.title.text


def test_linear_scale_for_narrow_ranges_and_log_for_wide_ones() -> None:
    narrow = figures.ColorScale([10.0, 12.0, 15.0, 20.0])
    wide = figures.ColorScale([0.2, 0.5, 1.0, 5.0, 20.0, 60.0])
    assert not narrow.log and wide.log
    assert narrow.zrange == (0.0, pytest.approx(19.25))
    ticks, labels = wide.ticks()
    assert ticks == sorted(ticks)
    assert labels == ["≤ 0.28", "0.5", "1", "2", "5", "10", "20", "≥ 50"]
    assert narrow.ticks()[1] == ["0", "5", "10", "15", "≥ 19.25"]
    assert figures.ColorScale([0.0, 1.0, 100.0], "linear").log is False


def test_an_empty_payload_still_draws_a_grey_map() -> None:
    fig = figures.heatmap_figure(payload([]), points=POINTS)
    assert fig.data[0].type == "scattergeo"
    assert list(fig.data[1].locations) == ["ABW", "GRL"]
    assert len(fig.data[2].locations) == 0


def test_a_period_merged_into_another_periods_figure_is_that_periods_figure() -> None:
    # What the Overview patches on a period change: every value that differs between two
    # periods' figures is in heatmap_period, so merging it gives the other figure exactly.
    later = payload()
    earlier = payload([item("BRA", 30.1, name="Brazil", period="2019"), item("NOR", 0.7)])
    earlier["period"] = "2019"
    first = figures.heatmap_figure(later, points=POINTS).to_plotly_json()
    second = figures.heatmap_figure(earlier, points=POINTS).to_plotly_json()
    changing = figures.heatmap_period(earlier, points=POINTS)
    data = [figures.merged(t, c) for t, c in zip(first["data"], changing["data"], strict=True)]
    assert json.dumps(data, default=list) == json.dumps(second["data"], default=list)
    layout = figures.merged(first["layout"], changing["layout"])
    assert json.dumps(layout, default=list) == json.dumps(second["layout"], default=list)


def test_the_period_values_carry_no_geometry_or_style() -> None:
    changing = figures.heatmap_period(payload(), points=POINTS)
    keys = {key for values in changing["data"] for key in values}
    assert keys <= {"name", "lon", "lat", "text", "customdata", "locations", "z", "marker"}
    assert "geojson" not in json.dumps(changing) and "geo" not in changing["layout"]
    assert changing["layout"]["title"]["text"] == "Intentional homicide rate, 2020"


def test_format_value_reads_like_a_person_wrote_it() -> None:
    assert [figures.format_value(v) for v in (6.7, 6.0, 0.123, 1234.5, 22.449)] == [
        "6.7", "6", "0.12", "1,234", "22.45",
    ]  # fmt: skip


def test_severity_colours_are_distinct_from_the_map_palette() -> None:
    colours = figures.severity_colors
    assert set(colours) == {"info", "warning", "critical"}
    assert len(set(colours.values())) == 3
    palette = {c.lower() for c in figures.MAP_COLORSCALE} | {figures.NO_DATA_COLOR}
    assert not palette & {c.lower() for c in colours.values()}


# --- the geo assets the figure relies on ---------------------------------------------


def asset(url: str) -> Path:
    """Return the file an /assets/ URL serves."""
    return ASSETS / url.removeprefix("/assets/")


def test_the_geometry_is_served_locally_and_small() -> None:
    path = asset(figures.DEFAULT_GEOJSON_URL)
    assert path.stat().st_size < 1_500_000
    world = json.loads(path.read_text(encoding="utf-8"))
    with (ROOT / "backend/regions/data/regions.csv").open(encoding="utf-8") as fh:
        countries = {r["code"]: r for r in csv.DictReader(fh) if r["level"] == "country"}
    ids = [f["id"] for f in world["features"]]
    assert len(ids) == len(set(ids)) and set(ids) <= set(countries)
    assert {"FRA", "GUF", "XKX", "SOM", "CYP", "SSD", "PSE", "ESH"} <= set(ids)
    assert all(f["properties"]["iso3"] == f["id"] for f in world["features"])


def test_plotlys_base_map_fallback_is_served_locally() -> None:
    topo = json.loads(asset(figures.LOCAL_TOPOJSON_URL + "world_110m.json").read_text("utf-8"))
    assert topo["type"] == "Topology"
    assert {"land", "countries", "coastlines", "lakes", "ocean", "rivers", "subunits"} <= set(
        topo["objects"]
    )
    assert len(topo["objects"]["countries"]["geometries"]) > 200


def test_every_small_state_without_a_visible_shape_has_a_point() -> None:
    points = json.loads((ASSETS / "geo" / "points.json").read_text(encoding="utf-8"))
    world = json.loads(asset(figures.DEFAULT_GEOJSON_URL).read_text(encoding="utf-8"))
    with (ROOT / "backend/regions/data/regions.csv").open(encoding="utf-8") as fh:
        countries = {r["code"]: r for r in csv.DictReader(fh) if r["level"] == "country"}
    drawn = {f["id"] for f in world["features"]}
    codes = {p["iso3"] for p in points}
    assert codes <= set(countries)
    assert set(countries) - drawn - {"ATA"} <= codes  # no shape: must have a point
    assert {"TUV", "NRU", "MCO", "SGP", "MDV", "BRB", "KNA", "JAM"} <= codes
    assert {"FRA", "BRA", "CUB", "PNG"}.isdisjoint(codes)


def checked(figure: go.Figure) -> go.Figure:
    """Return the figure rebuilt with plotly.py's checks: a wrong property raises ValueError.

    The builders skip those checks (``figures.unchecked_figure``) to save the server time
    on every Overview load; this is where they are made.
    """
    return go.Figure(figure.to_plotly_json())


def test_the_map_passes_plotly_checks(fig: go.Figure) -> None:
    assert checked(fig).to_plotly_json() == fig.to_plotly_json()
    no_data = figures.heatmap_figure({**payload(), "items": [], "periods": []}, points=POINTS)
    checked(no_data)


def test_a_wrong_property_fails_the_check() -> None:
    wrong = figures.unchecked_figure({"data": [{"type": "scatter", "colour": "red"}]})
    with pytest.raises(ValueError, match="colour"):
        checked(wrong)
