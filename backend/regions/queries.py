"""Read queries for regions: one statement joining the M49 hierarchy, never one per row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session, aliased

from backend.errors import NotFound
from backend.regions.models import Region
from backend.regions.schemas import RegionFilter, RegionRead

_Parent = aliased(Region, name="parent")
_Reg = aliased(Region, name="m49_region")
_Sub = aliased(Region, name="m49_subregion")
_Int = aliased(Region, name="m49_intermediate")


def _base_query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Region,
            _Parent.code,
            _Parent.name,
            _Reg.code,
            _Reg.name,
            _Sub.code,
            _Sub.name,
            _Int.code,
            _Int.name,
        )
        .outerjoin(_Parent, Region.parent_id == _Parent.id)
        .outerjoin(_Reg, Region.region_id == _Reg.id)
        .outerjoin(_Sub, Region.subregion_id == _Sub.id)
        .outerjoin(_Int, Region.intermediate_id == _Int.id)
    )


def _to_read(row: Any) -> RegionRead:
    region: Region = row[0]
    parent, parent_name, reg, reg_name, sub, sub_name, inter, inter_name = row[1:]
    return RegionRead(
        code=region.code,
        m49=region.m49,
        name=region.name,
        level=region.level,  # type: ignore[arg-type]  # the column holds one of LEVELS
        parent=parent,
        parent_name=parent_name,
        region=reg,
        region_name=reg_name,
        subregion=sub,
        subregion_name=sub_name,
        intermediate=inter,
        intermediate_name=inter_name,
        iso2=region.iso2,
        sids=region.sids,
        ldc=region.ldc,
        lldc=region.lldc,
        lat=region.lat,
        lon=region.lon,
    )


def list_regions(session: Session, *, filters: RegionFilter) -> list[RegionRead]:
    """Return the regions matching the filters, ordered by code."""
    stmt = _base_query()
    if filters.level is not None:
        stmt = stmt.where(Region.level == filters.level)
    if filters.parent is not None:
        stmt = stmt.where(_Parent.code == filters.parent.upper())
    if filters.within is not None:
        unit = filters.within.upper()
        stmt = stmt.where(
            or_(_Parent.code == unit, _Reg.code == unit, _Sub.code == unit, _Int.code == unit)
        )
    return [_to_read(row) for row in session.execute(stmt.order_by(Region.code))]


def _code_is(code: str) -> ColumnElement[bool]:
    # Codes are stored upper-case (ISO3, M49_nnn); an exact match first keeps odd area codes.
    return or_(Region.code == code, Region.code == code.upper())


def get_region(session: Session, *, code: str) -> RegionRead:
    """Return one region by code (case-insensitive), or raise NotFound."""
    row = session.execute(_base_query().where(_code_is(code))).first()
    if row is None:
        raise NotFound(f"No region with code {code!r}")
    return _to_read(row)


def find_region(session: Session, *, code: str) -> Region:
    """Return the Region row with this code (case-insensitive), or raise NotFound."""
    region = session.scalar(select(Region).where(_code_is(code)))
    if region is None:
        raise NotFound(f"No region with code {code!r}")
    return region
