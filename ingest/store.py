"""What a run does around the observation upsert: local payloads, parse options, documents.

Kept apart from ``jobs`` (which owns the run's transaction and counts): reading a
``--file`` (an OWID CSV travels with its sibling metadata), calling a parser with the
options it accepts, creating an upload's own indicators, and storing the documents a
parser returned (Security Council meetings, outcomes and press releases) with their tags.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from backend.documents.service import REGION, THEME, DocumentCounts, DocumentIn, store_documents
from backend.regions.service import RegionResolver
from backend.sources import service as sources
from ingest.indicators import BY_CODE, IndicatorSpec
from ingest.sources import owid
from ingest.sources._documents import ParsedDocument
from ingest.sources.base import ParseResult, Payload, Source

FIPS = "FIPS:"
Quarantined = tuple[int | None, dict[str, object], str]


def _owid_file(file: Path, content: bytes) -> Payload | None:
    """Bundle an OWID grapher CSV with its sibling ``<stem>.metadata.json``, when present."""
    metadata = file.with_name(f"{file.stem}.metadata.json")
    if file.suffix.lower() != ".csv" or not metadata.is_file():
        return None
    meta = metadata.read_bytes()
    return Payload(content=owid.bundle(content, meta), url=file.resolve().as_uri(),
                   content_type="application/zip", vintage_hint=owid.last_updated(meta),
                   filename=f"{file.stem}.zip")  # fmt: skip


def read_file(file: Path, source: Source) -> Payload:
    """Read a local payload given with ``--file`` (with the companions its source expects)."""
    if not file.is_file():
        raise FileNotFoundError(f"no such file: {file}")
    content = file.read_bytes()
    if source.id == owid.SOURCE.id:
        bundled = _owid_file(file, content)
        if bundled is not None:
            return bundled
    return Payload(content=content, url=file.resolve().as_uri(), filename=file.name)


def parse_payload(source: Source, payload: Payload) -> ParseResult:
    """Parse a payload, passing the vintage hint to parsers that take ``vintage=``."""
    options: dict[str, object] = {"filename": payload.filename}
    if "vintage" in inspect.signature(source.parse).parameters:
        options["vintage"] = payload.vintage_hint
    return source.parse(payload.content, **options)


def indicator_codes(session: Session, source: Source, parsed: ParseResult) -> tuple[str, ...]:
    """Create the new indicators an upload declares; return every code the run may write."""
    new = getattr(parsed, "new_indicators", None) or {}
    specs = [
        IndicatorSpec(code, code.replace("_", " ").capitalize(), spec.unit, spec.frequency,
                      description="An analyst's own indicator, created by a CSV upload.")
        for code, spec in sorted(new.items())
        if code not in BY_CODE
    ]  # fmt: skip
    if specs:
        sources.sync_indicators(session=session, specs=specs, source_id=source.id)
    return (*source.indicators, *(spec.code for spec in specs))


def resolve_region(resolver: RegionResolver, value: str) -> int | None:
    """Return the region id of a row's region: a ``FIPS:XX`` code, else a code or a name."""
    if value.startswith(FIPS):
        return resolver.resolve_fips(value.removeprefix(FIPS))
    return resolver.resolve(value)


def excluded(parsed: ParseResult) -> dict[str, int]:
    """Return what the parser left out on purpose, by reason (empty for plain results)."""
    counts: Counter[str] = getattr(parsed, "excluded", None) or Counter()
    return dict(counts)


@dataclass
class StoredDocuments:
    """The outcome of storing a run's documents, and the tags that could not be resolved."""

    counts: DocumentCounts = field(default_factory=DocumentCounts)
    quarantine: list[Quarantined] = field(default_factory=list)


def _tags(
    document: ParsedDocument, resolver: RegionResolver, out: StoredDocuments
) -> frozenset[tuple[str, str]]:
    """Return a document's tags with regions resolved to their codes; unknown ones quarantined."""
    tags = {(THEME, theme) for theme in document.themes}
    for code in document.regions:
        region_id = resolver.resolve(code)
        if region_id is None:
            raw: dict[str, object] = {"symbol": document.symbol, "region": code}
            out.quarantine.append((None, raw, f"{document.symbol}: unknown region tag {code!r}"))
        else:
            tags.add((REGION, resolver.info(region_id).code))
    return frozenset(tags)


def store_parsed_documents(
    session: Session, parsed: ParseResult, source: Source, run_id: int | None,
    resolver: RegionResolver,
) -> StoredDocuments:  # fmt: skip
    """Store the documents a parser returned (if any) with their region and theme tags."""
    documents: Iterable[ParsedDocument] = getattr(parsed, "documents", None) or ()
    out = StoredDocuments()
    items = [DocumentIn(d, _tags(d, resolver, out)) for d in documents]
    if items:
        out.counts = store_documents(
            session=session, documents=items, source_id=source.id, run_id=run_id
        )
    return out
