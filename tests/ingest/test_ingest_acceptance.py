"""Issue 3's acceptance, end to end on the real files (SQLite and PostgreSQL).

Vintages kept across publishers, a re-run of any source that changes nothing, bad input
that fails in one line and changes nothing, and the 2011 Security Council tables stored as
tagged documents and quarterly counts.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from backend.cli import app
from backend.documents.models import Document, DocumentTag
from backend.documents.service import documents_tagged
from backend.observations.models import Observation
from backend.observations.schemas import HeatmapQuery, SeriesQuery
from backend.observations.service import heatmap, series
from backend.regions.models import Region
from backend.sources.models import Indicator, IngestRun, QuarantinedRow
from ingest.jobs import run_ingest

CTS = "unodc-homicide-cts/data_cts_intentional_homicide.xlsx"
OWID = "owid-homicide/homicide-rate-unodc.csv"
WB = "worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv"
UNSC_2011 = "unsc/dhl-meeting-tables-html/scact2011_table_en.html"
PAYLOADS = Path(__file__).resolve().parent / "sources" / "payloads"
TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "csv-upload-template.csv"
DATA_TABLES = (Observation, Document, DocumentTag, QuarantinedRow, Indicator, Region)
# A run registers its source and catalogue indicators before it reads anything (in its own
# commit, with the run's "running" record); the data is what a failed run must not touch.
RUN_DATA = (Observation, Document, DocumentTag, QuarantinedRow, Region)


def counts(ctx, tables=DATA_TABLES) -> dict[str, int]:
    """Count the rows of every table a run writes data into."""
    with ctx.sessions() as session:
        return {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in tables
        }


def ok(ctx, source: str, path: Path, *, force: bool = False):
    result = run_ingest(ctx, source, file=path, force=force)
    assert result.status == "succeeded", result.error
    return result


def test_cts_2022_then_owid_2025_keeps_both_vintages_and_serves_the_latest(any_ctx, shared):
    owid_csv = shared.file(OWID)
    cts = ok(any_ctx, "unodc_homicide", shared.file(CTS))
    owid = ok(any_ctx, "owid_homicide", owid_csv)
    assert cts.inserted > 8000 and owid.revised > 1000
    with owid_csv.open(encoding="utf-8", newline="") as fh:
        raw = {(r[1], r[2]): float(r[3]) for r in list(csv.reader(fh))[1:]}
    with any_ctx.sessions() as session:
        query = (
            select(Region.code, Observation.period)
            .join(Region, Region.id == Observation.region_id)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .where(Indicator.code == "homicide_rate")
            .group_by(Region.code, Observation.period)
            .having(func.count() == 2)
            .order_by(Region.code, Observation.period)
        )
        revised = session.execute(query).all()
        assert len(revised) == owid.revised
        code, period = revised[0]
        latest = series(session, query=SeriesQuery(region=code, indicator="homicide_rate"))
        every = series(
            session, query=SeriesQuery(region=code, indicator="homicide_rate", vintages=True)
        )
        shown = heatmap(session, query=HeatmapQuery(indicator="homicide_rate", period=period))
    served = next(item for item in latest.items if item.period == period)
    assert (served.value, served.vintage) == (raw[(code, period)], date(2025, 5, 28))
    both = [item for item in every.items if item.period == period]
    assert [item.vintage < date(2025, 5, 28) for item in both] == [True, False]
    assert both[0].value != both[1].value and not both[0].is_latest
    on_map = next(item for item in shown.items if item.region == code)
    assert on_map.value == raw[(code, period)]


def sdg_bundle(tmp_path: Path) -> Path:
    pages = [json.loads((PAYLOADS / f"sdg_vc_ihr_psrc_page{n}.json").read_text()) for n in (1, 2)]
    path = tmp_path / "sdg.json"
    path.write_text(json.dumps(pages))
    return path


PAYLOAD_FILES = {
    "unodc_homicide": lambda shared, tmp: shared.file(CTS),
    "owid_homicide": lambda shared, tmp: shared.file(OWID),
    "worldbank_homicide": lambda shared, tmp: shared.file(WB),
    "sdg_homicide": lambda shared, tmp: sdg_bundle(tmp),
    "unodc_seizures": lambda shared, tmp: shared.file(
        "unodc-drug-seizures/drug_seizures_2018_2022.xlsx"
    ),
    "unodc_seizures_2018": lambda shared, tmp: shared.file(
        "unodc-drug-seizures/seizuresdata2_2012-2016.csv"
    ),
    "unsc_meetings": lambda shared, tmp: shared.file(UNSC_2011),
    "un_press": lambda shared, tmp: PAYLOADS / "press_rss_2024-08.xml",
    "gdelt_events": lambda shared, tmp: shared.file("api-samples/gdelt/20191024143000.export.CSV"),
    "csv_upload": lambda shared, tmp: TEMPLATE,
}


@pytest.mark.parametrize("case", sorted(PAYLOAD_FILES))
def test_a_rerun_of_the_same_payload_reports_everything_unchanged(any_ctx, shared, tmp_path, case):
    path = PAYLOAD_FILES[case](shared, tmp_path)
    source = case.removesuffix("_2018")
    first = ok(any_ctx, source, path)
    assert first.inserted + first.revised + first.documents > 0
    before = counts(any_ctx)
    # The same bytes again: recognised by their hash and not parsed again.
    replay = ok(any_ctx, source, path)
    assert replay.replay_of == first.run_id
    # Forced: parsed, resolved and compared row by row, with the same outcome.
    second = ok(any_ctx, source, path, force=True)
    assert second.replay_of is None
    for run in (replay, second):
        assert (run.inserted, run.revised) == (0, 0)
        assert run.unchanged == first.inserted + first.revised + first.unchanged
        assert run.quarantined == first.quarantined
    assert (second.documents_inserted, second.documents_updated) == (0, 0)
    assert second.documents_unchanged == first.documents
    assert second.excluded == first.excluded
    after = counts(any_ctx)
    after["quarantined_row"] -= replay.quarantined + second.quarantined  # each run keeps its own
    assert after == before


def invoke(ctx, *args: str):
    env = {
        "TOCSIN_DATABASE_URL": ctx.settings.database_url,
        "TOCSIN_DATA_DIR": str(ctx.settings.data_dir),
    }
    return CliRunner().invoke(app, ["ingest", "run", *args], env=env)


def owid_with(shared, transform) -> bytes:
    lines = shared.file(OWID).read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(transform(lines)).encode()


WHOLE_FILE_FAILURES = {
    "truncated workbook": (
        "unodc_homicide", "cts.xlsx", lambda s: s.file(CTS).read_bytes()[:200_000],
        r"cts\.xlsx.*(truncated|not a readable|broken|zip)",
    ),
    "HTML page saved as .xlsx": (
        "unodc_homicide", "cts.xlsx",
        lambda s: b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>",
        r"cts\.xlsx is an HTML page, not data",
    ),
    "renamed column": (
        "owid_homicide", "owid.csv",
        lambda s: owid_with(s, lambda ls: [ls[0].replace("Year", "Yr"), *ls[1:]]),
        r"no Year column",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(WHOLE_FILE_FAILURES))
def test_a_bad_file_fails_in_one_line_and_changes_nothing(any_ctx, shared, tmp_path, case):
    source, name, make, message = WHOLE_FILE_FAILURES[case]
    ok(any_ctx, "worldbank_homicide", shared.file(WB))
    path = tmp_path / name
    path.write_bytes(make(shared))
    before = counts(any_ctx, RUN_DATA)
    outcome = invoke(any_ctx, source, "--file", str(path))
    assert outcome.exit_code == 1
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0], re.I), outcome.output
    assert lines[0].startswith(f"error: {source}: failed: ")
    assert counts(any_ctx, RUN_DATA) == before
    with any_ctx.sessions() as session:
        run = session.scalars(select(IngestRun).order_by(IngestRun.id.desc())).first()
    assert run.status == "failed" and run.error and "\n" not in run.error


def test_an_unknown_country_and_a_bad_number_are_quarantined_and_the_rest_stored(
    any_ctx, shared, tmp_path
):
    def spoil(lines: list[str]) -> list[str]:
        header, first, second, *rest = lines
        first = re.sub(r"^[^,]*,[A-Z]{3},", "Atlantis,ATL,", first)
        second = re.sub(r"^([^,]*,[A-Z]{3},\d{4}),[^,]*,", r"\1,n/a,", second)
        return [header, first, second, *rest]

    path = tmp_path / "owid.csv"
    path.write_bytes(owid_with(shared, spoil))
    result = ok(any_ctx, "owid_homicide", path)
    clean = ok(any_ctx, "owid_homicide", shared.file(OWID))
    assert result.quarantined == 2 and (clean.inserted, clean.unchanged) == (2, result.inserted)
    with any_ctx.sessions() as session:
        reasons = session.scalars(
            select(QuarantinedRow.reason).where(QuarantinedRow.run_id == result.run_id)
        ).all()
    assert len(reasons) == 2 and all("\n" not in r for r in reasons)
    assert any("'ATL'" in r for r in reasons) and any("'n/a'" in r for r in reasons)


def independent_gnb_meetings(path: Path) -> set[str]:
    """Meeting symbols of the raw table's rows naming Guinea-Bissau or West Africa."""
    text = path.read_text(encoding="utf-8", errors="replace")
    rows = re.split(r"<tr", text, flags=re.I)
    named = [r for r in rows if re.search(r"Guinea.Bissau|West Africa", r)]
    return {m for r in named for m in re.findall(r"S/PV\.\d+", r)}


