"""Alerts: the inbox in AG Grid, triage actions on the selection, and the explanation panel.

Filters, sort and paging are server-side (GET /alerts); the grid shows one page. Actions
go through POST /alerts/bulk for several alerts and the single-alert endpoints for one.
``/alerts?id=N`` opens alert N in the explanation panel (the Overview's timeline links
here). The views (``inbox_view``, ``apply_action``, ``alert_detail.detail_view``) call
the API client; the callbacks in ``register`` only route inputs to them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import dash
import dash_ag_grid as dag
from dash import ALL, Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import api_client, ids, session
from dashboard.figures import SEVERITY_COLORS
from dashboard.pages import alert_detail
from dashboard.pages.overview import format_value, ink_for

PAGE_SIZE = 50
EMPTY = "No alerts match these filters. Widen or clear a filter to see more."
STATES = ("pending", "firing", "resolved", "nodata", "error")
SEVERITIES = ("critical", "warning", "info")
TRIAGES = ("new", "acknowledged", "escalated", "dismissed")
LABELS = ("useful", "false_alarm", "already_known", "too_late")
SORTS = {
    "-detected_at": "Newest detected",
    "detected_at": "Oldest detected",
    "-severity": "Most severe",
    "-period": "Latest period",
    "period": "Earliest period",
    "region": "Region A to Z",
    "rule": "Rule A to Z",
}
TRIAGE_ACTIONS = {"acknowledge": "Acknowledge", "escalate": "Escalate", "dismiss": "Dismiss"}
DONE_WORDS = {"acknowledge": "Acknowledged", "escalate": "Escalated", "dismiss": "Dismissed",
              "assign": "Assigned", "label": "Labelled", "comment": "Commented on"}  # fmt: skip
COLUMNS: list[dict[str, Any]] = [
    {"field": "severity", "headerName": "Severity", "width": 115, "cellStyle": {
        "styleConditions": [
            {"condition": f"params.value == '{name}'",
             "style": {"backgroundColor": colour, "color": ink_for(colour), "fontWeight": 600}}
            for name, colour in SEVERITY_COLORS.items()
        ]}},
    {"field": "region_name", "headerName": "Region", "width": 150},
    {"field": "rule", "headerName": "Rule", "width": 180},
    {"field": "period", "headerName": "Period", "width": 100},
    {"field": "state", "headerName": "State", "width": 100},
    {"field": "triage", "headerName": "Triage", "width": 130},
    {"field": "assignee", "headerName": "Assignee", "width": 120},
    {"field": "value", "headerName": "Value", "width": 100, "type": "rightAligned"},
    {"field": "detected", "headerName": "Detected (UTC)", "width": 165},
    {"field": "explanation", "headerName": "Explanation", "flex": 1, "minWidth": 260,
     "tooltipField": "explanation"},
]  # fmt: skip


def layout(id: str | None = None, **_query: Any) -> html.Div:
    """Return the inbox; ``id`` (from /alerts?id=N) opens that alert in the panel."""
    focus = int(id) if id and id.isdigit() else None
    return html.Div(
        className="alerts-page",
        children=[
            dcc.Store(id=ids.ALERTS_FOCUS, data=focus),
            dcc.Store(id=ids.ALERTS_REFRESH, data=0),
            dcc.Store(id=ids.ALERTS_PAGE, data=1),
            _filters(),
            html.Div(
                className="alerts-grid-layout",
                children=[_inbox_panel(), _detail_panel()],
            ),
        ],
    )


def _labelled(component_id: str, label: str, control: Any) -> html.Div:
    """Return one filter: its label (tied to the control for screen readers) over it."""
    label_tag = html.Label(label, htmlFor=component_id, className="control-label")
    return html.Div([label_tag, control], className="filter")


def _multi(component_id: str, label: str, options: tuple[str, ...], value: list[str]) -> Any:
    control = dcc.Dropdown(
        id=component_id, options=list(options), value=value, multi=True, placeholder="any",
        className="select",
    )  # fmt: skip
    return _labelled(component_id, label, control)


def _text(component_id: str, label: str, placeholder: str) -> html.Div:
    control = dcc.Input(
        id=component_id, type="text", placeholder=placeholder, debounce=True,
        className="text-input",
    )  # fmt: skip
    return _labelled(component_id, label, control)


def _filters() -> html.Section:
    sort = dcc.Dropdown(
        id=ids.ALERTS_SORT,
        options=[{"label": text, "value": key} for key, text in SORTS.items()],
        value="-detected_at",
        clearable=False,
        className="select",
    )
    return html.Section(
        className="panel alerts-filters",
        children=[
            _multi(ids.ALERTS_STATE, "State", STATES, ["firing"]),
            _multi(ids.ALERTS_SEVERITY, "Severity", SEVERITIES, []),
            _multi(ids.ALERTS_TRIAGE, "Triage", TRIAGES, []),
            _text(ids.ALERTS_RULE, "Rule", "rule name"),
            _text(ids.ALERTS_REGION, "Region", "ISO3, e.g. HND GTM"),
            _text(ids.ALERTS_PERIOD_FROM, "Period from", "e.g. 2018"),
            _text(ids.ALERTS_PERIOD_TO, "Period to", "e.g. 2023"),
            _labelled(ids.ALERTS_SORT, "Sort", sort),
        ],
    )


def _inbox_panel() -> html.Section:
    grid = dag.AgGrid(
        id=ids.ALERTS_GRID,
        rowData=[],
        columnDefs=COLUMNS,
        getRowId="'' + params.data.id",  # a string: AG Grid warns of a number (its #25)
        defaultColDef={"sortable": False, "resizable": True},  # sorting is server-side
        dashGridOptions={
            "rowSelection": {"mode": "multiRow", "enableClickSelection": True},
            "localeText": {"noRowsToShow": EMPTY},  # plain text: templates count as code
            "tooltipShowDelay": 300,
        },
        style={"height": "560px"},
        className="ag-theme-quartz alerts-grid",
    )
    pager = html.Div(
        className="pager",
        children=[
            html.Button("Previous", id=ids.ALERTS_PREV, className="button", disabled=True),
            html.Span(id=ids.ALERTS_PAGER, className="pager-text", role="status"),
            html.Button("Next", id=ids.ALERTS_NEXT, className="button", disabled=True),
        ],
    )
    return html.Section(
        className="panel inbox-panel",
        children=[
            html.Div(html.H2("Inbox"), className="panel-head"),
            _actions(),
            html.Div(id=ids.ALERTS_MESSAGE, className="panel-message", role="alert", hidden=True),
            dcc.Loading(grid),
            pager,
        ],
    )


def _actions() -> html.Div:
    """Return the action bar; hidden for viewers (the API refuses them anyway)."""
    buttons = [
        html.Button(text, id={"type": ids.ALERTS_ACTION, "action": action}, className="button")
        for action, text in TRIAGE_ACTIONS.items()
    ]
    return html.Div(
        id=ids.ALERTS_ACTIONS,
        className="alert-actions",
        hidden=not session.has_role("analyst"),
        children=[
            html.Div(buttons, className="button-row"),
            html.Div(className="button-row", children=[
                html.Label("Assignee", htmlFor=ids.ALERTS_ASSIGNEE, className="control-label"),
                dcc.Input(id=ids.ALERTS_ASSIGNEE, placeholder="username", className="text-input"),
                html.Button("Assign", id={"type": ids.ALERTS_ACTION, "action": "assign"},
                            className="button"),
                dcc.Dropdown(id=ids.ALERTS_LABEL, options=list(LABELS), value="useful",
                             clearable=False, className="select label-select"),
                html.Button("Label", id={"type": ids.ALERTS_ACTION, "action": "label"},
                            className="button"),
            ]),
            html.Div(className="button-row", children=[
                html.Label("Comment", htmlFor=ids.ALERTS_COMMENT, className="control-label"),
                dcc.Textarea(id=ids.ALERTS_COMMENT, placeholder="Comment on the selected alerts",
                             className="comment-input"),
                html.Button("Comment", id={"type": ids.ALERTS_ACTION, "action": "comment"},
                            className="button"),
            ]),
            html.P("Select rows, then act on all of them.", id=ids.ALERTS_RESULT,
                   className="action-result", role="status"),
        ],
    )  # fmt: skip


def _detail_panel() -> html.Section:
    empty = html.P(alert_detail.NO_FOCUS, className="empty-state")
    return html.Section(
        className="panel detail-panel",
        children=[
            html.Div(html.H2("Explanation"), className="panel-head"),
            dcc.Loading(html.Div(empty, id=ids.ALERTS_DETAIL, className="alert-detail")),
        ],
    )


# ----------------------------------------------------------------------------- views


@dataclass(frozen=True)
class Filters:
    """The inbox's server-side filters and sort, as the controls hold them."""

    state: list[str] | None = None
    severity: list[str] | None = None
    triage: list[str] | None = None
    rule: str | None = None
    region: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    sort: str = "-detected_at"

    def query(self) -> dict[str, Any]:
        """Return the keyword arguments of api_client.alerts (empty filters left out)."""
        regions = (self.region or "").upper().replace(",", " ").split()
        return {
            "state": self.state or None,
            "severity": self.severity or None,
            "triage": self.triage or None,
            "rule": (self.rule or "").strip() or None,
            "region": regions or None,
            "period_from": (self.period_from or "").strip() or None,
            "period_to": (self.period_to or "").strip() or None,
            "sort": self.sort or "-detected_at",
        }


