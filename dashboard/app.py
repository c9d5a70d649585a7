"""The dashboard's app factory: a Dash app that reads everything from the Tocsin API."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import html

from dashboard import layout
from dashboard.pages import PAGES, register_pages

ASSETS = Path(__file__).resolve().parent / "assets"


def create_app(*, api_url: str) -> dash.Dash:
    """Build the dashboard for the API at ``api_url``; serve ``app.server`` with any WSGI server."""
    app = dash.Dash(
        __name__,
        title="Tocsin",
        update_title=None,  # type: ignore[arg-type]  # None turns "Updating..." off
        use_pages=True,
        # Pages are registered explicitly below, not discovered from a folder, so that the
        # factory can be called more than once in a process (tests) without re-importing them.
        pages_folder="",
        assets_folder=str(ASSETS),
        # Everything is served by this process: the product must work with no internet.
        serve_locally=True,
        external_stylesheets=[],
        external_scripts=[],
    )
    register_pages(app, api_url=api_url)
    app.layout = layout.shell()
    # Page components are not in the shell; this lets Dash check callback ids against them.
    every_page = [page.layout() for page in PAGES]
    app.validation_layout = html.Div([layout.shell(), *every_page])  # type: ignore[assignment]
    layout.register_callbacks(app, api_url=api_url)
    app.server.config["TOCSIN_API_URL"] = api_url
    app.server.add_url_rule("/healthz", "healthz", _healthz)
    return app


def _healthz() -> dict[str, str]:
    """Tell a load balancer or a test that the dashboard process serves requests."""
    return {"status": "ok"}
