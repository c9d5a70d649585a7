"""Run requests: an analyst asks for a run, the scheduler process does it on its next tick.

The API never runs ingest jobs in its workers. A request is an ingest run row with status
``requested``, so the runs list shows it at once; the scheduler claims it (deletes the row
in the transaction that reads it) and starts the real run, which then appears in its place.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.audit import service as audit
from backend.errors import InvalidInput, NotFound
from backend.sources.models import IngestRun, Source
from backend.timeutil import utcnow
from backend.users.models import User

REQUESTED = "requested"
TRIGGER = "manual"
# Uploads have nothing to fetch: they come through POST /uploads with their file.
FILE_ONLY_SOURCES = frozenset({"csv_upload"})


def request_run(session: Session, *, source_id: str, actor: User) -> tuple[IngestRun, bool]:
    """Queue a run of the source for the scheduler; return the request and if it is new.

    A source that already has a request waiting gets that one back (asking twice runs once).
    """
    if session.get(Source, source_id) is None:
        raise NotFound(f"No source with id {source_id!r}")
    if source_id in FILE_ONLY_SOURCES:
        raise InvalidInput(f"{source_id} runs only with a file: POST /api/v1/uploads")
    stmt = select(IngestRun).where(IngestRun.source_id == source_id, IngestRun.status == REQUESTED)
    waiting = session.scalars(stmt.order_by(IngestRun.id)).first()
    if waiting is not None:
        return waiting, False
    run = IngestRun(source_id=source_id, trigger=TRIGGER, started_at=utcnow(), status=REQUESTED)
    session.add(run)
    session.flush()
    audit.record(
        session=session, actor=actor, action="source.run_requested", entity="source",
        entity_id=source_id, after={"request_id": run.id},
    )  # fmt: skip
    return run, True


def claim_requests(session: Session) -> list[str]:
    """Take every waiting request off the queue; return their sources, oldest request first."""
    rows = session.execute(
        select(IngestRun.id, IngestRun.source_id)
        .where(IngestRun.status == REQUESTED)
        .order_by(IngestRun.id)
    ).all()
    if not rows:
        return []
    session.execute(delete(IngestRun).where(IngestRun.id.in_([row.id for row in rows])))
    return list(dict.fromkeys(row.source_id for row in rows))
