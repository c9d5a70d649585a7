"""The live stream: read the event log by cursor and frame it as server-sent events.

Every API worker reads the same event table, so an event committed by the scheduler (or
any other process) reaches every stream client. Between reads a stream waits on a
*waker*: on SQLite it simply sleeps for the poll interval; on PostgreSQL one LISTEN
connection per process wakes every stream of that process when ``append_events``
NOTIFYs, and a slower poll stays on as a safety net.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import datetime
from functools import partial
from typing import Protocol

import anyio
import psycopg
from psycopg import sql
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from backend.errors import DATABASE_DOWN
from backend.events.models import Event
from backend.events.service import NOTIFY_CHANNEL, events_after, last_cursor
from backend.timeutil import as_utc

log = logging.getLogger(__name__)

POLL_S = 0.25  # SQLite: one cheap indexed read per stream per interval
FALLBACK_S = 2.0  # PostgreSQL while LISTEN is up: a read in case a notification was missed
HEARTBEAT_S = 15.0  # a comment line when idle, so proxies keep the connection open
RECONNECT_S = 2.0  # wait before re-opening a lost LISTEN connection
RETRY_MS = 2000  # told to EventSource clients: how soon to reconnect after a drop
PAGE = 200
HEARTBEAT = ": heartbeat\n\n"
Frames = list[tuple[int, str]]


def _iso(value: datetime) -> str:
    aware = as_utc(value)
    return aware.isoformat().replace("+00:00", "Z")


def format_event(event: Event) -> str:
    """Return one SSE message: ``id``, ``event`` (the kind) and the payload with created_at."""
    data = json.dumps(
        {**event.payload, "created_at": _iso(event.created_at)},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    # json.dumps escapes newlines, so the data always fits on one "data:" line.
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


def read_frames(*, sessions: sessionmaker[Session], cursor: int, limit: int = PAGE) -> Frames:
    """Return (id, message) for events after cursor, in a short session of its own."""
    with sessions() as session:
        events: Sequence[Event] = events_after(session=session, cursor=cursor, limit=limit)
        return [(event.id, format_event(event)) for event in events]


def start_cursor(*, sessions: sessionmaker[Session], requested: int | None) -> int:
    """Return where a new stream starts: the requested cursor, or the newest event.

    A cursor ahead of the log (the database was reset) starts from the newest event.
    """
    with sessions() as session:
        newest = last_cursor(session=session)
    return newest if requested is None else min(requested, newest)


def server_is_stopping() -> bool:
    """Tell whether uvicorn was asked to exit, so streams end and shutdown is not held up."""
    # uvicorn waits for open responses before shutting down and never tells them; its
    # signal handler is a bound method of the Server, whose should_exit flag we can read.
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return bool(getattr(server, "should_exit", False))


class Waker(Protocol):
    """What a stream waits on between reads."""

    def subscribed(self) -> AbstractAsyncContextManager[object]:
        """Hold the waker's resources for the life of one stream."""
        ...

    def mark(self) -> int:
        """Return the wake-up count; take it before reading, hand it to wait() after."""
        ...

    async def wait(self, timeout: float, since: int) -> None:
        """Return after timeout, or earlier when a wake-up came after mark() returned since."""
        ...

    def interval(self) -> float:
        """Return the longest a stream should wait before reading anyway."""
        ...


class PollWaker:
    """Sleep for the poll interval: new events are found by the next read."""

    def __init__(self, poll_s: float = POLL_S) -> None:
        self.poll_s = poll_s

    def subscribed(self) -> AbstractAsyncContextManager[object]:
        """Need nothing."""
        return nullcontext()

    def mark(self) -> int:
        """Return 0: polling has no wake-ups."""
        return 0

    async def wait(self, timeout: float, since: int) -> None:
        """Sleep for timeout."""
        await anyio.sleep(timeout)

    def interval(self) -> float:
        """Return the poll interval."""
        return self.poll_s


class ListenWaker:
    """Wake every stream of this process on a NOTIFY: one LISTEN connection, shared."""

    def __init__(self, conninfo: str, *, poll_s: float = POLL_S) -> None:
        self.loop = asyncio.get_running_loop()
        self.listening = False
        self.poll_s = poll_s
        self._conninfo = conninfo
        self._woken = asyncio.Event()
        self._wakeups = 0
        self._subscribers = 0
        self._task: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def subscribed(self) -> AsyncIterator[object]:
        """Start listening with the first stream and stop with the last."""
        self._subscribers += 1
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._listen(), name="tocsin-stream-listen")
        try:
            yield self
        finally:
            self._subscribers -= 1
            if self._subscribers == 0 and self._task is not None:
                self._task.cancel()
                self._task = None

    def mark(self) -> int:
        """Return how many wake-ups there have been."""
        return self._wakeups

    async def wait(self, timeout: float, since: int) -> None:
        """Wait for a notification after mark() returned since, or timeout."""
        if self._wakeups != since:
            return  # it came while the stream was reading: read again at once
        with anyio.move_on_after(timeout):
            await self._woken.wait()

    def interval(self) -> float:
        """Return the fallback poll while listening, the plain poll while not."""
        return FALLBACK_S if self.listening else self.poll_s

    def _wake(self) -> None:
        # An asyncio.Event cannot wake waiters twice without a clear() race: swap in a new one.
        self._wakeups += 1
        woken, self._woken = self._woken, asyncio.Event()
        woken.set()

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except (psycopg.Error, OSError) as exc:
                log.warning("stream LISTEN lost (%s); polling until it is back", type(exc).__name__)
            finally:
                self.listening = False
            await asyncio.sleep(RECONNECT_S)

    async def _listen_once(self) -> None:
        conn = await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, connect_timeout=10
        )
        async with conn:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(NOTIFY_CHANNEL)))
            self.listening = True
            self._wake()  # events committed while we were connecting
            async for _notify in conn.notifies():
                self._wake()


def libpq_conninfo(url: URL) -> str:
    """Return a libpq connection string for a SQLAlchemy PostgreSQL URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def event_stream(
    *,
    sessions: sessionmaker[Session],
    cursor: int,
    waker: Waker,
    heartbeat_s: float = HEARTBEAT_S,
    stopping: Callable[[], bool] = server_is_stopping,
) -> AsyncIterator[str]:
    """Yield SSE messages for events after cursor, heartbeats when idle, until stopped.

    The client's disconnect cancels this generator (Starlette watches for it); a lost
    database ends the stream, and the client reconnects with Last-Event-ID.
    """
    yield f"retry: {RETRY_MS}\n\n"
    async with waker.subscribed():
        quiet_since = time.monotonic()
        while not stopping():
            mark = waker.mark()
            read = partial(read_frames, sessions=sessions, cursor=cursor)
            try:
                frames = await anyio.to_thread.run_sync(read)
            except DATABASE_DOWN:
                log.warning("stream: database unavailable; closing so the client reconnects")
                return
            for event_id, message in frames:
                yield message
                cursor = event_id
            if len(frames) == PAGE:
                continue  # catching up: read the next page at once
            if frames:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= heartbeat_s:
                yield HEARTBEAT
                quiet_since = time.monotonic()
            await waker.wait(min(waker.interval(), heartbeat_s), mark)
