"""Document routes (read side): Security Council meetings and outcomes."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from backend.csvlist import CSV_RESPONSES, paged_csv, wants_csv
from backend.deps import SessionDep
from backend.documents import queries
from backend.documents.schemas import DocumentPage, DocumentQuery, DocumentRead
from backend.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/documents", tags=["documents"], responses=PROBLEM_RESPONSES)


@router.get(
    "", summary="List Security Council documents", response_model=DocumentPage,
    responses=CSV_RESPONSES,
)  # fmt: skip
def list_documents(
    request: Request, session: SessionDep, query: Annotated[DocumentQuery, Query()]
) -> DocumentPage | Response:
    """List meetings, resolutions and statements, newest first, with region and theme tags.

    `region` and `theme` keep documents tagged with that region code or crime theme;
    `date_from`/`date_to` bound the date (inclusive). Documents without a date sort last.
    """
    if wants_csv(request, query.format):
        fetch = partial(queries.list_documents, session)
        return paged_csv("documents", DocumentRead, query, fetch)
    return queries.list_documents(session, query=query)
