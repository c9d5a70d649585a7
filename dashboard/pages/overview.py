"""Overview: headline figures, the world heat map of one indicator, and the firing alerts.

The views (``map_view``, ``alerts_view``, ``indicator_choices``) call the API client and
build components; the callbacks registered in ``register`` only route inputs to them, so
tests can call the views directly with a fake client.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import api_client, figures, ids
from dashboard.figures import GRAPH_CONFIG, severity_colors
from dashboard.layout import page_link
from dashboard.pages import overview_timeline, region
from dashboard.pages.overview_timeline import TimelineView

DEFAULT_INDICATOR = "homicide_rate"
SEVERITY_ORDER = ("critical", "warning", "info")
ALERT_PAGE_SIZE = 10  # the newest; the inbox has every one (each row costs ~15 ms a load)
REFRESH_MS = 120_000
MAX_MARKS = 8
EMPTY_ALERTS: list[Any] = [
    "No firing alerts. Load data with ",
    html.Code("tocsin ingest run ..."),
    " or ",
    html.Code("tocsin demo load"),
    ".",
]
NOTHING = "—"
# What dcc.Graph shows before the first figure arrives: no axes, no grid.
BLANK_FIGURE = {"layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def layout(**_query: Any) -> html.Div:
    """Return the Overview with empty panels (the tests check callbacks against it)."""
    return _page(Panels())


def drawn_layout(api_url: str, geometry: MapGeometry) -> html.Div:
    """Return the Overview with every panel already built, so the browser draws it at once.

    The panels are in the page itself rather than filled by callbacks after it arrives:
    each callback was one more request, and each answer one more pass of Dash over every
    component on the page. The callbacks run when something changes (a period, a live
    event, the two-minute refresh), not on load.
    """
    return _page(drawn_panels(api_url, geometry, now=datetime.now(UTC)))


def drawn_panels(api_url: str, geometry: MapGeometry, *, now: datetime) -> Panels:
    """Fetch and build every panel of the Overview, the API calls all at once."""
    (choices, view), (alert_list, firing), (new, stale), timeline = api_client.gather(
        partial(_choices_and_map, api_url, geometry),
        partial(alerts_view, api_url),
        partial(overview_timeline.headline_figures, api_url, now=now),
        partial(overview_timeline.timeline_view, api_url),
    )
    headlines = {
        ids.HEADLINE_ALERTS: firing,
        ids.HEADLINE_NEW: new,
        ids.HEADLINE_STALE: stale,
        ids.HEADLINE_COVERAGE: view.coverage,
    }
    return Panels(choices, view, alert_list, headlines, timeline)


def _choices_and_map(api_url: str, geometry: MapGeometry) -> tuple[Choices, MapView]:
    """Return the indicator choices and the map of the one they select (the latest period)."""
    choices = Choices(*indicator_choices(api_url, None))
    if not choices.value:
        return choices, MapView()
    return choices, map_view(api_url, indicator=choices.value, period=None, geometry=geometry)


def _page(panels: Panels) -> html.Div:
    titles = [("Firing alerts", ids.HEADLINE_ALERTS), *overview_timeline.headlines()]
    titles.append(("Coverage", ids.HEADLINE_COVERAGE))
    return html.Div(
        className="overview",
        children=[
            dcc.Location(id=ids.OVERVIEW_NAV, refresh="callback-nav"),
            dcc.Location(id=ids.OVERVIEW_INBOX, refresh=True),
            dcc.Interval(id=ids.OVERVIEW_TICK, interval=REFRESH_MS),
            dcc.Store(id=ids.PERIODS, data=panels.map.periods),
            html.Section(
                className="headline-row",
                children=[_headline(t, i, panels.headlines.get(i)) for t, i in titles],
            ),
            html.Div(
                className="overview-grid",
                children=[
                    _map_panel(panels.choices, panels.map),
                    _alerts_panel(panels.alert_list),
                ],
            ),
            overview_timeline.timeline_panel(panels.timeline),
        ],
    )


def _headline(title: str, body_id: str, body: Any = None) -> html.Div:
    return html.Div(
        className="headline panel",
        children=[
            html.H2(title),
            dcc.Loading(
                html.Div(body or headline_placeholder(), id=body_id, className="headline-body")
            ),
        ],
    )


def headline_placeholder() -> html.Span:
    """Return the headline placeholder shown before data arrives or when it cannot."""
    return html.Span(NOTHING, className="headline-number")


def _map_panel(choices: Choices, view: MapView) -> html.Section:
    # No value until the catalogue arrives: the dropdown would drop a value it has no option for.
    indicator = dcc.Dropdown(
        id=ids.INDICATOR,
        options=choices.options,
        value=choices.value,
        placeholder="Choose an indicator",
        clearable=False,
        className="select",
    )
    period = dcc.Slider(
        id=ids.PERIOD, min=0, max=max(len(view.periods) - 1, 0), step=1, value=view.position,
        marks=period_marks(view.periods), allow_direct_input=False,
    )  # fmt: skip
    return html.Section(
        className="panel map-panel",
        children=[
            html.Div(
                className="panel-head",
                children=[
                    html.H2("Heat map"),
                    html.Label("Indicator", htmlFor=ids.INDICATOR, className="control-label"),
                    html.Div(indicator, className="indicator-control"),
                ],
            ),
            _message(ids.INDICATOR_MESSAGE, choices.message),
            dcc.Loading(
                [
                    _message(ids.MAP_MESSAGE, view.message),
                    dcc.Graph(
                        id=ids.MAP,
                        figure=view.figure,
                        config=GRAPH_CONFIG,  # type: ignore[arg-type]  # a plain dict Dash accepts
                        className="map-graph",
                    ),
                ]
            ),
            html.Div(
                id=ids.PERIOD_CONTROL,
                className="period-control",
                hidden=not view.periods,  # until there are periods to choose from
                children=[
                    html.Span("Period", className="control-label"),
                    html.Span(view.period_label, id=ids.PERIOD_LABEL, className="period-value"),
                    html.Div(period, className="period-slider"),
                ],
            ),
        ],
    )


def _alerts_panel(alert_list: Any) -> html.Section:
    return html.Section(
        className="panel alerts-panel",
        children=[
            html.Div(html.H2("Firing alerts, newest first"), className="panel-head"),
            dcc.Loading(html.Div(alert_list, id=ids.ALERT_LIST, className="alert-list")),
        ],
    )


def _message(component_id: str, text: str = "") -> html.Div:
    return html.Div(
        text, id=component_id, className="panel-message", role="status", hidden=not text
    )


# ----------------------------------------------------------------------------- views


def indicator_choices(
    api_url: str, current: str | None
) -> tuple[list[dict[str, Any]], str | None, str]:
    """Return dropdown options, the value to select (None: keep it), and an error message."""
    try:
        catalogue = api_client.indicators(api_url)
    except api_client.ApiError as exc:
        return [], None, f"Indicators unavailable. {exc}"
    options: list[dict[str, Any]] = [
        {
            "label": item["name"] if item.get("periods") else f"{item['name']} (no data)",
            "value": item["code"],
            "disabled": not item.get("periods"),
        }
        for item in catalogue
    ]
    with_data = [item["code"] for item in catalogue if item.get("periods")]
    if current in with_data or not with_data:
        return options, None, ""
    return options, DEFAULT_INDICATOR if DEFAULT_INDICATOR in with_data else with_data[0], ""


@dataclass
class Choices:
    """The indicator dropdown's options, the value to select, and an error message."""

    options: list[dict[str, Any]] = field(default_factory=list)
    value: str | None = None
    message: str = ""


