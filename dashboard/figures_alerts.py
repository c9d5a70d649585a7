"""Pure figure builders for alerts: the Overview's timeline swimlanes and the inbox's context chart.

Input is the API's JSON (alerts, an observation series) as plain dicts; output is a plotly
figure. No I/O. Severity colours come from ``figures.SEVERITY_COLORS``, the categorical
palette kept apart from the map's sequential one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal

import plotly.graph_objects as go

from dashboard.figures import FONT, SEVERITY_COLORS, format_value, unchecked_figure
from dashboard.figures_region import chart_layout, period_date, series_traces

Lane = Literal["region", "rule"]
SEVERITY_ORDER = ("critical", "warning", "info")
FALLBACK_COLOR = "#5f6b7a"
LANE_PX = 30
TIMELINE_CHROME_PX = 90
MAX_TIMELINE_PX = 560
MAX_LANES = 15  # more would not fit MAX_TIMELINE_PX with readable labels
CONTEXT_PERIODS = 6  # periods shown either side of the alerted one
BASELINE_COLOR = "#4a5361"
THRESHOLD_COLOR = "#d55e00"


def lane_label(alert: Mapping[str, Any], by: Lane) -> str:
    """Return the swimlane an alert belongs to: its region's name, or its rule."""
    if by == "rule":
        return str(alert["rule"])
    return str(alert.get("region_name") or alert["region"])


def _timeline_hover(alert: Mapping[str, Any]) -> str:
    return (
        f"<b>{alert.get('severity')}</b> · {alert.get('rule')}<br>"
        f"{alert.get('region_name') or alert.get('region')} · {alert['period']} · "
        f"{alert.get('state')}, {alert.get('triage', 'new')}<br>click to open"
    )


def _severity_trace(severity: str, alerts: Sequence[Mapping[str, Any]], by: Lane) -> dict[str, Any]:
    """Return one severity's alerts as markers on their lanes, carrying their ids."""
    return {
        "type": "scatter",
        "x": [period_date(a["period"]) for a in alerts],
        "y": [lane_label(a, by) for a in alerts],
        "mode": "markers",
        "name": severity,
        "marker": {
            "symbol": "diamond",
            "size": 13,
            "color": SEVERITY_COLORS.get(severity, FALLBACK_COLOR),
            "line": {"color": "#111111", "width": 1},
        },
        "customdata": [a["id"] for a in alerts],
        "hovertext": [_timeline_hover(a) for a in alerts],
        "hoverinfo": "text",
    }


def period_span(period: str) -> timedelta:
    """Return about how long a period lasts: a year, a quarter, a month or a day."""
    if "Q" in period:
        return timedelta(days=92)
    return {1: timedelta(days=366), 2: timedelta(days=31)}.get(
        len(period.split("-")), timedelta(days=1)
    )


def time_range(alerts: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """Return an x range padded by one period either side, or None to let plotly choose.

    Plotly zooms in to a millisecond around points that all share one date (every alert of
    an annual indicator is on 1 January): its axis then reads 23:59:59.999 to 00:00:00.0005.
    """
    if not alerts:
        return None
    dates = [period_date(a["period"]) for a in alerts]
    pad = max(period_span(a["period"]) for a in alerts)
    if max(dates) - min(dates) >= 2 * pad:
        return None
    return [(min(dates) - pad).isoformat(), (max(dates) + pad).isoformat()]


def busiest_lanes(alerts: Sequence[Mapping[str, Any]], by: Lane) -> list[str]:
    """Return at most MAX_LANES lanes, those with the most alerts, in alphabetical order."""
    counts = Counter(lane_label(a, by) for a in alerts)
    busiest = sorted(counts, key=lambda lane: (-counts[lane], lane.casefold()))[:MAX_LANES]
    return sorted(busiest, key=str.casefold)


def timeline_figure(alerts: Sequence[Mapping[str, Any]], *, by: Lane = "region") -> go.Figure:
    """Return alerts as swimlanes (one row per region or rule) over the data period axis.

    Only the MAX_LANES busiest lanes are drawn; a note says how many were left out.
    """
    lanes = busiest_lanes(alerts, by)
    hidden = len({lane_label(a, by) for a in alerts}) - len(lanes)
    alerts = [a for a in alerts if lane_label(a, by) in set(lanes)]
    known = [s for s in SEVERITY_ORDER if any(a.get("severity") == s for a in alerts)]
    others = sorted({str(a.get("severity")) for a in alerts} - set(SEVERITY_ORDER))
    data = [
        _severity_trace(severity, [a for a in alerts if str(a.get("severity")) == severity], by)
        for severity in [*known, *others]
    ]
    notes = []
    if hidden:
        notes.append({
            "text": f"{hidden} quieter {'rules' if by == 'rule' else 'regions'} not shown",
            "xref": "paper", "yref": "paper", "x": 1, "y": 1.02, "xanchor": "right",
            "yanchor": "bottom", "showarrow": False, "font": {"color": "#4a5361", "size": 12},
        })  # fmt: skip
    if not alerts:
        notes.append({
            "text": "No alerts to show", "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
            "showarrow": False, "font": {"color": "#4a5361", "size": 14},
        })  # fmt: skip
    height = min(MAX_TIMELINE_PX, TIMELINE_CHROME_PX + LANE_PX * max(len(lanes), 3))
    layout = {
        **chart_layout(height),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 30},
        "dragmode": "zoom",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "title": None},
        "xaxis": {
            "type": "date",
            "showgrid": True,
            "gridcolor": "#eceff3",
            "range": time_range(alerts),
        },
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            # Plotly draws the first category at the bottom: reverse for A at the top.
            "categoryarray": lanes[::-1],
            "automargin": True,
            "fixedrange": True,  # zoom moves along time only; lanes stay readable
            "gridcolor": "#eceff3",
        },
        "annotations": notes,
    }
    # Built on every Overview load: plotly.py's checks are left to the unit tests.
    return unchecked_figure({"data": data, "layout": layout})


