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

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import flask

from dashboard import api_client, auth

LIVE_PATH = "/live"
RETRY_MS = 5_000

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # a proxy in front must not hold events back
]


async def serve(
    server: flask.Flask, api_url: str, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer GET /live (ASGI): relay the API's stream until either side hangs up."""
    if scope["method"] != "GET":
        await _empty(send, 405, [(b"allow", b"GET")])
        return
    headers = {
        key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]
    }
    token = auth.session_token(server, headers.get("cookie", ""))
    if token is None:
        await _empty(send, 204, [])
        return
    chunks = relay(
        api_client.stream(api_url, token=token, last_event_id=headers.get("last-event-id"))
    )
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_cancel_on_disconnect, receive, tasks.cancel_scope)
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        tasks.cancel_scope.cancel()


async def relay(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Yield the API's bytes; when the stream fails, say why in a comment and ask for a retry."""
    yield f"retry: {RETRY_MS}\n\n".encode()
    try:
        async for chunk in chunks:
            yield chunk
    except api_client.ApiError as exc:
        reason = " ".join(str(exc).split())  # one line: a newline would end the comment
        yield f": {reason}\n\n".encode()


async def _empty(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    """Stop relaying as soon as the browser goes away (the tab closed or navigated)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
