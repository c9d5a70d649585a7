"""The scheduler process: one APScheduler job per enabled source, guarded by database leases.

Only one scheduler may run jobs at a time. Each holds (or waits for) the ``scheduler``
lease in the JobLock table, renewed by a heartbeat; a second scheduler started against the
same database keeps trying the lease and runs nothing until the first one is gone. Each
ingest also takes a per-source lease for its duration, so a run that outlives a leader
change is never run twice at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from backend.context import AppContext
from backend.db import transaction, writing
from backend.logging_setup import configure_logging
from backend.notify.job import NotifyReport, deliver_notifications
from backend.ops import metrics_folder
from backend.ops.metrics import RECORDER
from backend.snapshots import service as snapshot_service
from backend.sources import requests as run_requests
from backend.sources.service import abandon_dead_runs, acquire_lease, release_lease
from backend.timeutil import utcnow
from ingest.jobs import RunResult, run_ingest
from ingest.sources import Registry, RegistryError, default_registry, make_trigger

log = logging.getLogger(__name__)

LEADER_LEASE = "scheduler"
LEASE_SECONDS = 60.0
RUN_LEASE = timedelta(hours=6)  # longer than any sane run; released as soon as it ends
MISFIRE_GRACE_SECONDS = 3600
REQUEST_POLL_SECONDS = 10  # how soon a run asked for through the API starts
# A late run is run once (coalesced), never alongside itself, and skipped after an hour.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS}

Runner = Callable[..., RunResult]


def scheduler_holder() -> str:
    """Return an id for this scheduler process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def hold_leadership(ctx: AppContext, *, holder: str, lease_seconds: float = LEASE_SECONDS) -> bool:
    """Take or renew the scheduler lease; False while another scheduler holds it."""
    with transaction(ctx.sessions) as session:
        return acquire_lease(
            session=session, name=LEADER_LEASE, holder=holder, ttl=timedelta(seconds=lease_seconds)
        )


def scheduled_ingest(
    ctx: AppContext,
    source_id: str,
    *,
    holder: str,
    registry: Registry,
    lease_seconds: float = LEASE_SECONDS,
    runner: Runner = run_ingest,
    trigger: str = "schedule",
) -> RunResult | None:
    """Run one scheduled ingest if this scheduler leads and the source is not already running."""
    if not hold_leadership(ctx, holder=holder, lease_seconds=lease_seconds):
        log.info("%s: another scheduler holds the lease; not running", source_id)
        return None
    name = f"ingest:{source_id}"
    with transaction(ctx.sessions) as session:
        if not acquire_lease(session=session, name=name, holder=holder, ttl=RUN_LEASE):
            log.info("%s: a run is already in progress elsewhere; skipped", source_id)
            return None
    try:
        result = runner(ctx, source_id, trigger=trigger, registry=registry)
    finally:
        with transaction(ctx.sessions) as session:
            release_lease(session=session, name=name, holder=holder)
    log.log(logging.INFO if result.ok else logging.WARNING, "%s", result.summary())
    return result


def _on_error(event: JobExecutionEvent) -> None:
    # run_ingest records its own failures; this catches what happened around it (database down).
    log.error("job %s raised %r; the scheduler carries on", event.job_id, event.exception)


def build_scheduler(
    ctx: AppContext,
    *,
    registry: Registry | None = None,
    holder: str | None = None,
    lease_seconds: float = LEASE_SECONDS,
    runner: Runner = run_ingest,
) -> BlockingScheduler:
    """Build a scheduler with one job per enabled source and the lease heartbeat."""
    registry = registry or default_registry()
    holder = holder or scheduler_holder()
    scheduler = BlockingScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    scheduler.add_listener(_on_error, EVENT_JOB_ERROR)
    scheduler.add_job(
        hold_leadership, IntervalTrigger(seconds=max(lease_seconds / 3, 0.5), timezone="UTC"),
        id="lease-heartbeat", name="scheduler lease heartbeat", next_run_time=utcnow(),
        kwargs={"ctx": ctx, "holder": holder, "lease_seconds": lease_seconds},
    )  # fmt: skip
    for unknown in set(ctx.settings.schedules) - {s.id for s in registry}:
        log.warning("TOCSIN_SCHEDULES names unknown source %r; ignored", unknown)
    for source in registry:
        schedule = registry.schedule(source.id, ctx.settings.schedules)
        try:
            trigger = make_trigger(schedule)
        except ValueError as exc:
            raise RegistryError(f"{source.id}: schedule {schedule!r} is not valid: {exc}") from exc
        if trigger is None or not source.enabled or not ctx.settings.scheduler_enabled:
            log.info("%s: not scheduled (%s)", source.id, "off" if trigger is None else "disabled")
            continue
        scheduler.add_job(
            scheduled_ingest, trigger, id=f"ingest:{source.id}", name=f"ingest {source.id}",
            args=[ctx, source.id], **JOB_DEFAULTS,
            kwargs={"holder": holder, "registry": registry, "lease_seconds": lease_seconds,
                    "runner": runner},
        )  # fmt: skip
    return scheduler


