"""Region: one country's indicators with alerts and revisions, its Security Council lane,
seizures by drug group, the daily GDELT signal, and where every number comes from.

``region_view`` calls the API client and builds every panel; the callbacks registered in
``register`` only route inputs to it, so tests call the view with a fake client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dash
from dash import Dash, Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import api_client, figures_region, ids
from dashboard.figures import GRAPH_CONFIG

UNDOCS = "https://undocs.org/en/"
ISO3 = re.compile(r"[A-Z]{3}")
ALERT_PAGE_SIZE = 200
BLANK_FIGURE = {"layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}, "height": 200}}
NO_DOCUMENTS: list[Any] = [
    "No Security Council documents are tagged with this country yet. Load them with ",
    html.Code("tocsin ingest run unsc_meetings"),
    " (meetings and outcomes from the Dag Hammarskjöld Library tables).",
]
NO_SERIES: list[Any] = [
    "No indicator has data for this country yet. Load data with ",
    html.Code("tocsin ingest run ..."),
    " or ",
    html.Code("tocsin demo load"),
    ".",
]
NO_SEIZURES = "No drug seizures reported for this country (World Drug Report annex: "
NO_GDELT = "No daily GDELT signal for this country. GDELT runs every 15 minutes once enabled ("
PROVENANCE_COLUMNS = ("Indicator", "Source", "Periods", "Vintages", "Revised values", "Retrieved")


def layout(code: str | None = None, **_query: Any) -> html.Div:
    """Return the Region page for ``code``; every panel fills itself through a callback."""
    return html.Div(
        className="region",
        children=[
            dcc.Store(id=ids.REGION_CODE, data=(code or "").upper()),
            dcc.Loading(html.Section(id=ids.REGION_HEADER, className="panel region-header")),
            html.Div(id=ids.REGION_MESSAGE, className="panel-message", role="status", hidden=True),
            html.Section(
                className="panel",
                children=[
                    html.Div(
                        html.H2("Indicators, alerts and the Security Council"),
                        className="panel-head",
                    ),
                    html.P(_legend(), className="figure-note"),
                    dcc.Loading(
                        dcc.Graph(
                            id=ids.REGION_SERIES,
                            figure=BLANK_FIGURE,
                            config=GRAPH_CONFIG,  # type: ignore[arg-type]  # a plain dict Dash accepts
                            className="region-graph",
                        )
                    ),
                    html.Div(id=ids.REGION_DOC_LINK, className="doc-link", role="status"),
                ],
            ),
            html.Div(
                className="region-grid",
                children=[
                    _panel("Drug seizures by group", ids.REGION_SEIZURES),
                    _panel("Daily GDELT signal", ids.REGION_GDELT),
                ],
            ),
            _panel("Security Council documents", ids.REGION_DOCUMENTS),
            _panel("Provenance of every number", ids.REGION_PROVENANCE),
        ],
    )


def _legend() -> list[Any]:
    return [
        "Solid line: latest value. Open grey circles: earlier vintages (revised values). ",
        "Triangles: alerts, coloured by severity. Bottom lane: Council meetings (circles) and ",
        "outcomes (diamonds); click one for its document link.",
    ]


def _panel(title: str, body_id: str) -> html.Section:
    return html.Section(
        className="panel",
        children=[
            html.Div(html.H2(title), className="panel-head"),
            dcc.Loading(html.Div(id=body_id, className="panel-body")),
        ],
    )


# ----------------------------------------------------------------------------- views


@dataclass
class RegionData:
    """What the page fetched for one region."""

    region: dict[str, Any]
    series: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] | None = None
    retrieved: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class RegionView:
    """Everything the region callback writes, in the order ``register`` declares it."""

    header: Any = None
    message: str = ""
    figure: Any = field(default_factory=lambda: BLANK_FIGURE)
    documents: Any = None
    seizures: Any = None
    gdelt: Any = None
    provenance: Any = None

    def outputs(self) -> tuple[Any, ...]:
        """Return the callback outputs."""
        return (
            self.header,
            self.message,
            not self.message,
            self.figure,
            self.documents,
            self.seizures,
            self.gdelt,
            self.provenance,
        )


def fetch(api_url: str, code: str) -> RegionData:
    """Fetch the region, every indicator's series with vintages, alerts, documents, sources."""
    data = RegionData(region=api_client.region(api_url, code))
    for indicator in api_client.indicators(api_url):
        if not indicator.get("periods"):
            continue
        answer = _series_or_error(api_url, code, indicator["code"])
        if isinstance(answer, api_client.ApiError):
            data.problems.append(f"{indicator['name']}: {answer}")
        elif answer["items"]:
            data.series.append(answer)
    alerts = api_client.alerts(api_url, state=None, region=code, page_size=ALERT_PAGE_SIZE)
    data.alerts = [dict(alert) for alert in alerts["items"]]
    try:
        data.documents = api_client.documents(api_url, region=code)["items"]
    except api_client.ApiError as exc:
        data.problems.append(f"Security Council documents: {exc}")
    data.retrieved = last_retrieved(api_url, data.problems)
    return data


