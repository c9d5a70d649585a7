"""Sources and indicators, ingest runs and their quarantine, and the scheduler's leases."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.sources.models import Indicator, IngestRun, JobLock, QuarantinedRow, Source
from backend.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)


class SourceInfo(Protocol):
    """What a source declares about itself (ingest.sources.base.Source satisfies it)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def publisher(self) -> str: ...
    @property
    def licence(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def cadence(self) -> str: ...
    @property
    def cadence_days(self) -> int: ...
    @property
    def enabled(self) -> bool: ...


class IndicatorInfo(Protocol):
    """What the catalogue declares about an indicator (ingest.indicators.IndicatorSpec)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def frequency(self) -> str: ...
    @property
    def higher_is_worse(self) -> bool: ...
    @property
    def description(self) -> str: ...


class RunNotFoundError(LookupError):
    """No ingest run has that id."""


@dataclass(frozen=True)
class RunCounts:
    """The counts an ingest run reports."""

    read: int = 0
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    quarantined: int = 0
    dropped: int = 0


def sync_source(*, session: Session, source: SourceInfo, schedule: str) -> Source:
    """Insert or update the ``source`` row of a declared source."""
    row = session.get(Source, source.id)
    values = {
        "title": source.title, "publisher": source.publisher, "licence": source.licence,
        "url": source.url, "cadence": source.cadence, "cadence_days": source.cadence_days,
        "schedule": schedule, "enabled": source.enabled and schedule.strip().lower() != "off",
    }  # fmt: skip
    if row is None:
        row = Source(id=source.id, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return row


def sync_indicators(
    *, session: Session, specs: Iterable[IndicatorInfo], source_id: str | None = None
) -> dict[str, int]:
    """Insert or update indicators by code; return code -> id.

    The first source to write an indicator becomes its primary source; later ones do not
    take it over (several publishers report the homicide rate).
    """
    specs = list(specs)
    existing = {
        i.code: i
        for i in session.scalars(
            select(Indicator).where(Indicator.code.in_([s.code for s in specs]))
        )
    }
    for spec in specs:
        row = existing.get(spec.code)
        if row is None:
            row = Indicator(code=spec.code, source_id=source_id)
            session.add(row)
            existing[spec.code] = row
        row.name, row.unit, row.frequency = spec.name, spec.unit, spec.frequency
        row.higher_is_worse, row.description = spec.higher_is_worse, spec.description
        if row.source_id is None:
            row.source_id = source_id
    session.flush()
    return {code: row.id for code, row in existing.items()}


def start_run(*, session: Session, source_id: str, trigger: str = "manual") -> IngestRun:
    """Record a run as ``running``, owned by this process, and return it with its id.

    The owner is kept as a lease named after the run (host and process id), so that a run
    whose process died (``kill -9``, a power cut) can be told from one still at work.
    """
    now = utcnow()
    run = IngestRun(source_id=source_id, trigger=trigger, started_at=now, status="running")
    session.add(run)
    session.flush()
    session.add(
        JobLock(name=_run_lease(run.id), holder=process_holder(), acquired_at=now,
                expires_at=now + RUN_OWNER_TTL)
    )  # fmt: skip
    session.flush()
    return run


RUN_OWNER_TTL = timedelta(hours=6)  # longer than any sane run; a lost owner is known sooner
ABANDONED = (
    "abandoned: the process running it ({holder}) stopped before it finished; "
    "nothing it read was kept"
)


def process_holder() -> str:
    """Return who owns work started by this process: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_alive(holder: str) -> bool:
    """Tell whether the process behind a ``host:pid`` holder may still be running.

    A process on this host is checked directly; one on another host (another container)
    is presumed alive until its lease expires.
    """
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandon_dead_runs(*, session: Session, now: datetime | None = None) -> list[int]:
    """Mark ``abandoned`` every running run whose owner is gone; return their ids.

    Called when a run or the scheduler starts: a run killed mid-way kept nothing (its
    writes were one transaction), and this says so instead of showing it running forever.
    """
    now = now or utcnow()
    running = list(session.scalars(select(IngestRun).where(IngestRun.status == "running")))
    if not running:
        return []
    names = [_run_lease(run.id) for run in running]
    leases = {
        lock.name: lock for lock in session.scalars(select(JobLock).where(JobLock.name.in_(names)))
    }
    abandoned = []
    for run in running:
        lease = leases.get(_run_lease(run.id))
        if lease is not None and as_utc(lease.expires_at) > now and holder_alive(lease.holder):
            continue
        holder = lease.holder if lease is not None else "unknown"
        run.status, run.finished_at = "abandoned", now
        run.error = ABANDONED.format(holder=holder)
        if lease is not None:
            session.delete(lease)
        abandoned.append(run.id)
        log.warning("ingest run %d of %s: %s", run.id, run.source_id, run.error)
    session.flush()
    return abandoned


def _run_lease(run_id: int) -> str:
    return f"run:{run_id}"


def _end_run_lease(session: Session, run_id: int) -> None:
    session.execute(delete(JobLock).where(JobLock.name == _run_lease(run_id)))


def _run(session: Session, run_id: int) -> IngestRun:
    run = session.get(IngestRun, run_id)
    if run is None:
        raise RunNotFoundError(f"ingest run {run_id} does not exist")
    return run


def finish_run(
    *,
    session: Session,
    run_id: int,
    counts: RunCounts,
    payload_sha256: str | None = None,
    payload_path: str | None = None,
    payload_url: str | None = None,
) -> IngestRun:
    """Mark a run succeeded with its counts and the payload it read."""
    run = _run(session, run_id)
    run.status, run.finished_at, run.error = "succeeded", utcnow(), None
    _end_run_lease(session, run_id)
    run.rows_read, run.rows_inserted, run.rows_revised = (
        counts.read,
        counts.inserted,
        counts.revised,
    )
    run.rows_unchanged, run.rows_quarantined = counts.unchanged, counts.quarantined
    run.rows_dropped = counts.dropped
    run.payload_sha256, run.payload_path, run.payload_url = (
        payload_sha256,
        payload_path,
        payload_url,
    )
    session.flush()
    return run


def fail_run(*, session: Session, run_id: int, error: str) -> IngestRun:
    """Mark a run failed with a one-line reason."""
    run = _run(session, run_id)
    line = " ".join(error.split()) or "failed without a message"
    run.status, run.finished_at, run.error = "failed", utcnow(), line[:2000]
    _end_run_lease(session, run_id)
    session.flush()
    return run


def quarantine_rows(
    *, session: Session, run_id: int, rows: Iterable[tuple[int | None, dict[str, object], str]]
) -> int:
    """Keep rows that could not be used, as (row number, raw row, reason); return how many."""
    records = [
        {"run_id": run_id, "row_number": number, "raw": raw, "reason": reason[:500]}
        for number, raw, reason in rows
    ]
    if records:
        session.execute(insert(QuarantinedRow), records)
    return len(records)


def last_runs(*, session: Session) -> dict[str, IngestRun]:
    """Return the newest run of each source."""
    newest = select(IngestRun.source_id, func.max(IngestRun.id).label("id")).group_by(
        IngestRun.source_id
    )
    ids = [row.id for row in session.execute(newest)]
    runs = session.scalars(select(IngestRun).where(IngestRun.id.in_(ids)))
    return {run.source_id: run for run in runs}


def acquire_lease(
    *, session: Session, name: str, holder: str, ttl: timedelta, now: datetime | None = None
) -> bool:
    """Take or renew a named lease for ``holder``; False while another holder's lease lives.

    The conditional UPDATE is atomic on both databases: two schedulers racing for an
    expired lease both run it, and only the first to commit sees its WHERE still true.
    """
    now = now or utcnow()
    taken = session.execute(
        update(JobLock)
        .where(JobLock.name == name, (JobLock.holder == holder) | (JobLock.expires_at < now))
        .values(holder=holder, acquired_at=now, expires_at=now + ttl),
        execution_options={"synchronize_session": False},
    )
    if cast("CursorResult[Any]", taken).rowcount:
        return True
    try:
        with session.begin_nested():
            session.add(JobLock(name=name, holder=holder, acquired_at=now, expires_at=now + ttl))
    except IntegrityError:
        return False  # another holder inserted it first, or holds it unexpired
    return True


def release_lease(*, session: Session, name: str, holder: str) -> None:
    """Give a lease back early, if ``holder`` still holds it."""
    session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.holder == holder)
        .values(expires_at=utcnow() - timedelta(seconds=1)),
        execution_options={"synchronize_session": False},
    )


def replayable_run(*, session: Session, source_id: str, payload_sha256: str) -> IngestRun | None:
    """Return the source's last run if it stored these very bytes and nothing ran since.

    Only the newest succeeded run of any source qualifies: if another ingest (or the demo
    load) wrote in between, re-parsing is the only way to know what the bytes change now.
    """
    newest = session.scalars(
        select(IngestRun).where(IngestRun.status == "succeeded").order_by(IngestRun.id.desc())
    ).first()
    if newest is None or newest.source_id != source_id:
        return None
    return newest if newest.payload_sha256 == payload_sha256 else None


def copy_quarantine(*, session: Session, from_run_id: int, to_run_id: int) -> None:
    """Quarantine again, under a new run, the rows an earlier run of the same bytes set aside."""
    rows = select(
        literal(to_run_id), QuarantinedRow.row_number, QuarantinedRow.raw, QuarantinedRow.reason
    ).where(QuarantinedRow.run_id == from_run_id)
    session.execute(
        insert(QuarantinedRow).from_select(["run_id", "row_number", "raw", "reason"], rows)
    )
