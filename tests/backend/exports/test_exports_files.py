"""Exports are byte-identical on every run, match their manifest, and never read live data."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.exports.service import ExportFormat, export_bytes
from backend.exports.tables import escape_formula
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.snapshots.hashing import sha256_bytes
from backend.snapshots.models import Snapshot
from backend.snapshots.service import create_snapshot
from tests.backend.snapshots.factory import SOURCE, at, build_2023

SECTIONS = (
    "Quarterly brief 2023Q4",
    "Executive summary",
    "What changed since last",
    "The ten largest deteriorations",
    "Security Council activity",
    "Appendix: methodology and provenance",
    "Rule versions",
    "UNCLASSIFIED",
)
FORMATS = (ExportFormat.xlsx, ExportFormat.csv, ExportFormat.pdf, ExportFormat.zip)


@pytest.fixture
def snap(session: Session) -> Snapshot:
    """Return a 2023Q4 snapshot with two alerts, a comment and a document."""
    world = build_2023(session)
    alert = world.alert("SQA", "2022", at(2023, 11, 5), severity="critical")
    world.comment(alert, '=HYPERLINK("x") <b>bold</b> & more', at(2023, 11, 6))
    world.alert("SQB", "2022", at(2023, 12, 5))
    world.document("S/PV.9999", date(2023, 12, 1), "SQA")
    return create_snapshot(session, quarter="2023Q4", created_by="test", now=at(2024, 1, 15))


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_are_byte_identical_even_after_new_data(
    session: Session, snap: Snapshot, fmt: ExportFormat
) -> None:
    first = export_bytes(snap, fmt, with_figures=False)
    build_more(session)
    session.expire_all()
    again = session.get(Snapshot, snap.id)
    assert again is not None
    assert export_bytes(again, fmt, with_figures=False) == first


def build_more(session: Session) -> int:
    """Ingest newer data and a new alert after the snapshot was taken."""
    region = session.scalars(select(Region).where(Region.code == "SQA")).one()
    sample = session.scalars(select(Observation).where(Observation.region_id == region.id)).first()
    assert sample is not None
    session.add(Observation(
        indicator_id=sample.indicator_id, region_id=region.id, period="2022",
        period_start=date(2022, 1, 1), value=77.0, vintage=date(2024, 2, 1),
        retrieved_at=datetime(2024, 2, 1), is_latest=True, source_id=SOURCE,
    ))  # fmt: skip
    session.flush()
    return region.id


def test_zip_manifest_lists_every_file_with_its_sha256(snap: Snapshot) -> None:
    data = export_bytes(snap, ExportFormat.zip, with_figures=False)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names == sorted(names)
    listed = json.loads(archive.read("manifest.json"))
    assert listed["snapshot"]["content_sha256"] == snap.content_sha256
    assert {f["name"] for f in listed["files"]} == set(names) - {"manifest.json"}
    for entry in listed["files"]:
        assert sha256_bytes(archive.read(entry["name"])) == entry["sha256"]
    assert {i.date_time for i in archive.infolist()} == {(2024, 1, 15, 12, 0, 0)}
    pdf = archive.read("brief.pdf")
    assert pdf == export_bytes(snap, ExportFormat.pdf, with_figures=False)


def test_xlsx_cells_are_typed_and_escaped(snap: Snapshot) -> None:
    book = openpyxl.load_workbook(io.BytesIO(export_bytes(snap, ExportFormat.xlsx)), read_only=True)
    assert book.sheetnames[:3] == ["snapshot", "alerts", "scores"]
    rows = list(book["scores"].iter_rows(values_only=True))
    header, body = rows[0], [r for r in rows[1:] if str(r[1]).startswith("SQ")]
    sqa = dict(zip(header, next(r for r in body if r[1] == "SQA"), strict=True))
    assert sqa["value"] == 18.0 and sqa["previous_value"] == 12.0 and sqa["rank"] == 2
    assert isinstance(sqa["vintage"], datetime) and sqa["vintage"].date() == date(2023, 5, 1)
    alerts = list(book["alerts"].iter_rows(values_only=True))
    assert alerts[0][0] == "id" and {r[3] for r in alerts[1:]} == {"SQA", "SQB"}
    assert book["snapshot"]["B5"].value == snap.content_sha256


def test_formula_escape() -> None:
    assert [escape_formula(v) for v in ("=1+1", "+1", "-2", "@x", "ok")] == [
        "'=1+1", "'+1", "'-2", "'@x", "ok"]  # fmt: skip


def test_pdf_reads_back_with_sections_numbers_and_escaped_text(snap: Snapshot) -> None:
    text = _pdf_text(export_bytes(snap, ExportFormat.pdf, with_figures=False))
    for section in SECTIONS:
        assert section in text
    assert "Snapland A (12.0 in 2021 to 18.0 in 2022, +50.0%)" in text
    assert "Snapland <B> & Co (SQB)" in text  # a region page, markup shown as text
    assert "<b>bold</b> & more" in text
    assert snap.content_sha256 in text.replace("\n", "")
    assert "S/PV.9999" in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs the system Chromium")
def test_figures_render_offline_and_identically(snap: Snapshot) -> None:
    first = export_bytes(snap, ExportFormat.zip)
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {"figures/heatmap.png", "figures/timeline.png", "figures/movers.png"} <= set(
        archive.namelist()
    )
    assert archive.read("figures/heatmap.png").startswith(b"\x89PNG")
    assert export_bytes(snap, ExportFormat.zip) == first
