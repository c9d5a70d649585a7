"""``GET /stream``: alert transitions and finished ingest runs as server-sent events."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.datastructures import State

from backend.context import AppContext
from backend.deps import get_context
from backend.errors import PROBLEM_RESPONSES
from backend.stream import service

router = APIRouter(tags=["stream"], responses=PROBLEM_RESPONSES)

MAX_CURSOR = 2**63 - 1
EXAMPLE = (
    "retry: 2000\n\n"
    'id: 1042\nevent: alert\ndata: {"alert_id":412,"state":"firing",'
    '"created_at":"2024-06-30T04:12:00Z"}\n\n'
    ": heartbeat\n\n"
)
STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An endless text/event-stream: one message per event, heartbeats when idle",
        "content": {"text/event-stream": {"schema": {"type": "string"}, "example": EXAMPLE}},
    }
}


def waker_for(state: State, context: AppContext) -> service.Waker:
    """Return the process's shared LISTEN waker on PostgreSQL, a poll waker otherwise."""
    if context.engine.dialect.name != "postgresql":
        return service.PollWaker()
    waker: service.ListenWaker | None = getattr(state, "stream_waker", None)
    # One per event loop: a test client may run the app on a fresh loop per client.
    if waker is None or waker.loop is not asyncio.get_running_loop():
        waker = state.stream_waker = service.ListenWaker(service.libpq_conninfo(context.engine.url))
    return waker


@router.get(
    "/stream",
    summary="Live event stream",
    response_class=StreamingResponse,
    responses=STREAM_RESPONSE,
)
async def stream(
    request: Request,
    last_event_id: Annotated[
        int | None,
        Header(ge=0, le=MAX_CURSOR, description="Resume after this event id (sent by EventSource)"),
    ] = None,
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_CURSOR, description="Resume after this event id (when no header)"),
    ] = None,
) -> StreamingResponse:
    """Stream events as server-sent events: `id` is the cursor, `event` the kind.

    Kinds: `alert` (a transition), `ingest_run` (a finished run) and `demo_cleared` (the
    demo data was deleted); `data` is the event's
    JSON payload with `created_at`. Without `Last-Event-ID` or `after`, only new events
    are sent. A comment line every 15 s keeps idle connections open.
    """
    context = get_context(request)
    requested = last_event_id if last_event_id is not None else after
    begin = partial(service.start_cursor, sessions=context.sessions, requested=requested)
    cursor = await anyio.to_thread.run_sync(begin)
    body = service.event_stream(
        sessions=context.sessions,
        cursor=cursor,
        waker=waker_for(request.app.state, context),
        heartbeat_s=service.HEARTBEAT_S,
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx: do not buffer
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)
