"""Pure figure builders for the Region page: small multiples, Council lane, seizures, GDELT.

Input is the API's JSON (series, alerts, documents) as plain dicts; output is a plotly
figure. No I/O. Every point's hover names its source, vintage and retrieval, so every
number on the page can be traced to a release.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures import FONT, SEVERITY_COLORS, format_value, plain

LINE_COLOR = "#225ea8"
REVISED_COLOR = "#7f8c9a"
LANE_COLORS = {"meeting": "#253494", "outcome": "#009e73"}
# Okabe-Ito colours for drug groups: distinct under common colour-vision deficiencies.
GROUP_COLORS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442"]
ROW_HEIGHT = 150
LANE_HEIGHT = 110
MEETING_KINDS = {"meeting"}
COUNCIL_LANE = "Security Council"
SEIZURE_PREFIX, SEIZURE_SUFFIX = "seizures_", "_kg"


def period_date(period: str) -> date:
    """Return the first day of a period: 2020, 2020Q3, 2020-05 or 2020-05-03."""
    year = int(period[:4])
    if "Q" in period:
        return date(year, 3 * int(period[-1]) - 2, 1)
    parts = period.split("-")
    month = int(parts[1]) if len(parts) > 1 else 1
    day = int(parts[2]) if len(parts) > 2 else 1
    return date(year, month, day)


def provenance(item: Mapping[str, Any], retrieved: Mapping[str, str] | None = None) -> str:
    """Return 'source · vintage · retrieved' for one observation, as hover text."""
    source = item.get("source") or "unknown source"
    text = f"source {plain(source)}<br>vintage {plain(item.get('vintage') or '?')}"
    if item.get("retrieved_at"):
        return f"{text}<br>retrieved {plain(str(item['retrieved_at'])[:10])}"
    # The series API does not say when each value was fetched: show the source's last run.
    last = (retrieved or {}).get(source)
    return f"{text}<br>source last retrieved {plain(str(last)[:10])}" if last else text


def _point_hover(item: Mapping[str, Any], unit: str, retrieved: Mapping[str, str] | None) -> str:
    value = item.get("value")
    shown = "no value" if value is None else f"{format_value(float(value))} {plain(unit)}"
    status = "" if item.get("is_latest", True) else " (superseded)"
    demo = "<br>DEMO DATA" if item.get("is_demo") else ""
    source = provenance(item, retrieved)
    return f"<b>{plain(item['period'])}</b>: {shown}{status}<br>{source}{demo}"


def series_traces(
    series: Mapping[str, Any], retrieved: Mapping[str, str] | None = None
) -> list[go.Scatter]:
    """Return the latest values as a solid line and older vintages as faint open markers."""
    unit = series["indicator"].get("unit", "")
    name = plain(series["indicator"].get("name", ""))
    latest = [i for i in series["items"] if i.get("is_latest", True) and i.get("value") is not None]
    older = [
        i for i in series["items"] if not i.get("is_latest", True) and i.get("value") is not None
    ]
    traces = [
        go.Scatter(
            x=[period_date(i["period"]) for i in latest],
            y=[i["value"] for i in latest],
            mode="lines+markers",
            name=name,
            line={"color": LINE_COLOR, "width": 2},
            marker={"size": 5, "color": LINE_COLOR},
            hovertext=[_point_hover(i, unit, retrieved) for i in latest],
            hoverinfo="text",
            showlegend=False,
        )
    ]
    if older:
        traces.append(_revised_trace(older, unit, retrieved))
    return traces


def _revised_trace(
    older: Sequence[Mapping[str, Any]], unit: str, retrieved: Mapping[str, str] | None
) -> go.Scatter:
    """Return superseded vintages as faint open circles."""
    return go.Scatter(
        x=[period_date(i["period"]) for i in older],
        y=[i["value"] for i in older],
        mode="markers",
        name="earlier vintage",
        marker={
            "size": 7,
            "color": "rgba(0,0,0,0)",
            "symbol": "circle-open",
            "line": {"color": REVISED_COLOR, "width": 1.5},
        },
        opacity=0.8,
        hovertext=[_point_hover(i, unit, retrieved) for i in older],
        hoverinfo="text",
        showlegend=False,
    )


def alert_trace(series: Mapping[str, Any], alerts: Sequence[Mapping[str, Any]]) -> go.Scatter:
    """Return the series' alerts as triangles coloured by severity, at the alerted value."""
    code = series["indicator"].get("code")
    mine = [a for a in alerts if a.get("indicator") == code]
    values = {i["period"]: i["value"] for i in series["items"] if i.get("is_latest", True)}
    return go.Scatter(
        x=[period_date(a["period"]) for a in mine],
        y=[a.get("value") if a.get("value") is not None else values.get(a["period"]) for a in mine],
        mode="markers",
        name="alerts",
        marker={
            "symbol": "triangle-up",
            "size": 13,
            "color": [SEVERITY_COLORS.get(a.get("severity", ""), "#5f6b7a") for a in mine],
            "line": {"color": "#111111", "width": 1},
        },
        hovertext=[
            f"<b>{plain(a.get('severity'))}</b> alert · {plain(a.get('rule'))}<br>"
            f"{plain(a['period'])} · {plain(a.get('state'))}<br>{plain(a.get('explanation', ''))}"
            for a in mine
        ],
        hoverinfo="text",
        showlegend=False,
    )


