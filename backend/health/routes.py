"""``GET /api/v1/health``: is the API up, can it reach its database, is demo data loaded."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import exists, select
from sqlalchemy.exc import SQLAlchemyError

from backend.deps import SessionDep
from backend.errors import PROBLEM_RESPONSES, Problem, ServiceUnavailable
from backend.observations.models import Observation

log = logging.getLogger(__name__)
router = APIRouter(prefix="/health", tags=["health"], responses=PROBLEM_RESPONSES)


class HealthRead(BaseModel):
    """The API is up and its database answers."""

    status: Literal["ok"] = Field(description="Always `ok` on a 200 answer", examples=["ok"])
    database: Literal["ok"] = Field(description="The database answered a query", examples=["ok"])
    version: str = Field(description="Tocsin version", examples=["0.1.0"])
    demo_data: bool = Field(
        description="The database holds the labelled demo dataset (the dashboard shows a banner)",
        examples=[False],
    )


@router.get(
    "",
    summary="Check health",
    responses={
        503: {
            "model": Problem,
            "description": "The database is unreachable: a problem whose `health` member is "
            '`{"status": "degraded", "database": "unreachable", "version": ..., '
            '"demo_data": null}`',
        }
    },
)
def health(request: Request, session: SessionDep) -> HealthRead:
    """Answer with one cheap query: the database is reachable and whether demo data is loaded."""
    try:
        demo = bool(session.scalar(select(exists().where(Observation.is_demo.is_(True)))))
    except SQLAlchemyError as exc:
        # A probe must get an answer, not a crash: report degraded and keep the cause in the log.
        log.warning("health check: database unreachable: %s", exc.__class__.__name__)
        raise ServiceUnavailable(
            "The database is unreachable.",
            extra={
                "health": {
                    "status": "degraded",
                    "database": "unreachable",
                    "version": request.app.version,
                    "demo_data": None,
                }
            },
        ) from exc
    return HealthRead(status="ok", database="ok", version=request.app.version, demo_data=demo)
