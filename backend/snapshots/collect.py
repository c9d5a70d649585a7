"""Read what a snapshot freezes from the live tables, as plain JSON-ready dicts.

Freeze policy: a snapshot holds the data *as published by its creation date* for periods
that start on or before the quarter's last day. For each (indicator, region, period) it
keeps the newest vintage stored at creation time (demo rows excluded). Later ingests add
rows the snapshot never reads again: everything exported comes from the manifest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.documents.models import Document
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.rules.models import Rule, RuleVersion
from backend.snapshots.hashing import sha256_json, sha256_text
from backend.sources.models import Indicator, IngestRun, Source

Row = dict[str, Any]


def iso(value: datetime | date | None) -> str | None:
    """Return an ISO string, treating naive datetimes (SQLite) as UTC."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def indicators(session: Session, *, codes: Sequence[str]) -> list[Row]:
    """Return the frozen indicator descriptions, in the order asked."""
    found = {i.code: i for i in session.scalars(select(Indicator).where(Indicator.code.in_(codes)))}
    return [
        {"code": i.code, "name": i.name, "unit": i.unit, "frequency": i.frequency,
         "higher_is_worse": i.higher_is_worse, "source": i.source_id}
        for code in codes if (i := found.get(code)) is not None
    ]  # fmt: skip


def observations(session: Session, *, codes: Sequence[str], until: date) -> list[Row]:
    """Return the newest stored vintage of every country series value up to ``until``."""
    stmt = (
        select(Observation, Indicator.code, Region.code, Region.name)
        .join(Indicator, Indicator.id == Observation.indicator_id)
        .join(Region, Region.id == Observation.region_id)
        .where(Indicator.code.in_(codes), Observation.period_start <= until)
        .where(Observation.is_demo.is_(False), Region.level == "country")
        .order_by(Indicator.code, Region.code, Observation.period, Observation.vintage,
                  Observation.retrieved_at, Observation.id)
    )  # fmt: skip
    newest: dict[tuple[str, str, str], Row] = {}
    for obs, indicator, region, name in session.execute(stmt):
        newest[(indicator, region, obs.period)] = {
            "indicator": indicator, "region": region, "region_name": name,
            "period": obs.period, "value": obs.value, "vintage": iso(obs.vintage),
            "retrieved_at": iso(obs.retrieved_at), "source": obs.source_id, "run_id": obs.run_id,
        }  # fmt: skip
    rows = [newest[key] for key in sorted(newest)]
    for row in rows:
        row["sha256"] = sha256_json(row)
    return rows


def rules(session: Session, *, names: Iterable[tuple[str, int]] = ()) -> list[Row]:
    """Return the current version of every enabled rule, plus the versions named."""
    wanted = set(names)
    stmt = select(Rule, RuleVersion).join(RuleVersion, RuleVersion.rule_id == Rule.id)
    out: list[Row] = []
    for rule, version in session.execute(stmt.order_by(Rule.name, RuleVersion.version)):
        current = rule.enabled and version.version == rule.current_version
        if not current and (rule.name, version.version) not in wanted:
            continue
        out.append({
            "name": rule.name, "group": rule.group_name, "version": version.version,
            "current": current, "author": version.author, "reason": version.reason,
            "saved_at": iso(version.created_at), "definition": version.definition,
            "sha256": sha256_text(version.definition),
        })  # fmt: skip
    return out


def documents(session: Session, *, start: date, end: date) -> list[Row]:
    """Return the Security Council documents dated within the quarter."""
    stmt = (
        select(Document)
        .where(Document.date >= start, Document.date <= end, Document.is_demo.is_(False))
        .order_by(Document.date, Document.symbol)
    )
    return [
        {"symbol": d.symbol, "kind": d.kind, "date": iso(d.date), "title": d.title, "url": d.url,
         "regions": sorted(t.value for t in d.tags if t.kind == "region"),
         "themes": sorted(t.value for t in d.tags if t.kind == "theme")}
        for d in session.scalars(stmt)
    ]  # fmt: skip


def _last_runs(session: Session, created_at: datetime) -> dict[str, IngestRun]:
    stmt = (
        select(IngestRun)
        .where(IngestRun.status == "succeeded", IngestRun.started_at <= created_at)
        .order_by(IngestRun.started_at, IngestRun.id)
    )
    return {run.source_id: run for run in session.scalars(stmt)}


def sources(session: Session, *, obs: Sequence[Row], created_at: datetime) -> list[Row]:
    """Return every source with its last successful run, coverage and staleness."""
    runs = _last_runs(session, created_at)
    out: list[Row] = []
    for source in session.scalars(select(Source).order_by(Source.id)):
        used = [o for o in obs if o["source"] == source.id]
        run = runs.get(source.id)
        finished = run.finished_at if run is not None else None
        if finished is not None and finished.tzinfo is None:
            finished = finished.replace(tzinfo=UTC)
        age = (created_at - finished).days if finished is not None else None
        out.append({
            "id": source.id, "title": source.title, "publisher": source.publisher,
            "licence": source.licence, "url": source.url, "cadence_days": source.cadence_days,
            "observations": len(used), "regions": len({o["region"] for o in used}),
            "latest_vintage": max((o["vintage"] for o in used), default=None),
            "latest_period": max((o["period"] for o in used), default=None),
            "last_run_id": run.id if run else None, "retrieved_at": iso(finished),
            "payload_sha256": run.payload_sha256 if run else None,
            "payload_url": run.payload_url if run else None,
            "age_days": age, "stale": age is None or age > source.cadence_days,
        })  # fmt: skip
    return out
