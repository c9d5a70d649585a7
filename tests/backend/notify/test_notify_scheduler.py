"""The delivery job in the scheduler: every minute when enabled, and only on the leader."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from backend import migrate
from backend.config import Environment, Settings
from backend.context import AppContext, build_context
from ingest import scheduler as sched
from tests.backend.notify.factory import T0


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    """Yield a context on a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'notify.db'}"
    migrate.upgrade(url)
    context = build_context(Settings(env=Environment.test, database_url=url))
    yield context
    context.dispose()


@pytest.mark.parametrize(
    ("switches", "jobs"),
    [({}, 1), ({"notify_enabled": False}, 0), ({"scheduler_enabled": False}, 0)],
)
def test_the_delivery_job_runs_every_minute_when_enabled(
    ctx: AppContext, switches: dict[str, bool], jobs: int
) -> None:
    settings = ctx.settings.model_copy(update=switches)
    scheduler = BlockingScheduler(timezone="UTC")
    sched.add_notify_job(scheduler, AppContext(settings, ctx.engine, ctx.sessions), holder="me")
    found = scheduler.get_jobs()
    assert len(found) == jobs
    if found:
        assert isinstance(found[0].trigger, IntervalTrigger)
        assert found[0].trigger.interval == timedelta(minutes=1)


def test_only_the_leading_scheduler_delivers(ctx: AppContext) -> None:
    assert sched.hold_leadership(ctx, holder="first")
    assert sched.scheduled_notifications(ctx, holder="second", now=T0) is None
    report = sched.scheduled_notifications(ctx, holder="first", now=T0)
    assert report is not None and report.ran and report.routed == 0
