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
from datetime import timedelta
from types import FrameType

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from backend.context import AppContext
from backend.db import transaction
from backend.sources.service import acquire_lease, release_lease
from backend.timeutil import utcnow
from ingest.jobs import RunResult, run_ingest
from ingest.sources import Registry, RegistryError, default_registry, make_trigger

log = logging.getLogger(__name__)

LEADER_LEASE = "scheduler"
LEASE_SECONDS = 60.0
RUN_LEASE = timedelta(hours=6)  # longer than any sane run; released as soon as it ends
MISFIRE_GRACE_SECONDS = 3600
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
        result = runner(ctx, source_id, trigger="schedule", registry=registry)
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


def run_scheduler(ctx: AppContext) -> None:
    """Run the scheduler in this process until SIGTERM or Ctrl-C."""
    logging.basicConfig(
        level=ctx.settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say what ran
    holder = scheduler_holder()
    scheduler = build_scheduler(ctx, holder=holder)

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
