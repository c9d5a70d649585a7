"""One ingest run end to end: one transaction, counts, quarantine, failures, dry runs."""

from __future__ import annotations

import csv
import hashlib
import json
import re

import httpx
import pytest
import respx
from sqlalchemy import func, select

from backend.events.models import Event
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.regions.service import DATA_DIR
from backend.sources.models import IngestRun, QuarantinedRow
from ingest import jobs
from ingest.fetch import Fetcher
from ingest.jobs import run_ingest
from ingest.sources import UnknownSourceError

API = re.compile(
    r"^https://api\.worldbank\.org/v2/country/all/indicator/VC\.IHR\.PSRC\.P5\?.*&page=(\d)$"
)


def count(ctx, model, *where) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def runs(ctx) -> list[IngestRun]:
    with ctx.sessions() as session:
        return list(session.scalars(select(IngestRun).order_by(IngestRun.id)))


def expected_from_raw_file(path) -> tuple[int, int]:
    """Count (stored, dropped) cells of the raw CSV: country codes per the reference file."""
    with (DATA_DIR / "regions.csv").open(encoding="utf-8", newline="") as fh:
        countries = {r["code"] for r in csv.DictReader(fh) if r["level"] in ("country", "area")}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))[5:]
    cells = [(line[1], cell) for line in lines for cell in line[4:] if cell.strip()]
    stored = sum(1 for code, _ in cells if code in countries)
    return stored, len(cells) - stored


def test_the_real_csv_is_stored_then_a_rerun_is_all_unchanged(any_ctx, wb_csv):
    stored, dropped = expected_from_raw_file(wb_csv)
    first = run_ingest(any_ctx, "worldbank_homicide", file=wb_csv)
    assert first.status == "succeeded", first.error
    assert (first.read, first.inserted, first.quarantined, first.dropped) == (
        3888,
        stored,
        0,
        dropped,
    )
    assert count(any_ctx, Region) > 200  # reference regions were loaded into the empty table
    assert count(any_ctx, Observation, Observation.is_latest.is_(True)) == stored
    second = run_ingest(any_ctx, "worldbank_homicide", file=wb_csv)
    assert (second.inserted, second.revised, second.unchanged, second.quarantined) == (
        0,
        0,
        stored,
        0,
    )
    first_run, second_run = runs(any_ctx)
    assert (first_run.status, first_run.rows_inserted, second_run.rows_unchanged) == (
        "succeeded",
        stored,
        stored,
    )
    digest = hashlib.sha256(wb_csv.read_bytes()).hexdigest()
    assert first_run.payload_sha256 == digest and first_run.payload_path.endswith(
        f"/{digest[:2]}/{digest}"
    )
    assert first_run.payload_url.startswith("file://")


def test_the_summary_line(ctx, wb_csv):
    line = run_ingest(ctx, "worldbank_homicide", file=wb_csv).summary()
    assert re.fullmatch(
        r"worldbank_homicide: read 3888, inserted \d+, revised 0, unchanged 0, quarantined 0, "
        r"dropped \d+ aggregates \(run 1, \d+\.\d s\)",
        line,
    ), line


def test_a_run_appends_an_ingest_run_event(ctx, wb_json):
    run_ingest(ctx, "worldbank_homicide", file=write(ctx, "p.json", wb_json["page2"]))
    with ctx.sessions() as session:
        event = session.scalars(select(Event).where(Event.kind == "ingest_run")).one()
    assert event.payload["status"] == "succeeded" and event.payload["inserted"] == 3


def write(ctx, name: str, content: bytes):
    path = ctx.settings.data_dir.parent / name
    path.write_bytes(content)
    return path


def test_a_failed_parse_leaves_the_database_unchanged(ctx, wb_json):
    good = run_ingest(ctx, "worldbank_homicide", file=write(ctx, "p.json", wb_json["page2"]))
    assert good.inserted == 3
    before = count(ctx, Observation)
    failed = run_ingest(ctx, "worldbank_homicide", file=write(ctx, "e.json", wb_json["error"]))
    assert failed.status == "failed" and not failed.ok
    assert (
        failed.error
        == "World Bank API error 120 (Invalid value): The provided parameter value is not valid"
    )
    assert count(ctx, Observation) == before
    last = runs(ctx)[-1]
    assert (last.status, last.error, last.finished_at is not None) == ("failed", failed.error, True)


def test_a_failure_late_in_the_transaction_rolls_everything_back(any_ctx, wb_json, monkeypatch):
    def broken(session, payload):
        raise RuntimeError("event log is down")

    monkeypatch.setattr(jobs, "_append_event", broken)
    result = run_ingest(
        any_ctx, "worldbank_homicide", file=write(any_ctx, "p.json", wb_json["page2"])
    )
    assert (result.status, result.error) == ("failed", "RuntimeError: event log is down")
    assert count(any_ctx, Observation) == 0 and count(any_ctx, QuarantinedRow) == 0
    assert [(r.status, r.rows_inserted) for r in runs(any_ctx)] == [("failed", 0)]


