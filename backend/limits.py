"""Request size limits: a body over its limit is refused with 413 before a route reads it.

Every JSON body of the API is small (a rule file, a comment, a list of alert ids); only a
CSV upload is large. The limit is checked on ``Content-Length`` when the client sends one;
a body of unknown length (chunked) is read here up to the limit and then handed on, so no
route ever buffers more than its limit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import TooLarge, problem_response

JSON_LIMIT = 1_000_000
UPLOAD_LIMIT = 6_000_000  # a 5 MB file (backend/uploads) plus its multipart framing
UPLOAD_PATHS = ("/api/v1/uploads", "/api/v1/episodes/import")


def limit_for(path: str) -> int:
    """Return the largest body accepted on a path."""
    return UPLOAD_LIMIT if path.rstrip("/").endswith(UPLOAD_PATHS) else JSON_LIMIT


class BodySizeLimit:
    """ASGI middleware refusing request bodies over ``limit_for(path)`` with a 413 problem."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length; read a body of unknown length up to the limit first."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(str(scope.get("path", "")))
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit():  # the server delivers no more than was declared
            if int(declared) > limit:
                await _refuse(limit, scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        body = await _read_at_most(receive, limit)
        if body is None:
            await _refuse(limit, scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_at_most(receive: Receive, limit: int) -> bytes | None:
    """Read a chunked body; None as soon as it passes ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)
        part = message.get("body", b"")
        size += len(part)
        if size > limit:
            return None
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Return a receive that gives the app the body already read, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _detail(limit: int) -> str:
    return f"The request body is larger than {limit:,} bytes"


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(413, TooLarge.title, _detail(limit), slug=TooLarge.slug)
    await response(scope, receive, send)
