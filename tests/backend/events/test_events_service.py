"""The event log: append, then read by cursor, oldest first."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from backend.events.service import (
    UnknownEventKind,
    append_event,
    append_events,
    events_after,
    last_cursor,
)


def test_append_returns_the_event_with_its_cursor(session: Session) -> None:
    event = append_event(session=session, kind="ingest_run", payload={"source": "x", "ok": True})
    assert event.id > 0
    assert event.created_at is not None
    assert last_cursor(session=session) == event.id


def test_events_after_reads_forward_from_a_cursor(session: Session) -> None:
    start = last_cursor(session=session)
    made = append_events(session=session, items=[("alert", {"n": n}) for n in range(5)])
    assert [e.payload["n"] for e in events_after(session=session, cursor=start)] == [0, 1, 2, 3, 4]
    assert [e.payload["n"] for e in events_after(session=session, cursor=made[1].id)] == [2, 3, 4]
    assert list(events_after(session=session, cursor=made[-1].id)) == []


def test_events_after_pages_with_a_limit(session: Session) -> None:
    start = last_cursor(session=session)
    append_events(session=session, items=[("alert", {"n": n}) for n in range(5)])
    page = events_after(session=session, cursor=start, limit=2)
    assert [e.payload["n"] for e in page] == [0, 1]
    rest = events_after(session=session, cursor=page[-1].id, limit=10)
    assert [e.payload["n"] for e in rest] == [2, 3, 4]


def test_payload_survives_the_round_trip(session: Session) -> None:
    payload = {"alert_id": 7, "value": 12.5, "previous_state": None, "is_demo": True}
    event = append_event(session=session, kind="alert", payload=payload)
    session.expire_all()
    (read,) = events_after(session=session, cursor=event.id - 1)
    assert read.payload == payload
    assert read.kind == "alert"


def test_unknown_kind_is_refused(session: Session) -> None:
    with pytest.raises(UnknownEventKind, match="unknown event kind"):
        append_event(session=session, kind="gossip", payload={})


def test_empty_batch_writes_nothing(session: Session) -> None:
    before = last_cursor(session=session)
    assert append_events(session=session, items=[]) == []
    assert last_cursor(session=session) == before
