"""Snapshots: freeze a quarter (analyst), list past snapshots, download them, see the diff.

Downloads are links to this dashboard server (``/snapshots/<id>/files/<format>``), which
fetches the file from the API with the signed-in user's token: the token never reaches the
browser, and the browser never talks to the API directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import dash
import flask
from dash import Dash, Input, Output, State, ctx, dcc, html
from werkzeug.wrappers import Response

from dashboard import api_client, auth, ids
from dashboard.pages.admin import message, when
from dashboard.session import has_role

QUARTERS_OFFERED = 12
RANKS_SHOWN = 10
FILE_ROUTE = "/snapshots/<int:snapshot_id>/files/<fmt>"
FORMAT_LABELS = {"pdf": "PDF", "xlsx": "XLSX", "csv": "CSV (zip)", "zip": "All (zip)"}
NO_SNAPSHOTS = (
    "No snapshots yet. An analyst creates one above; the scheduler makes one each quarter."
)
NO_PICK = "Choose a snapshot to compare it with the quarter before."
VIEWER_NOTE = "Creating a snapshot needs the analyst role; you can read and download them."


def recent_quarters(today: date, count: int = QUARTERS_OFFERED) -> list[str]:
    """Return ``count`` quarters as ``YYYYQn``, the last one that has ended first."""
    ended = today.year * 4 + (today.month - 1) // 3 - 1  # quarters since year 0, 0-based
    return [f"{index // 4}Q{index % 4 + 1}" for index in range(ended, ended - count, -1)]


def layout(**_query: Any) -> html.Div:
    """Return the Snapshots page; creating is disabled below the analyst role."""
    quarters = recent_quarters(date.today())
    can_create = has_role("analyst")
    return html.Div(
        className="snapshots",
        children=[
            html.Section(
                className="panel",
                children=[
                    html.Div(html.H2("Create a snapshot"), className="panel-head"),
                    html.Div(
                        className="form-row",
                        children=[
                            html.Label(
                                [
                                    html.Span("Quarter", className="field-label"),
                                    dcc.Dropdown(
                                        id=ids.SNAPSHOT_QUARTER,
                                        options=quarters,
                                        value=quarters[0],
                                        clearable=False,
                                        disabled=not can_create,
                                    ),
                                ],
                                className="field",
                            ),
                            html.Button(
                                "Create snapshot",
                                id=ids.SNAPSHOT_CREATE,
                                className="button",
                                disabled=not can_create,
                            ),
                        ],
                    ),
                    None if can_create else html.P(VIEWER_NOTE, className="table-note"),
                    dcc.Loading(html.Div(id=ids.SNAPSHOT_MESSAGE)),
                ],
            ),
            html.Section(
                className="panel",
                children=[
                    html.Div(html.H2("Snapshots"), className="panel-head"),
                    dcc.Loading(html.Div(id=ids.SNAPSHOT_LIST)),
                ],
            ),
            html.Section(
                className="panel",
                children=[
                    html.Div(
                        className="panel-head",
                        children=[
                            html.H2("Changes against the previous quarter"),
                            dcc.Dropdown(
                                id=ids.SNAPSHOT_PICK, options=[], className="snapshot-pick"
                            ),
                        ],
                    ),
                    dcc.Loading(html.Div(id=ids.SNAPSHOT_DIFF)),
                ],
            ),
        ],
    )


# ----------------------------------------------------------------- views (pure)


def file_href(snapshot_id: int, fmt: str) -> str:
    """Return the dashboard's download address of one export."""
    return f"/snapshots/{snapshot_id}/files/{fmt}"


def snapshots_table(items: Sequence[Mapping[str, Any]]) -> html.Table | html.P:
    """Return the snapshots, newest first, with their counts and download links."""
    if not items:
        return html.P(NO_SNAPSHOTS, className="empty-state")
    titles = ("Quarter", "Created", "By", "Alerts", "Regions", "Documents", "Observations")
    head = html.Tr([html.Th(title) for title in (*titles, "Download")])
    rows = [
        html.Tr(
            [
                html.Td(snap["quarter"]),
                html.Td(when(snap["created_at"])),
                html.Td(snap["created_by"]),
                *[
                    html.Td(f"{snap['counts'][key]:,}", className="num")
                    for key in ("alerts", "regions", "documents", "observations")
                ],
                html.Td(
                    [
                        html.A(
                            FORMAT_LABELS[fmt],
                            href=file_href(snap["id"], fmt),
                            className="download-link",
                            download="",
                        )
                        for fmt in api_client.SNAPSHOT_FORMATS
                    ]
                ),
            ]
        )
        for snap in items
    ]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="data-table")


def _alert_list(title: str, alerts: Sequence[Mapping[str, Any]]) -> html.Div:
    entries = [
        html.Li(f"{a['region_name']} — {a['rule']} ({a['period']}, {a['severity']})")
        for a in alerts
    ]
    return html.Div(
        className="diff-group",
        children=[
            html.H3(f"{title} ({len(alerts)})"),
            html.Ul(entries) if entries else html.P("None.", className="empty-state"),
        ],
    )