@dataclass
class MapView:
    """Everything the heat-map callback writes: figure, message, coverage and period slider."""

    figure: Any = field(default_factory=lambda: BLANK_FIGURE)
    message: str = ""
    coverage: Any = field(default_factory=headline_placeholder)
    periods: list[str] = field(default_factory=list)
    position: int = 0
    period_label: str = ""

    def outputs(self) -> tuple[Any, ...]:
        """Return the callback outputs in the order ``register`` declares them."""
        return (
            self.figure,
            self.message,
            not self.message,
            self.coverage,
            self.periods,
            max(len(self.periods) - 1, 0),
            period_marks(self.periods),
            self.position,
            self.period_label,
            not self.periods,
        )


@dataclass
class Panels:
    """What the Overview shows: built from the API, or placeholders (the empty layout)."""

    choices: Choices = field(default_factory=Choices)
    map: MapView = field(default_factory=MapView)
    alert_list: Any = None
    headlines: dict[str, Any] = field(default_factory=dict)  # body id -> content
    timeline: TimelineView = field(default_factory=TimelineView)


@dataclass(frozen=True)
class MapGeometry:
    """Where the browser fetches the country shapes, and the markers for small states."""

    geojson_url: str = figures.DEFAULT_GEOJSON_URL
    points: Sequence[Mapping[str, Any]] = ()

    @classmethod
    def for_app(cls, app: Dash) -> MapGeometry:
        """Read the app's geo assets (points.json is small; world.geojson stays a URL).

        The URL carries the file's version (``?m=<mtime>``, as Dash links its own assets),
        so the browser caches it for good and fetches it once (dashboard/app.py).
        """
        geo = Path(app.config.assets_folder) / "geo"
        version = int((geo / "world.geojson").stat().st_mtime)
        return cls(
            geojson_url=f"{app.get_asset_url('geo/world.geojson')}?m={version}",
            points=tuple(json.loads((geo / "points.json").read_text(encoding="utf-8"))),
        )