def is_council_outcome(document: Mapping[str, Any]) -> bool:
    """Tell outcomes (resolutions, statements) from meetings."""
    return document.get("kind") not in MEETING_KINDS


def council_trace(documents: Sequence[Mapping[str, Any]], lane: str) -> go.Scatter:
    """Return one lane of dated Council documents: symbol, date and title on hover."""
    dated = [d for d in documents if d.get("date")]
    kind = "meeting" if lane == "meetings" else "outcome"
    return go.Scatter(
        x=[d["date"] for d in dated],
        y=[lane] * len(dated),
        mode="markers",
        name=lane,
        marker={
            "symbol": "diamond" if kind == "outcome" else "circle",
            "size": 11,
            "color": LANE_COLORS[kind],
            "line": {"color": "#ffffff", "width": 1},
        },
        customdata=[d["symbol"] for d in dated],
        hovertext=[
            f"<b>{plain(d['symbol'])}</b> · {plain(d['date'])}<br>"
            f"{_wrap(plain(d.get('title', '')))}<br><i>click to get the link</i>"
            for d in dated
        ],
        hoverinfo="text",
        showlegend=False,
    )


def _wrap(text: str, width: int = 70) -> str:
    """Break a long title into lines for hover labels."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) > width:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    return "<br>".join([*lines, line][:4])


def region_figure(
    series_list: Sequence[Mapping[str, Any]],
    alerts: Sequence[Mapping[str, Any]],
    documents: Sequence[Mapping[str, Any]],
    *,
    retrieved: Mapping[str, str] | None = None,
) -> go.Figure:
    """Return small multiples, one per indicator with data, over the Council lane."""
    rows = len(series_list) + 1
    titles = [_title(s) for s in series_list] + [COUNCIL_LANE]
    figure = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        subplot_titles=titles,
        vertical_spacing=min(0.06, 0.5 / rows),
        row_heights=[ROW_HEIGHT] * (rows - 1) + [LANE_HEIGHT],
    )
    for row, series in enumerate(series_list, start=1):
        for trace in series_traces(series, retrieved):
            figure.add_trace(trace, row=row, col=1)
        figure.add_trace(alert_trace(series, alerts), row=row, col=1)
    figure.update_xaxes(showgrid=True, gridcolor="#eceff3", type="date")
    figure.update_yaxes(gridcolor="#eceff3", zeroline=False)
    figure.update_annotations(font={"size": 14}, xanchor="left", x=0)
    _add_council_lane(figure, documents, row=rows)
    figure.update_layout(chart_layout(ROW_HEIGHT * (rows - 1) + LANE_HEIGHT + 80))
    return figure


def _add_council_lane(
    figure: go.Figure, documents: Sequence[Mapping[str, Any]], *, row: int
) -> None:
    """Draw meetings and outcomes as two category rows, or say the lane is empty."""
    meetings = [d for d in documents if not is_council_outcome(d)]
    outcomes = [d for d in documents if is_council_outcome(d)]
    figure.add_trace(council_trace(meetings, "meetings"), row=row, col=1)
    figure.add_trace(council_trace(outcomes, "outcomes"), row=row, col=1)
    figure.update_yaxes(
        row=row,
        col=1,
        type="category",
        categoryorder="array",
        categoryarray=["outcomes", "meetings"],
        range=[-0.6, 1.6],
    )
    if not [d for d in documents if d.get("date")]:
        suffix = str(row) if row > 1 else ""
        figure.add_annotation(
            text="No dated Council documents for this country",
            xref=f"x{suffix} domain",
            yref=f"y{suffix} domain",
            x=0.5,
            y=0.5,
            showarrow=False,
            font={"color": "#4a5361", "size": 13},
        )


def _title(series: Mapping[str, Any]) -> str:
    indicator = series["indicator"]
    name, unit = indicator.get("name", indicator.get("code")), indicator.get("unit", "")
    return f"<b>{plain(name)}</b> ({plain(unit)})"


def chart_layout(height: int) -> dict[str, Any]:
    """Return the layout the dashboard's time charts share: white, 13 px text, close hover."""
    return {
        "height": height,
        "font": FONT | {"size": 13},
        "margin": {"l": 70, "r": 20, "t": 40, "b": 30},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
    }


