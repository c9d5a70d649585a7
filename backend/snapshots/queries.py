"""Snapshot read side for the API: pages of snapshots, their files, summary and diff."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.exports.formats import ExportFormat
from backend.exports.summary import change_summary, executive_summary
from backend.snapshots import service
from backend.snapshots.models import Snapshot, SnapshotFile
from backend.snapshots.schemas import (
    SnapshotCounts,
    SnapshotDetailRead,
    SnapshotDiff,
    SnapshotFileRead,
    SnapshotPage,
    SnapshotQuery,
    SnapshotRead,
    SnapshotSummary,
)

FILES_PATH = "/api/v1/snapshots/{id}/files/{format}"


def recorded_files(session: Session, *, snapshot_ids: list[int]) -> dict[int, dict[str, str]]:
    """Return, per snapshot, the newest recorded sha256 of each exported format."""
    stmt = (
        select(SnapshotFile.snapshot_id, SnapshotFile.format, SnapshotFile.sha256)
        .where(SnapshotFile.snapshot_id.in_(snapshot_ids))
        .order_by(SnapshotFile.id)
    )
    found: dict[int, dict[str, str]] = {i: {} for i in snapshot_ids}
    for snapshot_id, fmt, sha in session.execute(stmt):
        found[snapshot_id][fmt] = sha
    return found


def counts(manifest: Mapping[str, Any]) -> SnapshotCounts:
    """Count what a manifest froze."""
    return SnapshotCounts(
        alerts=len(manifest["alerts"]),
        regions=len({s["region"] for s in manifest["scores"]}),
        documents=len(manifest["documents"]),
        observations=len(manifest["observations"]),
    )


def to_read(snap: Snapshot, files: Mapping[str, str]) -> SnapshotRead:
    """Build the API shape of a snapshot from the row and its recorded file hashes."""
    return SnapshotRead(
        id=snap.id, quarter=snap.quarter, created_at=snap.created_at, created_by=snap.created_by,
        sha256=snap.content_sha256, classification=str(snap.manifest["classification"]),
        counts=counts(snap.manifest),
        files=[
            SnapshotFileRead(format=fmt, sha256=files.get(fmt.value),
                             url=FILES_PATH.format(id=snap.id, format=fmt.value))
            for fmt in ExportFormat
        ],
    )  # fmt: skip


def page_snapshots(session: Session, *, query: SnapshotQuery) -> SnapshotPage:
    """Return one page of snapshots, newest first, optionally of one quarter."""
    clauses = [] if query.quarter is None else [Snapshot.quarter == query.quarter]
    total = session.scalar(select(func.count()).select_from(Snapshot).where(*clauses)) or 0
    stmt = (
        select(Snapshot)
        .where(*clauses)
        .order_by(Snapshot.id.desc())
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    rows = list(session.scalars(stmt))
    files = recorded_files(session, snapshot_ids=[s.id for s in rows])
    items = [to_read(s, files[s.id]) for s in rows]
    return SnapshotPage(items=items, total=total, page=query.page, page_size=query.page_size)


def _summary(manifest: Mapping[str, Any]) -> SnapshotSummary:
    alerts = manifest["alerts"]
    return SnapshotSummary(
        paragraphs=executive_summary(manifest), changes=change_summary(manifest),
        alerts_raised=sum(1 for a in alerts if a["raised"]),
        alerts_active=sum(1 for a in alerts if a["active"]),
        alerts_resolved=sum(1 for a in alerts if a["resolved"]),
        movers=manifest["movers"],
    )  # fmt: skip


def get_detail(session: Session, *, snapshot_id: int) -> SnapshotDetailRead:
    """Return one snapshot with its files and summary; 404 when unknown."""
    snap = service.get_snapshot(session, snapshot_id=snapshot_id)
    read = to_read(snap, recorded_files(session, snapshot_ids=[snap.id])[snap.id])
    return SnapshotDetailRead(**read.model_dump(), summary=_summary(snap.manifest))


def get_diff(session: Session, *, snapshot_id: int) -> SnapshotDiff:
    """Return what changed since the previous quarter's snapshot, as frozen in the manifest."""
    snap = service.get_snapshot(session, snapshot_id=snapshot_id)
    manifest: Mapping[str, Any] = snap.manifest
    changes = manifest["changes"]
    return SnapshotDiff(
        snapshot_id=snap.id, quarter=snap.quarter, previous_quarter=changes["previous_snapshot"],
        summary=change_summary(snap.manifest), new=changes["new"],
        escalated=changes["escalated"], resolved=changes["resolved"], ranks=changes["ranks"],
    )  # fmt: skip