def map_view(
    api_url: str,
    *,
    indicator: str,
    period: str | None,
    geometry: MapGeometry = MapGeometry(),
    redraw: bool = False,
) -> MapView:
    """Fetch one indicator's heat map for a period (latest when None) and build the view.

    With ``redraw`` (only the period changed, the map is already drawn) the figure is a
    ``dash.Patch`` of the per-period arrays: the geometry, styles and layout stay in the
    browser and are not sent again.
    """
    try:
        heatmap = api_client.heatmap(api_url, indicator=indicator, period=period)
    except api_client.ApiError as exc:
        return MapView(message=f"The map could not be loaded. {exc}")
    periods = list(heatmap["periods"])
    shown = heatmap.get("period")
    if redraw:
        figure: Any = period_patch(figures.heatmap_period(heatmap, points=geometry.points))
    else:
        figure = figures.heatmap_figure(
            heatmap, geojson_url=geometry.geojson_url, points=geometry.points
        )
    view = MapView(
        figure=figure,
        coverage=coverage_summary(heatmap),
        periods=periods,
        position=periods.index(shown) if shown in periods else max(len(periods) - 1, 0),
        period_label=shown or "",
    )
    if not periods:
        view.message = f"No data yet for {heatmap['indicator'].get('name', indicator)}."
    return view


def period_patch(changing: Mapping[str, Any]) -> dash.Patch:
    """Return a Patch writing ``figures.heatmap_period``'s values into the drawn map."""
    patch = dash.Patch()
    for index, values in enumerate(changing["data"]):
        _assign(patch["data"][index], values)
    _assign(patch["layout"], changing["layout"])
    return patch


def _assign(node: Any, values: Mapping[str, Any]) -> None:
    """Assign every leaf of ``values`` under a Patch node, leaving its other keys alone."""
    for key, value in values.items():
        if isinstance(value, Mapping):
            _assign(node[key], value)
        else:
            node[key] = value