def seizure_group(code: str) -> str | None:
    """Return the drug group of a seizures_<group>_kg indicator code, else None."""
    if code.startswith(SEIZURE_PREFIX) and code.endswith(SEIZURE_SUFFIX):
        return code[len(SEIZURE_PREFIX) : -len(SEIZURE_SUFFIX)]
    return None


def seizures_figure(
    series_list: Sequence[Mapping[str, Any]], retrieved: Mapping[str, str] | None = None
) -> go.Figure:
    """Return kilograms seized by drug group as stacked bars, one colour per group."""
    figure = go.Figure()
    for index, series in enumerate(series_list):
        group = seizure_group(series["indicator"]["code"]) or series["indicator"]["code"]
        latest = [
            i for i in series["items"] if i.get("is_latest", True) and i.get("value") is not None
        ]
        figure.add_bar(
            x=[period_date(i["period"]) for i in latest],
            y=[i["value"] for i in latest],
            name=plain(group),
            marker_color=GROUP_COLORS[index % len(GROUP_COLORS)],
            hovertext=[f"<b>{plain(group)}</b> {_point_hover(i, 'kg', retrieved)}" for i in latest],
            hoverinfo="text",
        )
    figure.update_layout(
        chart_layout(320) | {"barmode": "stack", "legend": {"orientation": "h", "y": 1.12}}
    )
    figure.update_yaxes(title_text="kg seized", gridcolor="#eceff3")
    return figure


def gdelt_figure(
    series_list: Sequence[Mapping[str, Any]], retrieved: Mapping[str, str] | None = None
) -> go.Figure:
    """Return the daily GDELT signal(s) as thin lines, one y-axis per indicator."""
    rows = max(len(series_list), 1)
    figure = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        subplot_titles=[_title(s) for s in series_list] or [""],
    )
    for row, series in enumerate(series_list, start=1):
        for trace in series_traces(series, retrieved)[:1]:
            trace.update(mode="lines", line={"width": 1.2})
            figure.add_trace(trace, row=row, col=1)
    figure.update_annotations(font={"size": 14}, xanchor="left", x=0)
    figure.update_layout(chart_layout(160 * rows + 60))
    figure.update_yaxes(gridcolor="#eceff3")
    return figure


def provenance_rows(
    series_list: Sequence[Mapping[str, Any]], retrieved: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Return one row per indicator and source: periods, vintages, revisions, retrieval."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for series in series_list:
        for item in series["items"]:
            key = (series["indicator"]["code"], item.get("source") or "?")
            row = rows.setdefault(
                key,
                {
                    "indicator": series["indicator"].get("name", key[0]),
                    "source": key[1],
                    "periods": set(),
                    "vintages": set(),
                    "revised": 0,
                    "demo": False,
                    "retrieved": item.get("retrieved_at") or (retrieved or {}).get(key[1]),
                },
            )
            row["periods"].add(item["period"])
            row["vintages"].add(str(item.get("vintage")))
            row["revised"] += 0 if item.get("is_latest", True) else 1
            row["demo"] = row["demo"] or bool(item.get("is_demo"))
    return [_flatten(row) for row in rows.values()]


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    periods, vintages = sorted(row["periods"]), sorted(row["vintages"])
    return row | {
        "periods": f"{periods[0]} to {periods[-1]}" if len(periods) > 1 else periods[0],
        "vintages": ", ".join(vintages[-3:]) + (" …" if len(vintages) > 3 else ""),
        "retrieved": str(row["retrieved"])[:16].replace("T", " ") if row["retrieved"] else "—",
    }
