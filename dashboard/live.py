"""``/live``: the API's event stream, relayed by the dashboard server to the browser.

The browser cannot send the signed-in user's token on an EventSource, and the token stays
in the dashboard's session anyway, so ``assets/live.js`` opens this same-origin route and
the dashboard forwards GET /stream with the token. ``Last-Event-ID`` is passed through, so
a reconnecting EventSource resumes where it stopped. When the API cannot be reached the
answer is still an (empty) event stream that asks the browser to retry later: an error
status would make EventSource give up for good.
"""

from __future__ import annotations

from collections.abc import Iterator

import flask

from dashboard import api_client

LIVE_PATH = "/live"
RETRY_MS = 5_000


def install(server: flask.Flask, *, api_url: str) -> None:
    """Add the /live route to the dashboard's Flask server."""

    def live() -> flask.Response:
        """Relay the API's event stream to the signed-in browser."""
        last_event_id = flask.request.headers.get("Last-Event-ID")
        chunks = relay(api_client.stream(api_url, last_event_id=last_event_id))
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return flask.Response(chunks, mimetype="text/event-stream", headers=headers)

    server.add_url_rule(LIVE_PATH, "live", live)


def relay(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Yield the API's bytes; when the stream fails, say why in a comment and ask for a retry."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    try:
        yield from chunks
    except api_client.ApiError as exc:
        reason = " ".join(str(exc).split())  # one line: a newline would end the comment
        yield f": {reason}\n\n".encode()
