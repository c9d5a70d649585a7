"""Pure figure builders: API data in, plotly figure out. No I/O, no HTTP, no Dash.

The world map must draw with no internet. plotly.js fetches a base-map TopoJSON from
``config.topojsonURL`` (default https://cdn.plot.ly/un/) whenever a geo subplot shows a
base layer (land, coastlines, ...) or its *first* trace has a ``locationmode``; a
choropleth given ``geojson`` always gets ``locationmode="geojson-id"``. So the map here:
shows no base layer (``geo.visible=False``), puts a plain lon/lat scattergeo first, takes
its geometry from a local URL (``/assets/geo/world.geojson``, fetched once and cached by
the browser), and ``GRAPH_CONFIG`` points ``topojsonURL`` at the dashboard's own assets
so that a future plotly.js that fetches anyway still never leaves the host.
See dashboard/assets/geo/README.md.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import plotly.graph_objects as go

DEFAULT_GEOJSON_URL = "/assets/geo/world.geojson"
LOCAL_TOPOJSON_URL = "/assets/geo/plotly/"

# Map palette: ColorBrewer YlGnBu, 8 of its 9 classes (the near-white first class is
# dropped so the lowest values stay visible on a projector). Sequential, ordered in
# lightness, and rated colour-blind safe by ColorBrewer. It deliberately avoids amber and
# red: in an early-warning product those mean "alert" (see SEVERITY_COLORS), and a data map
# painted in them makes every high-value country look like an alert.
MAP_COLORSCALE: list[str] = [
    "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58",
]  # fmt: skip
NO_DATA_COLOR = "#bdbdbd"  # neutral grey: no hue, darker than the palette's lightest class
BORDER_COLOR = "#ffffff"
MARKER_OUTLINE = "#4d4d4d"

# Alert severities: Okabe-Ito orange and vermillion for warning and critical (told apart by
# lightness as well as hue, so they survive every common colour-vision deficiency), and a
# dark purple for info. None of them occurs in MAP_COLORSCALE.
SEVERITY_COLORS: dict[str, str] = {"info": "#5e3c99", "warning": "#e69f00", "critical": "#d55e00"}
severity_colors = SEVERITY_COLORS  # the name the brief for later figures uses

# dcc.Graph(config=GRAPH_CONFIG). plotly.js 4 shows a "Share chart..." button by default
# that uploads the figure, data included, to plotlyServerURL (https://cloud.plotly.com): it
# is switched off and the URL emptied. No logo link, and the base-map URL stays on this host
# (see the module docstring). Every key is one dcc.Graph's config accepts.
GRAPH_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showLink": False,
    "sendData": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "plotlyServerURL": "",
    "topojsonURL": LOCAL_TOPOJSON_URL,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendChartToCloud"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

FONT = {"family": "Open Sans, Segoe UI, Helvetica, Arial, sans-serif", "size": 15}
CLIP_PERCENTILE = 95.0
LOG_SPREAD = 20.0  # use a log colour scale when p95 / p5 of positive values exceeds this

Scale = Literal["auto", "linear", "log"]


def graph_config(assets_url: str = "/assets/") -> dict[str, Any]:
    """Return GRAPH_CONFIG for a Dash app whose assets are served under assets_url."""
    return {**GRAPH_CONFIG, "topojsonURL": assets_url.rstrip("/") + "/geo/plotly/"}


def format_value(value: float) -> str:
    """Format a number for people: thousands separators, at most two decimals."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) with linear interpolation."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class ColorScale:
    """How values map to colours: linear or log10, clipped to a robust range."""

    def __init__(self, values: Sequence[float], scale: Scale = "auto") -> None:
        positive = [v for v in values if v > 0]
        self.cap = percentile(values, CLIP_PERCENTILE) if values else 1.0
        self.top = max(values) if values else 1.0
        floor = percentile(positive, 5) if positive else 0.0
        wide = bool(positive) and floor > 0 and self.cap / floor >= LOG_SPREAD
        self.log = scale == "log" or (scale == "auto" and wide and min(values) >= 0)
        self.floor = max(floor, 1e-9) if self.log else min(0.0, min(values, default=0.0))
        self.bottom = min(values, default=0.0)
        if self.cap <= self.floor:
            self.cap = self.floor + 1.0

    def z(self, value: float) -> float:
        """Return the colour coordinate of a value."""
        if self.log:
            return math.log10(min(max(value, self.floor), self.cap))
        return min(max(value, self.floor), self.cap)

    @property
    def zrange(self) -> tuple[float, float]:
        """Return (cmin, cmax) of the colour axis."""
        return self.z(self.floor), self.z(self.cap)

    def ticks(self) -> tuple[list[float], list[str]]:
        """Return colour-bar tick positions and labels, marking clipped ends with ≤ / ≥."""
        if self.log:
            values = [
                m * 10**e
                for e in range(math.floor(math.log10(self.floor)), math.ceil(math.log10(self.cap)))
                for m in (1, 2, 5)
                if self.floor < m * 10**e < self.cap
            ]
        else:
            step = nice_step((self.cap - self.floor) / 5)
            start = math.ceil(self.floor / step) * step
            values = [start + i * step for i in range(int((self.cap - start) / step) + 1)]
        lo, hi = self.z(self.floor), self.z(self.cap)
        values = [v for v in values if lo + 0.06 * (hi - lo) < self.z(v) < hi - 0.06 * (hi - lo)]
        labels = [format_value(v) for v in values]
        low = ("≤ " if self.bottom < self.floor else "") + format_value(self.floor)
        high = ("≥ " if self.top > self.cap else "") + format_value(self.cap)
        return (
            [self.z(self.floor), *(self.z(v) for v in values), self.z(self.cap)],
            [low, *labels, high],
        )


