"""Regions: countries and areas, and the UN M49 hierarchy above them."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base

LEVELS = ("world", "region", "subregion", "intermediate", "country", "area")


class Region(Base):
    """A country or area (ISO3 code) or an M49 aggregate (code ``M49_nnn``)."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(
        String(16), unique=True, comment="ISO3, M49_nnn or sub-national code"
    )
    m49: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), comment="M49 region")
    subregion_id: Mapped[int | None] = mapped_column(
        ForeignKey("region.id"), comment="M49 sub-region"
    )
    intermediate_id: Mapped[int | None] = mapped_column(
        ForeignKey("region.id"), comment="M49 intermediate region"
    )
    iso2: Mapped[str | None] = mapped_column(String(2))
    fips: Mapped[str | None] = mapped_column(String(4), index=True)
    sids: Mapped[bool] = mapped_column(Boolean, default=False)
    ldc: Mapped[bool] = mapped_column(Boolean, default=False)
    lldc: Mapped[bool] = mapped_column(Boolean, default=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    parent: Mapped[Region | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    aliases: Mapped[list[RegionAlias]] = relationship(
        back_populates="region", cascade="all, delete-orphan"
    )


class RegionAlias(Base):
    """Another name or code under which a publisher refers to a region."""

    __tablename__ = "region_alias"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(
        String(200), unique=True, comment="normalised alias for lookups"
    )
    kind: Mapped[str] = mapped_column(
        String(16), comment="iso3, m49, fips, iso2, name, code_variant"
    )

    region: Mapped[Region] = relationship(back_populates="aliases")
