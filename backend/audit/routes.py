"""GET /audit: the audit log, for administrators (JSON pages or one CSV download)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from backend.audit import service
from backend.audit.schemas import AuditPage, AuditQuery, AuditRead
from backend.auth import RequireAdmin
from backend.csvlist import CSV_RESPONSES, paged_csv, wants_csv
from backend.deps import SessionDep
from backend.users.routes import AUTH_RESPONSES

router = APIRouter(tags=["users"], responses=AUTH_RESPONSES)


@router.get(
    "/audit", summary="The audit log", response_model=AuditPage, responses=CSV_RESPONSES,
    dependencies=[RequireAdmin],
)  # fmt: skip
def list_audit(
    request: Request, session: SessionDep, query: Annotated[AuditQuery, Query()]
) -> AuditPage | Response:
    """List audit entries newest first (admin): every write, who made it, and when.

    Rule and user entries carry their state before and after; secrets are never logged.
    Filter by `entity` (and `entity_id`), `actor`, `action` and a `since`/`until` window.
    """
    fetch = partial(service.page_entries, session)
    if wants_csv(request, query.format):
        return paged_csv("audit", AuditRead, query, fetch)
    return fetch(query=query)
