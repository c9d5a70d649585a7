"""A read request on SQLite keeps going when another process wrote since it began reading.

The soak benchmark found it: a token's last-use hint is written by read requests, and on
SQLite (WAL) a transaction that has read cannot write once another connection committed,
so a dashboard read during an ingest answered 503. The hint is now skipped instead.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from backend import migrate
from backend.db import make_engine, make_session_factory, transaction, writing
from backend.events.service import append_event
from backend.timeutil import utcnow
from backend.users import service

PASSWORD = "a long enough password for the test"


def test_authenticating_after_another_writer_committed_does_not_fail(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        user = service.create_user(session=session, actor="test", username="reader",
                                   password=PASSWORD, role="viewer")  # fmt: skip
        _token, secret = service.issue_token(session=session, actor="test", user=user, name="t")

    with sessions() as request:
        request.execute(text("SELECT count(*) FROM region")).scalar_one()  # the read begins
        with transaction(sessions) as other:  # an ingest commits meanwhile
            append_event(session=other, kind="ingest_run", payload={"source": "test"})
        later = utcnow() + timedelta(hours=1)  # the last-use hint is due
        found, _token = service.authenticate(session=request, secret=secret, now=later)
        assert found.username == "reader"
        request.rollback()
    engine.dispose()


def test_a_job_that_reads_then_writes_waits_for_another_writer_instead_of_failing(
    tmp_path: Path,
) -> None:
    """``writing`` takes the write lock first: a writer committing meanwhile waits its turn.

    Found when ``make run`` started: the notifier read its cursor, the scheduler's lease
    heartbeat committed, and the notifier's first write failed with "database is locked".
    """
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    has_read = threading.Event()
    errors: list[BaseException] = []

    def other_writer() -> None:
        has_read.wait(10)
        try:
            with transaction(sessions) as other:
                append_event(session=other, kind="ingest_run", payload={"source": "other"})
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=other_writer)
    thread.start()
    with writing(sessions) as job:
        job.execute(text("SELECT count(*) FROM event")).scalar_one()  # the job reads
        has_read.set()
        time.sleep(0.5)  # the other writer tries to commit now, and must wait
        append_event(session=job, kind="ingest_run", payload={"source": "job"})
    thread.join(30)
    with sessions() as check:
        written = check.execute(text("SELECT count(*) FROM event")).scalar_one()
    engine.dispose()
    assert errors == [] and written == 2
