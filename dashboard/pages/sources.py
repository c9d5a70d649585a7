"""Sources: each source's freshness, last and next run, last error, rows by run, and the
coverage matrix (countries x indicators, latest period present).

The next run is computed by the API from the source's cron schedule (APScheduler's
CronTrigger); the page shows it with the schedule itself. ``sources_view`` and
``coverage_view`` call the API client; callbacks only route to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
from dash import Dash, Input, Output, dcc, html

from dashboard import api_client, figures_sources, ids
from dashboard.figures import GRAPH_CONFIG
from dashboard.pages.overview import ink_for

REFRESH_MS = 120_000
RUNS_SHOWN = 12
FRESHNESS_COLORS = {"fresh": "#009e73", "stale": "#d55e00", "never": "#7f8c9a"}
NO_SOURCES: list[Any] = [
    "No sources are registered yet. Run ",
    html.Code("tocsin db upgrade"),
    " then ",
    html.Code("tocsin ingest list"),
    ".",
]
NO_RUNS = "No runs yet: the scheduler runs it at its next fire time, or run it now with "
NO_COVERAGE: list[Any] = [
    "No observations yet, so nothing is covered. Load data with ",
    html.Code("tocsin ingest run ..."),
    " or ",
    html.Code("tocsin demo load"),
    ".",
]
NOTHING = "—"


def layout(**_query: Any) -> html.Div:
    """Return the Sources page; both panels fill themselves through callbacks."""
    return html.Div(
        className="sources",
        children=[
            dcc.Interval(id=ids.SOURCES_TICK, interval=REFRESH_MS),
            html.Section(
                className="panel",
                children=[
                    html.Div(html.H2("Sources"), className="panel-head"),
                    dcc.Loading(html.Div(id=ids.SOURCES_LIST, className="source-list")),
                ],
            ),
            html.Section(
                className="panel",
                children=[
                    html.Div(
                        [
                            html.H2("Coverage: latest period with a value"),
                            html.Span(
                                "Countries grouped by UN M49 region; darker is more recent, "
                                "light grey is no data.",
                                className="control-label",
                            ),
                        ],
                        className="panel-head",
                    ),
                    dcc.Loading(html.Div(id=ids.COVERAGE, className="coverage-box")),
                ],
            ),
        ],
    )


# ----------------------------------------------------------------------------- views


def sources_view(api_url: str) -> Any:
    """Return one card per source, or the empty state or the API's error."""
    try:
        sources = api_client.sources(api_url)
    except api_client.ApiError as exc:
        return html.Div(f"Sources could not be loaded. {exc}", className="panel-message")
    if not sources:
        return html.P(NO_SOURCES, className="empty-state")
    cards = []
    for source in sources:
        try:
            runs = api_client.source_runs(api_url, source["id"], page_size=RUNS_SHOWN)["items"]
        except api_client.ApiError as exc:
            runs = None
            source = {**source, "runs_error": str(exc)}
        cards.append(source_card(source, runs))
    return cards


def source_card(source: Mapping[str, Any], runs: list[dict[str, Any]] | None) -> html.Article:
    """Return one source: freshness chip, schedule, last and next run, last error, run bars."""
    last = source.get("last_run")
    facts = [
        ("Publisher", source.get("publisher", "")),
        ("Cadence", source.get("cadence", "")),
        (
            "Schedule",
            html.Code(source.get("schedule", "")) if source.get("enabled") else "disabled",
        ),
        ("Last run", _run_summary(last)),
        ("Next run", _when(source.get("next_run")) if source.get("enabled") else "not scheduled"),
        ("Newest data", _age(source.get("freshness", {}))),
    ]
    error = (last or {}).get("error")
    return html.Article(
        className="source-card",
        children=[
            html.Div(
                [
                    freshness_chip(source.get("freshness", {}).get("status", "never")),
                    html.H3(source.get("title") or source["id"]),
                    html.Span(source["id"], className="code"),
                ],
                className="source-head",
            ),
            html.Dl([item for label, value in facts for item in (html.Dt(label), html.Dd(value))]),
            html.P(["Last error: ", error], className="source-error", role="alert")
            if error
            else None,
            runs_panel(source, runs),
        ],
    )


def runs_panel(source: Mapping[str, Any], runs: list[dict[str, Any]] | None) -> Any:
    """Return the rows-by-run bar chart, or why there is none."""
    if runs is None:
        return html.P(
            f"Runs could not be loaded. {source.get('runs_error', '')}", className="panel-message"
        )
    if not runs:
        return html.P(
            [NO_RUNS, html.Code(f"tocsin ingest run {source['id']}"), "."], className="empty-state"
        )
    return dcc.Graph(
        figure=figures_sources.runs_figure(runs),
        config=GRAPH_CONFIG | {"displayModeBar": False},  # type: ignore[arg-type]
        className="runs-graph",
    )


def freshness_chip(status: str) -> html.Span:
    """Return a chip naming the freshness, readable on its colour."""
    background = FRESHNESS_COLORS.get(status, FRESHNESS_COLORS["never"])
    style = {"backgroundColor": background, "color": ink_for(background)}
    label = "no data" if status == "never" else status
    return html.Span(label, className=f"chip freshness-{status}", style=style)


def _run_summary(run: Mapping[str, Any] | None) -> str:
    if not run:
        return "never run"
    return f"{run['status']} · {_when(run.get('finished_at') or run.get('started_at'))}"


def _when(moment: str | None) -> str:
    return NOTHING if not moment else str(moment)[:16].replace("T", " ") + " UTC"


def _age(freshness: Mapping[str, Any]) -> str:
    if not freshness.get("as_of"):
        return "none yet"
    age, cadence = freshness["age_days"], freshness["cadence_days"]
    return f"{freshness['as_of']} ({age} days old; cadence {cadence} days)"


def coverage_view(api_url: str) -> Any:
    """Return the coverage matrix figure, the empty state, or the API's error."""
    try:
        coverage = api_client.coverage(api_url)
    except api_client.ApiError as exc:
        return html.Div(f"Coverage could not be loaded. {exc}", className="panel-message")
    if not coverage["cells"]:
        return html.P(NO_COVERAGE, className="empty-state")
    return dcc.Graph(
        figure=figures_sources.coverage_figure(coverage),
        config=GRAPH_CONFIG,  # type: ignore[arg-type]  # a plain dict Dash accepts
        className="coverage-graph",
    )


# ------------------------------------------------------------------------- callbacks


def register(app: Dash, *, api_url: str) -> None:
    """Register the Sources page at /sources and attach its callbacks to the app."""
    dash.register_page(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        __name__, path="/sources", name="Sources", title="Tocsin — Sources", order=8, layout=layout
    )

    @app.callback(Output(ids.SOURCES_LIST, "children"), Input(ids.SOURCES_TICK, "n_intervals"))
    def _sources(_ticks: int | None) -> Any:
        return sources_view(api_url)

    @app.callback(Output(ids.COVERAGE, "children"), Input(ids.SOURCES_TICK, "n_intervals"))
    def _coverage(_ticks: int | None) -> Any:
        return coverage_view(api_url)
