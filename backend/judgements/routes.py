"""Judgement routes: a region's judgement history (readers) and adding one (analysts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from backend.access import ANALYST_RESPONSES, READ_ACCESS
from backend.auth import AnalystDep
from backend.csvlist import CSV_RESPONSES, csv_response, wants_csv
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES
from backend.judgements import service
from backend.judgements.schemas import (
    JudgementCreate,
    JudgementPage,
    JudgementQuery,
    JudgementRead,
)
from backend.regions.schemas import RegionCode

router = APIRouter(prefix="/regions", tags=["judgements"], responses=PROBLEM_RESPONSES)
CodeParam = Annotated[RegionCode, Path(description="Region code", examples=["MEX"])]


@router.get(
    "/{code}/judgements", summary="A region's judgements", response_model=JudgementPage,
    responses=NOT_FOUND_RESPONSE | CSV_RESPONSES, dependencies=READ_ACCESS,
)  # fmt: skip
def list_judgements(
    request: Request, session: SessionDep, code: CodeParam,
    query: Annotated[JudgementQuery, Query()],
) -> JudgementPage | Response:  # fmt: skip
    """List analysts' judgements of the region (deteriorated, improved, unchanged), newest first."""
    page = service.list_judgements(session=session, code=code)
    if wants_csv(request, query.format):
        return csv_response(f"judgements-{code.upper()}", JudgementRead, page.items)
    return page


@router.post(
    "/{code}/judgements", summary="Judge a region", status_code=201,
    responses=ANALYST_RESPONSES | NOT_FOUND_RESPONSE,
)  # fmt: skip
def add_judgement(
    session: SessionDep, principal: AnalystDep, code: CodeParam, body: JudgementCreate
) -> JudgementRead:
    """Record whether the region deteriorated, improved or stayed unchanged, and why (analyst)."""
    return service.add_judgement(session=session, code=code, data=body, actor=principal.user)
