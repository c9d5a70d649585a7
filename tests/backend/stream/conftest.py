"""Stream fixtures: a migrated database of each kind, a live API on it, and an SSE reader.

The stream reads committed rows from other connections, so these tests cannot use the
rolled-back ``session``: each gets a fresh database (SQLite file or PostgreSQL database).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from backend import migrate
from backend.app import create_app
from backend.config import Environment, Settings
from backend.db import make_engine, make_session_factory, transaction
from backend.events.service import append_events
from backend.stream import service
from tests.backend.api._people import add_person, use_cheap_hasher


@pytest.fixture(autouse=True)
def quick_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send heartbeats every half second, so readers notice deadlines and heartbeats show up."""
    monkeypatch.setattr(service, "HEARTBEAT_S", 0.5)


@pytest.fixture
def stream_db(blank_database_url: str) -> str:
    """Return the URL of a fresh, migrated database (SQLite, then PostgreSQL)."""
    migrate.upgrade(blank_database_url)
    return blank_database_url


@pytest.fixture
def commit_events(stream_db: str) -> Iterator[Callable[..., list[int]]]:
    """Return a committer of events in its own engine, as another process would."""
    engine = make_engine(stream_db)
    sessions = make_session_factory(engine)

    def commit(*payloads: dict[str, object], kind: str = "alert") -> list[int]:
        with transaction(sessions) as session:
            events = append_events(session=session, items=[(kind, p) for p in payloads])
            return [event.id for event in events]

    yield commit
    engine.dispose()


@pytest.fixture
def viewer(stream_db: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Return the Authorization header of a viewer of stream_db: the stream needs a token."""
    use_cheap_hasher(monkeypatch)
    engine = make_engine(stream_db)
    with transaction(make_session_factory(engine)) as session:
        headers = add_person(session, "viewer1", "viewer").headers()
    engine.dispose()
    return headers


@pytest.fixture
def live_api(stream_db: str) -> Iterator[str]:
    """Serve the API with uvicorn in a thread; yield its base URL."""
    app = create_app(Settings(env=Environment.test, database_url=stream_db))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(15)
    sock.close()


@dataclass
class Message:
    """One server-sent event."""

    id: int
    event: str
    data: str


class SseReader:
    """Read server-sent events from one streaming response, a few at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.iter_lines()

    def take(self, count: int, within_s: float = 30) -> list[Message]:
        """Return up to count messages (comments and retry lines skipped), giving up after within_s.

        Heartbeats arrive every half second in these tests, so the deadline is checked often.
        """
        messages: list[Message] = []
        fields: dict[str, str] = {}
        deadline = time.monotonic() + within_s
        for line in self.lines:
            if line == "" and "id" in fields:
                messages.append(Message(int(fields["id"]), fields["event"], fields["data"]))
            if line == "":
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
            if len(messages) == count or time.monotonic() > deadline:
                break
        return messages


@pytest.fixture
def sse() -> type[SseReader]:
    """Expose the SSE reader class to tests."""
    return SseReader