def grid_row(alert: api_client.Alert) -> dict[str, Any]:
    """Return one alert as a grid row: display fields plus its id."""
    return {
        **alert,
        "region_name": alert.get("region_name") or alert["region"],
        "value": format_value(alert.get("value")),
        "detected": str(alert.get("detected_at", ""))[:16].replace("T", " "),
    }


def inbox_view(api_url: str, filters: Filters, page: int) -> tuple[Any, ...]:
    """Return rows, pager text, previous/next disabled, and a message (empty when none)."""
    try:
        found = api_client.alerts(api_url, page=page, page_size=PAGE_SIZE, **filters.query())
    except api_client.ApiError as exc:
        return [], "", True, True, f"Alerts could not be loaded. {exc}"
    total, items = found["total"], found["items"]
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    if not items:
        return [], "0 alerts", True, True, EMPTY
    first = (page - 1) * PAGE_SIZE + 1
    text = f"{first} to {first + len(items) - 1} of {total} alerts · page {page} of {pages}"
    return [grid_row(a) for a in items], text, page <= 1, page >= pages, ""


def _outcome_sentence(action: str, done: int, refused: list[str]) -> str:
    word = DONE_WORDS.get(action, action)
    sentence = f"{word} {done} alert{'s' if done != 1 else ''}."
    return f"{sentence} Refused: {'; '.join(refused)}." if refused else sentence


