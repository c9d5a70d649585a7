"""Export a snapshot: every file is built from the frozen manifest, never the live tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import InvalidInput
from backend.exports import csv_zip, figures
from backend.exports.formats import ExportFormat
from backend.exports.pdf import export_pdf
from backend.exports.render_png import render_many
from backend.exports.xlsx import export_xlsx
from backend.snapshots.hashing import canonical_json, sha256_bytes
from backend.snapshots.models import Snapshot, SnapshotFigure
from backend.timeutil import utcnow

__all__ = ["ExportFormat", "export_bytes", "figure_builders", "frozen_figures", "render_figures"]


def _primary(manifest: Mapping[str, Any]) -> Mapping[str, Any] | None:
    indicators = manifest["indicators"]
    return indicators[0] if indicators else None


def figure_builders(manifest: Mapping[str, Any]) -> dict[str, Callable[[], Any]]:
    """Return the snapshot's figures by name, as builders (so nothing renders unless asked)."""
    indicator = _primary(manifest)
    out: dict[str, Callable[[], Any]] = {}
    if indicator is not None:
        out["heatmap"] = lambda: figures.heatmap(manifest, indicator)
        if manifest["movers"]:
            out["movers"] = lambda: figures.movers(manifest["movers"], indicator)
    if manifest["alerts"]:
        out["timeline"] = lambda: figures.timeline(manifest["alerts"], manifest)
    return out


def render_figures(manifest: Mapping[str, Any]) -> dict[str, bytes]:
    """Render every figure of the snapshot to PNG with one Chromium, in a child process."""
    builders = figure_builders(manifest)
    if not builders:
        return {}
    return render_many({name: build() for name, build in builders.items()})


def frozen_figures(session: Session, snapshot: Snapshot) -> dict[str, bytes]:
    """Return the snapshot's figures as PNG: rendered at the first export, then kept.

    Every later export reuses the stored bytes (checked against their hashes), so a brief
    exported again a year later, by another Chromium, is byte-identical.
    """
    stored = session.scalars(
        select(SnapshotFigure)
        .where(SnapshotFigure.snapshot_id == snapshot.id)
        .order_by(SnapshotFigure.name)
    ).all()
    for figure in stored:
        if sha256_bytes(figure.png) != figure.sha256:
            raise InvalidInput(f"snapshot {snapshot.id}: figure {figure.name} fails its hash")
    if stored:
        return {figure.name: figure.png for figure in stored}
    pngs = render_figures(snapshot.manifest)
    now = utcnow()
    session.add_all(
        SnapshotFigure(snapshot_id=snapshot.id, name=name, png=data, sha256=sha256_bytes(data),
                       created_at=now)
        for name, data in sorted(pngs.items())
    )  # fmt: skip
    session.flush()
    return pngs


def export_bytes(
    snapshot: Snapshot,
    fmt: ExportFormat,
    *,
    with_figures: bool = True,
    session: Session | None = None,
) -> bytes:
    """Return the bytes of one export of a snapshot.

    With a session, figures are frozen with the snapshot (``frozen_figures``); without one
    they are rendered afresh, which is only as reproducible as the renderer.
    """
    manifest, sha = snapshot.manifest, snapshot.content_sha256
    if fmt is ExportFormat.xlsx:
        return export_xlsx(manifest, content_sha256=sha)
    if fmt is ExportFormat.csv:
        return csv_zip.build_zip(manifest, csv_zip.csv_files(manifest), content_sha256=sha)
    pngs: dict[str, bytes] = {}
    if with_figures:
        pngs = frozen_figures(session, snapshot) if session else render_figures(manifest)
    pdf = export_pdf(manifest, snapshot_id=snapshot.id, content_sha256=sha, figures=pngs)
    if fmt is ExportFormat.pdf:
        return pdf
    files = {f"csv/{name}": data for name, data in csv_zip.csv_files(manifest).items()}
    files |= {f"figures/{name}.png": data for name, data in pngs.items()}
    files |= {"brief.pdf": pdf, "tables.xlsx": export_xlsx(manifest, content_sha256=sha),
              "snapshot.json": canonical_json(manifest)}  # fmt: skip
    return csv_zip.build_zip(manifest, files, content_sha256=sha)