def _series_or_error(
    api_url: str, code: str, indicator: str
) -> dict[str, Any] | api_client.ApiError:
    try:
        return api_client.series(api_url, region=code, indicator=indicator)
    except api_client.ApiError as exc:
        return exc


def last_retrieved(api_url: str, problems: list[str]) -> dict[str, str]:
    """Return when each source's newest successful run finished (for provenance)."""
    try:
        sources = api_client.sources(api_url)
    except api_client.ApiError as exc:
        problems.append(f"Sources: {exc}")
        return {}
    return {
        source["id"]: run["finished_at"]
        for source in sources
        if (run := source.get("last_run"))
        and run.get("finished_at")
        and run["status"] == "succeeded"
    }


def region_view(api_url: str, code: str) -> RegionView:
    """Fetch one region and build every panel, or say what went wrong."""
    if not code:
        return RegionView(message="No country given. Open /region/<ISO3>, e.g. /region/GNB.")
    try:
        data = fetch(api_url, code)
    except api_client.ApiError as exc:
        hint = " Pick a country on the Overview map." if exc.status == 404 else ""
        return RegionView(message=f"{code} could not be loaded. {exc}{hint}")
    return build_view(data)


def build_view(data: RegionData) -> RegionView:
    """Build every panel from fetched data (pure: no I/O)."""
    seizures = [s for s in data.series if figures_region.seizure_group(s["indicator"]["code"])]
    gdelt = [s for s in data.series if s["indicator"]["code"].startswith("gdelt_")]
    main = [s for s in data.series if s not in seizures and s not in gdelt]
    documents = data.documents or []
    figure = figures_region.region_figure(main, data.alerts, documents, retrieved=data.retrieved)
    return RegionView(
        header=header(data),
        message=" ".join(data.problems),
        figure=figure,
        documents=document_table(data.documents),
        seizures=_graph(figures_region.seizures_figure(seizures, data.retrieved)) if seizures
        else _empty([NO_SEIZURES, html.Code("tocsin ingest run unodc_seizures"), ")."]),
        gdelt=_graph(figures_region.gdelt_figure(gdelt, data.retrieved)) if gdelt
        else _empty([NO_GDELT, html.Code("tocsin ingest run gdelt"), ")."]),
        provenance=provenance_table(data.series, data.retrieved) if data.series
        else _empty(NO_SERIES),
    )  # fmt: skip


def header(data: RegionData) -> list[Any]:
    """Return the page header: name, code, M49 hierarchy and what the page holds."""
    region = data.region
    path = [region.get(key) for key in ("region_name", "subregion_name", "intermediate_name")]
    flags = [
        label
        for key, label in (("sids", "SIDS"), ("ldc", "LDC"), ("lldc", "LLDC"))
        if region.get(key)
    ]
    firing = sum(1 for alert in data.alerts if alert.get("state") == "firing")
    counts = (
        f"{len(data.series)} indicators with data · {len(data.alerts)} alerts ({firing} firing)"
        f" · {len(data.documents or [])} Council documents"
    )
    return [
        dcc.Link("← Overview", href="/", className="back-link"),
        html.H1([region["name"], html.Span(region["code"], className="code")]),
        html.P(
            [
                " / ".join(p for p in path if p) or "No M49 region",
                *[html.Span(f, className="flag") for f in flags],
            ],
            className="region-path",
        ),
        html.P(counts, className="headline-note"),
    ]


