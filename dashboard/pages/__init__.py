"""The dashboard's pages; each module has ``layout`` and ``register(app, *, api_url=...)``."""

from __future__ import annotations

from dash import Dash

from dashboard.pages import (
    admin,
    alerts,
    login,
    overview,
    region,
    rules,
    snapshots,
    sources,
)

# Navigation follows this order; add new pages here.
PAGES = (overview, alerts, region, rules, snapshots, sources, admin, login)


def register_pages(app: Dash, *, api_url: str) -> None:
    """Register every page and its callbacks on the app."""
    for page in PAGES:
        page.register(app, api_url=api_url)
