"""Figures of a snapshot, built from its manifest, rendered offline to PNG with kaleido.

The heat map is the dashboard's own builder (``dashboard.figures.heatmap_figure``) given
the world GeoJSON inline, so no URL is fetched. Kaleido drives the system Chromium
(``BROWSER_PATH``, default /usr/bin/chromium); plotly.js comes from the plotly package.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, cast

import plotly.graph_objects as go
import plotly.io as pio

from backend.errors import ServiceUnavailable
from dashboard import figures as dash_figures

GEO_DIR = Path(dash_figures.__file__).parent / "assets" / "geo"
DEFAULT_BROWSER = "/usr/bin/chromium"
FONT = {"family": "Helvetica, Arial, sans-serif", "size": 17}
TIMELINE_REGIONS = 25


@cache
def _geo() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    geojson = json.loads((GEO_DIR / "world.geojson").read_text(encoding="utf-8"))
    points = json.loads((GEO_DIR / "points.json").read_text(encoding="utf-8"))
    return geojson, points


def heatmap_payload(manifest: Mapping[str, Any], indicator: Mapping[str, Any]) -> dict[str, Any]:
    """Return a GET /heatmap-shaped payload of each region's latest value in the snapshot."""
    items = [
        {"region": s["region"], "name": s["region_name"], "value": s["value"],
         "period": s["period"], "vintage": s["vintage"], "source": s["source"]}
        for s in manifest["scores"] if s["indicator"] == indicator["code"]
    ]  # fmt: skip
    have = {i["region"] for i in items}
    missing = [
        {"region": f["id"], "name": f.get("properties", {}).get("name", f["id"])}
        for f in _geo()[0]["features"] if f.get("id") and f["id"] not in have
    ]  # fmt: skip
    return {"indicator": dict(indicator), "period": f"latest up to {manifest['quarter']}",
            "level": "country", "items": items, "missing": missing}  # fmt: skip


def heatmap(manifest: Mapping[str, Any], indicator: Mapping[str, Any]) -> go.Figure:
    """Build the regional heat map with the dashboard's builder."""
    geojson, points = _geo()
    title = f"{indicator['name']}, latest value up to {manifest['quarter']}"
    # The builder's argument is typed as a URL; plotly accepts the GeoJSON itself.
    return dash_figures.heatmap_figure(
        heatmap_payload(manifest, indicator), geojson_url=cast(str, geojson),
        points=points, title=title,
    )  # fmt: skip


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01}, font=FONT, height=height,
                      paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
                      margin={"l": 150, "r": 20, "t": 50, "b": 50})  # fmt: skip
    fig.update_xaxes(showgrid=True, gridcolor="#e0e0e0")
    return fig


def timeline(alerts: Sequence[Mapping[str, Any]], quarter: Mapping[str, Any]) -> go.Figure:
    """Build the alert timeline: one row per region, markers coloured by severity."""
    busiest = {r for r, _ in Counter(a["region"] for a in alerts).most_common(TIMELINE_REGIONS)}
    shown = sorted((a for a in alerts if a["region"] in busiest), key=lambda a: a["region_name"])
    fig = go.Figure()
    for severity, colour in dash_figures.SEVERITY_COLORS.items():
        mine = [a for a in shown if a["severity"] == severity]
        fig.add_trace(go.Scatter(
            x=[a["detected_at"][:10] for a in mine], y=[a["region_name"] for a in mine],
            mode="markers", name=severity, marker={"color": colour, "size": 12,
            "symbol": "diamond", "line": {"color": "#333333", "width": 0.5}},
        ))  # fmt: skip
    title = f"Alerts detected, {quarter['quarter']}" + (
        f" (the {TIMELINE_REGIONS} regions with most alerts)" if len(busiest) < len(
            {a['region'] for a in alerts}) else "")  # fmt: skip
    height = 160 + 28 * max(len(busiest), 3)
    fig = _layout(fig, title, height)
    fig.update_xaxes(type="date", range=[quarter["period_start"], quarter["period_end"]])
    return fig


def movers(rows: Sequence[Mapping[str, Any]], indicator: Mapping[str, Any]) -> go.Figure:
    """Build a bar chart of the largest deteriorations (absolute change)."""
    ordered = list(reversed(rows))
    fig = go.Figure(go.Bar(
        x=[r["change"] for r in ordered], y=[r["region_name"] for r in ordered],
        orientation="h", marker={"color": dash_figures.SEVERITY_COLORS["warning"]},
        text=[f"+{r['change']:.2f}" for r in ordered], textposition="auto",
    ))  # fmt: skip
    fig.update_xaxes(title=f"Change ({indicator['unit']})")
    return _layout(fig, "Largest deteriorations", 160 + 34 * max(len(rows), 3))


def series(obs: Sequence[Mapping[str, Any]], indicator: Mapping[str, Any], name: str) -> go.Figure:
    """Build one region's line chart of an indicator over the frozen periods."""
    fig = go.Figure(go.Scatter(
        x=[o["period"] for o in obs], y=[o["value"] for o in obs], mode="lines+markers",
        line={"color": "#225ea8", "width": 2},
    ))  # fmt: skip
    fig.update_yaxes(title=indicator["unit"], rangemode="tozero")
    fig.update_xaxes(type="category")
    fig = _layout(fig, f"{name}: {indicator['name'].lower()}", 340)
    fig.update_layout(margin={"l": 70})
    return fig


def require_browser() -> str:
    """Return the Chromium that renders figures, or refuse with what to do."""
    browser = os.environ.setdefault("BROWSER_PATH", DEFAULT_BROWSER)
    if not Path(browser).exists():
        raise ServiceUnavailable(
            f"no Chromium at {browser} to render figures: install it, set BROWSER_PATH, "
            "or export with --no-figures"
        )
    return browser


@contextmanager
def renderer() -> Iterator[None]:
    """Keep one headless Chromium running while a batch of figures is rendered."""
    import kaleido

    require_browser()
    kaleido.start_sync_server(silence_warnings=True)
    try:
        yield
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def to_png(fig: go.Figure, *, width: int = 1100) -> bytes:
    """Render a figure to PNG bytes at a print-friendly size."""
    height = int(fig.layout.height or 560)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The kopts argument is ignored")
        image = pio.to_image(fig, format="png", width=width, height=height, scale=2)
    return cast(bytes, image)
