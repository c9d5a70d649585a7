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
import shutil
import sqlite3
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from backend import migrate
from backend.config import get_settings
from backend.context import build_context
from backend.db import transaction
from backend.seed import seed_reference
from benchmarks.harness import Figure, best_of, require_shared
from ingest.jobs import run_ingest

CSV = "worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv"
INSERT = (
    "INSERT INTO observation (indicator_id, region_id, period, period_start, value, vintage,"
    " retrieved_at, is_latest, is_demo, source_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, ?)"
)


def _template(folder: Path) -> Path:
    """Build a migrated, seeded database once; each repetition copies it."""
    path = folder / "template.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    ctx = build_context(get_settings(database_url=url, data_dir=folder / "data"))
    with transaction(ctx.sessions) as session:
        seed_reference(session=session)
    ctx.dispose()
    return path


def _bare_insert(db: Path, content: bytes) -> int:
    """Read the CSV with the csv module and executemany every value into observation."""
    conn = sqlite3.connect(db)
    regions = dict(conn.execute("SELECT code, id FROM region"))
    conn.execute(
        "INSERT OR IGNORE INTO source (id, title, publisher, licence, url, cadence, cadence_days,"
        " schedule, enabled) VALUES ('bench', 'b', 'b', 'b', '', 'yearly', 365, 'off', 1)"
    )
    indicator = conn.execute("SELECT id FROM indicator WHERE code = 'homicide_rate'").fetchone()
    if indicator is None:
        conn.execute(
            "INSERT INTO indicator (code, name, unit, frequency, higher_is_worse, description)"
            " VALUES ('homicide_rate', 'h', 'u', 'year', 1, '')"
        )
        indicator = conn.execute("SELECT id FROM indicator WHERE code = 'homicide_rate'").fetchone()
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    rows = list(reader)[4:]
    header, body = rows[0], rows[1:]
    now = datetime.now(UTC).isoformat()
    values = [
        (indicator[0], regions[line[1]], year, date(int(year), 1, 1).isoformat(), float(cell),
         "2022-07-20", now, "bench")
        for line in body if line[1] in regions
        for year, cell in zip(header[4:], line[4:], strict=False) if year and cell
    ]  # fmt: skip
    conn.executemany(INSERT, values)
    conn.commit()
    conn.close()
    return len(values)


def run() -> list[Figure]:
    """Measure the ingest and its bare reference; return the figure."""
    source = require_shared(CSV)
    content = source.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = _template(folder)
        work = folder / "work.db"
        rows: list[int] = []
        results: list[str] = []

        def fresh() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{work}{suffix}").unlink(missing_ok=True)
            shutil.copy(template, work)

        def subject() -> None:
            ctx = build_context(
                get_settings(database_url=f"sqlite:///{work}", data_dir=folder / "data")
            )
            result = run_ingest(ctx, "worldbank_homicide", file=source)
            ctx.dispose()
            results.append(result.summary())

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
