"""Create and read snapshots. A snapshot is immutable: there is no update path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.errors import InvalidInput, NotFound
from backend.snapshots import alerts as frozen_alerts
from backend.snapshots import collect
from backend.snapshots import scores as derive
from backend.snapshots.hashing import sha256_json
from backend.snapshots.models import Snapshot, SnapshotFile
from backend.snapshots.quarters import Quarter
from backend.timeutil import utcnow

MANIFEST_FORMAT = 1
POLICY = (
    "Data as published by the snapshot's creation date, for periods starting on or before "
    "the quarter's last day: for each indicator, region and period, the newest vintage "
    "stored when the snapshot was created. Demo data is excluded."
)
DEFAULT_INDICATORS = ("homicide_rate",)


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def previous_manifest(session: Session, *, quarter: Quarter) -> dict[str, Any] | None:
    """Return the manifest of the newest snapshot of the quarter before, if any."""
    stmt = (
        select(Snapshot)
        .where(Snapshot.quarter == str(quarter.previous()))
        .order_by(Snapshot.id.desc())
        .limit(1)
    )
    snap = session.scalars(stmt).first()
    return dict(snap.manifest) if snap is not None else None


def build_manifest(
    session: Session,
    *,
    quarter: Quarter,
    created_at: datetime,
    created_by: str,
    classification: str,
    indicator_codes: Sequence[str],
) -> dict[str, Any]:
    """Read everything the snapshot freezes and return it as one JSON-ready dict."""
    obs = collect.observations(session, codes=indicator_codes, until=quarter.end)
    indicators = collect.indicators(session, codes=indicator_codes)
    alerts = frozen_alerts.quarter_alerts(session, start=quarter.start, end=quarter.end)
    score_rows = derive.scores(obs, indicators)
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT, "quarter": str(quarter),
        "period_start": quarter.start.isoformat(), "period_end": quarter.end.isoformat(),
        "created_at": collect.iso(created_at), "created_by": created_by,
        "classification": classification, "policy": POLICY, "indicators": indicators,
        "observations": obs, "observations_sha256": sha256_json(obs),
        "rules": collect.rules(session, names={(a["rule"], a["rule_version"]) for a in alerts}),
        "alerts": alerts, "scores": score_rows, "movers": derive.top_movers(score_rows),
        "documents": collect.documents(session, start=quarter.start, end=quarter.end),
        "sources": collect.sources(session, obs=obs, created_at=created_at),
    }  # fmt: skip
    manifest["changes"] = derive.changes(previous_manifest(session, quarter=quarter), manifest)
    return manifest


def create_snapshot(
    session: Session,
    *,
    quarter: str,
    created_by: str,
    classification: str = "UNCLASSIFIED",
    indicator_codes: Sequence[str] = DEFAULT_INDICATORS,
    now: datetime | None = None,
) -> Snapshot:
    """Freeze a quarter into a new snapshot, record it in the audit log, and flush."""
    parsed = _quarter(quarter)
    created_at = now or utcnow()
    if created_at.date() <= parsed.start:
        raise InvalidInput(f"quarter {parsed} has not started yet")
    manifest = build_manifest(
        session, quarter=parsed, created_at=created_at, created_by=created_by,
        classification=classification, indicator_codes=indicator_codes,
    )  # fmt: skip
    snap = Snapshot(
        quarter=str(parsed), created_at=created_at, created_by=created_by,
        content_sha256=sha256_json(manifest), manifest=manifest,
    )  # fmt: skip
    session.add(snap)
    session.flush()
    audit.record(
        session=session, actor=created_by, action="snapshot.create", entity="snapshot",
        entity_id=snap.id, after={"quarter": snap.quarter, "sha256": snap.content_sha256},
    )  # fmt: skip
    return snap


def get_snapshot(session: Session, *, snapshot_id: int) -> Snapshot:
    """Return a snapshot, checking that its manifest still matches its content hash."""
    snap = session.get(Snapshot, snapshot_id)
    if snap is None:
        raise NotFound(f"snapshot {snapshot_id} not found")
    if sha256_json(snap.manifest) != snap.content_sha256:
        raise InvalidInput(f"snapshot {snapshot_id} does not match its content hash")
    return snap


def list_snapshots(session: Session, *, quarter: str | None = None) -> list[Snapshot]:
    """Return snapshots, newest first, optionally of one quarter."""
    stmt = select(Snapshot).order_by(Snapshot.id.desc())
    if quarter is not None:
        stmt = stmt.where(Snapshot.quarter == str(_quarter(quarter)))
    return list(session.scalars(stmt))


def record_file(
    session: Session, *, snapshot: Snapshot, fmt: str, path: str, sha256: str
) -> SnapshotFile:
    """Record one exported file and its hash."""
    row = SnapshotFile(
        snapshot_id=snapshot.id, format=fmt, path=path, sha256=sha256, created_at=utcnow()
    )
    session.add(row)
    session.flush()
    return row


SCHEDULER_ACTOR = "system:scheduler"


def ensure_last_quarter(
    session: Session, *, now: datetime, delay_days: int, classification: str
) -> Snapshot | None:
    """Create the scheduler's snapshot of the last quarter ended ``delay_days`` ago, once."""
    quarter = Quarter.last_ended(now, delay_days)
    stmt = select(Snapshot.id).where(
        Snapshot.quarter == str(quarter), Snapshot.created_by == SCHEDULER_ACTOR
    )
    if session.scalars(stmt).first() is not None:
        return None
    return create_snapshot(
        session, quarter=str(quarter), created_by=SCHEDULER_ACTOR,
        classification=classification, now=now,
    )  # fmt: skip
