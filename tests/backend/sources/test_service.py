"""Sources service: registry sync, run bookkeeping, quarantine and the scheduler's leases."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.sources import service
from backend.sources.models import Indicator, IngestRun, QuarantinedRow, Source
from ingest.indicators import BY_CODE


@dataclass(frozen=True)
class FakeSource:
    id: str = "test_source"
    title: str = "Test source"
    publisher: str = "Test publisher"
    licence: str = "CC0"
    url: str = "https://example.org/data"
    cadence: str = "yearly"
    cadence_days: int = 365
    enabled: bool = True


def test_sync_source_inserts_then_updates(session):
    service.sync_source(session=session, source=FakeSource(), schedule="0 3 * * 1")
    service.sync_source(
        session=session, source=replace(FakeSource(), title="Renamed"), schedule="off"
    )
    row = session.get(Source, "test_source")
    assert (row.title, row.schedule, row.enabled) == ("Renamed", "off", False)
    assert session.scalar(select(func.count()).select_from(Source)) == 1


def test_sync_indicators_keeps_the_first_primary_source(session):
    for source_id in ("first_source", "second_source"):
        service.sync_source(
            session=session, source=replace(FakeSource(), id=source_id), schedule="0 3 * * *"
        )
    specs = [BY_CODE["homicide_rate"], BY_CODE["homicide_count"]]
    ids = service.sync_indicators(session=session, specs=specs, source_id="first_source")
    again = service.sync_indicators(session=session, specs=specs[:1], source_id="second_source")
    assert again == {"homicide_rate": ids["homicide_rate"]}
    rate = session.get(Indicator, ids["homicide_rate"])
    assert (rate.source_id, rate.unit, rate.frequency) == (
        "first_source",
        "per 100,000 population",
        "year",
    )


@pytest.fixture
def source(session) -> str:
    service.sync_source(session=session, source=FakeSource(), schedule="0 3 * * 1")
    return "test_source"


def test_a_run_starts_running_and_finishes_with_counts(session, source):
    run = service.start_run(session=session, source_id=source, trigger="schedule")
    assert (run.status, run.trigger, run.finished_at) == ("running", "schedule", None)
    counts = service.RunCounts(read=10, inserted=6, revised=1, unchanged=2, quarantined=1)
    service.finish_run(session=session, run_id=run.id, counts=counts, payload_sha256="ab" * 32,
                       payload_path="/x/ab", payload_url="https://example.org")  # fmt: skip
    stored = session.get(IngestRun, run.id)
    assert stored.status == "succeeded" and stored.finished_at is not None
    assert (stored.rows_read, stored.rows_inserted, stored.rows_revised) == (10, 6, 1)
    assert (stored.rows_unchanged, stored.rows_quarantined, stored.payload_sha256) == (
        2,
        1,
        "ab" * 32,
    )


def test_a_failed_run_keeps_a_one_line_reason(session, source):
    run = service.start_run(session=session, source_id=source)
    service.fail_run(session=session, run_id=run.id, error="boom\n  at line 3\n")
    assert (run.status, run.error) == ("failed", "boom at line 3")


def test_an_unknown_run_is_a_domain_error(session):
    with pytest.raises(service.RunNotFoundError):
        service.fail_run(session=session, run_id=987654, error="x")


def test_quarantine_keeps_raw_rows_and_reasons(session, source):
    run = service.start_run(session=session, source_id=source)
    rows = [
        (7, {"Country Code": "ZZZ", "value": "1.5"}, "unknown region code 'ZZZ'"),
        (None, {"a": 1}, "bad"),
    ]
    assert service.quarantine_rows(session=session, run_id=run.id, rows=rows) == 2
    stored = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.id)).all()
    assert [(q.row_number, q.raw, q.reason) for q in stored] == rows
    assert service.quarantine_rows(session=session, run_id=run.id, rows=[]) == 0


def test_last_runs_returns_the_newest_run_per_source(session, source):
    service.start_run(session=session, source_id=source)
    newest = service.start_run(session=session, source_id=source)
    assert service.last_runs(session=session)[source].id == newest.id


NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


def test_a_lease_is_exclusive_until_it_expires(session):
    assert service.acquire_lease(session=session, name="scheduler", holder="a", ttl=TTL, now=NOW)
    assert not service.acquire_lease(
        session=session, name="scheduler", holder="b", ttl=TTL, now=NOW
    )
    later = NOW + timedelta(seconds=30)
    assert service.acquire_lease(
        session=session, name="scheduler", holder="a", ttl=TTL, now=later
    )  # renew
    assert not service.acquire_lease(
        session=session, name="scheduler", holder="b", ttl=TTL, now=NOW + TTL
    )
    expired = later + TTL + timedelta(seconds=1)
    assert service.acquire_lease(
        session=session, name="scheduler", holder="b", ttl=TTL, now=expired
    )
    assert not service.acquire_lease(
        session=session, name="scheduler", holder="a", ttl=TTL, now=expired
    )


def test_a_released_lease_can_be_taken_at_once(session):
    assert service.acquire_lease(session=session, name="job", holder="a", ttl=TTL)
    service.release_lease(session=session, name="job", holder="b")  # not b's to release
    assert not service.acquire_lease(session=session, name="job", holder="b", ttl=TTL)
    service.release_lease(session=session, name="job", holder="a")
    assert service.acquire_lease(session=session, name="job", holder="b", ttl=TTL)