def clicked_alert_id(click: Mapping[str, Any] | None) -> int | None:
    """Return the alert id carried by a timeline click, or None for any other click."""
    points = (click or {}).get("points") or []
    if not points:
        return None
    value = points[0].get("customdata")
    if isinstance(value, list):  # plotly wraps scalar customdata in a list on some paths
        value = value[0] if value else None
    return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else None


def context_window(
    items: Sequence[Mapping[str, Any]], period: str, *, around: int = CONTEXT_PERIODS
) -> list[Mapping[str, Any]]:
    """Return the observations within ``around`` periods of ``period`` (every vintage kept)."""
    periods = sorted({str(i["period"]) for i in items}, key=period_date)
    if period not in periods:
        return list(items)
    where = periods.index(period)
    kept = set(periods[max(where - around, 0) : where + around + 1])
    return [i for i in items if i["period"] in kept]


def _level_line(figure: go.Figure, value: float | None, name: str, color: str, dash: str) -> None:
    """Draw a labelled horizontal line (baseline or threshold) when the alert has one."""
    if value is None:
        return
    figure.add_hline(
        y=value,
        line={"color": color, "width": 1.5, "dash": dash},
        annotation={"text": f"{name} {format_value(value)}", "font": {"color": color, "size": 12}},
        annotation_position="top left",
    )


def context_figure(series: Mapping[str, Any], alert: Mapping[str, Any]) -> go.Figure:
    """Return the series around the alert's period with its value, baseline and threshold."""
    window = {**series, "items": context_window(series["items"], str(alert["period"]))}
    figure = go.Figure(series_traces(window))
    value = alert.get("value")
    if value is not None:
        color = SEVERITY_COLORS.get(str(alert.get("severity")), FALLBACK_COLOR)
        figure.add_trace(
            go.Scatter(
                x=[period_date(str(alert["period"]))],
                y=[value],
                mode="markers",
                name="alert",
                marker={"symbol": "triangle-up", "size": 15, "color": color,
                        "line": {"color": "#111111", "width": 1}},
                hovertext=[f"<b>alert</b> {alert['period']}: {format_value(float(value))}"],
                hoverinfo="text",
                showlegend=False,
            )
        )  # fmt: skip
    _level_line(figure, alert.get("baseline"), "baseline", BASELINE_COLOR, "dot")
    _level_line(figure, alert.get("threshold"), "threshold", THRESHOLD_COLOR, "dash")
    unit = series["indicator"].get("unit", "")
    figure.update_layout(
        height=240,
        font=FONT | {"size": 12},
        margin={"l": 50, "r": 10, "t": 10, "b": 30},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        hovermode="closest",
        xaxis={"type": "date", "showgrid": True, "gridcolor": "#eceff3"},
        yaxis={"title": {"text": unit}, "gridcolor": "#eceff3", "zeroline": False},
    )
    return figure