def test_an_html_page_saved_as_csv_fails_with_one_clear_line(ctx):
    page = write(
        ctx, "download.csv", b"<!DOCTYPE html>\n<html><head><title>World Bank</title></head></html>"
    )
    result = run_ingest(ctx, "worldbank_homicide", file=page)
    assert result.error == (
        "download.csv is an HTML page, not data; "
        "expected World Bank API JSON, a bulk CSV or its ZIP"
    )
    assert runs(ctx)[-1].status == "failed"


def test_a_missing_file_fails_clearly(ctx, tmp_path):
    result = run_ingest(ctx, "worldbank_homicide", file=tmp_path / "nope.csv")
    assert result.status == "failed" and "no such file" in result.error


def test_unknown_codes_are_quarantined_and_aggregates_dropped(ctx, wb_json):
    page = json.loads(wb_json["page1"])
    page[1][1]["countryiso3code"], page[1][1]["country"]["id"] = "XXA", "XA"
    result = run_ingest(
        ctx, "worldbank_homicide", file=write(ctx, "p.json", json.dumps(page).encode())
    )
    assert (result.read, result.inserted, result.quarantined, result.dropped) == (3, 1, 1, 1)
    with ctx.sessions() as session:
        row = session.scalars(select(QuarantinedRow)).one()
    assert row.reason == "unknown region code 'XXA'" and row.raw["date"] == "2021"


def test_a_dry_run_reports_counts_and_keeps_nothing(ctx, wb_json):
    result = run_ingest(
        ctx, "worldbank_homicide", file=write(ctx, "p.json", wb_json["page2"]), dry_run=True
    )
    assert (result.status, result.inserted, result.run_id) == ("dry-run", 3, None)
    assert "[dry run: rolled back]" in result.summary()
    assert count(ctx, Observation) == count(ctx, IngestRun) == count(ctx, Region) == 0
    assert not ctx.settings.payload_dir().exists()


def test_an_unknown_source_is_the_callers_mistake(ctx):
    with pytest.raises(UnknownSourceError, match="unknown source 'nope'"):
        run_ingest(ctx, "nope")


def serve_pages(wb_json, headers=None):
    """Answer the API's page requests with the two fixture pages."""

    def answer(request: httpx.Request) -> httpx.Response:
        page = API.match(str(request.url)).group(1)
        return httpx.Response(200, content=wb_json[f"page{page}"], headers=headers or {})

    return respx.get(url__regex=API.pattern).mock(side_effect=answer)


@respx.mock
def test_a_fetched_run_reads_every_page(ctx, wb_json):
    route = serve_pages(wb_json)
    with Fetcher(timeout=1, retries=0) as fetcher:
        result = run_ingest(ctx, "worldbank_homicide", fetcher=fetcher, trigger="schedule")
    assert route.call_count == 2
    assert (result.read, result.inserted, result.dropped) == (6, 5, 1)
    run = runs(ctx)[-1]
    assert (run.trigger, run.payload_url) == ("schedule", str(route.calls[0].request.url))
    with ctx.sessions() as session:
        vintages = set(session.scalars(select(Observation.vintage)))
    assert {v.isoformat() for v in vintages} == {"2025-07-01"}


@respx.mock
def test_not_modified_is_a_succeeded_run_that_changes_nothing(ctx, wb_json, tmp_path):
    route = serve_pages(wb_json, headers={"ETag": '"2025-07-01"'})
    path = tmp_path / "validators.json"
    with Fetcher(timeout=1, retries=0, validators_path=path) as fetcher:
        run_ingest(ctx, "worldbank_homicide", fetcher=fetcher)
    route.side_effect = [httpx.Response(304)]
    with Fetcher(timeout=1, retries=0, validators_path=path) as fetcher:
        result = run_ingest(ctx, "worldbank_homicide", fetcher=fetcher)
    assert result.status == "succeeded" and result.not_modified
    assert "not modified since the last run" in result.summary()
    assert (runs(ctx)[-1].status, runs(ctx)[-1].rows_read) == ("succeeded", 0)
    assert count(ctx, Observation) == 5


@respx.mock
def test_an_unreachable_publisher_fails_the_run_with_the_reason(ctx):
    respx.get(url__regex=API.pattern).mock(side_effect=httpx.ConnectError("no route to host"))
    with Fetcher(timeout=1, retries=1, sleep=lambda _s: None) as fetcher:
        result = run_ingest(ctx, "worldbank_homicide", fetcher=fetcher)
    assert result.status == "failed" and result.error.startswith(
        "could not connect to the publisher after 2 attempts "
        "(ConnectError fetching https://api.worldbank.org"
    )
