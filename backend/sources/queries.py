"""Source read queries: sources with freshness and next run, run history, coverage matrix."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from backend.errors import NotFound
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.sources.models import Indicator, IngestRun, Source
from backend.sources.schemas import (
    CoverageRead,
    CoverageRegion,
    Freshness,
    FreshnessRead,
    RunCounts,
    RunPage,
    RunQuery,
    RunRead,
    SourcePage,
    SourceRead,
)
from backend.timeutil import as_utc, utcnow

COUNTRY = "country"
OTHER_GROUP = "Other"
# The scheduler's interval form (ingest/sources): "@every 15m".
EVERY = re.compile(r"^@every\s+(\d+)\s*([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def run_read(run: IngestRun) -> RunRead:
    """Return the API view of one ingest run."""
    counts = RunCounts(
        read=run.rows_read or 0,
        inserted=run.rows_inserted or 0,
        revised=run.rows_revised or 0,
        unchanged=run.rows_unchanged or 0,
        quarantined=run.rows_quarantined or 0,
        dropped=run.rows_dropped or 0,
    )
    return RunRead(
        id=run.id,
        trigger=run.trigger,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        counts=counts,
        error=run.error,
    )


def next_fire(schedule: str, *, enabled: bool, now: datetime) -> datetime | None:
    """Return the schedule's next fire time after now; None when off, disabled or not valid."""
    if not enabled:
        return None
    every = EVERY.match(schedule.strip())
    if every:
        # An interval job fires every N units from the scheduler's start: within N of now.
        return now + timedelta(**{UNITS[every.group(2)]: int(every.group(1))})
    try:
        trigger = CronTrigger.from_crontab(schedule, timezone=UTC)
    except ValueError:
        return None
    fire: datetime | None = trigger.get_next_fire_time(None, now)
    return fire


def freshness(
    *, newest_vintage: date | None, last_success: datetime | None, cadence_days: int, today: date
) -> FreshnessRead:
    """Judge a source fresh when its newest data is within its cadence plus a quarter of it."""
    dates = [d for d in (newest_vintage, last_success.date() if last_success else None) if d]
    if not dates:
        return FreshnessRead(status="never", as_of=None, age_days=None, cadence_days=cadence_days)
    as_of = max(dates)
    age = (today - as_of).days
    limit = cadence_days + max(1, cadence_days // 4)
    status: Freshness = "fresh" if age <= limit else "stale"
    return FreshnessRead(status=status, as_of=as_of, age_days=age, cadence_days=cadence_days)


def _newest_runs(session: Session) -> dict[str, IngestRun]:
    newest = (
        select(IngestRun.source_id, func.max(IngestRun.id).label("run_id"))
        .group_by(IngestRun.source_id)
        .subquery()
    )
    runs = session.scalars(select(IngestRun).join(newest, IngestRun.id == newest.c.run_id))
    return {run.source_id: run for run in runs}


def _last_successes(session: Session) -> dict[str, datetime]:
    stmt = (
        select(IngestRun.source_id, func.max(IngestRun.finished_at))
        .where(IngestRun.status == "succeeded")
        .group_by(IngestRun.source_id)
    )
    return {source: as_utc(at) for source, at in session.execute(stmt) if at is not None}


def _newest_vintages(session: Session) -> dict[str, date]:
    # One index lookup per source (ix_observation_source_vintage); a GROUP BY would scan
    # every observation.
    newest = (
        select(func.max(Observation.vintage))
        .where(Observation.source_id == Source.id)
        .scalar_subquery()
    )
    stmt = select(Source.id, newest)
    return {source: vintage for source, vintage in session.execute(stmt) if vintage is not None}


def list_sources(session: Session, *, now: datetime | None = None) -> SourcePage:
    """Return every source with its last run, next scheduled run and freshness."""
    now = now or utcnow()
    runs, successes = _newest_runs(session), _last_successes(session)
    vintages = _newest_vintages(session)
    items = []
    for source in session.scalars(select(Source).order_by(Source.id)):
        run = runs.get(source.id)
        items.append(
            SourceRead(
                id=source.id,
                title=source.title,
                publisher=source.publisher,
                licence=source.licence,
                url=source.url,
                cadence=source.cadence,
                schedule=source.schedule,
                enabled=source.enabled,
                next_run=next_fire(source.schedule, enabled=source.enabled, now=now),
                last_run=run_read(run) if run else None,
                freshness=freshness(
                    newest_vintage=vintages.get(source.id),
                    last_success=successes.get(source.id),
                    cadence_days=source.cadence_days,
                    today=now.date(),
                ),
            )
        )
    return SourcePage(items=items, total=len(items))


def list_runs(session: Session, *, source_id: str, query: RunQuery) -> RunPage:
    """Return one page of a source's runs, newest first; NotFound for an unknown source."""
    if session.get(Source, source_id) is None:
        raise NotFound(f"No source with id {source_id!r}")
    where = IngestRun.source_id == source_id
    total = session.scalar(select(func.count()).select_from(IngestRun).where(where)) or 0
    stmt = (
        select(IngestRun)
        .where(where)
        .order_by(IngestRun.started_at.desc(), IngestRun.id.desc())
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    items = [run_read(run) for run in session.scalars(stmt)]
    return RunPage(items=items, total=total, page=query.page, page_size=query.page_size)


def coverage(session: Session) -> CoverageRead:
    """Return countries x indicators with the latest period holding a value, compactly."""
    group = aliased(Region)
    countries = session.execute(
        select(Region.id, Region.code, Region.name, group.name)
        .outerjoin(group, Region.region_id == group.id)
        .where(Region.level == COUNTRY)
        .order_by(func.coalesce(group.name, "~"), Region.name)
    ).all()
    indicators = session.execute(
        select(Indicator.id, Indicator.code).order_by(Indicator.code)
    ).all()
    row_of = {row[0]: index for index, row in enumerate(countries)}
    column_of = {row[0]: index for index, row in enumerate(indicators)}
    latest = (
        select(Observation.region_id, Observation.indicator_id, func.max(Observation.period))
        .where(Observation.is_latest.is_(True), Observation.value.is_not(None))
        .group_by(Observation.region_id, Observation.indicator_id)
    )
    cells: list[Any] = [
        (row_of[region_id], column_of[indicator_id], period)
        for region_id, indicator_id, period in session.execute(latest)
        if region_id in row_of and indicator_id in column_of
    ]
    cells.sort()
    return CoverageRead(
        regions=[
            CoverageRegion(code=code, name=name, group=group_name or OTHER_GROUP)
            for _, code, name, group_name in countries
        ],
        indicators=[code for _, code in indicators],
        cells=cells,
    )
