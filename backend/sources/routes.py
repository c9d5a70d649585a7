"""Source routes: freshness and runs of each source, run requests, and the coverage matrix."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from backend.access import ANALYST_RESPONSES
from backend.auth import AnalystDep
from backend.csvlist import CSV_RESPONSES, paged_csv, wants_csv
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from backend.sources import queries
from backend.sources import requests as run_requests
from backend.sources.schemas import CoverageRead, RunPage, RunQuery, RunRead, SourcePage

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


@router.get(
    "/sources/{source_id}/runs", summary="A source's runs", response_model=RunPage,
    responses=CSV_RESPONSES | NOT_FOUND_RESPONSE,
)  # fmt: skip
def list_runs(
    request: Request,
    session: SessionDep,
    source_id: SourceId,
    query: Annotated[RunQuery, Query()],
) -> RunPage | Response:
    """Return one page of the source's ingest runs, newest first; 404 if the source is unknown."""
    if wants_csv(request, query.format):
        fetch = partial(queries.list_runs, session, source_id=source_id)
        return paged_csv(f"{source_id}-runs", RunRead, query, fetch)
    return queries.list_runs(session, source_id=source_id, query=query)


@router.post(
    "/sources/{source_id}/runs", summary="Ask for a run", status_code=202,
    responses=ANALYST_RESPONSES | NOT_FOUND_RESPONSE,
)  # fmt: skip
def request_run(session: SessionDep, principal: AnalystDep, source_id: SourceId) -> RunRead:
    """Queue a run of the source for the scheduler process (analyst); 202 with the request.

    The request shows in the runs list with status `requested` until the scheduler's next
    tick replaces it with the real run. Asking again while one waits returns that one. A
    source that only takes files (csv_upload) is a 422 problem: use `POST /uploads`.
    """
    run, _new = run_requests.request_run(session, source_id=source_id, actor=principal.user)
    return queries.run_read(run)


@router.get("/coverage", summary="Coverage matrix")
def coverage(session: SessionDep) -> CoverageRead:
    """Return countries x indicators with the latest period that has a value.

    Compact form: `regions` and `indicators` name the rows and columns, `cells` holds
    `[row, column, period]` only for pairs with data.
    """
    return queries.coverage(session)
