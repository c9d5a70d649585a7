"""Document read queries: Security Council documents filtered by tag, kind and date."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import ColumnElement, func, nulls_last, select
from sqlalchemy.orm import Session

from backend.documents.models import Document, DocumentTag
from backend.documents.schemas import DocumentPage, DocumentQuery, DocumentRead, DocumentTags

REGION_TAG, THEME_TAG = "region", "theme"


def _tagged(kind: str, value: str) -> ColumnElement[bool]:
    tagged = select(DocumentTag.document_id).where(
        DocumentTag.kind == kind, DocumentTag.value == value
    )
    return Document.id.in_(tagged)


def _filters(query: DocumentQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if query.region is not None:
        clauses.append(_tagged(REGION_TAG, query.region.upper()))
    if query.theme is not None:
        clauses.append(_tagged(THEME_TAG, query.theme))
    if query.kind is not None:
        clauses.append(Document.kind == query.kind)
    if query.date_from is not None:
        clauses.append(Document.date >= query.date_from)
    if query.date_to is not None:
        clauses.append(Document.date <= query.date_to)
    return clauses


def _tags(session: Session, document_ids: list[int]) -> dict[int, DocumentTags]:
    found: dict[int, dict[str, list[str]]] = defaultdict(lambda: {REGION_TAG: [], THEME_TAG: []})
    stmt = (
        select(DocumentTag.document_id, DocumentTag.kind, DocumentTag.value)
        .where(DocumentTag.document_id.in_(document_ids))
        .order_by(DocumentTag.value)
    )
    for document_id, kind, value in session.execute(stmt):
        found[document_id].setdefault(kind, []).append(value)
    return {
        key: DocumentTags(regions=tags[REGION_TAG], themes=tags[THEME_TAG])
        for key, tags in found.items()
    }


def list_documents(session: Session, *, query: DocumentQuery) -> DocumentPage:
    """Return one page of documents matching the filters, newest first, with their tags."""
    clauses = _filters(query)
    total = session.scalar(select(func.count()).select_from(Document).where(*clauses)) or 0
    stmt = (
        select(Document)
        .where(*clauses)
        .order_by(nulls_last(Document.date.desc()), Document.id.desc())
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    documents = list(session.scalars(stmt))
    tags = _tags(session, [document.id for document in documents])
    empty = DocumentTags(regions=[], themes=[])
    items = [
        DocumentRead(
            id=document.id,
            symbol=document.symbol,
            kind=document.kind,
            date=document.date,
            title=document.title,
            url=document.url,
            meeting_symbol=document.meeting_symbol,
            source=document.source_id,
            is_demo=document.is_demo,
            tags=tags.get(document.id, empty),
        )
        for document in documents
    ]
    return DocumentPage(items=items, total=total, page=query.page, page_size=query.page_size)
