"""Security Council documents (meetings, resolutions, statements) and their tags."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base


class Document(Base):
    """A meeting record, resolution, presidential or press statement."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(
        String(64), unique=True, comment="S/PV.9000, S/RES/2719 (2023), ..."
    )
    kind: Mapped[str] = mapped_column(
        String(32), index=True, comment="meeting, resolution, prst, press, press_statement"
    )
    date: Mapped[date | None] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))
    meeting_symbol: Mapped[str | None] = mapped_column(
        String(64), comment="meeting that adopted it"
    )
    source_id: Mapped[str] = mapped_column(ForeignKey("source.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id", ondelete="SET NULL"))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    tags: Mapped[list[DocumentTag]] = relationship(
        back_populates="document", cascade="all, delete-orphan"
    )


class DocumentTag(Base):
    """A region or crime theme a document is about."""

    __tablename__ = "document_tag"
    __table_args__ = (UniqueConstraint("document_id", "kind", "value", name="uq_document_tag"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), comment="region or theme")
    value: Mapped[str] = mapped_column(String(64), index=True, comment="region code or theme name")

    document: Mapped[Document] = relationship(back_populates="tags")
