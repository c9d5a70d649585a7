"""Count and time every HTTP request, labelled by route template (never the raw path)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.ops.metrics import HTTP_LATENCY, HTTP_REQUESTS, RECORDER, Recorder

UNMATCHED = "unmatched"  # 404s and probes of random paths share one label


def route_label(scope: Scope) -> str:
    """Return the matched route's full template (``/api/v1/alerts/{alert_id}``), never the path.

    FastAPI gives routes inside included routers their own relative path, so the router
    prefix (static text) is taken back from the front of the request path.
    """
    template = getattr(scope.get("route"), "path", None)
    if not template:
        return UNMATCHED
    template = str(template)
    path_parts = str(scope.get("path", "")).rstrip("/").split("/")
    kept = len(path_parts) - len(template.rstrip("/").split("/")) + 1
    if ":path}" in template or kept < 1:
        return template
    return "/".join(path_parts[:kept]) + template


class RequestMetrics:
    """ASGI middleware: one counter increment and one latency observation per HTTP request."""

    def __init__(self, app: ASGIApp, recorder: Recorder = RECORDER) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, note its status, and record it when it ends."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # an exception before the response started is a server error

        async def note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, note_status)
        finally:
            record_request(
                self.recorder, method=str(scope.get("method", "")), route=route_label(scope),
                status=status, seconds=time.perf_counter() - start,
            )  # fmt: skip


def record_request(
    recorder: Recorder, *, method: str, route: str, status: int, seconds: float
) -> None:
    """Count one HTTP request and its latency under its method and route template."""
    labels = {"method": method, "route": route}
    recorder.add(HTTP_LATENCY, labels, seconds)
    recorder.add(HTTP_REQUESTS, {**labels, "status": str(status)})
