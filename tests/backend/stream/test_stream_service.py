"""The stream service: message framing, start cursor, the generator, wakers and shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType

import anyio
import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from starlette.datastructures import State

from backend.config import Environment, Settings
from backend.context import build_context
from backend.db import make_engine, make_session_factory
from backend.events.models import Event
from backend.stream import service
from backend.stream.routes import waker_for

Commit = Callable[..., list[int]]
ROOT = Path(__file__).resolve().parents[3]


def test_format_event_is_one_sse_message() -> None:
    event = Event(
        id=42,
        kind="alert",
        created_at=datetime(2024, 6, 30, 4, 12),
        payload={"note": "two\nlines", "region": "Curaçao"},
    )
    message = service.format_event(event)
    assert message.endswith("\n\n") and message.count("\n") == 4
    head, kind, data = message.strip().split("\n")
    assert (head, kind) == ("id: 42", "event: alert")
    assert json.loads(data.removeprefix("data: ")) == {
        "note": "two\nlines",
        "region": "Curaçao",
        "created_at": "2024-06-30T04:12:00Z",
    }


def test_start_cursor(stream_db: str, commit_events: Commit) -> None:
    sessions = make_session_factory(make_engine(stream_db))
    assert service.start_cursor(sessions=sessions, requested=None) == 0
    ids = commit_events({"n": 1}, {"n": 2})
    assert service.start_cursor(sessions=sessions, requested=None) == ids[-1]
    assert service.start_cursor(sessions=sessions, requested=ids[0]) == ids[0]
    assert service.start_cursor(sessions=sessions, requested=10**9) == ids[-1]


def _collect(stream_db: str, cursor: int, want: int) -> list[str]:
    """Run the generator on a poll waker until it has yielded want chunks."""
    sessions = make_session_factory(make_engine(stream_db))
    chunks: list[str] = []

    async def main() -> None:
        stream = service.event_stream(
            sessions=sessions,
            cursor=cursor,
            waker=service.PollWaker(0.01),
            heartbeat_s=0.05,
            stopping=lambda: len(chunks) >= want,
        )
        with anyio.fail_after(30):
            async for chunk in stream:
                chunks.append(chunk)

    anyio.run(main)
    return chunks


def test_the_generator_catches_up_page_by_page_then_beats(
    stream_db: str, commit_events: Commit
) -> None:
    total = service.PAGE * 2 + 10
    commit_events(*({"n": n} for n in range(total)))
    chunks = _collect(stream_db, cursor=0, want=total + 2)
    assert chunks[0] == f"retry: {service.RETRY_MS}\n\n"
    numbers = [json.loads(c.split("data: ")[1])["n"] for c in chunks[1 : total + 1]]
    assert numbers == list(range(total))
    assert chunks[-1] == service.HEARTBEAT


def test_a_lost_database_ends_the_stream(tmp_path: Path) -> None:
    missing = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    sessions = sessionmaker(bind=missing)
    stream = service.event_stream(
        sessions=sessions, cursor=0, waker=service.PollWaker(0.01), stopping=lambda: False
    )

    async def main() -> list[str]:
        with anyio.fail_after(30):
            return [chunk async for chunk in stream]

    assert anyio.run(main) == [f"retry: {service.RETRY_MS}\n\n"]


def test_server_is_stopping_reads_uvicorns_flag() -> None:
    class FakeServer:
        should_exit = False

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            self.should_exit = True

    server = FakeServer()
    previous = signal.signal(signal.SIGTERM, server.handle_exit)
    try:
        assert not service.server_is_stopping()
        server.should_exit = True
        assert service.server_is_stopping()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not service.server_is_stopping()


def test_the_waker_suits_the_database(stream_db: str, commit_events: Commit) -> None:
    context = build_context(Settings(env=Environment.test, database_url=stream_db))
    state = State()

    async def main() -> tuple[int, int, bool]:
        waker = waker_for(state, context)
        if not isinstance(waker, service.ListenWaker):
            assert isinstance(waker, service.PollWaker)  # SQLite: the stream polls
            return 0, 1, False
        assert waker_for(state, context) is waker  # one LISTEN connection per process
        async with waker.subscribed():
            with anyio.fail_after(30):
                while not waker.listening:
                    await anyio.sleep(0.01)
            mark = waker.mark()
            threading.Timer(0.2, commit_events, args=({"n": 1},)).start()
            await waker.wait(60, mark)  # a missed NOTIFY would sit here for a minute
            after = waker.mark()
        await anyio.sleep(0.1)  # let the cancelled listener close its connection
        return mark, after, waker.listening

    try:
        mark, after, listening_after = anyio.run(main)
    finally:
        context.dispose()
    assert after > mark
    assert not listening_after


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_open_stream_does_not_hold_up_shutdown(stream_db: str, viewer: dict[str, str]) -> None:
    port = _free_port()
    env = {**os.environ, "TOCSIN_DATABASE_URL": stream_db, "TOCSIN_ENV": "test"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "backend.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _wait_until_up(client)
            with client.stream("GET", "/api/v1/stream", headers=viewer) as response:
                assert next(response.iter_lines()) == f"retry: {service.RETRY_MS}"
                server.send_signal(signal.SIGINT)
                assert server.wait(timeout=30) == 0  # without the check it would wait forever
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            client.get("/api/v1/health")
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("uvicorn did not start")
