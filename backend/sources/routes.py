"""Source routes (read side): freshness and runs of each source, and the coverage matrix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from backend.sources import queries
from backend.sources.schemas import CoverageRead, RunPage, RunQuery, SourcePage

router = APIRouter(tags=["sources"], responses=PROBLEM_RESPONSES)

SourceId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9_\-]{1,64}$",
        description="Source id",
        examples=["worldbank_homicide"],
    ),
]


@router.get("/sources", summary="List sources with their health")
def list_sources(session: SessionDep) -> SourcePage:
    """List every source with its schedule, next run, last run and freshness.

    Freshness compares the newer of the newest vintage and the last successful run with
    the source's usual release cadence; `next_run` comes from the cron schedule.
    """
    return queries.list_sources(session)


@router.get("/sources/{source_id}/runs", summary="A source's runs", responses=NOT_FOUND_RESPONSE)
def list_runs(
    session: SessionDep, source_id: SourceId, query: Annotated[RunQuery, Query()]
) -> RunPage:
    """Return one page of the source's ingest runs, newest first; 404 if the source is unknown."""
    return queries.list_runs(session, source_id=source_id, query=query)


@router.get("/coverage", summary="Coverage matrix")
def coverage(session: SessionDep) -> CoverageRead:
    """Return countries x indicators with the latest period that has a value.

    Compact form: `regions` and `indicators` name the rows and columns, `cells` holds
    `[row, column, period]` only for pairs with data.
    """
    return queries.coverage(session)
