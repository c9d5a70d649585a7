"""``GET /api/v1/stream`` on a live server: new events, resume, concurrent writers, errors."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

STREAM = "/api/v1/stream"
Commit = Callable[..., list[int]]


@contextmanager
def _stream(base: str, sse: Any, auth: dict[str, str], **request: Any) -> Iterator[Any]:
    """Open the stream with the auth header (and any other) and yield an SSE reader on it."""
    headers = {**auth, **request.pop("headers", {})}
    with (
        httpx.Client(base_url=base, timeout=30) as client,  # a busy CI machine is slow
        client.stream("GET", STREAM, headers=headers, **request) as response,
    ):
        assert response.status_code == 200
        yield sse(response)


def test_a_new_stream_sends_only_new_events(
    live_api: str, viewer: dict[str, str], commit_events: Commit, sse: Any
) -> None:
    commit_events({"n": "old"})
    with _stream(live_api, sse, viewer) as reader:
        assert reader.response.headers["content-type"].startswith("text/event-stream")
        assert reader.response.headers["cache-control"] == "no-cache"
        ids = commit_events({"n": 1}, {"n": 2}) + commit_events({"source": "x"}, kind="ingest_run")
        messages = reader.take(3)
    assert [m.id for m in messages] == ids
    assert [m.event for m in messages] == ["alert", "alert", "ingest_run"]
    first = json.loads(messages[0].data)
    assert first["n"] == 1 and first["created_at"].endswith("Z")


@pytest.mark.parametrize("how", ["header", "query", "both"])
def test_resume_after_a_cursor(
    live_api: str, viewer: dict[str, str], commit_events: Commit, sse: Any, how: str
) -> None:
    ids = commit_events(*({"n": n} for n in range(5)))
    headers = {"Last-Event-ID": str(ids[1])} if how in ("header", "both") else {}
    # When both are sent, the header wins: EventSource sends it on reconnect.
    params = {"after": str(ids[3] if how == "both" else ids[1])} if how != "header" else {}
    with _stream(live_api, sse, viewer, headers=headers, params=params) as reader:
        backlog = reader.take(3)
        newer = commit_events({"n": 5})
        live = reader.take(1)
    assert [m.id for m in backlog] == ids[2:]
    assert [m.id for m in live] == newer


def test_a_reconnecting_client_misses_nothing(
    live_api: str, viewer: dict[str, str], commit_events: Commit, sse: Any
) -> None:
    with _stream(live_api, sse, viewer) as reader:
        commit_events({"n": 0})
        (first,) = reader.take(1)
    missed = commit_events({"n": 1}, {"n": 2})  # committed while disconnected
    with _stream(live_api, sse, viewer, headers={"Last-Event-ID": str(first.id)}) as reader:
        again = reader.take(2)
    assert [m.id for m in again] == missed


def test_events_from_a_concurrent_writer_arrive_in_order(
    live_api: str, viewer: dict[str, str], commit_events: Commit, sse: Any
) -> None:
    written: list[int] = []

    def writer() -> None:
        for n in range(20):
            written.extend(commit_events({"n": n}))
            time.sleep(0.01)

    with _stream(live_api, sse, viewer) as reader:
        thread = threading.Thread(target=writer)
        thread.start()
        messages = reader.take(20)
        thread.join()
    assert [m.id for m in messages] == written
    assert [json.loads(m.data)["n"] for m in messages] == list(range(20))


def test_an_idle_stream_sends_heartbeats(live_api: str, viewer: dict[str, str], sse: Any) -> None:
    with _stream(live_api, sse, viewer) as reader:
        assert next(reader.lines) == "retry: 2000"
        seen = [next(reader.lines) for _ in range(4)]
    assert ": heartbeat" in seen


@pytest.mark.parametrize(
    ("headers", "params"),
    [({"Last-Event-ID": "abc"}, {}), ({}, {"after": "-1"}), ({}, {"after": "x"})],
)
def test_a_bad_cursor_is_a_422_problem(
    live_api: str, viewer: dict[str, str], headers: dict[str, str], params: dict[str, str]
) -> None:
    headers = {**viewer, **headers}
    response = httpx.get(live_api + STREAM, headers=headers, params=params, timeout=10)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_cursor_ahead_of_the_log_starts_at_the_newest(
    live_api: str, viewer: dict[str, str], commit_events: Commit, sse: Any
) -> None:
    commit_events({"n": 0})
    with _stream(live_api, sse, viewer, params={"after": "999999"}) as reader:
        newer = commit_events({"n": 1})
        messages = reader.take(1)
    assert [m.id for m in messages] == newer
