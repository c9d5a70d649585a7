"""The Overview's alert timeline, its "new this week" and "sources stale" figures, live updates.

``assets/live.js`` listens to ``/live`` (the API's event stream relayed by ``dashboard.live``)
while the Overview is open and writes each event into the ``LIVE_EVENTS`` store; the
callbacks here (and the Overview's alert list) take that store as an input, so new alerts
appear without a reload, with a discreet notice saying how many arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import api_client, figures_alerts, ids
from dashboard.figures import GRAPH_CONFIG

TIMELINE_ALERTS = 500  # the API's largest page
ACTIVE_STATES = ["firing", "pending"]
RECENT_ALERTS = 100  # "new this week" counts within the newest this many alerts
WEEK = timedelta(days=7)
LANE_CHOICES = [{"label": "by region", "value": "region"}, {"label": "by rule", "value": "rule"}]
NOTHING = "—"
# What live.js has written before any event. Not None: a memory dcc.Store whose data is
# None writes it again when it mounts, which would fire every callback that takes it.
NO_EVENTS: dict[str, Any] = {"events": 0, "alerts": [], "last_event_id": None}


@dataclass
class TimelineView:
    """What the timeline callback writes: the figure and an error message."""

    figure: Any = field(default_factory=lambda: figures_alerts.timeline_figure([]))
    message: str = ""

    def outputs(self) -> tuple[Any, str, bool]:
        """Return the callback outputs in the order ``register`` declares them."""
        return self.figure, self.message, not self.message


def timeline_panel(view: TimelineView | None = None) -> html.Section:
    """Return the timeline panel: lane toggle, live notice, message and graph."""
    view = view or TimelineView()
    lanes = dcc.RadioItems(
        id=ids.TIMELINE_LANES, options=LANE_CHOICES, value="region", inline=True,
        className="lane-toggle",
    )  # fmt: skip
    notice = html.Button(
        id=ids.LIVE_NOTICE, className="live-notice", hidden=True, title="Hide this notice"
    )
    graph = dcc.Graph(
        id=ids.TIMELINE,
        figure=view.figure,
        config=GRAPH_CONFIG,  # type: ignore[arg-type]  # a plain dict Dash accepts
        className="timeline-graph",
    )
    message = html.Div(
        view.message, id=ids.TIMELINE_MESSAGE, className="panel-message", hidden=not view.message
    )
    return html.Section(
        className="panel timeline-panel",
        children=[
            dcc.Store(id=ids.LIVE_EVENTS, data=NO_EVENTS),
            dcc.Store(id=ids.LIVE_SEEN, data=0),
            html.Div(
                className="panel-head",
                children=[html.H2("Alert timeline"), lanes, notice],
            ),
            message,
            dcc.Loading(graph),
        ],
    )


def headlines() -> list[tuple[str, str]]:
    """Return the (title, body id) of the headline figures this module fills."""
    return [("New this week", ids.HEADLINE_NEW), ("Sources stale", ids.HEADLINE_STALE)]


# ----------------------------------------------------------------------------- views


def timeline_view(api_url: str, lanes: str = "region") -> TimelineView:
    """Return the timeline of the active alerts in swimlanes by region or by rule."""
    alerts, message = active_alerts(api_url)
    by: figures_alerts.Lane = "rule" if lanes == "rule" else "region"
    return TimelineView(figures_alerts.timeline_figure(alerts, by=by), message)


def headline_figures(api_url: str, *, now: datetime) -> tuple[html.Div, html.Div]:
    """Return the "new this week" and "sources stale" figures."""
    new, stale = api_client.gather(
        partial(new_this_week, api_url, now=now), partial(stale_sources, api_url)
    )
    return new, stale


def active_alerts(api_url: str) -> tuple[list[api_client.Alert], str]:
    """Return the newest firing and pending alerts for the timeline, and an error message."""
    try:
        page = api_client.alerts(api_url, state=ACTIVE_STATES, page_size=TIMELINE_ALERTS)
    except api_client.ApiError as exc:
        return [], f"The timeline could not be loaded. {exc}"
    return page["items"], ""


def new_this_week(api_url: str, *, now: datetime) -> html.Div:
    """Return how many alerts (any state) were detected in the last seven days."""
    try:
        page = api_client.alerts(api_url, state=None, page_size=RECENT_ALERTS)
    except api_client.ApiError as exc:
        return _figure(NOTHING, "", f"Alerts unavailable. {exc}")
    since = now - WEEK
    count = sum(1 for a in page["items"] if _parse_utc(a["detected_at"]) >= since)
    # The newest page is all this week: say "at least", not a number the page cut short.
    shown = f"{count}+" if count == RECENT_ALERTS < page["total"] else str(count)
    return _figure(shown, " new", f"detected since {since:%d %b %Y}")


def stale_sources(api_url: str) -> html.Div:
    """Return how many sources are stale, naming them, or the API's error."""
    try:
        sources = api_client.sources(api_url)
    except api_client.ApiError as exc:
        return _figure(NOTHING, "", f"Sources unavailable. {exc}")
    stale = [s["id"] for s in sources if s.get("freshness", {}).get("status") == "stale"]
    note = ", ".join(stale) if stale else "every source is within its release cadence"
    return _figure(str(len(stale)), f" of {len(sources)}", note)


