"""The page shell the dashboard serves: which scripts it links and how the browser caches them.

These run the real app factory with Flask's test client; no API is needed because neither
the sign-in page nor static files call it.
"""

from __future__ import annotations

import re
import threading

from dashboard import auth
from dashboard.app import create_app

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
