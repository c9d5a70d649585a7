"""What a run does around the upsert: local payloads, FIPS, uploads' indicators, documents."""

from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.documents.models import Document, DocumentTag
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.sources.models import Indicator, IngestRun
from backend.timeutil import utcnow
from ingest.jobs import run_ingest
from ingest.sources import Registry, RegistryError, default_registry
from ingest.sources import owid as owid_source

OWID = "owid-homicide/homicide-rate-unodc.csv"
GDELT = "api-samples/gdelt/20191024143000.export.CSV"
WB = "worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv"
PAYLOADS = Path(__file__).resolve().parent / "sources" / "payloads"
TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "csv-upload-template.csv"
ISSUE_IDS = {
    "unodc_homicide", "worldbank_homicide", "owid_homicide", "sdg_homicide", "unodc_seizures",
    "unsc_meetings", "un_press", "gdelt_events", "csv_upload",
}  # fmt: skip


def test_every_source_of_the_issue_is_registered():
    assert {source.id for source in default_registry()} == ISSUE_IDS


def test_the_registry_refuses_a_cadence_the_source_table_cannot_hold():
    long = replace(owid_source.SOURCE, cadence="x" * 33)
    with pytest.raises(RegistryError, match="cadence is longer than the 32 characters"):
        Registry([long])


def vintages(ctx, indicator: str) -> set[date]:
    with ctx.sessions() as session:
        query = (
            select(Observation.vintage)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .where(Indicator.code == indicator)
        )
        return set(session.scalars(query))


def test_an_owid_csv_takes_its_vintage_from_the_sibling_metadata(ctx, shared, tmp_path):
    assert run_ingest(ctx, "owid_homicide", file=shared.file(OWID)).ok
    assert vintages(ctx, "homicide_rate") == {date(2025, 5, 28)}


def test_an_owid_csv_alone_is_dated_by_its_retrieval(ctx, shared, tmp_path):
    alone = tmp_path / "homicide.csv"
    shutil.copyfile(shared.file(OWID), alone)
    assert run_ingest(ctx, "owid_homicide", file=alone).ok
    assert vintages(ctx, "homicide_rate") == {utcnow().date()}


def stored(ctx, indicator: str) -> dict[tuple[str, str], float | None]:
    with ctx.sessions() as session:
        query = (
            select(Region.code, Observation.period, Observation.value)
            .join(Region, Region.id == Observation.region_id)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .where(Indicator.code == indicator)
        )
        return {(code, period): value for code, period, value in session.execute(query)}


@pytest.mark.parametrize("zipped", [False, True], ids=["export", "slot zip"])
def test_a_gdelt_slot_file_resolves_fips_codes(ctx, shared, tmp_path, zipped):
    path = shared.file(GDELT)
    if zipped:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(path.name, path.read_bytes())
        path = tmp_path / f"{path.name}.zip"
        path.write_bytes(buffer.getvalue())
    result = run_ingest(ctx, "gdelt_events", file=path)
    assert result.ok and result.inserted == 300 and result.excluded
    crime = stored(ctx, "gdelt_crime_events")
    assert crime[("USA", "2019-10-24")] == 42  # FIPS US
    assert ("GBR", "2019-10-24") in crime  # FIPS UK is the United Kingdom, not Ukraine
    assert len(stored(ctx, "gdelt_tone_mean")) == len(crime) == 100


def test_an_upload_creates_the_analysts_own_indicators(ctx):
    result = run_ingest(ctx, "csv_upload", file=TEMPLATE)
    assert result.ok and (result.inserted, result.quarantined) == (6, 0)
    with ctx.sessions() as session:
        own = session.scalar(select(Indicator).where(Indicator.code == "port_cocaine_seizures_t"))
    assert (own.unit, own.frequency, own.source_id) == ("tonnes", "quarter", "csv_upload")
    assert stored(ctx, "port_cocaine_seizures_t") == {
        ("ECU", "2024Q1"): 10.5,
        ("ECU", "2024Q2"): 11,
    }


def test_aggregates_dropped_are_recorded_on_the_run(ctx, shared):
    result = run_ingest(ctx, "worldbank_homicide", file=shared.file(WB))
    with ctx.sessions() as session:
        run = session.get(IngestRun, result.run_id)
    assert run.rows_dropped == result.dropped == 144
    assert "dropped 144 aggregates" in result.summary()


def documents(ctx) -> dict[str, tuple[str, set[tuple[str, str]]]]:
    with ctx.sessions() as session:
        docs = {d.id: d for d in session.scalars(select(Document))}
        tags: dict[int, set[tuple[str, str]]] = {i: set() for i in docs}
        for tag in session.scalars(select(DocumentTag)):
            tags[tag.document_id].add((tag.kind, tag.value))
    return {d.symbol: (d.kind, tags[i]) for i, d in docs.items()}


def test_press_releases_are_kept_across_polls_with_their_tags(ctx, tmp_path):
    feed = (PAYLOADS / "press_rss_2024-08.xml").read_text(encoding="utf-8")
    first = run_ingest(ctx, "un_press", file=PAYLOADS / "press_rss_2024-08.xml")
    assert first.ok and first.documents_inserted == 3
    seen = documents(ctx)
    assert "press_statement" in {kind for kind, _ in seen.values()}
    assert any(kind == "theme" for _, tags in seen.values() for kind, _ in tags)
    later = tmp_path / "later.xml"  # the next poll: the feed moved on, its items are gone
    start, end = feed.index("<item>"), feed.rindex("</item>") + len("</item>")
    later.write_text(feed[:start] + feed[end:], encoding="utf-8")
    again = run_ingest(ctx, "un_press", file=later)
    assert again.ok and again.documents == 0
    assert documents(ctx) == seen
