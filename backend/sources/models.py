"""Sources, indicators, ingest runs, quarantined rows and the scheduler's job locks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base

RUN_STATUSES = ("running", "succeeded", "failed", "abandoned")


class Source(Base):
    """A publisher's dataset, with licence, URL and usual release cadence."""

    __tablename__ = "source"

    id: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="source id, e.g. worldbank_homicide"
    )
    title: Mapped[str] = mapped_column(String(200))
    publisher: Mapped[str] = mapped_column(String(200))
    licence: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    cadence: Mapped[str] = mapped_column(
        String(32), comment="usual release cadence: yearly, daily, ..."
    )
    cadence_days: Mapped[int] = mapped_column(
        Integer, comment="days between releases, for staleness"
    )
    schedule: Mapped[str] = mapped_column(
        String(64), comment="cron expression of the scheduled run"
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Indicator(Base):
    """What is measured: code, name, unit, frequency and direction."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(100))
    frequency: Mapped[str] = mapped_column(String(16), comment="year, quarter, month or day")
    higher_is_worse: Mapped[bool] = mapped_column(Boolean, default=True)
    source_id: Mapped[str | None] = mapped_column(ForeignKey("source.id"), comment="primary source")
    description: Mapped[str] = mapped_column(Text, default="")


class IngestRun(Base):
    """One run of one source: what it read, changed and rejected, and how it ended."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("source.id"), index=True)
    trigger: Mapped[str] = mapped_column(
        String(16), default="manual", comment="manual, schedule, demo"
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_revised: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rows_dropped: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", comment="aggregates left out on purpose"
    )
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    payload_path: Mapped[str | None] = mapped_column(String(500))
    payload_url: Mapped[str | None] = mapped_column(String(1000))
    error: Mapped[str | None] = mapped_column(Text)


class QuarantinedRow(Base):
    """An input row that could not be used, kept with the reason."""

    __tablename__ = "quarantined_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[dict[str, object]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))


class JobLock(Base):
    """A lease held by one scheduler so that a second one cannot double-run a job."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
