"""Pure figure builders for the Sources page: rows by run, and the coverage matrix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from dashboard.figures import FONT, MAP_COLORSCALE, plain

# Okabe-Ito: inserted blue, revised orange, unchanged grey, quarantined vermillion.
COUNT_COLORS = {
    "inserted": "#0072b2",
    "revised": "#e69f00",
    "unchanged": "#bdbdbd",
    "quarantined": "#d55e00",
}
CELL_PX = 15
MIN_SLOTS = 8
MATRIX_MARGIN = {"l": 210, "r": 20, "t": 150, "b": 10}
NO_DATA = "#e4e7eb"  # light grey, apart from the palette's lightest class


def runs_figure(runs: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Return stacked bars of rows inserted/revised/unchanged/quarantined, oldest run left."""
    ordered = list(reversed(runs))
    labels = [f"#{run['id']}" for run in ordered]
    figure = go.Figure()
    for count, colour in COUNT_COLORS.items():
        figure.add_bar(
            x=labels,
            y=[run.get("counts", {}).get(count, 0) for run in ordered],
            name=count,
            marker_color=colour,
            hovertemplate=f"run %{{x}}: %{{y:,}} {count}<extra></extra>",
        )
    failed = [
        label for label, run in zip(labels, ordered, strict=True) if run["status"] != "succeeded"
    ]
    figure.update_layout(
        barmode="stack",
        height=170,
        margin={"l": 50, "r": 10, "t": 6, "b": 28},
        font=FONT | {"size": 12},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.3, "font": {"size": 11}},
        showlegend=False,
        # Room for MIN_SLOTS bars, so a source with one run does not get one huge bar.
        xaxis={
            "type": "category",
            "tickfont": {"size": 10},
            "range": [-0.5, max(len(labels), MIN_SLOTS) - 0.5],
        },
        yaxis={"gridcolor": "#eceff3", "rangemode": "tozero"},
        annotations=[_failure_mark(label) for label in failed],
    )
    return figure


def _failure_mark(label: str) -> dict[str, Any]:
    """Return a cross under a run that did not succeed."""
    return {
        "x": label,
        "y": 0,
        "text": "✕",
        "showarrow": False,
        "yshift": 8,
        "font": {"color": COUNT_COLORS["quarantined"], "size": 14},
        "hovertext": "this run did not succeed",
    }


def period_year(period: str) -> float:
    """Return a period's position in years (2020, 2020.5 for 2020Q3), to colour by recency."""
    year = float(period[:4])
    if "Q" in period:
        return year + (int(period[-1]) - 1) / 4
    if len(period) >= 7:
        return year + (int(period[5:7]) - 1) / 12
    return year


def coverage_matrix(
    coverage: Mapping[str, Any],
) -> tuple[list[str], list[list[float | None]], list[list[str]]]:
    """Return row labels (a bold header row per M49 region), z (latest year) and period text."""
    columns = len(coverage["indicators"])
    found = {(row, column): period for row, column, period in coverage["cells"]}
    labels: list[str] = []
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for index, region in enumerate(coverage["regions"]):
        if not labels or coverage["regions"][index - 1]["group"] != region["group"]:
            labels.append(f"<b>{plain(region['group'].upper())}</b>")
            z.append([None] * columns)
            text.append([""] * columns)
        labels.append(plain(f"{region['name'][:26]} ({region['code']})"))
        periods = [found.get((index, column)) for column in range(columns)]
        z.append([period_year(p) if p else None for p in periods])
        text.append([p or "no data" for p in periods])
    return labels, z, text


def coverage_figure(coverage: Mapping[str, Any]) -> go.Figure:
    """Return the countries x indicators grid coloured by latest period, grouped by M49 region."""
    labels, z, text = coverage_matrix(coverage)
    scale = [[i / (len(MAP_COLORSCALE) - 1), c] for i, c in enumerate(MAP_COLORSCALE)]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=coverage["indicators"],
            y=labels,
            text=text,
            colorscale=scale,
            xgap=1,
            ygap=1,
            hoverongaps=False,
            hovertemplate="%{y}<br>%{x}<br>latest: %{text}<extra></extra>",
            colorbar={
                "title": {"text": "latest<br>year", "side": "top"},
                "thickness": 12,
                "len": min(1.0, 400 / max(CELL_PX * len(labels), 1)),
                "y": 1,
                "yanchor": "top",
            },
        )
    )
    figure.update_layout(
        height=CELL_PX * len(labels) + MATRIX_MARGIN["t"] + MATRIX_MARGIN["b"],
        margin=MATRIX_MARGIN,
        font=FONT | {"size": 11},
        paper_bgcolor="#ffffff",
        plot_bgcolor=NO_DATA,
        xaxis={"side": "top", "tickangle": -45, "fixedrange": True},
        yaxis={"autorange": "reversed", "fixedrange": True, "tickfont": {"size": 10}},
        shapes=_header_bands(labels, len(coverage["indicators"])),
    )
    return figure


def _header_bands(labels: list[str], columns: int) -> list[dict[str, Any]]:
    """Return white bands over the group header rows, which hold no cells."""
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "y",
            "x0": -0.5,
            "x1": columns - 0.5,
            "y0": row - 0.5,
            "y1": row + 0.5,
            "fillcolor": "#ffffff",
            "line": {"width": 0},
            "layer": "above",
        }
        for row, label in enumerate(labels)
        if label.startswith("<b>")
    ]
