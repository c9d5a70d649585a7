"""The event log: append events, and read them back by cursor for the live stream."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.events.models import Event
from backend.timeutil import utcnow

KINDS = ("alert", "ingest_run", "demo_cleared")
NOTIFY_CHANNEL = "tocsin_events"
MAX_PAGE = 1000


class UnknownEventKind(ValueError):
    """An event kind that stream clients would not know how to read."""


def append_event(
    *,
    session: Session,
    kind: str,
    payload: Mapping[str, object],
    at: datetime | None = None,
) -> Event:
    """Add an event to the log and return it with its cursor id."""
    return append_events(session=session, items=[(kind, payload)], at=at)[0]


def append_events(
    *,
    session: Session,
    items: Iterable[tuple[str, Mapping[str, object]]],
    at: datetime | None = None,
) -> list[Event]:
    """Add (kind, payload) events in one flush and return them in order, with their ids."""
    created_at = at or utcnow()
    events = []
    for kind, payload in items:
        if kind not in KINDS:
            raise UnknownEventKind(f"unknown event kind {kind!r}; known: {', '.join(KINDS)}")
        events.append(Event(kind=kind, created_at=created_at, payload=dict(payload)))
    if not events:
        return events
    session.add_all(events)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # Delivered on commit only, so listeners never see events that were rolled back.
        # The payload is the newest cursor: listeners read the rows with events_after().
        session.execute(select(func.pg_notify(NOTIFY_CHANNEL, str(events[-1].id))))
    return events


def events_after(*, session: Session, cursor: int, limit: int = 100) -> Sequence[Event]:
    """Return up to limit events whose id is above cursor, oldest first."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(Event).where(Event.id > cursor).order_by(Event.id).limit(limit)
    return session.scalars(query).all()


def last_cursor(*, session: Session) -> int:
    """Return the id of the newest event, or 0 when the log is empty."""
    return session.scalar(select(func.max(Event.id))) or 0
