"""UN Meetings Coverage and Press Releases: the RSS 2.0 feed of press.un.org.

The feed holds only the latest ten or so releases of every UN body, so it cannot backfill:
the job polls it and keeps what it saw (documents are stored by symbol; an item seen
again is the same document). ``parse`` returns just what the feed holds now.

Only Security Council releases are kept: their symbol is ``SC/n``, read from the link
(``https://press.un.org/en/2024/sc15789.doc.htm``) or, failing that, from the title. An
item whose title says "Security Council Press Statement" is a press statement (an outcome
of the Council); other SC releases are meeting coverage. Items of other bodies (GA/, SG/SM,
ECOSOC, ...) are counted in ``excluded``; a Council item without a symbol, or with a date
that does not read, is a problem. The date is the UTC day of ``pubDate``. Regions and crime
themes are tagged from the title, as for the meeting tables (see ``_documents``).

Everything in the feed is untrusted text from the network: it is only ever stored and
shown as data. XML with a DTD is refused (no entity expansion), links other than
http(s) are dropped, markup is stripped from descriptions, and lengths are capped.
The feed gives no indicator values: per-region counts of press statements come from the
stored documents, not from one poll.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, date
from email.utils import parsedate_to_datetime
from html import unescape
from typing import TYPE_CHECKING

from ingest.sources._documents import (
    PRESS,
    PRESS_STATEMENT,
    DocumentResult,
    ParsedDocument,
    Tagger,
    tagger_for,
)
from ingest.sources.base import (
    HttpGetter,
    ParseError,
    Payload,
    Problem,
    Source,
    describe_format,
    sniff,
)

if TYPE_CHECKING:
    from backend.config import Settings

RSS_URL = "https://press.un.org/en/rss.xml"
MAX_TITLE, MAX_SUMMARY = 500, 1000
_LINK_SYMBOL = re.compile(r"/(\d{4})/([a-z]+?)(\d{3,6})\.doc\.htm", re.I)
_TITLE_SYMBOL = re.compile(r"(?<![\w/])SC/(\d{3,6})(?!\d)")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.I | re.S)
_STATEMENT = "security council press statement"


def _text(item: ET.Element, tag: str, limit: int) -> str:
    """Return an element's text as one plain line: markup stripped, spaces collapsed, capped."""
    raw = item.findtext(tag) or ""
    plain = " ".join(_TAGS.sub(" ", unescape(raw)).split())
    return plain[:limit]


def release_symbol(link: str, title: str) -> str | None:
    """Return the SC/ symbol of a release from its link, else its title; None if not SC."""
    found = _LINK_SYMBOL.search(link)
    if found:
        prefix, number = found.group(2).lower(), found.group(3)
        return f"SC/{number}" if prefix == "sc" else None
    in_title = _TITLE_SYMBOL.search(title)
    return f"SC/{in_title.group(1)}" if in_title else None


def _day(text: str) -> date:
    """Return the UTC day of an RFC 822 ``pubDate``."""
    try:
        stamp = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise ValueError(f"pubDate {text[:60]!r} is not an RFC 822 date") from None
    return (stamp.astimezone(UTC) if stamp.tzinfo else stamp).date()


def _safe_link(link: str) -> str | None:
    return link if re.match(r"https?://", link) and len(link) <= 1000 else None


def _item(item: ET.Element, number: int, tags: Tagger, result: DocumentResult) -> None:
    """Add one feed item as a document, an exclusion or a problem."""
    title, link = _text(item, "title", MAX_TITLE), _text(item, "link", 2000)
    raw: dict[str, object] = {"title": title, "link": link, "pubDate": _text(item, "pubDate", 80),
                              "guid": _text(item, "guid", 200),
                              "summary": _text(item, "description", MAX_SUMMARY)}  # fmt: skip
    symbol = release_symbol(link, title)
    council = "security council" in title.casefold()
    if symbol is None and not council:
        result.excluded["not a Security Council release"] += 1
        return
    try:
        if symbol is None:
            raise ValueError("a Security Council item with no SC/ symbol in its link or title")
        day = _day(str(raw["pubDate"]))
    except ValueError as exc:
        result.problems.append(Problem(str(exc), number, raw))
        return
    kind = PRESS_STATEMENT if _STATEMENT in title.casefold() else PRESS
    document = ParsedDocument(symbol, kind, day, title, _safe_link(link), None,
                              tags.regions(title), tags.themes(title), raw)  # fmt: skip
    result.add_document(document)


def _channel(content: bytes, filename: str | None) -> ET.Element:
    """Return the feed's <channel>; anything but RSS 2.0 is a one-line ParseError."""
    head = content[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in content.lower():
        raise ParseError(f"{filename or 'the feed'} declares a DTD or entities: refused")
    try:
        # No DTD is let through (above), so no entity can expand; expat >= 2.4 also caps it.
        root = ET.fromstring(content)  # noqa: S314
    except ET.ParseError as exc:
        raise ParseError(f"{filename or 'the feed'} does not parse as XML: {exc}") from exc
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ParseError(
            f"{filename or 'the feed'} is XML but not an RSS 2.0 feed (root <{root.tag}>)"
        )
    return channel


def parse(
    content: bytes, *, filename: str | None = None, names: Mapping[str, str] | None = None
) -> DocumentResult:
    """Parse the press RSS feed into Security Council documents (no indicator rows)."""
    kind = sniff(content)
    starts_rss = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:4].lower() == b"<rss"
    if kind != "xml" and not starts_rss:
        raise ParseError(f"{describe_format(kind, filename)}; expected the press RSS 2.0 feed")
    result, tags = DocumentResult(), tagger_for(names)
    for number, item in enumerate(_channel(content, filename).iter("item"), start=1):
        _item(item, number, tags, result)
    return result


def fetch(client: HttpGetter, settings: Settings) -> Payload:
    """Fetch the feed (conditionally: an unchanged feed is a cheap 304)."""
    del settings
    return client.get(RSS_URL, accept_html=True)  # parse, not the fetcher, judges the markup


SOURCE = Source(
    id="un_press",
    title="UN press releases: Security Council press statements and meeting coverage",
    publisher="United Nations, Meetings Coverage and Press Releases",
    licence="UN website terms of use",
    url="https://press.un.org/en/content/security-council",
    cadence="continuous (feed of ~10 items)",
    cadence_days=1,
    schedule="*/20 * * * *",
    indicators=("sc_outcomes",),
    fetch=fetch,
    parse=parse,
    description="Security Council releases from the press RSS feed, kept across polls as "
    "documents tagged with regions and crime themes; press statements are outcomes.",
)
