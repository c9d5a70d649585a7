"""The dashboard's app factory: a Dash app that reads everything from the Tocsin API."""

from __future__ import annotations

import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any

import dash
import flask

from dashboard import auth, layout
from dashboard.pages import register_pages

ASSETS = Path(__file__).resolve().parent / "assets"
ASSET_MAX_AGE_S = 365 * 24 * 3600
ASSETS_ENDPOINT = "_dash_assets.static"  # the Flask blueprint Dash serves assets/ from


def create_app(
    *, api_url: str, secret_key: str | None = None, session_policy: auth.SessionPolicy | None = None
) -> dash.Dash:
    """Build the dashboard for the API at ``api_url``; serve ``app.server`` with any WSGI server.

    ``secret_key`` encrypts the session cookie; without one, a random key is drawn and
    sessions end when the process does.
    """
    app = _Dash(
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
        # The test suite checks every callback's components and properties against every
        # page (tests/dashboard/test_app_shell.py). Left to Dash, each page load would carry
        # every page's layout (60 kB) for the browser to walk before it draws anything.
        suppress_callback_exceptions=True,
        external_stylesheets=[],
        external_scripts=[],
    )
    register_pages(app, api_url=api_url)
    app.layout = layout.shell()
    layout.register_callbacks(app, api_url=api_url)
    app.server.config["TOCSIN_API_URL"] = api_url
    auth.install(
        app.server,
        api_url=api_url,
        secret_key=secret_key or secrets.token_urlsafe(32),
        policy=session_policy or auth.SessionPolicy(),
    )
    app.server.add_url_rule("/healthz", "healthz", _healthz)
    app.server.after_request(_cache_versioned_assets)
    return app


# Component libraries Dash links on every page though few pages render them: each is
# linked only on the pages that name it in their registry entry (``libraries=``). AG Grid
# alone is 1.3 MB of script for the browser to run at every load; nothing uses dash_table.
OPTIONAL_LIBRARIES = ("dash_ag_grid", "dash_table")
LIBRARY_TAGS = {
    library: re.compile(rf'<script src="[^"]*/{library}/[^"]*"></script>\s*')
    for library in OPTIONAL_LIBRARIES
}

# dcc loads these chunks only once a graph, dropdown or slider first renders, a round trip
# after the page content arrives; fetched at once from the head, they are ready by then.
PRELOADED_CHUNKS = ("async-graph.js", "async-dropdown.js", "async-slider.js")
POLYFILL_TAG = re.compile(r'<script src="[^"]*/polyfill@[^"]*"></script>\s*')


class _Dash(dash.Dash):
    """Dash with lighter pages: lazy dcc chunks preloaded; no ``@babel/polyfill``; and no
    component library the page does not render (``OPTIONAL_LIBRARIES``).

    The browsers Tocsin supports have everything the 90 kB polyfill adds but one global
    that Dash's bundles call when they load a lazy chunk, ``regeneratorRuntime``; the
    assets folder brings that (``vendor/regenerator-runtime.min.js``, 7 kB). Evaluating
    the polyfill cost about 150 ms of main thread on every page load.
    """

    @cached_property
    def _preload_links(self) -> str:
        """Return the preload links of the lazy dcc chunks (built once, on the first page)."""
        dcc = f"{self.config.requests_pathname_prefix}_dash-component-suites/dash/dcc"
        return "".join(
            f'<link rel="preload" as="script" href="{dcc}/{chunk}">' for chunk in PRELOADED_CHUNKS
        )

    # Dash calls this with keywords only; its own signature lists each one, untyped.
    def interpolate_index(self, **kwargs: Any) -> str:  # type: ignore[override]
        """Fill the page template: preload links after the styles; the polyfill and the
        libraries the requested page does not render left out."""
        kwargs["css"] += self._preload_links
        scripts = POLYFILL_TAG.sub("", kwargs["scripts"])
        needed = layout.page_libraries(flask.request.path)
        for library, tag in LIBRARY_TAGS.items():
            if library not in needed:
                scripts = tag.sub("", scripts)
        kwargs["scripts"] = scripts
        return str(super().interpolate_index(**kwargs))  # type: ignore[no-untyped-call]


def _cache_versioned_assets(response: flask.Response) -> flask.Response:
    """Let the browser keep an asset fetched with a version (``?m=<mtime>``) for a year.

    Dash links its CSS and JS assets that way and the Overview its world.geojson: a new
    file gets a new URL, so the browser never revalidates the old one (no 304 round trip).
    """
    if flask.request.endpoint == ASSETS_ENDPOINT and "m" in flask.request.args:
        response.cache_control.no_cache = None  # Flask's default when no max-age is set
        response.cache_control.public = True
        response.cache_control.max_age = ASSET_MAX_AGE_S
        response.cache_control.immutable = True
    return response


def _healthz() -> dict[str, str]:
    """Tell a load balancer or a test that the dashboard process serves requests."""
    return {"status": "ok"}