def apply_action(api_url: str, action: str, alert_ids: list[int], values: dict[str, Any]) -> str:
    """Apply one action to the alerts; return a sentence saying what was done or refused."""
    if not alert_ids:
        return "Select one or more alerts first."
    if action == "comment" and not (values.get("comment") or "").strip():
        return "Write a comment first."
    try:
        if action == "comment":
            for alert_id in alert_ids:  # the bulk endpoint has no comment action
                api_client.comment_alert(api_url, alert_id, body=values["comment"])
            return _outcome_sentence(action, len(alert_ids), [])
        if len(alert_ids) == 1:
            _single(api_url, action, alert_ids[0], values)
            return _outcome_sentence(action, 1, [])
        extra = {"assignee": values.get("assignee") or None} if action == "assign" else {}
        extra |= {"label": values.get("label")} if action == "label" else {}
        outcome = api_client.bulk_alerts(api_url, alert_ids, action, **extra)
    except api_client.ApiError as exc:
        return f"Nothing changed. {exc}"
    refused = [f"#{i['id']} {i.get('detail') or i['status']}" for i in outcome["items"]
               if i["status"] != 200]  # fmt: skip
    return _outcome_sentence(action, int(outcome["done"]), refused)


def _single(api_url: str, action: str, alert_id: int, values: dict[str, Any]) -> None:
    """Call the single-alert endpoint for one action (its 409 says why it was refused)."""
    if action == "assign":
        api_client.assign_alert(api_url, alert_id, assignee=values.get("assignee") or None)
    elif action == "label":
        api_client.label_alert(api_url, alert_id, label=str(values.get("label") or "useful"))
    else:
        api_client.triage_alert(api_url, alert_id, action)


def focus_after_selection(selected: list[dict[str, Any]] | None, current: int | None) -> int | None:
    """Return the alert the panel shows: the current one if still selected, else the first."""
    chosen = [int(row["id"]) for row in selected or []]
    if not chosen:
        return None
    return current if current in chosen else chosen[0]


