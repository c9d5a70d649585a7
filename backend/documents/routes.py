"""Document routes (read side): Security Council meetings and outcomes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.deps import SessionDep
from backend.documents import queries
from backend.documents.schemas import DocumentPage, DocumentQuery
from backend.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/documents", tags=["documents"], responses=PROBLEM_RESPONSES)


@router.get("", summary="List Security Council documents")
def list_documents(session: SessionDep, query: Annotated[DocumentQuery, Query()]) -> DocumentPage:
    """List meetings, resolutions and statements, newest first, with region and theme tags.

    `region` and `theme` keep documents tagged with that region code or crime theme;
    `date_from`/`date_to` bound the date (inclusive). Documents without a date sort last.
    """
    return queries.list_documents(session, query=query)