def live_notice(events: dict[str, Any] | None, seen: int) -> tuple[str, bool]:
    """Return the notice text and whether it is hidden: 'N new alerts' since last hidden."""
    alerts = list((events or {}).get("alerts") or [])
    fresh = len(alerts) - seen
    if fresh <= 0:
        return "", True
    return f"{fresh} new alert{'s' if fresh != 1 else ''} · hide", False


def _figure(number: str, unit: str, note: str) -> html.Div:
    return html.Div(
        [
            html.Span(number, className="headline-number"),
            html.Span(unit, className="headline-unit"),
            html.P(note, className="headline-note"),
        ]
    )


def _parse_utc(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ------------------------------------------------------------------------- callbacks


def register(app: Dash, *, api_url: str) -> None:
    """Attach the timeline, headline and live-notice callbacks to the app."""

    @app.callback(
        Output(ids.TIMELINE, "figure"),
        Output(ids.TIMELINE_MESSAGE, "children"),
        Output(ids.TIMELINE_MESSAGE, "hidden"),
        Input(ids.OVERVIEW_TICK, "n_intervals"),
        Input(ids.LIVE_EVENTS, "data"),
        Input(ids.TIMELINE_LANES, "value"),
        prevent_initial_call=True,  # the page arrives drawn (overview.drawn_layout)
    )
    def _timeline(_ticks: int | None, _events: Any, lanes: str) -> tuple[Any, ...]:
        return timeline_view(api_url, lanes).outputs()

    @app.callback(
        Output(ids.HEADLINE_NEW, "children"),
        Output(ids.HEADLINE_STALE, "children"),
        Input(ids.OVERVIEW_TICK, "n_intervals"),
        Input(ids.LIVE_EVENTS, "data"),
        prevent_initial_call=True,
    )
    def _headlines(_ticks: int | None, _events: Any) -> tuple[Any, Any]:
        return headline_figures(api_url, now=datetime.now(UTC))

    @app.callback(
        Output(ids.OVERVIEW_INBOX, "href"),
        Input(ids.TIMELINE, "clickData"),
        prevent_initial_call=True,
    )
    def _open_alert(click: dict[str, Any] | None) -> str:
        alert_id = figures_alerts.clicked_alert_id(click)
        if alert_id is None:
            raise PreventUpdate
        return f"/alerts?id={alert_id}"

    @app.callback(
        Output(ids.LIVE_NOTICE, "children"),
        Output(ids.LIVE_NOTICE, "hidden"),
        Input(ids.LIVE_EVENTS, "data"),
        Input(ids.LIVE_SEEN, "data"),
        prevent_initial_call=True,  # no events yet: the notice starts hidden
    )
    def _notice(events: dict[str, Any] | None, seen: int) -> tuple[str, bool]:
        return live_notice(events, seen or 0)

    @app.callback(
        Output(ids.LIVE_SEEN, "data"),
        Input(ids.LIVE_NOTICE, "n_clicks"),
        State(ids.LIVE_EVENTS, "data"),
        prevent_initial_call=True,
    )
    def _hide_notice(_clicks: int | None, events: dict[str, Any] | None) -> int:
        return len((events or {}).get("alerts") or [])
