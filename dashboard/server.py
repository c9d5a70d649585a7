"""The dashboard as one ASGI application: Dash's Flask server, and the async /live relay.

Pages, callbacks and files are Flask's (Dash is a WSGI app), run by a2wsgi in a pool of
threads. The /live event stream is answered here, by a coroutine, because it stays open as
long as an Overview is on screen (dashboard/live.py says why a thread each was too dear).
``tocsin serve dashboard`` runs this with uvicorn.
"""

from __future__ import annotations

import dash
from a2wsgi import WSGIMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from dashboard import live

# Threads for pages and callbacks: the Overview fires about ten callbacks at once per load.
WSGI_THREADS = 16


def asgi_app(app: dash.Dash, *, api_url: str, threads: int = WSGI_THREADS) -> ASGIApp:
    """Return the ASGI application that serves ``app`` and relays the live stream."""
    flask_server = app.server
    wsgi = WSGIMiddleware(flask_server, workers=threads)

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == live.LIVE_PATH:
            await live.serve(flask_server, api_url, scope, receive, send)
        else:
            await wsgi(scope, receive, send)  # type: ignore[arg-type]

    return serve
