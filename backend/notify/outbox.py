"""The outbox: route new alert events into deliveries, and hand out what is due to send.

Routing reads the event log from a cursor stored in ``notify_cursor`` and writes the
deliveries and the new cursor in one transaction, so an event is routed exactly once even
across restarts. Sending happens outside that transaction; each delivery's outcome is
stored as soon as it is known, so a rerun only retries what was never marked sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert
from backend.events.models import Event
from backend.events.service import MAX_PAGE, events_after
from backend.notify.channels import Outcome
from backend.notify.gaps import Gap, fill, skipped, still_open
from backend.notify.models import Delivery, NotifyCursor, Silence, Subscription
from backend.notify.routing import AlertFacts, in_grace, is_state_change, silencing, wants
from backend.regions.models import Region

CURSOR = "deliveries"
GAP_WAIT = timedelta(hours=6)  # no transaction outlives an ingest run's lease (RUN_LEASE)
NOTIFIED = ("pending", "queued", "sent")


def read_cursor(*, session: Session) -> int:
    """Return the id of the last event routed (0 before the first run)."""
    row = session.get(NotifyCursor, CURSOR)
    return row.position if row is not None else 0


def _cursor_row(session: Session, now: datetime) -> NotifyCursor:
    row = session.get(NotifyCursor, CURSOR)
    if row is None:
        row = NotifyCursor(name=CURSOR, position=0, gaps=[], updated_at=now)
        session.add(row)
    return row


def _late_events(session: Session, gaps: Sequence[Gap]) -> Sequence[Event]:
    """Return the events that arrived inside gaps the cursor passed earlier."""
    if not gaps:
        return []
    inside = or_(*(Event.id.between(gap.first, gap.last) for gap in gaps))
    return session.scalars(select(Event).where(inside).order_by(Event.id)).all()


def _scopes(session: Session, codes: Iterable[str]) -> dict[str, frozenset[str]]:
    """Return, per region code, the codes of the regions above it (M49 and parent)."""
    links = (Region.parent_id, Region.region_id, Region.subregion_id, Region.intermediate_id)
    rows = session.execute(select(Region.code, *links).where(Region.code.in_(sorted(set(codes)))))
    above = {code: {i for i in ids if i is not None} for code, *ids in rows}
    wanted = sorted(set().union(*above.values()))
    found = session.execute(select(Region.id, Region.code).where(Region.id.in_(wanted)))
    names = {region_id: code for region_id, code in found}
    return {code: frozenset(names[i] for i in ids if i in names) for code, ids in above.items()}


def _facts(session: Session, events: Sequence[Event]) -> list[AlertFacts]:
    """Return the facts of the engine's state changes among events.

    Demo alerts are left out, and so are alerts muted by a higher-severity alert of the
    same region and theme (inhibition): that one is notified instead.
    """
    changes = [
        e for e in events
        if e.kind == "alert" and is_state_change(e.payload) and not e.payload.get("is_demo")
    ]  # fmt: skip
    ids = [int(str(e.payload["alert_id"])) for e in changes]
    rows = session.execute(
        select(Alert.id, Alert.labels).where(Alert.id.in_(ids), Alert.muted_by_id.is_(None))
    )
    labels = {alert_id: alert_labels for alert_id, alert_labels in rows}
    chosen = [e for e in changes if int(str(e.payload["alert_id"])) in labels]
    scopes = _scopes(session, (str(e.payload["region"]) for e in chosen))
    return [
        AlertFacts.from_event(
            e.id, e.created_at, e.payload, scopes=scopes.get(str(e.payload["region"]), ()),
            labels=labels.get(int(str(e.payload["alert_id"]))),
        )
        for e in chosen
    ]  # fmt: skip


def _last_notified(
    session: Session, subscription: Subscription, facts: AlertFacts
) -> datetime | None:
    query = select(func.max(Delivery.created_at)).where(
        Delivery.subscription_id == subscription.id, Delivery.fingerprint == facts.fingerprint,
        Delivery.alert_state == facts.state, Delivery.status.in_(NOTIFIED),
    )  # fmt: skip
    return session.scalar(query)


def _route_one(
    session: Session, facts: AlertFacts, subscriptions: Sequence[Subscription],
    silences: Sequence[Silence], now: datetime,
) -> int:  # fmt: skip
    """Add a delivery per subscription that wants the change and is out of its grace period."""
    added = 0
    for subscription in subscriptions:
        if not wants(subscription, facts):
            continue
        if in_grace(_last_notified(session, subscription, facts), subscription.grace_minutes, now):
            continue
        muted = silencing(silences, facts, now)
        unsent = "pending" if subscription.channel == "webhook" else "queued"
        session.add(Delivery(
            subscription_id=subscription.id, silence_id=muted.id if muted else None,
            event_id=facts.event_id, channel=subscription.channel, fingerprint=facts.fingerprint,
            alert_state=facts.state, payload=dict(facts.payload),
            status="silenced" if muted else unsent, attempts=0, created_at=now,
        ))  # fmt: skip
        session.flush()  # the next change of the same alert must see this one's grace
        added += 1
    return added


@dataclass(frozen=True)
class _Routing:
    """What routing a batch of events needs: live subscriptions and silences, the clock."""

    subscriptions: Sequence[Subscription]
    silences: Sequence[Silence]
    now: datetime

    @classmethod
    def load(cls, session: Session, now: datetime) -> _Routing:
        """Read the enabled subscriptions and the silences not yet over."""
        subscriptions = session.scalars(
            select(Subscription).where(Subscription.enabled.is_(True)).order_by(Subscription.id)
        ).all()
        silences = session.scalars(select(Silence).where(Silence.ends_at > now)).all()
        return cls(subscriptions, silences, now)

    def route(self, session: Session, events: Sequence[Event]) -> int:
        """Add the deliveries of these events and return how many."""
        return sum(
            _route_one(session, facts, self.subscriptions, self.silences, self.now)
            for facts in _facts(session, events)
        )


def route_new_events(*, session: Session, now: datetime) -> int:
    """Route the events after the cursor and those found in its gaps; return deliveries added."""
    routing, row = _Routing.load(session, now), _cursor_row(session, now)
    gaps = [Gap.from_json(gap) for gap in row.gaps]
    late = _late_events(session, gaps)
    added = routing.route(session, late)
    gaps, cursor = fill(gaps, (event.id for event in late)), row.position
    while events := events_after(session=session, cursor=cursor, limit=MAX_PAGE):
        added += routing.route(session, events)
        gaps += skipped(cursor, (event.id for event in events), now)
        cursor = events[-1].id
    row.position, row.updated_at = cursor, now
    row.gaps = [gap.to_json() for gap in still_open(gaps, now - GAP_WAIT)]
    session.flush()
    return added


@dataclass(frozen=True)
class Message:
    """What one send needs: the deliveries it settles, where to, and what to say."""

    delivery_ids: tuple[int, ...]
    receiver: str
    target: str
    items: tuple[Mapping[str, object], ...]


def pending_webhooks(*, session: Session) -> list[Message]:
    """Return one message per webhook delivery not yet sent, oldest first."""
    rows = session.execute(
        select(Delivery, Subscription)
        .join(Subscription, Delivery.subscription_id == Subscription.id)
        .where(Delivery.status == "pending")
        .order_by(Delivery.id)
    )
    return [Message((d.id,), s.name, s.target, (d.payload,)) for d, s in rows]


def due_digests(*, session: Session, now: datetime, interval: timedelta) -> list[Message]:
    """Return a digest per e-mail subscription with queued changes and none sent in interval."""
    queued = session.execute(
        select(Delivery, Subscription)
        .join(Subscription, Delivery.subscription_id == Subscription.id)
        .where(Delivery.status == "queued")
        .order_by(Delivery.id)
    )
    grouped: dict[int, list[Delivery]] = {}
    owners: dict[int, Subscription] = {}
    for delivery, subscription in queued:
        grouped.setdefault(subscription.id, []).append(delivery)
        owners[subscription.id] = subscription
    return [
        Message(tuple(d.id for d in items), owners[sid].name, owners[sid].target,
                tuple(d.payload for d in items))
        for sid, items in grouped.items()
        if not _digest_sent_since(session, sid, now - interval)
    ]  # fmt: skip


def _digest_sent_since(session: Session, subscription_id: int, since: datetime) -> bool:
    query = select(func.count(Delivery.id)).where(
        Delivery.subscription_id == subscription_id, Delivery.channel == "email",
        Delivery.status == "sent", Delivery.sent_at > since,
    )  # fmt: skip
    return bool(session.scalar(query))


def settle(
    *, session: Session, delivery_ids: Sequence[int], outcome: Outcome, now: datetime
) -> None:
    """Store how a send went on the deliveries it carried."""
    for delivery in session.scalars(select(Delivery).where(Delivery.id.in_(delivery_ids))):
        delivery.attempts += outcome.attempts
        delivery.status = "sent" if outcome.ok else "failed"
        delivery.last_error = outcome.error
        delivery.sent_at = now if outcome.ok else None
    session.flush()
