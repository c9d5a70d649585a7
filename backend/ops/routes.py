"""``GET /api/v1/ready`` (can this worker serve traffic?) and ``GET /metrics`` (Prometheus)."""

from __future__ import annotations

import logging
from functools import cache
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from backend import migrate
from backend.deps import SessionDep
from backend.errors import PROBLEM_RESPONSES, Problem, ServiceUnavailable
from backend.ops.db_metrics import render_database_metrics
from backend.ops.metrics import RECORDER, render_store
from backend.regions.models import Region

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"], responses=PROBLEM_RESPONSES)
metrics_router = APIRouter()
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class ReadyRead(BaseModel):
    """The worker can serve: database reachable, schema current, reference data loaded."""

    status: Literal["ready"] = Field(description="Always `ready` on a 200 answer")
    revision: str = Field(description="The database's Alembic revision", examples=["9a281a5f80f7"])
    regions: int = Field(description="Regions loaded (0 means `tocsin db upgrade` never seeded)")


@cache
def _head() -> str:
    """Return the migration head this code expects (read once per process)."""
    return migrate.heads()[0]


def _not_ready(reason: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"Not ready: {reason}.", extra={"ready": False, "reason": reason})


@router.get(
    "/ready",
    summary="Check readiness",
    responses={503: {"model": Problem, "description": "Not ready; `reason` says why"}},
)
def ready(session: SessionDep) -> ReadyRead:
    """Answer 200 only when the database answers, is migrated to head and holds regions."""
    try:
        revision = session.scalar(text("SELECT version_num FROM alembic_version"))
        regions = session.scalar(select(func.count(Region.id))) or 0
    except SQLAlchemyError as exc:
        log.warning("ready check: database unusable: %s", exc.__class__.__name__)
        raise _not_ready("the database is unreachable or not migrated") from exc
    if revision != _head():
        raise _not_ready(f"the schema is at {revision}, expected {_head()}: run tocsin db upgrade")
    if not regions:
        raise _not_ready("no regions loaded: run tocsin db upgrade")
    return ReadyRead(status="ready", revision=str(revision), regions=int(regions))


@metrics_router.get("/metrics", include_in_schema=False)
def metrics(session: SessionDep) -> Response:
    """Expose request, rule-evaluation and ingest metrics in the Prometheus text format."""
    lines = render_store(RECORDER.collect())
    try:
        lines += render_database_metrics(session)
        up = 1
    except SQLAlchemyError as exc:
        log.warning("metrics: database unreachable: %s", exc.__class__.__name__)
        session.rollback()
        up = 0
    lines += [
        "# HELP tocsin_database_up The database answered the metrics queries",
        "# TYPE tocsin_database_up gauge",
        f"tocsin_database_up {up}",
    ]
    return Response("\n".join(lines) + "\n", media_type=PROMETHEUS_TEXT)
