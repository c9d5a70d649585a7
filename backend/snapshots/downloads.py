"""Snapshot files for download: exported once into the data folder, then served from disk.

Exports are byte-identical by design, so the first request writes the file and records its
hash; later requests reuse it as long as it is still on disk with the recorded hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.exports.formats import ExportFormat
from backend.files import write_atomically
from backend.snapshots import service
from backend.snapshots.hashing import sha256_bytes
from backend.snapshots.models import Snapshot, SnapshotFile

MEDIA_TYPES = {
    ExportFormat.pdf: "application/pdf",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.csv: "application/zip",
    ExportFormat.zip: "application/zip",
}
# The csv export is a zip of CSV tables: say so in the name, and keep it apart from "zip".
SUFFIXES = {
    ExportFormat.pdf: ".pdf",
    ExportFormat.xlsx: ".xlsx",
    ExportFormat.csv: "-csv.zip",
    ExportFormat.zip: ".zip",
}


@dataclass(frozen=True)
class Download:
    """A snapshot file on disk, ready to send."""

    path: Path
    filename: str
    media_type: str
    sha256: str


def filename(snap: Snapshot, fmt: ExportFormat) -> str:
    """Return the download name, e.g. ``tocsin-2023Q4-3.pdf``."""
    return f"tocsin-{snap.quarter}-{snap.id}{SUFFIXES[fmt]}"


def export_dir(data_dir: Path) -> Path:
    """Return the folder snapshot exports are kept in."""
    return data_dir / "snapshots"


def _stored(session: Session, snap: Snapshot, fmt: ExportFormat) -> tuple[Path, str] | None:
    """Return the newest recorded file of this format that is still on disk, intact."""
    stmt = (
        select(SnapshotFile)
        .where(SnapshotFile.snapshot_id == snap.id, SnapshotFile.format == fmt.value)
        .order_by(SnapshotFile.id.desc())
    )
    for row in session.scalars(stmt):
        path = Path(row.path)
        if path.is_file() and sha256_bytes(path.read_bytes()) == row.sha256:
            return path, row.sha256
    return None


def ensure_file(
    session: Session, *, snapshot_id: int, fmt: ExportFormat, data_dir: Path
) -> Download:
    """Return the snapshot's file in this format, exporting and recording it the first time.

    Blocking (a PDF renders its figures in Chromium for seconds): call it from a worker thread.
    """
    from backend.exports.service import export_bytes  # plotly, reportlab: load only when used

    snap = service.get_snapshot(session, snapshot_id=snapshot_id)
    name = filename(snap, fmt)
    stored = _stored(session, snap, fmt)
    if stored is None:
        path = export_dir(data_dir) / name
        data = export_bytes(snap, fmt, session=session)
        write_atomically(path, data)
        sha = sha256_bytes(data)
        service.record_file(session, snapshot=snap, fmt=fmt.value, path=str(path), sha256=sha)
        stored = (path, sha)
    return Download(path=stored[0], filename=name, media_type=MEDIA_TYPES[fmt], sha256=stored[1])
