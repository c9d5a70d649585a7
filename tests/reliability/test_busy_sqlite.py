"""A read request on SQLite keeps going when another process wrote since it began reading.

The soak benchmark found it: a token's last-use hint is written by read requests, and on
SQLite (WAL) a transaction that has read cannot write once another connection committed,
so a dashboard read during an ingest answered 503. The hint is now skipped instead.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from backend import migrate
from backend.db import make_engine, make_session_factory, transaction
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
