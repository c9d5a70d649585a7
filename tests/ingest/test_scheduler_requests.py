"""The scheduler picks up runs requested through the API on its next tick, as the leader."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from backend.db import transaction
from backend.sources.models import IngestRun, Source
from backend.timeutil import utcnow
from ingest import scheduler as sched
from ingest.sources import Registry
from ingest.sources.base import Payload
from ingest.sources.base import Source as SourceSpec


def fetch_nothing_new(client, settings) -> Payload:
    return Payload(content=b"", url="memory:", not_modified=True)


FAST = SourceSpec(
    id="asked_one", title="Asked", publisher="Tests", licence="CC0", url="https://example.org",
    cadence="daily", cadence_days=1, schedule="off", indicators=("homicide_rate",),
    fetch=fetch_nothing_new, parse=lambda content, **kw: None, live=False,
)  # fmt: skip
REGISTRY = Registry([FAST, replace(FAST, id="asked_two")])


@pytest.fixture
def asked_ctx(ctx):
    """A context whose database holds two sources and three waiting requests."""
    with transaction(ctx.sessions) as session:
        for source_id in ("asked_one", "asked_two"):
            session.add(Source(id=source_id, title=source_id, publisher="T", licence="CC0",
                               url="https://example.org", cadence="daily", cadence_days=1,
                               schedule="off"))  # fmt: skip
        session.flush()
        for source_id in ("asked_two", "asked_one", "asked_two"):
            session.add(IngestRun(source_id=source_id, trigger="manual", started_at=utcnow(),
                                  status="requested"))  # fmt: skip
    return ctx


def _runs(ctx) -> list[tuple[str, str, str]]:
    with transaction(ctx.sessions) as session:
        stmt = select(IngestRun.source_id, IngestRun.status, IngestRun.trigger).order_by(
            IngestRun.id
        )
        return [tuple(row) for row in session.execute(stmt)]


def test_only_the_leader_claims_requests_and_runs_each_source_once(asked_ctx) -> None:
    assert sched.hold_leadership(asked_ctx, holder="leader")
    assert sched.requested_ingests(asked_ctx, holder="follower", registry=REGISTRY) == []
    assert [status for _s, status, _t in _runs(asked_ctx)] == ["requested"] * 3
    results = sched.requested_ingests(asked_ctx, holder="leader", registry=REGISTRY)
    assert [(r.source_id, r.ok) for r in results] == [("asked_two", True), ("asked_one", True)]
    assert _runs(asked_ctx) == [
        ("asked_two", "succeeded", "manual"), ("asked_one", "succeeded", "manual"),
    ]  # fmt: skip
    assert sched.requested_ingests(asked_ctx, holder="leader", registry=REGISTRY) == []