def diff_view(diff: Mapping[str, Any]) -> html.Div:
    """Return the diff: the summary sentence, alerts new/escalated/resolved, rank changes."""
    previous = diff.get("previous_quarter")
    against = f"{diff['quarter']} against {previous}" if previous else diff["quarter"]
    ranks = [
        html.Tr(
            [
                html.Td(rank["region_name"]),
                html.Td(rank["indicator"]),
                html.Td(str(rank["previous_rank"]), className="num"),
                html.Td(str(rank["rank"]), className="num"),
                html.Td(f"{rank['moved']:+d}", className="num"),
            ]
        )
        for rank in diff["ranks"][:RANKS_SHOWN]
    ]
    rank_head = html.Tr([html.Th(t) for t in ("Region", "Indicator", "Was", "Now", "Moved")])
    return html.Div(
        className="snapshot-diff",
        children=[
            html.P([html.Strong(against), f": {diff['summary']}"]),
            html.Div(
                className="diff-groups",
                children=[
                    _alert_list("New alerts", diff["new"]),
                    _alert_list("Escalated", diff["escalated"]),
                    _alert_list("Resolved", diff["resolved"]),
                ],
            ),
            html.H3("Largest rank changes"),
            html.Table([html.Thead(rank_head), html.Tbody(ranks)], className="data-table")
            if ranks
            else html.P("No rank changed.", className="empty-state"),
        ],
    )


def snapshot_options(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return dropdown options, one per snapshot, newest first."""
    return [{"label": f"{s['quarter']} (#{s['id']})", "value": s["id"]} for s in items]


# ----------------------------------------------------------------- server side


def download_view(api_url: str) -> Any:
    """Return the Flask view that serves a snapshot export fetched with the user's token."""

    def download(snapshot_id: int, fmt: str) -> Response:
        if fmt not in api_client.SNAPSHOT_FORMATS:
            flask.abort(404)
        try:
            found = api_client.snapshot_file(api_url, snapshot_id, fmt)
        except api_client.ApiError as exc:
            if exc.status == 401:
                auth.sign_out_locally()
                return flask.redirect(auth.login_url("/snapshots", error="expired"))
            flask.abort(exc.status if exc.status in (403, 404) else 502, description=str(exc))
        answer = Response(found["content"], mimetype=found["media_type"])
        answer.headers["Content-Disposition"] = found["disposition"]
        return answer

    return download


def create_and_list(api_url: str, action: str | None, quarter: str | None) -> tuple[Any, Any, Any]:
    """Create the quarter's snapshot when asked, then list; return (message, table, options)."""
    status = None
    try:
        if action == ids.SNAPSHOT_CREATE and quarter:
            created = api_client.create_snapshot(api_url, quarter)
            text = f"Snapshot of {created['quarter']} created (#{created['id']})."
            status = message(text, ok=True)
        items = api_client.snapshots(api_url)["items"]
    except api_client.ApiError as exc:
        return message(str(exc), ok=False), dash.no_update, dash.no_update
    return status, snapshots_table(items), snapshot_options(items)


def register(app: Dash, *, api_url: str) -> None:
    """Register the Snapshots page at /snapshots, its download route and its callbacks."""
    dash.register_page(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        __name__,
        path="/snapshots",
        name="Snapshots",
        title="Tocsin — Snapshots",
        order=7,
        layout=layout,
    )
    app.server.add_url_rule(FILE_ROUTE, "snapshot_file", download_view(api_url))

    @app.callback(
        Output(ids.SNAPSHOT_MESSAGE, "children"),
        Output(ids.SNAPSHOT_LIST, "children"),
        Output(ids.SNAPSHOT_PICK, "options"),
        Input(ids.SNAPSHOT_CREATE, "n_clicks"),
        State(ids.SNAPSHOT_QUARTER, "value"),
    )
    def _snapshots(_clicks: int | None, quarter: str | None) -> tuple[Any, Any, Any]:
        return create_and_list(api_url, ctx.triggered_id, quarter)

    @app.callback(Output(ids.SNAPSHOT_PICK, "value"), Input(ids.SNAPSHOT_PICK, "options"))
    def _pick_newest(options: list[dict[str, Any]] | None) -> Any:
        return options[0]["value"] if options else None

    @app.callback(Output(ids.SNAPSHOT_DIFF, "children"), Input(ids.SNAPSHOT_PICK, "value"))
    def _diff(snapshot_id: int | None) -> Any:
        if snapshot_id is None:
            return html.P(NO_PICK, className="empty-state")
        try:
            return diff_view(api_client.snapshot_diff(api_url, snapshot_id))
        except api_client.ApiError as exc:
            return message(str(exc), ok=False)
