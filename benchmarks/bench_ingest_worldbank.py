"""Ingest of the World Bank bulk CSV against reading it and a bare ``executemany`` of the same rows.

Subject: ``run_ingest(worldbank_homicide, --file)`` on a fresh, migrated and seeded SQLite
database: sniff, parse, resolve regions, vintage-keeping upsert, run record, payload archive
and rule evaluation, in one transaction. Reference, in the same run: read the same file
with the same ``csv`` reader and insert the same rows into the same ``observation`` table
with one ``executemany`` and a commit. Each repetition starts from a copy of the same
template database (the copy is not timed).
"""

from __future__ import annotations

import csv
import io
import sqlite3
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks.harness import (
    Figure,
    bare_indicator_ids,
    bare_store,
    best_of,
    copy_database,
    require_shared,
    run_source,
    template_database,
)

CSV = "worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv"


def _bare_insert(db: Path, content: bytes) -> int:
    """Read the CSV with the csv module and executemany every value into observation."""
    conn = sqlite3.connect(db)
    regions = dict(conn.execute("SELECT code, id FROM region"))
    indicator = bare_indicator_ids(conn, ["homicide_rate"])["homicide_rate"]
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[4:]
    header, body = rows[0], rows[1:]
    now = datetime.now(UTC).isoformat()
    values: list[tuple[object, ...]] = [
        (indicator, regions[line[1]], year, date(int(year), 1, 1).isoformat(), float(cell),
         "2022-07-20", now)
        for line in body if line[1] in regions
        for year, cell in zip(header[4:], line[4:], strict=False) if year and cell
    ]  # fmt: skip
    return bare_store(conn, values)


def run() -> list[Figure]:
    """Measure the ingest and its bare reference; return the figure."""
    source = require_shared(CSV)
    content = source.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = template_database(folder)
        work = folder / "work.db"
        rows: list[int] = []
        results: list[str] = []

        def fresh() -> None:
            copy_database(template, work)

        def subject() -> None:
            results.append(run_source(work, folder / "data", "worldbank_homicide", source))

        subject_s = best_of(subject, setup=fresh)
        reference_s = best_of(lambda: rows.append(_bare_insert(work, content)), setup=fresh)
    return [
        Figure(
            name="ingest worldbank_homicide bulk CSV (SQLite)",
            subject_s=subject_s,
            reference_s=reference_s,
            reference="csv.reader + executemany",
            notes={"rows_bare_insert": rows[-1], "ingest_summary": results[-1]},
        )
    ]