def requested_ingests(
    ctx: AppContext, *, holder: str, registry: Registry, runner: Runner = run_ingest
) -> list[RunResult]:
    """Run the ingests analysts asked for through the API (``POST /sources/{id}/runs``).

    Only the leader claims requests; a source already running elsewhere is skipped, since
    the run in progress is what was asked for.
    """
    if not hold_leadership(ctx, holder=holder):
        return []
    with writing(ctx.sessions) as session:
        source_ids = run_requests.claim_requests(session)
    results = []
    for source_id in source_ids:
        result = scheduled_ingest(
            ctx, source_id, holder=holder, registry=registry, runner=runner,
            trigger=run_requests.TRIGGER,
        )  # fmt: skip
        if result is not None:
            results.append(result)
    return results


def add_requests_job(scheduler: BlockingScheduler, ctx: AppContext, *, holder: str) -> None:
    """Add the job that picks up requested runs every few seconds."""
    scheduler.add_job(
        requested_ingests, IntervalTrigger(seconds=REQUEST_POLL_SECONDS, timezone="UTC"),
        id="requested-runs", name="requested ingest runs", args=[ctx], **JOB_DEFAULTS,
        kwargs={"holder": holder, "registry": default_registry()},
    )  # fmt: skip


def scheduled_snapshot(ctx: AppContext, *, holder: str, now: datetime | None = None) -> int | None:
    """Snapshot the last quarter once it ended ``snapshot_delay_days`` ago (once per quarter)."""
    if not hold_leadership(ctx, holder=holder):
        return None
    settings = ctx.settings
    with writing(ctx.sessions) as session:
        snap = snapshot_service.ensure_last_quarter(
            session, now=now or utcnow(), delay_days=settings.snapshot_delay_days,
            classification=settings.snapshot_classification,
        )  # fmt: skip
        snap_id = snap.id if snap is not None else None
    if snap_id is not None:
        log.info("snapshot %d of the last quarter created", snap_id)
    return snap_id


def add_snapshot_job(scheduler: BlockingScheduler, ctx: AppContext, *, holder: str) -> None:
    """Add the daily job that snapshots the last quarter (when snapshots are enabled)."""
    if not (ctx.settings.snapshot_enabled and ctx.settings.scheduler_enabled):
        return
    scheduler.add_job(
        scheduled_snapshot, CronTrigger(hour=2, minute=30, timezone="UTC"), id="snapshot",
        name="quarterly snapshot", args=[ctx], kwargs={"holder": holder}, **JOB_DEFAULTS,
    )  # fmt: skip


def scheduled_notifications(
    ctx: AppContext, *, holder: str, now: datetime | None = None
) -> NotifyReport | None:
    """Deliver alert notifications if this scheduler leads."""
    if not hold_leadership(ctx, holder=holder):
        return None
    return deliver_notifications(ctx.sessions, ctx.settings, now or utcnow())


def add_notify_job(scheduler: BlockingScheduler, ctx: AppContext, *, holder: str) -> None:
    """Add the every-minute job that delivers notifications (when enabled)."""
    if not (ctx.settings.notify_enabled and ctx.settings.scheduler_enabled):
        return
    scheduler.add_job(
        scheduled_notifications, IntervalTrigger(minutes=1, timezone="UTC"), id="notify",
        name="alert notifications", args=[ctx], kwargs={"holder": holder}, **JOB_DEFAULTS,
    )  # fmt: skip


def run_scheduler(ctx: AppContext) -> None:
    """Run the scheduler in this process until SIGTERM or Ctrl-C."""
    configure_logging(ctx.settings)
    RECORDER.configure(metrics_folder(ctx.settings.data_dir))  # rule-evaluation counters
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say what ran
    holder = scheduler_holder()
    with writing(ctx.sessions) as session:
        abandon_dead_runs(session=session)
    scheduler = build_scheduler(ctx, holder=holder)
    add_snapshot_job(scheduler, ctx, holder=holder)
    add_requests_job(scheduler, ctx, holder=holder)
    add_notify_job(scheduler, ctx, holder=holder)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping the scheduler", signum)
        scheduler.shutdown(wait=False)

    if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
        signal.signal(signal.SIGTERM, _stop)
    log.info("scheduler %s starting with %d jobs", holder, len(scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
    finally:
        with transaction(ctx.sessions) as session:
            release_lease(session=session, name=LEADER_LEASE, holder=holder)
