"""The event log the live stream reads by cursor, across processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class Event(Base):
    """One event for stream clients: an alert transition or a finished ingest run."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="the stream cursor")
    kind: Mapped[str] = mapped_column(String(32), comment="alert, ingest_run, demo_cleared")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
