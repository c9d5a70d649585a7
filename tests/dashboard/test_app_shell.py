"""The page shell the dashboard serves: its scripts, their caching, and its callbacks' wiring.

These run the real app factory with Flask's test client; no API is needed because neither
the sign-in page nor static files call it.
"""

from __future__ import annotations

import re
import threading

import dash
from dash import html
from dash._utils import split_callback_id

from dashboard import auth, layout
from dashboard.app import OPTIONAL_LIBRARIES, create_app
from dashboard.pages import PAGES

API = "http://api.test"
SCRIPT_SRC = re.compile(r'<script src="([^"]+)"')


def _scripts(html: str) -> list[str]:
    return SCRIPT_SRC.findall(html)


def test_the_page_links_regenerator_runtime_instead_of_the_babel_polyfill() -> None:
    client = create_app(api_url=API).server.test_client()
    scripts = _scripts(client.get(auth.LOGIN_PATH).get_data(as_text=True))
    assert not [src for src in scripts if "polyfill" in src]
    assert [src for src in scripts if "/assets/vendor/regenerator-runtime.min.js" in src]
    # Dash's own bundles still come after React, as Dash orders them.
    names = [src.rsplit("/", 1)[-1] for src in scripts]
    react = next(i for i, n in enumerate(names) if n.startswith("react@"))
    renderer = next(i for i, n in enumerate(names) if n.startswith("dash_renderer"))
    assert react < renderer


def test_static_files_carry_no_session_cookie_so_the_browser_cache_keeps_them() -> None:
    client = create_app(api_url=API).server.test_client()
    page = client.get(auth.LOGIN_PATH)
    assert "Set-Cookie" in page.headers  # the page itself starts the session
    for src in _scripts(page.get_data(as_text=True)):
        answer = client.get(src)
        assert answer.status_code == 200, src
        assert "Set-Cookie" not in answer.headers, src
        assert "Cookie" not in answer.headers.get("Vary", ""), src
        assert answer.cache_control.max_age, src  # versioned: kept for a long time


def test_the_first_request_on_a_worker_thread_is_served() -> None:
    """Dash 4.4 checks every page's layout on the first request, on the server's thread.

    Outside a callback, ``dash.ctx`` raised LookupError there (not Dash's own exception),
    which turned the first request after a start into a 500.
    """
    client = create_app(api_url=API).server.test_client()
    statuses: list[int] = []
    worker = threading.Thread(
        target=lambda: statuses.append(client.get("/_favicon.ico").status_code)
    )
    worker.start()
    worker.join(30)
    assert statuses == [200]


def test_every_callback_uses_real_properties_of_components_on_its_pages() -> None:
    """The check Dash's renderer would make in every browser at every load, made here once.

    The app suppresses Dash's own callback checks (dashboard/app.py), so this one must
    catch a callback wired to an id no page has, or to a property its component lacks.
    """
    app = create_app(api_url=API)
    every_page = html.Div([layout.shell(), *(page.layout() for page in PAGES)])
    components = {c.id: c for c in every_page._traverse() if isinstance(getattr(c, "id", 0), str)}
    assert len(components) > 100
    for callback in app._callback_list:
        outputs = split_callback_id(callback["output"])
        for used in [*(outputs if isinstance(outputs, list) else [outputs]),
                     *callback["inputs"], *callback["state"]]:  # fmt: skip
            if used["id"].startswith("{"):
                continue  # a pattern (ALL, MATCH): its components are made by callbacks
            component = components.get(used["id"])
            assert component is not None, f"{used['id']} is on no page"
            prop = used["property"].split("@")[0]  # allow_duplicate outputs end in @<hash>
            wildcard = any(prop.startswith(w) for w in component._valid_wildcard_attributes)
            assert prop in component._prop_names or wildcard, f"{used['id']} has no {prop}"


def test_a_component_library_is_linked_only_on_the_pages_that_render_it() -> None:
    app = create_app(api_url=API)
    for page in PAGES:
        entry = dash.page_registry[page.__name__]
        rendered = {getattr(c, "_namespace", "") for c in page.layout()._traverse()}
        optional = rendered & set(OPTIONAL_LIBRARIES)
        assert optional <= set(entry.get("libraries", ())), f"{entry['path']} must name {optional}"
        with app.server.test_request_context(entry["path"]):
            names = [src.split("/")[-2] for src in _scripts(app.index())]
        for library in OPTIONAL_LIBRARIES:
            assert (library in names) == (library in entry.get("libraries", ())), entry["path"]
    assert layout.page_libraries("/alerts?id=3") == ("dash_ag_grid",)
    # Links to such a page load it anew; other links move within the page already loaded.
    links = {link.href: link.refresh for link in layout.nav_links("/", "admin")}
    assert links["/alerts"] is True
    assert not [href for href, refresh in links.items() if refresh and href != "/alerts"]