def next_page(trigger: Any, page: int | None) -> int:
    """Return the page to show after a pager click; any filter change goes back to page 1."""
    if trigger == ids.ALERTS_NEXT:
        return (page or 1) + 1
    if trigger == ids.ALERTS_PREV:
        return max((page or 1) - 1, 1)
    return 1


# ------------------------------------------------------------------------- callbacks

FILTER_IDS = (
    ids.ALERTS_STATE, ids.ALERTS_SEVERITY, ids.ALERTS_TRIAGE, ids.ALERTS_RULE,
    ids.ALERTS_REGION, ids.ALERTS_PERIOD_FROM, ids.ALERTS_PERIOD_TO, ids.ALERTS_SORT,
)  # fmt: skip


def register(app: Dash, *, api_url: str) -> None:
    """Register the Alerts page at /alerts and attach its callbacks to the app."""
    dash.register_page(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        __name__, path="/alerts", name="Alerts", title="Tocsin — Alerts", order=1, layout=layout,
        libraries=("dash_ag_grid",),  # linked on this page only (dashboard/app.py)
    )  # fmt: skip

    @app.callback(
        Output(ids.ALERTS_PAGE, "data"),
        Input(ids.ALERTS_PREV, "n_clicks"),
        Input(ids.ALERTS_NEXT, "n_clicks"),
        *[Input(component, "value") for component in FILTER_IDS],
        State(ids.ALERTS_PAGE, "data"),
    )
    def _page(*args: Any) -> int:
        return next_page(dash.ctx.triggered_id, args[-1])

    @app.callback(
        Output(ids.ALERTS_GRID, "rowData"),
        Output(ids.ALERTS_PAGER, "children"),
        Output(ids.ALERTS_PREV, "disabled"),
        Output(ids.ALERTS_NEXT, "disabled"),
        Output(ids.ALERTS_MESSAGE, "children"),
        Output(ids.ALERTS_MESSAGE, "hidden"),
        Input(ids.ALERTS_PAGE, "data"),
        Input(ids.ALERTS_REFRESH, "data"),
        *[State(component, "value") for component in FILTER_IDS],
    )
    def _inbox(page: int | None, _refresh: int, *values: Any) -> tuple[Any, ...]:
        rows, text, no_prev, no_next, message = inbox_view(api_url, Filters(*values), page or 1)
        return rows, text, no_prev, no_next, message, not message

    @app.callback(
        Output(ids.ALERTS_RESULT, "children"),
        Output(ids.ALERTS_REFRESH, "data"),
        Input({"type": ids.ALERTS_ACTION, "action": ALL}, "n_clicks"),
        State(ids.ALERTS_GRID, "selectedRows"),
        State(ids.ALERTS_FOCUS, "data"),
        State(ids.ALERTS_ASSIGNEE, "value"),
        State(ids.ALERTS_LABEL, "value"),
        State(ids.ALERTS_COMMENT, "value"),
        State(ids.ALERTS_REFRESH, "data"),
        prevent_initial_call=True,
    )
    def _act(clicks: list[int | None], selected: list[dict[str, Any]] | None,
             focus: int | None, assignee: str | None, label: str | None, comment: str | None,
             refresh: int) -> tuple[str, int]:  # fmt: skip
        trigger = dash.ctx.triggered_id
        if not any(clicks) or not isinstance(trigger, dict):
            raise PreventUpdate
        chosen = [int(row["id"]) for row in selected or []] or ([focus] if focus else [])
        values = {"assignee": assignee, "label": label, "comment": comment}
        return apply_action(api_url, str(trigger["action"]), chosen, values), (refresh or 0) + 1

    @app.callback(
        Output(ids.ALERTS_FOCUS, "data"),
        Input(ids.ALERTS_GRID, "selectedRows"),
        State(ids.ALERTS_FOCUS, "data"),
        prevent_initial_call=True,
    )
    def _focus(selected: list[dict[str, Any]] | None, current: int | None) -> int:
        focus = focus_after_selection(selected, current)
        if focus is None:
            raise PreventUpdate
        return focus

    @app.callback(
        Output(ids.ALERTS_DETAIL, "children"),
        Input(ids.ALERTS_FOCUS, "data"),
        Input(ids.ALERTS_REFRESH, "data"),
    )
    def _detail(focus: int | None, _refresh: int) -> Any:
        return alert_detail.detail_view(api_url, focus)
