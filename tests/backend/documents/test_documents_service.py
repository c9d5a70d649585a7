"""Storing Security Council documents by symbol: insert, unchanged, update, tags."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from backend.documents.models import Document, DocumentTag
from backend.documents.service import (
    DocumentIn,
    InvalidDocumentError,
    documents_tagged,
    store_documents,
)
from backend.sources.service import sync_source
from ingest.sources._documents import ParsedDocument
from ingest.sources.unsc_meetings import SOURCE

PV = ParsedDocument("S/PV.6695", "meeting", date(2011, 12, 21), "Guinea Bissau",
                    "https://undocs.org/en/S/PV.6695", None)  # fmt: skip
RES = ParsedDocument("S/RES/2030 (2011)", "resolution", date(2011, 12, 21), "Guinea Bissau",
                     None, "S/PV.6695")  # fmt: skip
GNB = frozenset({("region", "GNB")})


@pytest.fixture
def store(session):
    sync_source(session=session, source=SOURCE, schedule=SOURCE.schedule)

    def put(*items: DocumentIn):
        return store_documents(session=session, documents=items, source_id=SOURCE.id, run_id=None)

    return put


def tags(session, symbol: str) -> set[tuple[str, str]]:
    query = (
        select(DocumentTag.kind, DocumentTag.value).join(Document).where(Document.symbol == symbol)
    )
    return {(kind, value) for kind, value in session.execute(query)}


def test_new_documents_are_inserted_then_found_unchanged(session, store):
    first = store(DocumentIn(PV, GNB), DocumentIn(RES, GNB | {("theme", "sanctions")}))
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    again = store(DocumentIn(PV, GNB), DocumentIn(RES, GNB | {("theme", "sanctions")}))
    assert (again.inserted, again.updated, again.unchanged, again.total) == (0, 0, 2, 2)
    assert tags(session, RES.symbol) == {("region", "GNB"), ("theme", "sanctions")}
    assert [d.symbol for d in documents_tagged(session=session, kind="region", value="GNB")] == [
        PV.symbol,
        RES.symbol,
    ]


def test_a_changed_document_is_updated_in_place_with_its_tags(session, store):
    store(DocumentIn(PV, GNB))
    renamed = ParsedDocument(PV.symbol, PV.kind, PV.date, "Guinea-Bissau", PV.url, None)
    changed = store(DocumentIn(renamed, frozenset({("region", "GNB"), ("region", "SEN")})))
    assert (changed.inserted, changed.updated) == (0, 1)
    row = session.scalar(select(Document).where(Document.symbol == PV.symbol))
    assert row.title == "Guinea-Bissau"
    assert tags(session, PV.symbol) == {("region", "GNB"), ("region", "SEN")}
    fewer = store(DocumentIn(renamed, frozenset({("region", "SEN")})))
    assert fewer.updated == 1 and tags(session, PV.symbol) == {("region", "SEN")}


def test_an_unknown_kind_is_refused(store):
    odd = ParsedDocument("S/2011/1", "letter", None, "A letter", None, None)
    with pytest.raises(InvalidDocumentError, match="unknown kind 'letter'"):
        store(DocumentIn(odd, frozenset()))