def document_table(documents: Sequence[Mapping[str, Any]] | None) -> Any:
    """Return the Council documents, newest first, each symbol linking to undocs.org."""
    if documents is None:
        return _empty("Security Council documents could not be loaded (see the message above).")
    if not documents:
        return _empty(NO_DOCUMENTS)
    head = html.Tr([html.Th(label) for label in ("Date", "Symbol", "Kind", "Title", "Themes")])
    rows = [
        html.Tr(
            [
                html.Td(doc.get("date") or "undated", className="nowrap"),
                html.Td(document_link(doc["symbol"])),
                html.Td(doc.get("kind", "")),
                html.Td(doc.get("title", "")),
                html.Td(", ".join(doc.get("tags", {}).get("themes", []))),
            ]
        )
        for doc in documents
    ]
    return html.Div(
        html.Table([html.Thead(head), html.Tbody(rows)], className="data-table"),
        className="scroll-box",
    )


def document_link(symbol: str) -> html.A:
    """Return a link to the document on undocs.org, opened in a new tab when clicked."""
    return html.A(symbol, href=UNDOCS + symbol, target="_blank", rel="noopener noreferrer")


def provenance_table(series: Sequence[Mapping[str, Any]], retrieved: Mapping[str, str]) -> html.Div:
    """Return one row per indicator and source with periods, vintages and retrieval."""
    head = html.Tr([html.Th(label) for label in PROVENANCE_COLUMNS])
    rows = [
        html.Tr(
            [
                html.Td(
                    [row["indicator"], html.Span(" demo", className="flag") if row["demo"] else ""]
                ),
                html.Td(row["source"]),
                html.Td(row["periods"], className="nowrap"),
                html.Td(row["vintages"]),
                html.Td(str(row["revised"]), className="num"),
                html.Td(row["retrieved"], className="nowrap"),
            ]
        )
        for row in figures_region.provenance_rows(series, retrieved)
    ]
    return html.Div(
        html.Table([html.Thead(head), html.Tbody(rows)], className="data-table"),
        className="scroll-box",
    )


def lane_link(click: Mapping[str, Any] | None) -> Any:
    """Return the link for a clicked Council lane point, or nothing for other points."""
    points = (click or {}).get("points") or []
    symbol = points[0].get("customdata") if points else None
    if not isinstance(symbol, str):
        return ""
    return ["Selected: ", document_link(symbol), " (opens undocs.org in a new tab)"]


def _graph(figure: Any) -> dcc.Graph:
    return dcc.Graph(figure=figure, config=GRAPH_CONFIG)  # type: ignore[arg-type]


def _empty(children: Any) -> html.P:
    return html.P(children, className="empty-state")


def region_href(click: Mapping[str, Any] | None) -> str | None:
    """Return /region/<ISO3> for a clicked country shape or small-state marker, else None."""
    points = (click or {}).get("points") or []
    code = (points[0].get("location") or points[0].get("customdata")) if points else None
    return f"/region/{code}" if isinstance(code, str) and ISO3.fullmatch(code) else None


# ------------------------------------------------------------------------- callbacks


def register(app: Dash, *, api_url: str) -> None:
    """Register the Region page at /region/<ISO3> and attach its callbacks to the app."""
    dash.register_page(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        __name__,
        path_template="/region/<code>",
        name="Region",
        title=lambda code=None, **_: f"Tocsin — {code or 'Region'}",
        order=1,
        layout=layout,
    )

    @app.callback(
        Output(ids.REGION_HEADER, "children"),
        Output(ids.REGION_MESSAGE, "children"),
        Output(ids.REGION_MESSAGE, "hidden"),
        Output(ids.REGION_SERIES, "figure"),
        Output(ids.REGION_DOCUMENTS, "children"),
        Output(ids.REGION_SEIZURES, "children"),
        Output(ids.REGION_GDELT, "children"),
        Output(ids.REGION_PROVENANCE, "children"),
        Input(ids.REGION_CODE, "data"),
    )
    def _region(code: str | None) -> tuple[Any, ...]:
        return region_view(api_url, code or "").outputs()

    @app.callback(Output(ids.REGION_DOC_LINK, "children"), Input(ids.REGION_SERIES, "clickData"))
    def _lane_click(click: dict[str, Any] | None) -> Any:
        if click is None:
            raise PreventUpdate
        return lane_link(click)
