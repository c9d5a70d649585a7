"""Triage by people: acknowledge, escalate, dismiss, assign, comment on and label an alert.

Every action writes its record (an ``AlertTransition`` of field triage or assignee, an
``AlertComment`` or an ``AlertLabel``), an audit entry, and an ``alert`` event so stream
clients see it. An action the alert's triage status does not allow is a Conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert, AlertComment, AlertLabel, AlertTransition
from backend.alerts.service import alert_event
from backend.audit.service import record
from backend.errors import Conflict, InvalidInput, NotFound
from backend.events.service import append_event
from backend.regions.models import Region
from backend.timeutil import utcnow
from backend.users import service as users
from backend.users.models import User

# action -> (triage statuses it may start from, the status it leads to)
MOVES: Mapping[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({"new"}), "acknowledged"),
    "escalate": (frozenset({"new", "acknowledged"}), "escalated"),
    "dismiss": (frozenset({"new", "acknowledged", "escalated"}), "dismissed"),
}
CLOSED = "dismissed"


@dataclass(frozen=True)
class _Target:
    alert: Alert
    region: str
    before: dict[str, object]


def _target(session: Session, alert_id: int) -> _Target:
    query = select(Alert, Region.code).join(Region, Alert.region_id == Region.id)
    row = session.execute(query.where(Alert.id == alert_id)).first()
    if row is None:
        raise NotFound(f"No alert with id {alert_id}")
    alert, region = row
    return _Target(alert, region, triage_state(alert))


def triage_state(alert: Alert) -> dict[str, object]:
    """Return the audit snapshot of an alert's triage."""
    return {"state": alert.state, "triage": alert.triage, "assignee": alert.assignee}


def _publish(
    session: Session,
    target: _Target,
    actor: User,
    action: str,
    change: dict[str, object],
    at: datetime,
) -> None:
    """Write the audit entry and the stream event of one triage action."""
    alert = target.alert
    record(session=session, actor=actor, action=f"alert.{action}", entity="alert",
           entity_id=alert.id, before=target.before, after=triage_state(alert),
           note=str(change.get("note") or "") or None)  # fmt: skip
    payload = alert_event(alert, target.region, alert.state)
    payload.update(triage=alert.triage, assignee=alert.assignee, action=action,
                   actor=actor.username, change=change)  # fmt: skip
    append_event(session=session, kind="alert", payload=payload, at=at)


def _transition(
    session: Session, target: _Target, actor: User, field: str, to_value: str | None,
    note: str | None,
) -> tuple[datetime, dict[str, object]]:  # fmt: skip
    """Set the field, store the transition, and return its time and the event's change."""
    at = utcnow()
    previous = getattr(target.alert, field)
    setattr(target.alert, field, to_value)
    session.add(
        AlertTransition(alert_id=target.alert.id, at=at, actor=actor.username, field=field,
                        from_value=previous, to_value=to_value, note=note)
    )  # fmt: skip
    session.flush()
    return at, {"field": field, "from": previous, "to": to_value, "note": note}


def change_triage(
    *, session: Session, alert_id: int, action: str, actor: User, note: str | None = None
) -> Alert:
    """Acknowledge, escalate or dismiss an alert; Conflict when its status does not allow it."""
    if action not in MOVES:
        raise InvalidInput(f"Unknown triage action {action!r}; known: {', '.join(MOVES)}")
    allowed_from, status = MOVES[action]
    target = _target(session, alert_id)
    if target.alert.triage not in allowed_from:
        raise Conflict(
            f"Cannot {action} alert {alert_id}: it is {target.alert.triage}",
            extra={"triage": target.alert.triage, "allowed_from": sorted(allowed_from)},
        )
    at, change = _transition(session, target, actor, "triage", status, note)
    _publish(session, target, actor, action, change, at)
    return target.alert


def _check_assignee(session: Session, username: str | None) -> None:
    if username is None:
        return
    user = users.find_user(session=session, username=username)
    if user is None or not user.is_active:
        raise InvalidInput(f"No active user {username!r} to assign the alert to")


