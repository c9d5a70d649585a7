"""``/live``: the API's event stream, relayed by the dashboard server to the browser.

The browser cannot send the signed-in user's token on an EventSource, and the token stays
in the dashboard's session anyway, so ``assets/live.js`` opens this same-origin route and
the dashboard forwards GET /stream with the token. ``Last-Event-ID`` is passed through, so
a reconnecting EventSource resumes where it stopped. When the API cannot be reached the
answer is still an (empty) event stream that asks the browser to retry later: an error
status would make EventSource give up for good. Signed out, the answer is 204, which tells
EventSource to stop.

The route is asynchronous, served beside the Flask app rather than by it
(dashboard/server.py): a stream stays open as long as an Overview is on screen, and a WSGI
server would give each one a worker thread. A handful of open Overviews, or tabs closed
less than a heartbeat ago, then left no thread to serve anyone's pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import flask
from starlette.datastructures import Headers
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from dashboard import api_client, auth

LIVE_PATH = "/live"
RETRY_MS = 5_000
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # a proxy in front must not hold events back
}


async def serve(
    server: flask.Flask, api_url: str, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer GET /live (ASGI): relay the API's stream until either side hangs up.

    Starlette's StreamingResponse stops the relay when the browser disconnects.
    """
    headers = Headers(scope=scope)
    response: Response
    if scope["method"] != "GET":
        response = Response(status_code=405, headers={"Allow": "GET"})
    elif (token := auth.session_token(server, headers.get("cookie", ""))) is None:
        response = Response(status_code=204)
    else:
        chunks = api_client.stream(api_url, token=token, last_event_id=headers.get("last-event-id"))
        response = StreamingResponse(relay(chunks), media_type="text/event-stream", headers=HEADERS)
    await response(scope, receive, send)


async def relay(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Yield the API's bytes; when the stream fails, say why in a comment and ask for a retry."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    try:
        async for chunk in chunks:
            yield chunk
    except api_client.ApiError as exc:
        reason = " ".join(str(exc).split())  # one line: a newline would end the comment
        yield f": {reason}\n\n".encode()
