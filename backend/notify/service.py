"""Subscriptions, silences and the delivery log: reads and audited writes (no commits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.audit.service import record
from backend.errors import InvalidInput, NotFound
from backend.notify.models import Delivery, Silence, Subscription
from backend.notify.routing import is_active
from backend.notify.schemas import (
    DeliveryRead,
    DeliveryStatus,
    SilenceCreate,
    SilenceRead,
    SilenceUpdate,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    masked_target,
    target_problem,
)
from backend.timeutil import as_utc
from backend.users.models import User

UNSENT = ("pending", "queued")


def subscription_read(subscription: Subscription) -> SubscriptionRead:
    """Return the API view of a subscription, its webhook URL masked."""
    view = SubscriptionRead.model_validate(subscription, from_attributes=True)
    return view.model_copy(update={"target": masked_target(view.channel, subscription.target)})


def _audit_state(subscription: Subscription) -> dict[str, object]:
    return subscription_read(subscription).model_dump(mode="json")


def list_subscriptions(*, session: Session) -> Sequence[Subscription]:
    """Return every subscription by name."""
    return session.scalars(select(Subscription).order_by(Subscription.name, Subscription.id)).all()


def get_subscription(*, session: Session, subscription_id: int) -> Subscription:
    """Return one subscription or raise NotFound."""
    found = session.get(Subscription, subscription_id)
    if found is None:
        raise NotFound(f"No subscription with id {subscription_id}")
    return found


def create_subscription(
    *, session: Session, actor: User, data: SubscriptionCreate, now: datetime
) -> Subscription:
    """Store a subscription owned by actor and audit it."""
    subscription = Subscription(
        **data.model_dump(), owner=actor.username, created_at=now, updated_at=now
    )
    session.add(subscription)
    session.flush()
    record(session=session, actor=actor, action="subscription.create",
           entity="notify_subscription", entity_id=subscription.id,
           after=_audit_state(subscription))  # fmt: skip
    return subscription


def update_subscription(
    *, session: Session, actor: User, subscription_id: int, data: SubscriptionUpdate,
    now: datetime,
) -> Subscription:  # fmt: skip
    """Apply the fields given, check a new target against the channel, and audit it."""
    subscription = get_subscription(session=session, subscription_id=subscription_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    problem = target_problem(subscription.channel, changes.get("target", subscription.target))
    if problem:
        raise InvalidInput(problem)
    before = _audit_state(subscription)
    for field, value in changes.items():
        setattr(subscription, field, value)
    subscription.updated_at = now
    session.flush()
    record(session=session, actor=actor, action="subscription.update",
           entity="notify_subscription", entity_id=subscription.id, before=before,
           after=_audit_state(subscription))  # fmt: skip
    return subscription


def delete_subscription(*, session: Session, actor: User, subscription_id: int) -> None:
    """Delete a subscription; what it had not sent yet is marked failed, and audit it."""
    subscription = get_subscription(session=session, subscription_id=subscription_id)
    before = _audit_state(subscription)
    session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription.id, Delivery.status.in_(UNSENT))
        .values(status="failed", last_error="subscription deleted before sending"),
        execution_options={"synchronize_session": False},
    )
    session.delete(subscription)
    session.flush()
    record(session=session, actor=actor, action="subscription.delete",
           entity="notify_subscription", entity_id=subscription_id, before=before)  # fmt: skip


def silence_read(silence: Silence, now: datetime) -> SilenceRead:
    """Return the API view of a silence, saying whether it is in force at now."""
    columns = {c: getattr(silence, c) for c in SilenceRead.model_fields if hasattr(Silence, c)}
    return SilenceRead.model_validate(columns | {"active": is_active(silence, now)})


def _silence_state(silence: Silence, now: datetime) -> dict[str, object]:
    return silence_read(silence, now).model_dump(mode="json")


def list_silences(*, session: Session, active_at: datetime | None = None) -> Sequence[Silence]:
    """Return silences newest first; only those in force at active_at when given."""
    query = select(Silence).order_by(Silence.id.desc())
    if active_at is not None:
        query = query.where(Silence.starts_at <= active_at, Silence.ends_at > active_at)
    return session.scalars(query).all()


def get_silence(*, session: Session, silence_id: int) -> Silence:
    """Return one silence or raise NotFound."""
    found = session.get(Silence, silence_id)
    if found is None:
        raise NotFound(f"No silence with id {silence_id}")
    return found


def create_silence(*, session: Session, actor: User, data: SilenceCreate, now: datetime) -> Silence:
    """Store a silence by actor (starting now unless told) and audit it."""
    starts_at = data.starts_at or now
    if data.ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at")
    fields = data.model_dump(exclude={"starts_at"})
    silence = Silence(**fields, starts_at=starts_at, author=actor.username, created_at=now)
    session.add(silence)
    session.flush()
    record(session=session, actor=actor, action="silence.create", entity="notify_silence",
           entity_id=silence.id, after=_silence_state(silence, now))  # fmt: skip
    return silence


def update_silence(
    *, session: Session, actor: User, silence_id: int, data: SilenceUpdate, now: datetime
) -> Silence:
    """Move a silence's end or change its comment, and audit it."""
    silence = get_silence(session=session, silence_id=silence_id)
    before = _silence_state(silence, now)
    if data.ends_at is not None:
        if data.ends_at <= as_utc(silence.starts_at):
            raise InvalidInput("ends_at must be after starts_at")
        silence.ends_at = data.ends_at
    if data.comment is not None:
        silence.comment = data.comment
    session.flush()
    record(session=session, actor=actor, action="silence.update", entity="notify_silence",
           entity_id=silence.id, before=before,
           after=_silence_state(silence, now))  # fmt: skip
    return silence


def expire_silence(*, session: Session, actor: User, silence_id: int, now: datetime) -> Silence:
    """End a silence now (kept for the record, like Alertmanager's expire), and audit it."""
    silence = get_silence(session=session, silence_id=silence_id)
    before = _silence_state(silence, now)
    silence.starts_at = min(as_utc(silence.starts_at), now)
    silence.ends_at = min(as_utc(silence.ends_at), now)
    session.flush()
    record(session=session, actor=actor, action="silence.expire", entity="notify_silence",
           entity_id=silence.id, before=before,
           after=_silence_state(silence, now))  # fmt: skip
    return silence


def delivery_read(delivery: Delivery) -> DeliveryRead:
    """Return the API view of a delivery, with the alert's rule, region and severity."""
    payload = delivery.payload
    columns = {c: getattr(delivery, c) for c in DeliveryRead.model_fields if hasattr(Delivery, c)}
    return DeliveryRead.model_validate(
        columns | {key: payload.get(key) for key in ("rule", "region", "severity")}
    )


def list_deliveries(
    *, session: Session, status: DeliveryStatus | None = None,
    subscription_id: int | None = None, limit: int = 100, offset: int = 0,
) -> tuple[Sequence[Delivery], int]:  # fmt: skip
    """Return a page of deliveries, newest first, and how many match in all."""
    query = select(Delivery)
    if status is not None:
        query = query.where(Delivery.status == status)
    if subscription_id is not None:
        query = query.where(Delivery.subscription_id == subscription_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Delivery.id.desc()).limit(limit).offset(offset)
    return session.scalars(page).all(), total