def test_the_2011_council_tables_become_tagged_documents_and_quarterly_counts(any_ctx, shared):
    path = shared.file(UNSC_2011)
    result = ok(any_ctx, "unsc_meetings", path)
    assert result.documents_inserted > 400
    with any_ctx.sessions() as session:
        kinds = dict(
            session.execute(select(Document.kind, func.count()).group_by(Document.kind)).all()
        )
        gnb = documents_tagged(session=session, kind="region", value="GNB")
        values = session.execute(
            select(Observation.period, Observation.value)
            .join(Region, Region.id == Observation.region_id)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .where(Region.code == "GNB", Indicator.code == "sc_meetings")
        ).all()
    assert set(kinds) == {"meeting", "resolution", "prst", "press"}  # 2011 topics name no crime
    meetings = {d.symbol for d in gnb if d.kind == "meeting"}
    assert meetings == independent_gnb_meetings(path)
    assert all(d.date and d.date.year == 2011 and d.url for d in gnb)
    assert sum(value for _, value in values) == len(meetings)
    assert {period for period, _ in values} == {"2011Q1", "2011Q2", "2011Q3", "2011Q4"}


def test_the_run_summary_names_documents_only_when_there_are_some(any_ctx, shared):
    outcome = invoke(any_ctx, "unsc_meetings", "--file", str(shared.file(UNSC_2011)))
    assert outcome.exit_code == 0, outcome.output
    assert re.search(r"documents \d+ \(new \d+, updated 0, unchanged 0\)", outcome.stdout)
    plain = invoke(any_ctx, "worldbank_homicide", "--file", str(shared.file(WB)))
    assert plain.exit_code == 0 and "documents" not in plain.stdout
