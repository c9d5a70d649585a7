"""The shell around every page: header and navigation, the demo-data banner, the footer."""

from __future__ import annotations

from typing import Any

import dash
from dash import Dash, Input, Output, dcc, html

from dashboard import api_client, auth, ids
from dashboard.session import ROLE_RANK, User, current_user

PRODUCT = "Tocsin"
TAGLINE = "Early warning for crime-driven instability"
DEMO_TEXT = "DEMO DATA — synthetic values, not real statistics"
HEALTH_POLL_MS = 60_000
SOURCES = (
    "Data: UNODC (intentional homicide, drug seizures), World Bank, UN SDG database, "
    "UN Security Council documents (Dag Hammarskjöld Library), GDELT. "
    "Boundaries: Natural Earth (public domain); they imply no official endorsement."
)


def shell() -> html.Div:
    """Return the layout shared by all pages, with the active page in the middle."""
    return html.Div(
        className="shell",
        children=[
            # callback-nav: a callback that sets the pathname (the map's drill-down) moves
            # to that page without a reload, as a link click does.
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            dcc.Interval(id=ids.HEALTH_POLL, interval=HEALTH_POLL_MS),
            lazy_components(),
            html.Header(
                className="app-header",
                children=[
                    html.Div(
                        className="brand",
                        children=[
                            html.Span(PRODUCT, className="brand-name"),
                            html.Span(TAGLINE, className="brand-tagline"),
                        ],
                    ),
                    html.Nav(id=ids.NAV, className="nav", children=[]),
                    html.Div(id=ids.USER_BOX, className="user-box"),
                ],
            ),
            html.Div(DEMO_TEXT, id=ids.DEMO_BANNER, className="demo-banner", hidden=True),
            html.Div(id=ids.API_STATUS, className="api-status", role="alert", hidden=True),
            html.Main(dash.page_container, className="page"),
            html.Footer(html.P(SOURCES), className="app-footer"),
        ],
    )


def lazy_components() -> html.Div:
    """Return one hidden instance of each dcc component whose code dcc loads on first use.

    dcc.Graph, Dropdown and Slider each load their code (a chunk of its own, see
    ``PRELOADED_CHUNKS`` in dashboard/app.py) when the first instance renders, and React
    holds that instance back until the code has run. Rendered with the shell, while the
    browser waits for the page's content, they leave the code ready: a page's figures then
    draw as soon as it arrives, not after the rest of its content has been processed.
    """
    return html.Div(
        [dcc.Graph(config={"staticPlot": True}), dcc.Dropdown(), dcc.Slider(min=0, max=1)],
        hidden=True,
        className="lazy-components",
    )


def page_libraries(path: str) -> tuple[str, ...]:
    """Return the optional component libraries the page at ``path`` renders.

    A page names them when it registers (``libraries=``); dashboard/app.py links each
    library's script only on the pages that name it (``OPTIONAL_LIBRARIES``).
    """
    path = "/" + path.split("?")[0].strip("/")
    for page in dash.page_registry.values():
        if page["path"] == path:
            return tuple(page.get("libraries", ()))
    return ()


def page_link(text: Any, href: str, **kwargs: Any) -> dcc.Link:
    """Return a link to a dashboard page; to one with libraries of its own, a page load.

    Reached from a page that lacks its libraries, such a page could not render them.
    """
    return dcc.Link(text, href=href, refresh=bool(page_libraries(href)), **kwargs)


def nav_links(pathname: str | None, role: str | None) -> list[dcc.Link]:
    """Return one link per page the role may open, the current one marked active.

    A page's ``min_role`` (default viewer) says who may open it; nobody signed in sees none.
    """
    rank = ROLE_RANK.get(role or "", 0)
    return [
        page_link(
            page["name"],
            page["relative_path"],
            className="nav-link active" if page["path"] == pathname else "nav-link",
        )
        for page in dash.page_registry.values()
        # A page reached by drill-down (/region/<code>) has no link of its own.
        if not page.get("path_template")
        and page.get("in_nav", True)
        and rank >= ROLE_RANK[page.get("min_role", "viewer")]
    ]


def user_box(user: User | None) -> list[Any]:
    """Return who is signed in with their role and a sign-out button, or a sign-in link."""
    if user is None:
        return [dcc.Link("Sign in", href=auth.LOGIN_PATH, className="nav-link")]
    return [
        html.Span(
            [html.Span(user["username"], className="user-name"), f" · {user['role']}"],
            className="user-identity",
            title="Signed in as",
        ),
        html.Form(
            id=ids.LOGOUT_FORM,
            action=auth.LOGOUT_ROUTE,
            method="POST",
            children=[
                dcc.Input(type="hidden", name=auth.CSRF_FIELD, value=auth.csrf_token()),
                html.Button("Sign out", type="submit", className="button button-quiet"),
            ],
        ),
    ]


def api_banners(api_url: str) -> tuple[bool, bool, str]:
    """Return (demo banner hidden, status hidden, status text) from the API's health."""
    try:
        health = api_client.health(api_url)
    except api_client.ApiError as exc:
        return True, False, f"The API is unavailable: {exc} Panels may be empty until it is back."
    return not health.get("demo_data", False), True, ""


def register_callbacks(app: Dash, *, api_url: str) -> None:
    """Attach the shell's callbacks (navigation state, demo banner) to the app."""

    @app.callback(
        Output(ids.NAV, "children"), Output(ids.USER_BOX, "children"), Input(ids.URL, "pathname")
    )
    def _nav_and_user(pathname: str | None) -> tuple[list[Any], list[Any]]:
        user = current_user()
        return nav_links(pathname, user["role"] if user else None), user_box(user)

    @app.callback(
        Output(ids.DEMO_BANNER, "hidden"),
        Output(ids.API_STATUS, "hidden"),
        Output(ids.API_STATUS, "children"),
        Input(ids.URL, "pathname"),
        Input(ids.HEALTH_POLL, "n_intervals"),
    )
    def _banners(_pathname: str | None, _ticks: int | None) -> tuple[bool, bool, str]:
        return api_banners(api_url)
