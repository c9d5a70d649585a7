"""Runs left ``running`` by a dead process are marked abandoned; live ones are left alone."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.sources import service
from backend.sources.models import IngestRun, JobLock, Source
from backend.timeutil import utcnow


@pytest.fixture
def source(session: Session) -> str:
    session.add(Source(id="reaper_src", title="Reaper", publisher="Tests", licence="CC0",
                       url="https://example.org", cadence="daily", cadence_days=1,
                       schedule="off"))  # fmt: skip
    session.flush()
    return "reaper_src"


def dead_pid() -> int:
    """Return the pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def started(session: Session, source: str, holder: str | None) -> IngestRun:
    """Start a run, then give its owner lease to ``holder`` (None: remove the lease)."""
    run = service.start_run(session=session, source_id=source)
    lease = session.get(JobLock, f"run:{run.id}")
    assert lease is not None and lease.holder == service.process_holder()
    if holder is None:
        session.delete(lease)
    else:
        lease.holder = holder
    session.flush()
    return run


def test_only_runs_whose_owner_is_gone_are_abandoned(session: Session, source: str) -> None:
    here = socket.gethostname()
    mine = started(session, source, service.process_holder())
    elsewhere = started(session, source, "another-host:4242")
    dead = started(session, source, f"{here}:{dead_pid()}")
    orphan = started(session, source, None)

    abandoned = service.abandon_dead_runs(session=session)

    assert sorted(abandoned) == sorted([dead.id, orphan.id])
    assert (mine.status, elsewhere.status) == ("running", "running")
    assert dead.status == "abandoned" and dead.finished_at is not None
    assert f"{here}:" in (dead.error or "") and "nothing it read was kept" in (dead.error or "")
    assert session.get(JobLock, f"run:{dead.id}") is None


def test_a_lease_that_expired_is_abandoned_even_on_another_host(
    session: Session, source: str
) -> None:
    run = started(session, source, "another-host:4242")
    later = utcnow() + service.RUN_OWNER_TTL + timedelta(minutes=1)
    assert service.abandon_dead_runs(session=session, now=later) == [run.id]


def test_finishing_or_failing_a_run_gives_its_lease_back(session: Session, source: str) -> None:
    done = service.start_run(session=session, source_id=source)
    failed = service.start_run(session=session, source_id=source)
    service.finish_run(session=session, run_id=done.id, counts=service.RunCounts())
    service.fail_run(session=session, run_id=failed.id, error="boom")
    names = {f"run:{done.id}", f"run:{failed.id}"}
    assert session.scalars(select(JobLock).where(JobLock.name.in_(names))).all() == []
    assert service.abandon_dead_runs(session=session) == []
