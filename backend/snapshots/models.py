"""Snapshots: frozen quarters and the files exported from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base
from backend.errors import Conflict


class Snapshot(Base):
    """A frozen quarter: data vintages and hashes, rule versions, alerts and scores."""

    __tablename__ = "snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), index=True, comment="e.g. 2023Q4")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))
    content_sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict[str, object]] = mapped_column(
        JSON, comment="vintages, rule versions, hashes"
    )


class SnapshotFile(Base):
    """A file exported from a snapshot, with its hash."""

    __tablename__ = "snapshot_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("snapshot.id", ondelete="CASCADE"), index=True
    )
    format: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SnapshotFigure(Base):
    """A figure of a snapshot as PNG, rendered at its first export and reused ever after.

    Renderers change (a Chromium upgrade moves a pixel); keeping the bytes is what makes a
    brief exported a year later identical to the first one.
    """

    __tablename__ = "snapshot_figure"
    __table_args__ = (UniqueConstraint("snapshot_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshot.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40), comment="heatmap, timeline, movers")
    png: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@event.listens_for(Snapshot, "before_update")
def _refuse_update(_mapper: object, _connection: object, target: Snapshot) -> None:
    """Refuse any change to a stored snapshot: it is frozen."""
    raise Conflict(f"snapshot {target.id} is frozen and cannot be changed")
