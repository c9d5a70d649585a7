"""Observations: one value of one indicator for one region and period, with its vintage."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base


class Observation(Base):
    """A value as published in one release; a revision adds a row and never overwrites."""

    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint(
            "indicator_id", "region_id", "period", "vintage", name="uq_observation_vintage"
        ),
        Index("ix_observation_latest", "indicator_id", "period", "is_latest"),
        Index("ix_observation_series", "region_id", "indicator_id", "period"),
        Index("ix_observation_source_vintage", "source_id", "vintage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    period: Mapped[str] = mapped_column(String(10), comment="2020, 2020Q1, 2020-01 or 2020-01-15")
    period_start: Mapped[date] = mapped_column(Date, comment="first day of the period")
    value: Mapped[float | None] = mapped_column(Float)
    vintage: Mapped[date] = mapped_column(Date, comment="release date of the publication")
    retrieved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    is_latest: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="newest vintage of its series"
    )
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("source.id"))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("ingest_run.id", ondelete="SET NULL"), index=True
    )
