"""Snapshot routes: freeze a quarter (analyst), list and read snapshots, download exports."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import FileResponse

from backend.access import ANALYST_RESPONSES, READ_ACCESS
from backend.auth import AnalystDep
from backend.csvlist import CSV_RESPONSES, paged_csv, wants_csv
from backend.deps import SessionDep, SettingsDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from backend.exports.formats import ExportFormat
from backend.snapshots import downloads, queries, service
from backend.snapshots.schemas import (
    SnapshotCreate,
    SnapshotDetailRead,
    SnapshotDiff,
    SnapshotPage,
    SnapshotQuery,
    SnapshotRead,
)

router = APIRouter(prefix="/snapshots", tags=["snapshots"], responses=PROBLEM_RESPONSES)

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER
SnapshotId = Annotated[int, Path(ge=1, le=MAX_ID, description="Snapshot id", examples=[3])]
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment; its ETag is its sha256",
        "content": {media: {"schema": {"type": "string", "format": "binary"}}
                    for media in sorted(set(downloads.MEDIA_TYPES.values()))},
    },
    304: {"description": "The file has not changed (If-None-Match matched its sha256)"},
}  # fmt: skip


@router.post("", summary="Freeze a quarter", status_code=201, responses=ANALYST_RESPONSES)
def create_snapshot(
    session: SessionDep, settings: SettingsDep, principal: AnalystDep, body: SnapshotCreate
) -> SnapshotRead:
    """Freeze a quarter into a new, immutable snapshot (analyst).

    The marking defaults to the server's classification setting. A malformed quarter, or
    one that has not started yet, is a 422 problem.
    """
    snap = service.create_snapshot(
        session, quarter=body.quarter, created_by=principal.username,
        classification=body.classification or settings.snapshot_classification,
    )  # fmt: skip
    return queries.to_read(snap, {})


@router.get(
    "",
    summary="List snapshots",
    response_model=SnapshotPage,
    responses=CSV_RESPONSES,
    dependencies=READ_ACCESS,
)
def list_snapshots(
    request: Request, session: SessionDep, query: Annotated[SnapshotQuery, Query()]
) -> SnapshotPage | Response:
    """List snapshots, newest first, optionally of one quarter, with counts and files."""
    if wants_csv(request, query.format):
        return paged_csv("snapshots", SnapshotRead, query, partial(queries.page_snapshots, session))
    return queries.page_snapshots(session, query=query)


@router.get(
    "/{snapshot_id}",
    summary="Get a snapshot",
    responses=NOT_FOUND_RESPONSE,
    dependencies=READ_ACCESS,
)
def get_snapshot(session: SessionDep, snapshot_id: SnapshotId) -> SnapshotDetailRead:
    """Return one snapshot with its counts, files and executive summary."""
    return queries.get_detail(session, snapshot_id=snapshot_id)


@router.get(
    "/{snapshot_id}/diff",
    summary="What changed since last quarter",
    responses=NOT_FOUND_RESPONSE,
    dependencies=READ_ACCESS,
)
def snapshot_diff(session: SessionDep, snapshot_id: SnapshotId) -> SnapshotDiff:
    """Return the new, escalated and resolved alerts and the rank changes against the
    previous quarter's snapshot, as frozen when this one was made."""
    return queries.get_diff(session, snapshot_id=snapshot_id)


@router.get(
    "/{snapshot_id}/files/{fmt}",
    summary="Download a snapshot export",
    response_class=FileResponse,
    responses=FILE_RESPONSES | NOT_FOUND_RESPONSE,
    dependencies=READ_ACCESS,
)
def download_file(
    session: SessionDep,
    settings: SettingsDep,
    snapshot_id: SnapshotId,
    fmt: Annotated[ExportFormat, Path(description="pdf, xlsx, csv (zipped) or zip")],
    if_none_match: Annotated[str | None, Header(description="A previous ETag")] = None,
) -> Response:
    """Download the PDF brief, the XLSX tables, the zipped CSV tables or the full zip pack.

    The first download exports the file (a PDF takes seconds) and records its sha256;
    later ones are served from disk. A plain `def`, so FastAPI runs it in a worker thread
    and the export never blocks the event loop.
    """
    found = downloads.ensure_file(
        session, snapshot_id=snapshot_id, fmt=fmt, data_dir=settings.data_dir
    )
    etag = f'"{found.sha256}"'
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers={"ETag": etag})
    return FileResponse(
        found.path, media_type=found.media_type, filename=found.filename, headers={"ETag": etag}
    )
