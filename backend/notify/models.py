"""Notification subscriptions, silences, the delivery log and the event cursor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base

CHANNELS = ("webhook", "email")
DELIVERY_STATUSES = ("pending", "queued", "sent", "failed", "silenced")


class Subscription(Base):
    """Who wants to hear about which alert transitions, and through which channel."""

    __tablename__ = "notify_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    owner: Mapped[str] = mapped_column(String(100), comment="username of the author")
    channel: Mapped[str] = mapped_column(String(16), comment="webhook or email")
    target: Mapped[str] = mapped_column(
        String(500), comment="webhook URL (may hold a token) or e-mail address"
    )
    regions: Mapped[list[str]] = mapped_column(
        JSON, comment="ISO3 or M49_nnn codes; empty means every region"
    )
    min_severity: Mapped[str] = mapped_column(String(16))
    themes: Mapped[list[str]] = mapped_column(JSON, comment="theme labels; empty means any")
    states: Mapped[list[str]] = mapped_column(JSON, comment="alert states that notify")
    grace_minutes: Mapped[int] = mapped_column(Integer, comment="no repeat within this time")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Silence(Base):
    """A time-boxed mute: alerts matching every set matcher are not notified."""

    __tablename__ = "notify_silence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str | None] = mapped_column(String(100), comment="rule name; null matches any")
    region: Mapped[str | None] = mapped_column(
        String(16), comment="ISO3 or M49_nnn (covers the countries below); null matches any"
    )
    severity: Mapped[str | None] = mapped_column(String(16))
    theme: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    author: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One alert transition routed to one subscription: sent, queued, failed or silenced."""

    __tablename__ = "notify_delivery"
    __table_args__ = (
        Index("ix_notify_delivery_subscription_fingerprint", "subscription_id", "fingerprint"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("notify_subscription.id", ondelete="SET NULL")
    )
    silence_id: Mapped[int | None] = mapped_column(
        ForeignKey("notify_silence.id", ondelete="SET NULL")
    )
    event_id: Mapped[int] = mapped_column(Integer, comment="the alert event that caused it")
    channel: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    alert_state: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, object]] = mapped_column(JSON, comment="what the message says")
    status: Mapped[str] = mapped_column(String(16), index=True, comment="pending .. silenced")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotifyCursor(Base):
    """The last event id the delivery job has routed, so a restart never routes it again."""

    __tablename__ = "notify_cursor"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    gaps: Mapped[list[dict[str, object]]] = mapped_column(
        JSON, comment="id ranges passed while missing, looked for again (see notify.gaps)"
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
