"""Ingest of one real GDELT 2.0 15-minute export against reading it and a bare ``executemany``.

Subject: ``run_ingest(gdelt_events, --file)`` of the unzipped slot export on a fresh,
migrated and seeded SQLite database (parse, FIPS resolution, upsert, run record, archive and
rules, in one transaction). Reference, in the same run: read the same file with the ``csv``
module (tab-separated, every line) and insert the observation rows the parser yields (computed
once beforehand, regions looked up in the FIPS aliases) with one ``executemany`` and a commit.
The acceptance bar is absolute, "well under a second": the second figure sets the subject
against a fixed 1 s budget (not a measurement), so the table shows it passing or not.
"""

from __future__ import annotations

import csv
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks.harness import (
    Figure,
    bare_indicator_ids,
    bare_store,
    best_of,
    require_shared,
    workspace,
)
from ingest.sources import Registry, UnknownSourceError, default_registry, gdelt
from ingest.sources._tabular import CountedResult

EXPORT = "api-samples/gdelt/20191024143000.export.CSV"
BUDGET_S = 1.0


def _registry() -> Registry | None:
    """Return None when gdelt_events is registered, else a registry that adds it."""
    try:
        default_registry().get(gdelt.SOURCE.id)
    except UnknownSourceError:
        return Registry([*default_registry(), gdelt.SOURCE])
    return None


def _bare_insert(db: Path, export: Path, parsed: CountedResult) -> int:
    """Read the export with the csv module and executemany the parsed rows into observation."""
    with export.open(encoding="utf-8", newline="") as fh:
        for _cells in csv.reader(fh, delimiter="\t"):
            pass  # the read is what is timed, as the parser reads every line
    conn = sqlite3.connect(db)
    fips = dict(conn.execute("SELECT key, region_id FROM region_alias WHERE kind = 'fips'"))
    ids = bare_indicator_ids(conn, gdelt.INDICATORS)
    now = datetime.now(UTC).isoformat()
    values: list[tuple[object, ...]] = [
        (ids[row.indicator], fips[key], row.period, date.fromisoformat(row.period).isoformat(),
         row.value, str(row.vintage or date.today()), now)
        for row in parsed.rows if (key := row.region.lower()) in fips
    ]  # fmt: skip
    return bare_store(conn, values)


def run() -> list[Figure]:
    """Measure the ingest of one slot and its bare reference; return the figures."""
    export = require_shared(EXPORT)
    content = export.read_bytes()
    registry = _registry()
    parse_s = best_of(lambda: gdelt.parse(content, filename=export.name))
    parsed = gdelt.parse(content, filename=export.name)
    with workspace() as ws:
        summaries: list[str] = []
        rows: list[int] = []

        def subject() -> None:
            summaries.append(ws.ingest(gdelt.SOURCE.id, export, registry))

        subject_s = best_of(subject, setup=ws.fresh)

        def reference() -> None:
            rows.append(_bare_insert(ws.work, export, parsed))

        reference_s = best_of(reference, setup=ws.fresh)
        ws.fresh()
        phases = {"parse (alone, best of 5)": round(parse_s, 4)}
        phases |= ws.breakdown(gdelt.SOURCE.id, export, registry)
    notes: dict[str, object] = {
        "rows_bare_insert": rows[-1], "ingest_summary": summaries[-1], "breakdown_s": phases,
        "registered_locally": registry is not None, "absolute_s": round(subject_s, 4),
        "budget_s": BUDGET_S,
    }  # fmt: skip
    return [
        Figure(
            name="ingest gdelt_events 15-minute export (SQLite)",
            subject_s=subject_s,
            reference_s=reference_s,
            reference="csv read + executemany",
            notes=notes,
        ),
        Figure(
            name="ingest gdelt_events 15-minute export vs 1 s budget",
            subject_s=subject_s,
            reference_s=BUDGET_S,
            reference="fixed 1 s budget (not measured)",
            limit=1.0,
        ),
    ]
