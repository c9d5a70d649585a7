"""Ingest of the UNODC CTS homicide workbook against reading it and a bare ``executemany``.

Subject: ``run_ingest(unodc_homicide, --file)`` on a fresh, migrated and seeded SQLite
database: sniff, parse, resolve regions, vintage-keeping upsert, run record, payload archive
and rule evaluation of the changed series (the default pack is seeded), in one transaction.
Reference, in the same run: read the same workbook with the same reader (python-calamine,
first sheet to Python rows, as the parser does), pick the victims Total rows of the four
series read with plain string comparisons, and insert them into the same ``observation``
table with one ``executemany`` and a commit (category counts are stored as they are, not as
shares: same row count, no arithmetic). Second figure: a re-ingest of the same file on the
loaded database against the first ingest's time. Each repetition starts from a copy of one
template database (the copy, and the first load before a re-ingest, are not timed).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from benchmarks.harness import (
    Figure,
    bare_indicator_ids,
    bare_store,
    best_of,
    require_shared,
    workspace,
)

WORKBOOK = "unodc-homicide-cts/data_cts_intentional_homicide.xlsx"
SOURCE_ID = "unodc_homicide"
VICTIMS = "Victims of intentional homicide"
# (Dimension, Category, Unit of measurement) of the victims Total rows -> indicator code.
SERIES = {
    ("Total", "Total", "Rate per 100,000 population"): "homicide_rate",
    ("Total", "Total", "Counts"): "homicide_count",
    ("by mechanisms", "Firearms or explosives - firearms", "Counts"): "homicide_firearm_share",
    ("by situational context", "Organized criminal groups or gangs", "Counts"): (
        "homicide_ocg_share"
    ),
}


def _bare_insert(db: Path, workbook: Path) -> int:
    """Read the workbook with calamine and executemany the victims Total rows into observation."""
    book = CalamineWorkbook.from_path(str(workbook))
    sheet = book.get_sheet_by_name(book.sheet_names[0])
    rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
    conn = sqlite3.connect(db)
    regions = dict(conn.execute("SELECT code, id FROM region"))
    ids = bare_indicator_ids(conn, SERIES.values())
    now = datetime.now(UTC).isoformat()
    values: list[tuple[object, ...]] = [
        (ids[code], regions[iso], str(int(y)), date(int(y), 1, 1).isoformat(), float(value),
         "2022-08-08", now)
        for iso, _, _, _, indicator, dimension, category, sex, age, y, unit, value, *_ in rows[3:]
        if indicator == VICTIMS and sex == "Total" and age == "Total" and iso in regions
        and (code := SERIES.get((dimension, category, unit))) is not None
    ]  # fmt: skip
    return bare_store(conn, values)


def run() -> list[Figure]:
    """Measure the first ingest, the re-ingest and the bare reference; return the figures."""
    workbook = require_shared(WORKBOOK)
    with workspace() as ws:
        summaries: list[str] = []
        rows: list[int] = []

        def loaded() -> None:
            ws.fresh()
            ws.ingest(SOURCE_ID, workbook)

        def ingest_once() -> None:
            summaries.append(ws.ingest(SOURCE_ID, workbook))

        first_s = best_of(ingest_once, setup=ws.fresh)
        first_summary = summaries[-1]
        reference_s = best_of(lambda: rows.append(_bare_insert(ws.work, workbook)), setup=ws.fresh)
        again_s = best_of(ingest_once, setup=loaded)
        ws.fresh()
        first_phases = ws.breakdown(SOURCE_ID, workbook)
        again_phases = ws.breakdown(SOURCE_ID, workbook)
    return [
        Figure(
            name="ingest unodc_homicide CTS workbook (SQLite)",
            subject_s=first_s,
            reference_s=reference_s,
            reference="calamine read + executemany",
            limit=2.0,
            notes={
                "rows_bare_insert": rows[-1],
                "ingest_summary": first_summary,
                "breakdown_s": first_phases,
            },
        ),
        Figure(
            name="re-ingest unchanged CTS workbook (SQLite)",
            subject_s=again_s,
            reference_s=first_s,
            reference="first ingest of the same file",
            limit=0.3,
            notes={"ingest_summary": summaries[-1], "breakdown_s": again_phases},
        ),
    ]
