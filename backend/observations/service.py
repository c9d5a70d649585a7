"""Observation read side: indicators, the heat map and series (writes live in ``upsert``)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, SQLColumnExpression, and_, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import ScalarSelect

from backend.errors import NotFound
from backend.observations.models import Observation
from backend.observations.schemas import (
    Coverage,
    HeatmapItem,
    HeatmapQuery,
    HeatmapRead,
    IndicatorRead,
    IndicatorRef,
    ObservationRead,
    SeriesQuery,
    SeriesRead,
)
from backend.regions import queries as region_queries
from backend.regions.models import Region
from backend.regions.schemas import RegionRef
from backend.sources.models import Indicator

# Columns of ObservationRead, labelled as its fields: no ORM objects for long daily series.
_SERIES_COLUMNS = (
    Observation.period,
    Observation.period_start,
    Observation.value,
    Observation.vintage,
    Observation.is_latest,
    Observation.is_demo,
    Observation.source_id.label("source"),
)
# The heat map's smallest unit; areas (sub-national) have no shape on the world map.
COUNTRY = "country"


def period_range(
    column: SQLColumnExpression[str], *, period_from: str | None, period_to: str | None
) -> list[ColumnElement[bool]]:
    """Return filters keeping periods in [from, to]; a bound covers the finer periods inside it."""
    clauses: list[ColumnElement[bool]] = []
    if period_from is not None:
        clauses.append(column >= period_from)
    if period_to is not None:
        # "2020" as an upper bound keeps "2020Q4" and "2020-12-31", which sort after it.
        clauses.append(or_(column <= period_to, column.startswith(period_to, autoescape=True)))
    return clauses


def _next_period(
    indicator_id: int | SQLColumnExpression[int],
    *,
    after: SQLColumnExpression[str] | None = None,
    last: bool = False,
) -> ScalarSelect[str]:
    """Select an indicator's first (or last) period, after a given one: one index seek.

    Every stored period has exactly one latest row per series, so ix_observation_latest
    answers from the index alone; periods whose values are all null still count.
    """
    stmt = select(Observation.period).where(
        Observation.indicator_id == indicator_id, Observation.is_latest.is_(True)
    )
    if after is not None:
        stmt = stmt.where(Observation.period > after)
    order = Observation.period.desc() if last else Observation.period.asc()
    return stmt.order_by(order).limit(1).scalar_subquery()


def _indicator_ref(indicator: Indicator) -> IndicatorRef:
    return IndicatorRef(
        code=indicator.code,
        name=indicator.name,
        unit=indicator.unit,
        higher_is_worse=indicator.higher_is_worse,
    )


def get_indicator(session: Session, *, code: str) -> Indicator:
    """Return the indicator with this code, or raise NotFound."""
    indicator = session.scalar(select(Indicator).where(Indicator.code == code))
    if indicator is None:
        raise NotFound(f"No indicator with code {code!r}")
    return indicator


def list_indicators(session: Session) -> list[IndicatorRead]:
    """Return every indicator with its first and last period with data."""
    # Correlated LIMIT 1 subqueries: two index seeks per indicator, never a scan.
    rows = session.execute(
        select(
            Indicator, _next_period(Indicator.id), _next_period(Indicator.id, last=True)
        ).order_by(Indicator.code)
    )
    return [
        IndicatorRead(
            **_indicator_ref(ind).model_dump(),
            frequency=ind.frequency,
            description=ind.description,
            source=ind.source_id,
            periods=[first, last] if first is not None else [],
        )
        for ind, first, last in rows
    ]


def _periods(session: Session, indicator_id: int) -> list[str]:
    """Return the distinct periods of an indicator, ascending, by a loose index scan.

    A plain DISTINCT reads every index entry (450k for a daily indicator); the recursive
    walk seeks ix_observation_latest once per period instead, ten times faster.
    """
    walk = select(_next_period(indicator_id).label("period")).cte("periods", recursive=True)
    step = _next_period(indicator_id, after=walk.c.period)
    walk = walk.union_all(select(step).where(walk.c.period.is_not(None)))
    stmt = select(walk.c.period).where(walk.c.period.is_not(None)).order_by(walk.c.period)
    return list(session.scalars(stmt))


RECENT_PERIODS = 10


def _default_period(session: Session, indicator_id: int, periods: list[str]) -> str | None:
    """Pick the latest period with broad coverage among the last ten.

    The newest year is often a handful of early reporters (OWID's 2024 has 10 countries),
    which would open the map mostly grey; broad means at least half the best count.
    """
    recent = periods[-RECENT_PERIODS:]
    if not recent:
        return None
    stmt = (
        select(Observation.period, func.count())
        .where(
            Observation.indicator_id == indicator_id,
            Observation.is_latest.is_(True),
            Observation.period.in_(recent),
            Observation.value.is_not(None),
        )
        .group_by(Observation.period)
    )
    counts: dict[str, int] = {period: count for period, count in session.execute(stmt)}
    best = max(counts.values(), default=0)
    broad = [p for p in recent if counts.get(p, 0) * 2 >= best]
    return broad[-1] if broad else recent[-1]


@dataclass(frozen=True)
class _CountryValue:
    code: str
    name: str
    region_id: int | None
    subregion_id: int | None
    item: HeatmapItem | None


def _country_values(session: Session, indicator_id: int, period: str | None) -> list[_CountryValue]:
    """Return every country with its value in the period (None if missing), in one query."""
    obs = aliased(Observation)
    on = and_(
        obs.region_id == Region.id,
        obs.indicator_id == indicator_id,
        obs.period == period,
        obs.is_latest.is_(True),
        obs.value.is_not(None),
    )
    stmt = (
        select(
            Region.code, Region.name, Region.region_id, Region.subregion_id,
            obs.value, obs.period, obs.vintage, obs.source_id, obs.is_demo,
        )
        .select_from(Region)
        .outerjoin(obs, on)
        .where(Region.level == COUNTRY)
        # Real rows sort before demo rows, then the newest vintage: the first row wins.
        .order_by(Region.code, obs.is_demo, obs.vintage.desc())
    )  # fmt: skip
    seen: dict[str, _CountryValue] = {}
    for row in session.execute(stmt):
        if row.code not in seen:
            seen[row.code] = _CountryValue(
                row.code, row.name, row.region_id, row.subregion_id, _item(row)
            )
    return list(seen.values())


def _item(row: Row[*tuple[Any, ...]]) -> HeatmapItem | None:
    if row.value is None:  # the outer join found no value for this country
        return None
    return HeatmapItem(
        region=row.code,
        name=row.name,
        value=row.value,
        period=row.period,
        vintage=row.vintage,
        source=row.source_id,
        is_demo=row.is_demo,
    )


def _aggregate(
    code: str, name: str, period: str, members: Sequence[_CountryValue]
) -> HeatmapItem | None:
    items = [m.item for m in members if m.item is not None]
    if not items:
        return None
    return HeatmapItem(
        region=code,
        name=name,
        value=statistics.median(i.value for i in items),
        period=period,
        vintage=max(i.vintage for i in items),
        source=", ".join(sorted({i.source for i in items})),
        is_demo=any(i.is_demo for i in items),
        coverage=Coverage(with_data=len(items), total=len(members)),
    )


def _units(
    session: Session, level: str, period: str | None, countries: Iterable[_CountryValue]
) -> list[tuple[RegionRef, HeatmapItem | None]]:
    """Group countries into the M49 units of the level; value each by its members' median."""
    members: dict[int, list[_CountryValue]] = {}
    for country in countries:
        unit_id = country.region_id if level == "region" else country.subregion_id
        if unit_id is not None:
            members.setdefault(unit_id, []).append(country)
    units = session.execute(
        select(Region.id, Region.code, Region.name)
        .where(Region.level == level)
        .order_by(Region.code)
    )
    return [
        (
            RegionRef(code=code, name=name),
            _aggregate(code, name, period, members.get(unit_id, [])) if period else None,
        )
        for unit_id, code, name in units
    ]


def heatmap(session: Session, *, query: HeatmapQuery) -> HeatmapRead:
    """Return the heat map of one indicator and period at country, sub-region or region level."""
    indicator = get_indicator(session, code=query.indicator)
    periods = _periods(session, indicator.id)
    period = query.period or _default_period(session, indicator.id, periods)
    countries = _country_values(session, indicator.id, period)
    if query.level == COUNTRY:
        cells = [(RegionRef(code=c.code, name=c.name), c.item) for c in countries]
    else:
        cells = _units(session, query.level, period, countries)
    items = [item for _, item in cells if item is not None]
    return HeatmapRead(
        indicator=_indicator_ref(indicator),
        period=period,
        level=query.level,
        periods=periods,
        items=items,
        missing=[ref for ref, item in cells if item is None],
        coverage=Coverage(with_data=len(items), total=len(cells)),
    )


def series(session: Session, *, query: SeriesQuery) -> SeriesRead:
    """Return one region's series of one indicator, latest vintage or every vintage."""
    indicator = get_indicator(session, code=query.indicator)
    region = region_queries.find_region(session, code=query.region)
    stmt = select(*_SERIES_COLUMNS).where(
        Observation.region_id == region.id,
        Observation.indicator_id == indicator.id,
        *period_range(Observation.period, period_from=query.period_from, period_to=query.period_to),
    )
    if query.vintages:
        stmt = stmt.order_by(Observation.period, Observation.vintage, Observation.is_demo)
    else:
        # Real rows before demo rows, then the newest: _first_per_period keeps the first.
        stmt = stmt.where(Observation.is_latest.is_(True)).order_by(
            Observation.period, Observation.is_demo, Observation.vintage.desc()
        )
    items = [ObservationRead.model_validate(row._mapping) for row in session.execute(stmt)]
    if not query.vintages:
        items = _first_per_period(items)
    return SeriesRead(
        region=RegionRef(code=region.code, name=region.name),
        indicator=_indicator_ref(indicator),
        vintages=query.vintages,
        items=items,
        total=len(items),
    )


def _first_per_period(items: list[ObservationRead]) -> list[ObservationRead]:
    kept: dict[str, ObservationRead] = {}
    for item in items:
        kept.setdefault(item.period, item)
    return list(kept.values())