def assign(
    *,
    session: Session,
    alert_id: int,
    assignee: str | None,
    actor: User,
    note: str | None = None,
) -> Alert:
    """Assign an alert to an active user, or unassign it with None."""
    _check_assignee(session, assignee)
    target = _target(session, alert_id)
    if target.alert.triage == CLOSED:
        raise Conflict(f"Alert {alert_id} is dismissed; it cannot be assigned")
    if target.alert.assignee == assignee:
        who = f"assigned to {assignee}" if assignee else "unassigned"
        raise Conflict(f"Alert {alert_id} is already {who}")
    at, change = _transition(session, target, actor, "assignee", assignee, note)
    _publish(session, target, actor, "assign", change, at)
    return target.alert


def comment(*, session: Session, alert_id: int, body: str, actor: User) -> AlertComment:
    """Add a comment to an alert."""
    target = _target(session, alert_id)
    at = utcnow()
    row = AlertComment(alert_id=alert_id, author=actor.username, body=body, created_at=at)
    session.add(row)
    session.flush()
    _publish(session, target, actor, "comment", {"comment_id": row.id, "body": body}, at)
    return row


def label(*, session: Session, alert_id: int, value: str, actor: User) -> AlertLabel:
    """Give an alert a feedback label; the same person giving the same label twice is a Conflict."""
    target = _target(session, alert_id)
    query = select(AlertLabel.id).where(
        AlertLabel.alert_id == alert_id,
        AlertLabel.author == actor.username,
        AlertLabel.label == value,
    )
    if session.scalar(query) is not None:
        raise Conflict(f"{actor.username} already labelled alert {alert_id} {value!r}")
    at = utcnow()
    row = AlertLabel(alert_id=alert_id, label=value, author=actor.username, created_at=at)
    session.add(row)
    session.flush()
    _publish(session, target, actor, "label", {"label": value}, at)
    return row


@dataclass(frozen=True)
class BulkOutcome:
    """What one alert of a bulk action came to: ok, or the problem's status and detail."""

    alert_id: int
    status: int
    detail: str | None = None


def apply_bulk(
    *,
    session: Session,
    alert_ids: list[int],
    action: str,
    actor: User,
    note: str | None = None,
    assignee: str | None = None,
    label_value: str | None = None,
) -> list[BulkOutcome]:
    """Apply one action to many alerts; an alert that refuses it is reported, not fatal."""
    if action == "assign":
        _check_assignee(session, assignee)  # a bad assignee fails the whole request
    outcomes: list[BulkOutcome] = []
    for alert_id in alert_ids:
        try:
            if action == "assign":
                assign(session=session, alert_id=alert_id, assignee=assignee, actor=actor,
                       note=note)  # fmt: skip
            elif action == "label":
                label(session=session, alert_id=alert_id, value=label_value or "", actor=actor)
            else:
                change_triage(session=session, alert_id=alert_id, action=action, actor=actor,
                              note=note)  # fmt: skip
        except (NotFound, Conflict) as exc:  # checked before any write, so nothing is half-done
            outcomes.append(BulkOutcome(alert_id, exc.status, exc.detail))
            continue
        outcomes.append(BulkOutcome(alert_id, 200))
    return outcomes


def history(*, session: Session, alert_id: int) -> list[dict[str, object]]:
    """Return an alert's transitions, comments and labels as one timeline, oldest first."""
    _target(session, alert_id)
    where = AlertTransition.alert_id == alert_id
    items: list[dict[str, object]] = [
        {"kind": "transition", "at": t.at, "actor": t.actor, "field": t.field,
         "from_value": t.from_value, "to_value": t.to_value, "note": t.note}
        for t in session.scalars(select(AlertTransition).where(where))
    ]  # fmt: skip
    items += [
        {"kind": "comment", "at": c.created_at, "actor": c.author, "body": c.body}
        for c in session.scalars(select(AlertComment).where(AlertComment.alert_id == alert_id))
    ]
    items += [
        {"kind": "label", "at": lb.created_at, "actor": lb.author, "label": lb.label}
        for lb in session.scalars(select(AlertLabel).where(AlertLabel.alert_id == alert_id))
    ]
    return sorted(items, key=lambda item: _naive(item["at"]))


def _naive(at: object) -> datetime:
    # SQLite hands back naive datetimes, PostgreSQL aware ones; all are UTC.
    if not isinstance(at, datetime):
        raise TypeError(f"not a datetime: {at!r}")
    return at.replace(tzinfo=None)
