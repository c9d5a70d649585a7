"""Store Security Council documents and their tags, by symbol, idempotently.

A document is keyed by its symbol (``S/PV.9000``, ``S/RES/2719 (2023)``, ``SC/15789``). A
document seen again with the same fields and tags is left alone and counted unchanged;
one that differs is updated in place (a title corrected upstream, a tag added). Nothing
is ever deleted here: the press feed holds only its latest items, so what an earlier
poll saw must stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from backend.documents.models import Document, DocumentTag

REGION, THEME = "region", "theme"
KINDS = frozenset({"meeting", "resolution", "prst", "press", "press_statement"})
_CHUNK = 500  # bound the IN lists (SQLite caps bound parameters)

T = TypeVar("T")


class InvalidDocumentError(ValueError):
    """A document cannot be stored as given (unknown kind, symbol too long)."""


class DocumentInfo(Protocol):
    """What the service needs to know of a document (ingest's ParsedDocument fits)."""

    @property
    def symbol(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def date(self) -> date | None: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def meeting_symbol(self) -> str | None: ...


@dataclass(frozen=True)
class DocumentIn:
    """One document to store, with its tags as (kind, value) pairs."""

    document: DocumentInfo
    tags: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class DocumentCounts:
    """How many documents a store call inserted, updated or found unchanged."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        """Return how many documents were given."""
        return self.inserted + self.updated + self.unchanged


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _fields(doc: DocumentInfo) -> dict[str, object]:
    """Return the stored columns of a document, checked."""
    if doc.kind not in KINDS:
        raise InvalidDocumentError(f"document {doc.symbol!r} has unknown kind {doc.kind!r}")
    if not doc.symbol or len(doc.symbol) > 64:
        raise InvalidDocumentError(f"document symbol {doc.symbol!r} is empty or too long")
    url = doc.url if doc.url and len(doc.url) <= 1000 else None
    return {"kind": doc.kind, "date": doc.date, "title": doc.title, "url": url,
            "meeting_symbol": doc.meeting_symbol}  # fmt: skip


def _existing(session: Session, symbols: Sequence[str]) -> dict[str, Document]:
    found: dict[str, Document] = {}
    for chunk in _chunks(symbols):
        found.update((d.symbol, d) for d in session.scalars(select(Document).where(
            Document.symbol.in_(chunk))))  # fmt: skip
    return found


def _existing_tags(session: Session, ids: Sequence[int]) -> dict[int, set[tuple[str, str]]]:
    tags: dict[int, set[tuple[str, str]]] = {i: set() for i in ids}
    for chunk in _chunks(ids):
        query = select(DocumentTag.document_id, DocumentTag.kind, DocumentTag.value).where(
            DocumentTag.document_id.in_(chunk)
        )
        for row in session.execute(query):
            tags[row.document_id].add((row.kind, row.value))
    return tags


def store_documents(
    *, session: Session, documents: Iterable[DocumentIn], source_id: str, run_id: int | None
) -> DocumentCounts:
    """Insert new documents, update changed ones and count the unchanged; tags included."""
    given = {d.document.symbol: d for d in documents}  # the last one given wins
    existing = _existing(session, list(given))
    old_tags = _existing_tags(session, [d.id for d in existing.values()])
    new_rows: list[tuple[Document, DocumentIn]] = []
    updated = unchanged = 0
    tag_rows: list[dict[str, object]] = []
    for symbol, item in given.items():
        fields = _fields(item.document)
        row = existing.get(symbol)
        if row is None:
            row = Document(symbol=symbol, source_id=source_id, run_id=run_id, **fields)
            new_rows.append((row, item))
            continue
        same = all(getattr(row, k) == v for k, v in fields.items())
        had = old_tags[row.id]
        if same and had == item.tags:
            unchanged += 1
            continue
        updated += 1
        for name, value in fields.items():
            setattr(row, name, value)
        row.run_id = run_id
        _drop_tags(session, row.id, had - item.tags)
        tag_rows.extend(_tag_records(row.id, item.tags - had))
    session.add_all(row for row, _ in new_rows)
    session.flush()
    for row, item in new_rows:
        tag_rows.extend(_tag_records(row.id, item.tags))
    if tag_rows:
        session.execute(insert(DocumentTag), tag_rows)
    return DocumentCounts(inserted=len(new_rows), updated=updated, unchanged=unchanged)


def _tag_records(document_id: int, tags: Iterable[tuple[str, str]]) -> list[dict[str, object]]:
    return [{"document_id": document_id, "kind": k, "value": v} for k, v in sorted(tags)]


def _drop_tags(session: Session, document_id: int, tags: set[tuple[str, str]]) -> None:
    """Delete the tags a document no longer has."""
    for kind, value in tags:
        tag = session.scalar(select(DocumentTag).where(
            DocumentTag.document_id == document_id, DocumentTag.kind == kind,
            DocumentTag.value == value))  # fmt: skip
        if tag is not None:
            session.delete(tag)
    if tags:
        session.flush()


def documents_tagged(*, session: Session, kind: str, value: str) -> list[Document]:
    """Return the documents with one tag (a region code or a theme), oldest first."""
    query = (
        select(Document)
        .join(DocumentTag, DocumentTag.document_id == Document.id)
        .where(DocumentTag.kind == kind, DocumentTag.value == value)
        .order_by(Document.date, Document.symbol)
    )
    return list(session.scalars(query))
