"""The scheduler process: jobs per source on their schedule, and the lease between schedulers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import select

from backend.sources.models import IngestRun, JobLock
from ingest import scheduler as sched
from ingest.jobs import run_ingest
from ingest.sources import Registry, RegistryError
from ingest.sources.base import ParsedRow, ParseResult, Payload, Source


def fetch_nothing_new(client, settings) -> Payload:
    return Payload(content=b"", url="memory:", not_modified=True)


def parse_nothing(content: bytes, *, filename: str | None = None) -> ParseResult:
    return ParseResult(rows=[ParsedRow("CAN", "homicide_rate", "2020", 1.0, None, None, {})])


FAST = Source(
    id="fast_one", title="Fast", publisher="Tests", licence="CC0", url="https://example.org",
    cadence="daily", cadence_days=1, schedule="0 3 * * *", indicators=("homicide_rate",),
    fetch=fetch_nothing_new, parse=parse_nothing, live=False,
)  # fmt: skip
REGISTRY = Registry([FAST, replace(FAST, id="fast_two")])
EVERY_SECOND = {"fast_one": "@every 1s", "fast_two": "@every 1s"}


@pytest.fixture
def fast_ctx(db_url, tmp_path):
    from backend.config import get_settings
    from backend.context import build_context

    context = build_context(
        get_settings(database_url=db_url, data_dir=tmp_path / "data", schedules=EVERY_SECOND)
    )
    yield context
    context.dispose()


def recording_runner(calls: list[tuple[str, str]], holder: str):
    def runner(ctx, source_id, **kwargs):
        calls.append((holder, source_id))
        return run_ingest(ctx, source_id, **kwargs)

    return runner


def run_for(schedulers, seconds: float) -> None:
    threads = [threading.Thread(target=s.start, daemon=True) for s in schedulers]
    for thread in threads:
        thread.start()
        time.sleep(0.2)  # the first one takes the lease before the second one starts
    time.sleep(seconds)
    for s in schedulers:
        s.shutdown(wait=True)
    for thread in threads:
        thread.join(timeout=5)


def test_jobs_run_on_schedule_and_a_second_scheduler_runs_nothing(fast_ctx):
    calls: list[tuple[str, str]] = []
    schedulers = [
        sched.build_scheduler(fast_ctx, registry=REGISTRY, holder=holder, lease_seconds=30,
                              runner=recording_runner(calls, holder))
        for holder in ("first", "second")
    ]  # fmt: skip
    run_for(schedulers, 1.5)
    by_holder = Counter(holder for holder, _ in calls)
    assert by_holder["second"] == 0, calls
    assert {source for _, source in calls} == {"fast_one", "fast_two"}
    with fast_ctx.sessions() as session:
        recorded = session.scalars(select(IngestRun)).all()
        lease = session.get(JobLock, sched.LEADER_LEASE)
    assert Counter(r.source_id for r in recorded) == Counter(source for _, source in calls)
    assert {(r.status, r.trigger) for r in recorded} == {("succeeded", "schedule")}
    assert lease.holder == "first"


def test_a_failing_job_is_recorded_and_the_scheduler_carries_on(fast_ctx):
    def broken_fetch(client, settings) -> Payload:
        raise RuntimeError("publisher exploded")

    registry = Registry([replace(FAST, fetch=broken_fetch), replace(FAST, id="fast_two")])
    scheduler = sched.build_scheduler(fast_ctx, registry=registry, holder="only", lease_seconds=30)
    run_for([scheduler], 2.2)
    with fast_ctx.sessions() as session:
        recorded = session.scalars(select(IngestRun)).all()
    statuses = Counter((r.source_id, r.status) for r in recorded)
    assert statuses[("fast_one", "failed")] >= 2  # it failed, and was tried again
    assert statuses[("fast_two", "succeeded")] >= 2
    assert {r.error for r in recorded if r.status == "failed"} == {
        "RuntimeError: publisher exploded"
    }


def test_scheduled_ingest_skips_when_another_scheduler_leads(fast_ctx):
    assert sched.hold_leadership(fast_ctx, holder="leader")
    result = sched.scheduled_ingest(fast_ctx, "fast_one", holder="follower", registry=REGISTRY)
    assert result is None
    taken = sched.scheduled_ingest(fast_ctx, "fast_one", holder="leader", registry=REGISTRY)
    assert taken is not None and taken.not_modified


def test_build_scheduler_registers_one_job_per_enabled_source(fast_ctx, monkeypatch):
    registry = Registry(
        [FAST, replace(FAST, id="fast_two"), replace(FAST, id="fast_off", enabled=False)]
    )
    monkeypatch.setitem(fast_ctx.settings.schedules, "fast_two", "off")
    jobs = {job.id: job for job in sched.build_scheduler(fast_ctx, registry=registry).get_jobs()}
    assert set(jobs) == {"lease-heartbeat", "ingest:fast_one"}
    job = jobs["ingest:fast_one"]
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (
        True,
        1,
        sched.MISFIRE_GRACE_SECONDS,
    )


def test_an_invalid_schedule_override_stops_the_scheduler(fast_ctx, monkeypatch):
    monkeypatch.setitem(fast_ctx.settings.schedules, "fast_one", "every full moon")
    with pytest.raises(RegistryError, match="fast_one: schedule 'every full moon' is not valid"):
        sched.build_scheduler(fast_ctx, registry=REGISTRY)
