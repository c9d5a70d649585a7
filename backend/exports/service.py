"""Export a snapshot: every file is built from the frozen manifest, never the live tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from backend.exports import csv_zip, figures
from backend.exports.formats import ExportFormat
from backend.exports.pdf import export_pdf
from backend.exports.render_png import render_many
from backend.exports.xlsx import export_xlsx
from backend.snapshots.hashing import canonical_json
from backend.snapshots.models import Snapshot

__all__ = ["ExportFormat", "export_bytes", "figure_builders", "render_figures"]


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


def export_bytes(snapshot: Snapshot, fmt: ExportFormat, *, with_figures: bool = True) -> bytes:
    """Return the bytes of one export of a snapshot."""
    manifest, sha = snapshot.manifest, snapshot.content_sha256
    if fmt is ExportFormat.xlsx:
        return export_xlsx(manifest, content_sha256=sha)
    if fmt is ExportFormat.csv:
        return csv_zip.build_zip(manifest, csv_zip.csv_files(manifest), content_sha256=sha)
    pngs = render_figures(manifest) if with_figures else {}
    pdf = export_pdf(manifest, snapshot_id=snapshot.id, content_sha256=sha, figures=pngs)
    if fmt is ExportFormat.pdf:
        return pdf
    files = {f"csv/{name}": data for name, data in csv_zip.csv_files(manifest).items()}
    files |= {f"figures/{name}.png": data for name, data in pngs.items()}
    files |= {"brief.pdf": pdf, "tables.xlsx": export_xlsx(manifest, content_sha256=sha),
              "snapshot.json": canonical_json(manifest)}  # fmt: skip
    return csv_zip.build_zip(manifest, files, content_sha256=sha)
