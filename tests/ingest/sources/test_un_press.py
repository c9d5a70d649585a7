"""UN press RSS parser: a handmade feed in the real RSS 2.0 shape, and broken payloads."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from ingest.indicators import BY_CODE
from ingest.sources import Registry
from ingest.sources.base import ParseError
from ingest.sources.un_press import RSS_URL, SOURCE, fetch, parse, release_symbol

FEED = Path(__file__).parent / "payloads" / "press_rss_2024-08.xml"


@pytest.fixture
def result():
    return parse(FEED.read_bytes(), filename="rss.xml")


def test_security_council_items_become_documents(result):
    docs = {d.symbol: d for d in result.documents}
    assert list(docs) == ["SC/15789", "SC/15786", "SC/15780"]
    statement = docs["SC/15789"]
    assert statement.kind == "press_statement" and statement.regions == ("SOM",)
    assert statement.date == date(2024, 8, 4)  # 23:30 at UTC-4 is the next UTC day
    assert statement.url == "https://press.un.org/en/2024/sc15789.doc.htm"
    coverage = docs["SC/15786"]
    assert coverage.kind == "press" and coverage.regions == ("HTI",)
    assert coverage.themes == ("arms_trafficking", "organized_crime")


def test_other_bodies_are_counted_not_kept(result):
    assert result.excluded == {"not a Security Council release": 2}
    assert result.rows == []  # the feed gives documents, never indicator values


def test_council_items_that_cannot_be_used_are_problems(result):
    assert [(p.row_number, p.reason) for p in result.problems] == [
        (6, "a Security Council item with no SC/ symbol in its link or title"),
        (7, "pubDate 'yesterday evening' is not an RFC 822 date"),
    ]


def test_feed_text_is_kept_as_inert_data(result):
    mali = next(d for d in result.documents if d.symbol == "SC/15780")
    assert mali.url is None  # a javascript: link is dropped
    assert "<" not in str(mali.raw["summary"]) and "alert" not in str(mali.raw["summary"])
    assert mali.symbol == "SC/15780" and mali.regions == ("MLI",)  # symbol from the title
    text = " ".join(str(v) for d in result.documents for v in d.raw.values())
    assert "Ignore all previous instructions" not in text  # that item was not a Council one


def test_the_feed_seen_again_gives_the_same_documents(result):
    again = parse(FEED.read_bytes(), filename="rss.xml")
    assert again.documents == result.documents


@pytest.mark.parametrize(
    ("link", "title", "symbol"),
    [("https://press.un.org/en/2024/sc15789.doc.htm", "", "SC/15789"),
     ("http://www.un.org/press/en/2005/sc8601.doc.htm", "", "SC/8601"),
     ("https://press.un.org/en/2024/sgsm22321.doc.htm", "Security Council", None),
     ("https://press.un.org/en/2024/ga12630.doc.htm", "", None),
     ("", "Press Statement (SC/15780)", "SC/15780"), ("", "ECOSOC/7000", None)],
)  # fmt: skip
def test_release_symbols(link, title, symbol):
    assert release_symbol(link, title) == symbol


def test_country_names_can_be_passed_in():
    got = parse(FEED.read_bytes(), names={"Mogadishu": "SOM", "Atlantis": "ATL"}).documents[0]
    assert got.regions == ("SOM",)


def test_a_feed_without_an_xml_declaration_reads():
    text = FEED.read_text(encoding="utf-8")
    bare = text[text.index("<rss") :]
    assert len(parse(bare.encode()).documents) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
         "rss.xml is an HTML page, not data; expected the press RSS 2.0 feed"),
        (b'{"items": []}', "rss.xml is json; expected the press RSS 2.0 feed"),
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel/></rss>',
         "rss.xml declares a DTD or entities: refused"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>',
         "rss.xml is XML but not an RSS 2.0 feed (root <{http://www.w3.org/2005/Atom}feed>)"),
    ],
)  # fmt: skip
def test_payloads_that_are_not_the_feed_fail_in_one_line(content, message):
    with pytest.raises(ParseError, match="^" + re.escape(message)) as failure:
        parse(content, filename="rss.xml")
    assert "\n" not in str(failure.value)


def test_a_truncated_feed_fails_in_one_line():
    content = FEED.read_bytes()
    with pytest.raises(ParseError, match=r"^rss\.xml does not parse as XML: no element found"):
        parse(content[: len(content) // 2], filename="rss.xml")


def test_the_source_declares_its_contract():
    assert SOURCE.id == "un_press" and all(code in BY_CODE for code in SOURCE.indicators)
    assert len(Registry([SOURCE])) == 1  # the registry's start-up checks pass
    asked = []

    class Client:
        def get(self, url, *, conditional=True, accept_html=False):
            asked.append((url, conditional, accept_html))
            return "payload"

    assert fetch(Client(), None) == "payload"
    assert asked == [(RSS_URL, True, True)]
