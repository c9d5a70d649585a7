"""The Alerts page's explanation panel: why one alert fired, with its numbers and history.

``detail_view`` calls the API client (the alert, and the series around it for the small
chart) and returns components; the page's callback only routes the focused id to it.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard import api_client, figures_alerts
from dashboard.figures import GRAPH_CONFIG
from dashboard.pages.overview import format_value, severity_chip

NO_FOCUS = "Select an alert to see why it fired."


def detail_view(api_url: str, alert_id: int | None) -> Any:
    """Return the explanation panel for one alert, or a message saying why there is none."""
    if alert_id is None:
        return html.P(NO_FOCUS, className="empty-state")
    try:
        alert = api_client.alert(api_url, alert_id)
    except api_client.ApiError as exc:
        return html.P(f"Alert {alert_id} could not be loaded. {exc}", className="panel-message")
    return html.Div([*_summary(alert), _context(api_url, alert), *_history(alert)])


def _summary(alert: dict[str, Any]) -> list[Any]:
    facts = [
        ("Rule", f"{alert['rule']} (version {alert['rule_version']})"),
        ("Region", f"{alert.get('region_name') or alert['region']} ({alert['region']})"),
        ("Period", alert["period"]),
        ("Detected", str(alert.get("detected_at", ""))[:19].replace("T", " ") + " UTC"),
        ("State / triage", f"{alert['state']} / {alert['triage']}"),
        ("Assignee", alert.get("assignee") or "nobody"),
    ]
    numbers = [(name.title(), format_value(alert.get(name)))
               for name in ("value", "baseline", "threshold")]  # fmt: skip
    return [
        html.Div(
            [severity_chip(alert["severity"]), html.Span(f" Alert #{alert['id']}")],
            className="detail-head",
        ),
        html.P(alert.get("explanation") or "", className="detail-sentence"),
        _table(facts, "facts"),
        _table(numbers, "numbers"),
    ]


def _table(rows: list[tuple[str, str]], kind: str) -> html.Table:
    body = [html.Tr([html.Th(name, scope="row"), html.Td(value)]) for name, value in rows]
    return html.Table(html.Tbody(body), className=f"detail-table {kind}")


def _context(api_url: str, alert: dict[str, Any]) -> Any:
    """Return the small chart of the series around the alert, or why it is missing."""
    try:
        series = api_client.series(api_url, region=alert["region"], indicator=alert["indicator"])
    except api_client.ApiError as exc:
        return html.P(f"The series could not be loaded. {exc}", className="panel-message")
    figure = figures_alerts.context_figure(series, alert)
    return dcc.Graph(figure=figure, config=GRAPH_CONFIG, className="context-graph")  # type: ignore[arg-type]


def _history(alert: dict[str, Any]) -> list[Any]:
    transitions = [
        html.Li(f"{t['at'][:16].replace('T', ' ')} · {t['actor']}: {t['field']} "
                f"{t.get('from_value') or '—'} → {t.get('to_value') or '—'}"
                + (f" ({t['note']})" if t.get("note") else ""))
        for t in alert.get("transitions", [])
    ]  # fmt: skip
    comments = [
        html.Li([html.Strong(c["author"]), f" {c['created_at'][:16].replace('T', ' ')}: ",
                 c["body"]]) for c in alert.get("comments", [])
    ]  # fmt: skip
    return [
        html.H3("History"),
        html.Ol(transitions, className="history") if transitions else html.P("No changes yet."),
        html.H3("Comments"),
        html.Ul(comments, className="comments") if comments else html.P("No comments yet."),
    ]
