"""CSV tables and zip packs with fixed timestamps, sorted entries and a hash manifest."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from backend.exports.tables import Table, build_tables, escape_formula
from backend.snapshots.hashing import sha256_bytes

MANIFEST_NAME = "manifest.json"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return escape_formula(str(value)) if isinstance(value, str) else str(value)


def table_csv(table: Table) -> bytes:
    """Return one table as UTF-8 CSV with a header row and LF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in table.columns])
    writer.writerows([_text(v) for v in row] for row in table.rows)
    return buffer.getvalue().encode()


def csv_files(manifest: Mapping[str, Any]) -> dict[str, bytes]:
    """Return every table as ``<name>.csv`` bytes."""
    return {f"{t.name}.csv": table_csv(t) for t in build_tables(manifest)}


def _stamp(manifest: Mapping[str, Any]) -> tuple[int, int, int, int, int, int]:
    created = datetime.fromisoformat(str(manifest["created_at"])).astimezone(UTC)
    return (max(created.year, 1980), created.month, created.day,
            created.hour, created.minute, created.second - created.second % 2)  # fmt: skip


def hash_manifest(
    manifest: Mapping[str, Any], files: Mapping[str, bytes], *, content_sha256: str
) -> bytes:
    """Return the JSON manifest listing every file with its size and sha256."""
    body = {
        "snapshot": {"quarter": manifest["quarter"], "created_at": manifest["created_at"],
                     "content_sha256": content_sha256},
        "files": [{"name": n, "bytes": len(files[n]), "sha256": sha256_bytes(files[n])}
                  for n in sorted(files)],
    }  # fmt: skip
    return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()


def build_zip(
    manifest: Mapping[str, Any], files: Mapping[str, bytes], *, content_sha256: str
) -> bytes:
    """Return a zip of the files plus manifest.json, entries sorted, timestamps fixed."""
    entries = {
        **files,
        MANIFEST_NAME: hash_manifest(manifest, files, content_sha256=content_sha256),
    }
    stamp = _stamp(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, entries[name], compresslevel=6)
    return buffer.getvalue()
