"""The source contract: what every source module declares, and the pure data it exchanges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from backend.config import Settings


class ParseError(Exception):
    """The payload cannot be read at all (wrong format, error envelope, broken layout)."""


class FetchError(Exception):
    """The publisher could not be reached or answered with an error."""


@dataclass(frozen=True)
class Payload:
    """Raw bytes as published, with where they came from and a release-date hint."""

    content: bytes
    url: str
    content_type: str | None = None
    vintage_hint: date | None = None
    filename: str | None = None
    not_modified: bool = False


@dataclass(frozen=True)
class ParsedRow:
    """One value as the publisher wrote it; the region is not resolved yet."""

    region: str
    indicator: str
    period: str
    value: float
    vintage: date | None
    row_number: int | None
    raw: dict[str, object]


@dataclass(frozen=True)
class Problem:
    """An input row the parser could not use, kept for quarantine with the reason."""

    reason: str
    row_number: int | None
    raw: dict[str, object]


@dataclass
class ParseResult:
    """What a parser returns: usable rows, unusable rows, and the payload's vintage."""

    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    vintage: date | None = None


class HttpGetter(Protocol):
    """What a source's fetch needs from the HTTP layer (ingest.fetch.Fetcher)."""

    def get(self, url: str, *, conditional: bool = True, accept_html: bool = False) -> Payload:
        """Return the payload at ``url``; ``not_modified`` when the validators still match."""
        ...


FetchFn = Callable[["HttpGetter", "Settings"], Payload]
ParseFn = Callable[..., ParseResult]


@dataclass(frozen=True)
class Source:
    """One publisher's dataset, declared as data by its module."""

    id: str
    title: str
    publisher: str
    licence: str
    url: str
    cadence: str
    cadence_days: int
    schedule: str
    indicators: tuple[str, ...]
    fetch: FetchFn
    parse: ParseFn
    aggregates: frozenset[str] = frozenset()
    live: bool = True
    enabled: bool = True
    description: str = ""


# A byte-order mark encoded twice (UTF-8 read as cp1252, then written as UTF-8 again), as
# the 2014-2019 DHL meeting tables start.
MOJIBAKE_BOM = "\ufeff".encode().decode("cp1252").encode()


def sniff(content: bytes) -> str:
    """Name the format of a payload from its first bytes: json, zip, html, xml, csv or unknown."""
    if content.startswith(b"PK\x03\x04"):
        return "zip"
    head = content[:2048].removeprefix(MOJIBAKE_BOM).removeprefix(b"\xef\xbb\xbf").lstrip()
    lowered = head[:512].lower()
    if head[:1] in (b"[", b"{"):
        return "json"
    if lowered.startswith(b"<rss") or (lowered.startswith(b"<?xml") and b"<html" not in lowered):
        return "xml"
    if head[:1] == b"<" or b"<html" in lowered:
        return "html"
    if not head or b"\x00" in head:
        return "unknown"
    return "csv" if any(sep in head for sep in (b",", b";", b"\t")) else "unknown"


def describe_format(kind: str, filename: str | None = None) -> str:
    """Return a short human description of a sniffed payload for error messages."""
    name = f"{filename} " if filename else "the payload "
    labels = {"html": "is an HTML page, not data", "unknown": "is not a recognised data format"}
    return name + labels.get(kind, f"is {kind}")
