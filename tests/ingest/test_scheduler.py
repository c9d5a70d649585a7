"""The scheduler process: jobs per source on their schedule, and the lease between schedulers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
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


def run_until(schedulers, done: Callable[[], bool], deadline: float = 60.0) -> None:
    """Run the schedulers until `done()` holds (checked every 0.1 s), or fail at the deadline.

    A condition rather than a fixed number of seconds: a loaded CI machine may stall the
    process for several seconds, and the jobs then run late but still run.
    """
    threads = [threading.Thread(target=s.start, daemon=True) for s in schedulers]
    for thread in threads:
        thread.start()
        time.sleep(0.2)  # the first one takes the lease before the second one starts
    give_up = time.monotonic() + deadline
    try:
        while not done():
            assert time.monotonic() < give_up, f"the schedulers did not get there in {deadline} s"
            time.sleep(0.1)
    finally:
        for s in schedulers:
            s.shutdown(wait=True)
        for thread in threads:
            thread.join(timeout=5)


def recorded_runs(ctx) -> Counter[tuple[str, str]]:
    with ctx.sessions() as session:
        rows = session.execute(select(IngestRun.source_id, IngestRun.status))
        return Counter((source, status) for source, status in rows)


def test_jobs_run_on_schedule_and_a_second_scheduler_runs_nothing(fast_ctx):
    calls: list[tuple[str, str]] = []
    schedulers = [
        sched.build_scheduler(fast_ctx, registry=REGISTRY, holder=holder, lease_seconds=30,
                              runner=recording_runner(calls, holder))
        for holder in ("first", "second")
    ]  # fmt: skip
    # Each source twice: the second scheduler has been ticking for at least a second by then.
    run_until(schedulers, lambda: all(n >= 2 for n in Counter(s for _, s in calls).values())
              and len({s for _, s in calls}) == 2)  # fmt: skip
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
    # It failed, was tried again, and the other source went on running meanwhile.
    run_until([scheduler], lambda: recorded_runs(fast_ctx)[("fast_one", "failed")] >= 2
              and recorded_runs(fast_ctx)[("fast_two", "succeeded")] >= 2)  # fmt: skip
    with fast_ctx.sessions() as session:
        recorded = session.scalars(select(IngestRun)).all()
    assert {(r.source_id, r.status) for r in recorded} == {
        ("fast_one", "failed"),
        ("fast_two", "succeeded"),
    }
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