def nice_step(raw: float) -> float:
    """Round a tick step to 1, 2 or 5 times a power of ten."""
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def plain(text: object) -> str:
    """Return text for a Plotly label with <, > and & escaped, so it is shown as written.

    Plotly reads a little HTML in titles and hover labels (<b>, <br>, <a href=...>). Names,
    units, titles and explanations come from publishers and users: never markup.
    """
    return html.escape(str(text), quote=False)


def hover_text(item: Mapping[str, Any], unit: str, period: str) -> str:
    """Return the hover text of one region: name, value with unit, period, source, vintage."""
    name = plain(item.get("name") or item.get("region", ""))
    value = item.get("value")
    when = plain(item.get("period") or period)
    if value is None:
        return f"<b>{name}</b><br>No data for {when}"
    lines = [
        f"<b>{name}</b>",
        f"{format_value(float(value))} {plain(unit)}".strip(),
        f"Period: {when}",
        f"Source: {plain(item.get('source') or 'unknown')}",
        f"Vintage: {plain(item.get('vintage') or 'unknown')}",
    ]
    if item.get("is_demo"):
        lines.append("<i>Demo data, not real</i>")
    return "<br>".join(lines)


def _split(
    heatmap: Mapping[str, Any],
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Return (items with a value, regions without one) from a heat-map payload."""
    items = [i for i in heatmap.get("items", []) if i.get("value") is not None]
    missing = list(heatmap.get("missing", []))
    missing += [i for i in heatmap.get("items", []) if i.get("value") is None]
    return items, missing


def _colorbar(indicator: Mapping[str, Any], scale: ColorScale) -> dict[str, Any]:
    """Return the colour axis: palette, range, ticks and a note on clipping."""
    tickvals, ticktext = scale.ticks()
    notes = []
    if scale.top > scale.cap:
        notes.append(f"top {100 - CLIP_PERCENTILE:g}% share the darkest colour")
    if scale.log:
        notes.append("log scale")
    title = plain(indicator.get("unit") or indicator.get("name") or "")
    for note in notes:
        title += f"<br><sup>{note}</sup>"
    if notes:
        title += "<br>&nbsp;"  # a blank line keeps the notes clear of the top tick label
    cmin, cmax = scale.zrange
    steps = len(MAP_COLORSCALE) - 1
    return {
        "colorscale": [[i / steps, c] for i, c in enumerate(MAP_COLORSCALE)],
        "cmin": cmin,
        "cmax": cmax,
        "colorbar": {
            "title": {"text": title, "side": "top"},
            "tickvals": tickvals,
            "ticktext": ticktext,
            "thickness": 14,
            "len": 0.8,
            "outlinewidth": 0,
            "x": 1.0,
            "xanchor": "left",
        },
    }


def _geo_layout() -> dict[str, Any]:
    """Return a frameless, base-layer-free geo subplot cropped above Antarctica."""
    return {
        "visible": False,  # no base layers, so no base-map TopoJSON is needed
        "projection": {"type": "natural earth"},
        "showframe": False,
        "bgcolor": "rgba(0,0,0,0)",
        "lataxis": {"range": [-57, 84], "showgrid": False},
        "lonaxis": {"showgrid": False},
        "domain": {"x": [0, 1], "y": [0, 1]},
    }


def _no_data_arrays(
    missing: Sequence[Mapping[str, Any]], points: Mapping[str, Mapping[str, Any]], period: str
) -> list[dict[str, Any]]:
    """Return the grey layer's per-period values: legend markers (first), then grey areas."""
    texts = {m["region"]: hover_text({**m, "value": None}, "", period) for m in missing}
    dots = [r for r in texts if r in points]
    legend = {
        "name": f"No data ({len(missing)})",
        "lon": [points[r]["lon"] for r in dots] or [None],
        "lat": [points[r]["lat"] for r in dots] or [None],
        "text": [texts[r] for r in dots] or [""],
        "customdata": dots or [None],
    }
    areas = {"locations": list(texts), "z": [0] * len(texts), "text": list(texts.values())}
    return [legend, areas]


def _value_arrays(
    items: Sequence[Mapping[str, Any]],
    points: Mapping[str, Mapping[str, Any]],
    unit: str,
    period: str,
    scale: ColorScale,
) -> list[dict[str, Any]]:
    """Return the coloured layer's per-period values: areas, then small-state markers."""
    regions = [i["region"] for i in items]
    texts = [hover_text(i, unit, period) for i in items]
    z = [scale.z(float(i["value"])) for i in items]
    dots = [k for k, r in enumerate(regions) if r in points]
    markers = {
        "lon": [points[regions[k]]["lon"] for k in dots],
        "lat": [points[regions[k]]["lat"] for k in dots],
        "text": [texts[k] for k in dots],
        "customdata": [regions[k] for k in dots],
        "marker": {"color": [z[k] for k in dots]},
    }
    return [{"locations": regions, "z": z, "text": texts}, markers]


def _trace_styles(geojson_url: str) -> list[dict[str, Any]]:
    """Return what the four map traces keep from period to period: type, geometry, style."""
    hover = "%{text}<extra></extra>"
    border = {"line": {"color": BORDER_COLOR, "width": 0.4}}
    return [
        {"type": "scattergeo", "legendgroup": "no-data", "hovertemplate": hover,
         "mode": "markers", "marker": {"color": NO_DATA_COLOR, "size": 8, "symbol": "square",
                                       "line": {"color": MARKER_OUTLINE, "width": 0.6}}},
        {"type": "choropleth", "name": "No data", "legendgroup": "no-data", "showlegend": False,
         "geojson": geojson_url, "hovertemplate": hover, "showscale": False, "marker": border,
         "colorscale": [[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]]},
        {"type": "choropleth", "name": "Value", "showlegend": False, "geojson": geojson_url,
         "hovertemplate": hover, "coloraxis": "coloraxis", "marker": border},
        {"type": "scattergeo", "name": "Small states", "showlegend": False,
         "hovertemplate": hover, "mode": "markers",
         "marker": {"coloraxis": "coloraxis", "size": 9,
                    "line": {"color": MARKER_OUTLINE, "width": 0.8}}},
    ]  # fmt: skip


def merged(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Return base updated with extra, nested dicts merged rather than replaced."""
    out = dict(base)
    for key, value in extra.items():
        inner = out.get(key)
        both = isinstance(value, Mapping) and isinstance(inner, Mapping)
        out[key] = merged(inner, value) if both else value  # type: ignore[arg-type]
    return out


def heatmap_period(
    heatmap: Mapping[str, Any],
    *,
    points: Sequence[Mapping[str, Any]] = (),
    scale: Scale = "auto",
    title: str | None = None,
) -> dict[str, Any]:
    """Return what the map changes from one period to the next, as plain JSON-ready data.

    ``data`` holds one dict per trace (the arrays: locations, z, hover text, marker
    positions and colours); ``layout`` the colour axis, the title text and the meta.
    ``heatmap_figure`` merges them into the full figure; the Overview sends them alone as
    a ``dash.Patch`` when only the period changes, so the geometry and layout stay.
    """
    indicator = heatmap.get("indicator", {})
    period = str(heatmap.get("period", ""))
    items, missing = _split(heatmap)
    by_code = {p["iso3"]: p for p in points}
    colour = ColorScale([float(i["value"]) for i in items], scale)
    data = _no_data_arrays(missing, by_code, period)
    data += _value_arrays(items, by_code, indicator.get("unit", ""), period, colour)
    if title is None:
        title = plain(f"{indicator.get('name', '')}, {period}".strip(", "))
    layout = {
        "coloraxis": _colorbar(indicator, colour),
        "title": {"text": title},
        "meta": {
            "coverage": heatmap.get("coverage", {}),
            "missing": [m["region"] for m in missing],
        },
    }
    return {"data": data, "layout": layout}


def heatmap_figure(
    heatmap: Mapping[str, Any],
    *,
    geojson_url: str = DEFAULT_GEOJSON_URL,
    points: Sequence[Mapping[str, Any]] = (),
    scale: Scale = "auto",
    title: str | None = None,
) -> go.Figure:
    """Build the overview world map from a GET /api/v1/heatmap payload.

    ``points`` is dashboard/assets/geo/points.json: states too small to see get a marker.
    ``geojson_url`` must serve world.geojson from this host (feature.id = ISO3).
    """
    changing = heatmap_period(heatmap, points=points, scale=scale, title=title)
    styles = _trace_styles(geojson_url)
    data = [merged(s, d) for s, d in zip(styles, changing["data"], strict=True)]
    title_text = changing["layout"]["title"]["text"]
    indicator = heatmap.get("indicator", {})
    layout = {
        "geo": _geo_layout(),
        "title": {"x": 0.01, "xanchor": "left", "y": 0.98, "font": {"size": 20}},
        "margin": {"l": 0, "r": 0, "t": 44 if title_text else 4, "b": 0},
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "legend": {"x": 0.01, "y": 0.04, "xanchor": "left", "yanchor": "bottom",
                   "bgcolor": "rgba(255,255,255,0.7)", "itemclick": "toggle"},
        "hoverlabel": {"font": {"size": 15}, "align": "left"},
        "uirevision": f"{indicator.get('code', '')}:{heatmap.get('level', '')}",
    }  # fmt: skip
    return unchecked_figure({"data": data, "layout": merged(layout, changing["layout"])})


def unchecked_figure(figure: Mapping[str, Any]) -> go.Figure:
    """Return ``figure`` (plain data and layout) as a go.Figure, skipping plotly.py's checks.

    Checking every property of the world map costs about 40 ms, and the server builds it
    on every Overview load; the unit tests check each builder's figures instead
    (``checked`` in tests/dashboard/test_figures.py).
    """
    return go.Figure(figure, _validate=False)