def period_marks(periods: list[str]) -> dict[int, str]:
    """Label at most MAX_MARKS evenly spaced periods, always the first and the last."""
    if not periods:
        return {}
    step = max(1, math.ceil(len(periods) / MAX_MARKS))
    marks = {index: periods[index] for index in range(0, len(periods), step)}
    last = len(periods) - 1
    # Drop a mark that would sit on top of the last one's label.
    marks = {index: label for index, label in marks.items() if last - index >= step or index == 0}
    marks[last] = periods[last]
    return marks


def coverage_summary(heatmap: api_client.Heatmap) -> html.Div:
    """Return 'N of M countries have data for PERIOD' as headline content."""
    coverage = heatmap["coverage"]
    period = heatmap.get("period") or "any period"
    return html.Div(
        [
            html.Span(f"{coverage['with_data']}", className="headline-number"),
            html.Span(f" of {coverage['total']} countries", className="headline-unit"),
            html.P(
                f"with {heatmap['indicator'].get('name', 'indicator')} data for {period}",
                className="headline-note",
            ),
        ]
    )


def alerts_view(api_url: str) -> tuple[Any, Any]:
    """Return the firing-alert table and the by-severity headline, or messages on error."""
    newest = partial(api_client.alerts, api_url, state="firing", page_size=ALERT_PAGE_SIZE)
    # Only the totals are needed: one single-row page per severity.
    totals = [partial(api_client.alerts, api_url, severity=s, page_size=1) for s in SEVERITY_ORDER]
    try:
        page, *by_severity = api_client.gather(newest, *totals)
    except api_client.ApiError as exc:
        message = html.Div(f"Alerts could not be loaded. {exc}", className="panel-message")
        return message, headline_placeholder()
    counts = {s: total["total"] for s, total in zip(SEVERITY_ORDER, by_severity, strict=True)}
    return alert_table(page), severity_headline(page["total"], counts)


def severity_headline(total: int, counts: dict[str, int]) -> html.Div:
    """Return the firing-alert total with one chip per severity."""
    chips = [
        html.Span([severity_chip(severity), f" {counts[severity]}"], className="count")
        for severity in SEVERITY_ORDER
    ]
    return html.Div(
        [
            html.Span(str(total), className="headline-number"),
            html.Span(" firing", className="headline-unit"),
            html.Div(chips, className="severity-counts"),
        ]
    )


def alert_table(page: api_client.AlertPage) -> Any:
    """Return the alerts as a table, or the empty state that says what to do."""
    items = page["items"]
    if not items:
        return html.P(EMPTY_ALERTS, className="empty-state")
    head = html.Tr([html.Th(label) for label in ("Severity", "Region", "Rule", "Period", "Value")])
    table = html.Table(
        [html.Thead(head), html.Tbody([_alert_row(alert) for alert in items])],
        className="alert-table",
    )
    if page["total"] <= len(items):
        return table
    more = f"Showing the newest {len(items)} of {page['total']} firing alerts. "
    inbox = page_link("All of them in the inbox", "/alerts")
    return html.Div([table, html.P([more, inbox], className="table-note")])


def _alert_row(alert: api_client.Alert) -> html.Tr:
    """Return one alert as a row of plain cells.

    Each Dash component costs the browser about 2 ms on every load (Dash re-checks them
    all at each update), so the cells hold text, not nested spans: the region code comes
    from ``data-code`` and the rule name is the cell's first line, both styled in CSS.
    """
    region = alert.get("region_name") or alert["region"]
    rule = f"{alert['rule']}\n{alert.get('explanation') or ''}".rstrip()
    code: dict[str, Any] = {"data-code": alert["region"]}  # Dash passes data-* through
    return html.Tr(
        [
            html.Td(severity_chip(alert["severity"])),
            html.Td(region, className="alert-region", **code),
            html.Td(rule, className="alert-rule"),
            html.Td(alert["period"], title=f"detected {alert.get('detected_at', '')}"),
            html.Td(format_value(alert.get("value")), className="num"),
        ],
        className=f"alert-row severity-{alert['severity']}",
    )


