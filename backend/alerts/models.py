"""Alerts with their transitions, comments and feedback labels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base

STATES = ("pending", "firing", "resolved", "nodata", "error")
TRIAGE = ("new", "acknowledged", "escalated", "dismissed")
SEVERITIES = ("info", "warning", "critical")
LABELS = ("useful", "false_alarm", "already_known", "too_late")


class Alert(Base):
    """What a rule version raised for a region and data period, and why."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_state_period", "state", "period"),
        # The inbox: a state's alerts newest first (detected_at, then id) without a sort.
        Index("ix_alert_state_detected_at", "state", "detected_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("rule.id", ondelete="SET NULL"), index=True
    )
    rule_name: Mapped[str] = mapped_column(String(100))
    rule_version: Mapped[int] = mapped_column(Integer)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(10))
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    state: Mapped[str] = mapped_column(String(16))
    triage: Mapped[str] = mapped_column(String(16), default="new")
    severity: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    assignee: Mapped[str | None] = mapped_column(String(64))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    is_rollup: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="a regional alert bundling country alerts (details.members)",
    )
    muted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert.id", ondelete="SET NULL"),
        index=True,
        comment="the firing higher-severity alert of the same region and theme muting it",
    )


class AlertTransition(Base):
    """A change of an alert's state or triage, by the engine or by a person."""

    __tablename__ = "alert_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100), comment="username or system:rules")
    field: Mapped[str] = mapped_column(String(16), comment="state, triage or assignee")
    from_value: Mapped[str | None] = mapped_column(String(64))
    to_value: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class AlertComment(Base):
    """A comment someone left on an alert."""

    __tablename__ = "alert_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertLabel(Base):
    """Feedback on an alert (useful, false alarm, already known, too late) for scorecards."""

    __tablename__ = "alert_label"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
