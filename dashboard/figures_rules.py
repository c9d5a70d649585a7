"""Pure figure builders for the rules workbench: the backtest timeline of an edit (alerts
kept, added and removed against the saved version) and the scorecard bars."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from dashboard.figures import FONT

# Okabe-Ito, with a marker shape each so the three read apart without colour: added blue
# triangles, removed reddish-purple crosses, kept grey dots. None is a severity colour.
STATUS_STYLES: dict[str, dict[str, Any]] = {
    "kept": {"color": "#8c96a3", "symbol": "circle", "label": "kept"},
    "added": {"color": "#0072b2", "symbol": "triangle-up", "label": "added by the edit"},
    "removed": {"color": "#cc79a7", "symbol": "x", "label": "removed by the edit"},
}
SCORE_COLORS = {"precision": "#009e73", "recall": "#56b4e9"}
ROW_PX = 22
MAX_REGIONS = 40
# The period axis and the legend sit on top: a tall timeline scrolls, its head stays first.
TIMELINE_MARGIN = {"l": 60, "r": 16, "t": 78, "b": 16}


def alert_key(alert: Mapping[str, Any]) -> tuple[str, str, str]:
    """Return what identifies a past alert across versions: rule, region and period."""
    return str(alert["rule"]), str(alert["region"]), str(alert["period"])


def impact_rows(
    proposed: Sequence[Mapping[str, Any]],
    added: Sequence[Mapping[str, Any]],
    removed: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Return every alert of the edit's backtest and the removed ones, each with a status.

    ``proposed`` is the edited rule's backtest; the alerts in it that ``added`` does not
    hold are the ones the saved version raises too (kept). Rows come in period order.
    """
    new = {alert_key(alert) for alert in added}
    rows = [
        {**alert, "status": "added" if alert_key(alert) in new else "kept"} for alert in proposed
    ]
    rows += [{**alert, "status": "removed"} for alert in removed]
    return sorted(rows, key=lambda row: (str(row["period"]), str(row["region"])))


def status_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Return how many rows are kept, added and removed."""
    counts = dict.fromkeys(STATUS_STYLES, 0)
    for row in rows:
        counts[row["status"]] += 1
    return counts


def focus_rows(
    rows: Sequence[Mapping[str, Any]], max_regions: int = MAX_REGIONS
) -> tuple[list[Mapping[str, Any]], int]:
    """Return the rows to draw and how many regions were left out to keep it readable.

    Every region where the edit adds or removes an alert is drawn; the remaining room, up
    to ``max_regions``, goes to the regions with the most kept alerts, for context.
    """
    alerts = Counter(str(row["region"]) for row in rows)
    changed = {str(row["region"]) for row in rows if row["status"] != "kept"}
    ranked = sorted(alerts, key=lambda region: (region not in changed, -alerts[region], region))
    chosen = set(ranked[: max(max_regions, len(changed))])
    return [row for row in rows if row["region"] in chosen], len(alerts) - len(chosen)


def timeline_figure(
    rows: Sequence[Mapping[str, Any]], totals: Mapping[str, int] | None = None
) -> go.Figure:
    """Return periods x regions with one marker per alert, styled kept, added or removed.

    The legend counts ``totals`` when given (all the alerts, where ``rows`` may be a part).
    """
    counts = totals if totals is not None else status_counts(rows)
    periods = sorted({str(row["period"]) for row in rows})
    regions = sorted({str(row["region"]) for row in rows}, reverse=True)
    figure = go.Figure()
    for status, style in STATUS_STYLES.items():
        chosen = [row for row in rows if row["status"] == status]
        figure.add_scatter(
            x=[str(row["period"]) for row in chosen],
            y=[str(row["region"]) for row in chosen],
            mode="markers",
            name=f"{style['label']} ({counts[status]})",
            marker={
                "color": style["color"],
                "symbol": style["symbol"],
                "size": 12,
                "line": {"width": 2 if status == "removed" else 1, "color": style["color"]},
            },
            customdata=[[row["severity"], row.get("explanation", "")] for row in chosen],
            hovertemplate=f"%{{y}} %{{x}} · {status} · %{{customdata[0]}}"
            "<br>%{customdata[1]}<extra></extra>",
        )
    figure.update_layout(
        height=max(200, ROW_PX * len(regions) + TIMELINE_MARGIN["t"] + TIMELINE_MARGIN["b"]),
        margin=TIMELINE_MARGIN,
        font=FONT | {"size": 13},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        # Always a legend: plotly drops it when one trace holds every point (no change).
        showlegend=True,
        legend={"orientation": "h", "yref": "container", "y": 1, "yanchor": "top", "x": 0},
        xaxis={
            "side": "top",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": periods,
            "gridcolor": "#eceff3",
            "title": {"text": "data period"},
        },
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": regions,
            "gridcolor": "#eceff3",
        },
    )
    return figure


def scorecard_figure(items: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Return precision and recall per rule as grouped horizontal bars (0 to 100%)."""
    names = [str(item["rule"]) for item in items]
    figure = go.Figure()
    for measure, colour in SCORE_COLORS.items():
        values = [item.get(measure) for item in items]
        figure.add_bar(
            y=names,
            x=[0 if value is None else value for value in values],
            orientation="h",
            name=measure,
            marker_color=colour,
            text=["n/a" if value is None else f"{value:.0%}" for value in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"%{{y}}: {measure} %{{text}}<extra></extra>",
        )
    figure.update_layout(
        barmode="group",
        height=max(140, 56 * len(names) + 60),
        margin={"l": 10, "r": 40, "t": 10, "b": 30},
        font=FONT | {"size": 13},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.25},
        xaxis={"range": [0, 1.1], "tickformat": ".0%", "gridcolor": "#eceff3", "fixedrange": True},
        yaxis={"automargin": True, "fixedrange": True},
    )
    return figure