def severity_chip(severity: str) -> html.Span:
    """Return a coloured chip naming the severity, readable on the chip's colour."""
    background = severity_colors.get(severity, "#5f6b7a")
    style = {"backgroundColor": background, "color": ink_for(background)}
    return html.Span(severity, className="chip", style=style)


def ink_for(hex_colour: str) -> str:
    """Return black or white text, whichever reads better on the colour (WCAG luminance)."""
    digits = hex_colour.lstrip("#")
    if len(digits) != 6:
        return "#ffffff"
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#111111" if luminance > 0.179 else "#ffffff"


def format_value(value: float | None) -> str:
    """Format a value for a table cell, a dash when there is none."""
    return NOTHING if value is None else figures.format_value(value)


# ------------------------------------------------------------------------- callbacks


def register(app: Dash, *, api_url: str) -> None:
    """Register the Overview page at / and attach its callbacks to the app."""
    geometry = MapGeometry.for_app(app)
    dash.register_page(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        __name__, path="/", name="Overview", title="Tocsin — Overview", order=0,
        layout=partial(drawn_layout, api_url, geometry),
    )  # fmt: skip

    @app.callback(
        Output(ids.INDICATOR, "options"),
        Output(ids.INDICATOR, "value"),
        Output(ids.INDICATOR_MESSAGE, "children"),
        Output(ids.INDICATOR_MESSAGE, "hidden"),
        Input(ids.OVERVIEW_TICK, "n_intervals"),
        State(ids.INDICATOR, "value"),
        prevent_initial_call=True,  # the page arrives with them (drawn_layout)
    )
    def _indicators(_ticks: int | None, current: str | None) -> tuple[Any, ...]:
        options, value, message = indicator_choices(api_url, current)
        return options, dash.no_update if value is None else value, message, not message

    @app.callback(
        Output(ids.MAP, "figure"),
        Output(ids.MAP_MESSAGE, "children"),
        Output(ids.MAP_MESSAGE, "hidden"),
        Output(ids.HEADLINE_COVERAGE, "children"),
        Output(ids.PERIODS, "data"),
        Output(ids.PERIOD, "max"),
        Output(ids.PERIOD, "marks"),
        Output(ids.PERIOD, "value"),
        Output(ids.PERIOD_LABEL, "children"),
        Output(ids.PERIOD_CONTROL, "hidden"),
        Input(ids.INDICATOR, "value"),
        Input(ids.PERIOD, "value"),
        State(ids.PERIODS, "data"),
        prevent_initial_call=True,  # the page arrives drawn (drawn_layout)
    )
    def _map(indicator: str | None, position: int | None, periods: list[str]) -> tuple[Any, ...]:
        if not indicator:
            raise PreventUpdate
        index = position if dash.ctx.triggered_id == ids.PERIOD else None
        period = periods[index] if index is not None and 0 <= index < len(periods) else None
        redraw = period is not None  # only the period changed: patch the drawn map
        view = map_view(
            api_url, indicator=indicator, period=period, geometry=geometry, redraw=redraw
        )
        return view.outputs()

    @app.callback(
        Output(ids.OVERVIEW_NAV, "pathname"),
        Input(ids.MAP, "clickData"),
        prevent_initial_call=True,
    )
    def _drill_down(click: dict[str, Any] | None) -> str:
        href = region.region_href(click)
        if href is None:
            raise PreventUpdate
        return href

    @app.callback(
        Output(ids.ALERT_LIST, "children"),
        Output(ids.HEADLINE_ALERTS, "children"),
        Input(ids.OVERVIEW_TICK, "n_intervals"),
        Input(ids.LIVE_EVENTS, "data"),
        prevent_initial_call=True,  # the page arrives drawn (drawn_layout)
    )
    def _alerts(_ticks: int | None, _events: Any) -> tuple[Any, Any]:
        return alerts_view(api_url)

    overview_timeline.register(app, api_url=api_url)
