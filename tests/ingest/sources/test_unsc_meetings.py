"""DHL Security Council meeting tables: every real layout from 1994 on, and small payloads."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import pytest

from ingest.indicators import BY_CODE
from ingest.sources import Registry, unsc_meetings
from ingest.sources.base import FetchError, ParseError, Payload
from ingest.sources.unsc_meetings import (
    PART,
    SOURCE,
    meeting_date,
    meeting_symbol,
    parse,
    table_urls,
)

TABLES = "unsc/dhl-meeting-tables-html"
REFERENCE = "unsc/unsc_meetings_outcomes_1946-2022.csv"
SMALL = Path(__file__).parent / "payloads" / "unsc_2021_layout.html"
# Rows with no <tr> tag: real meetings that the reference CSV's BeautifulSoup pass dropped.
ROWS_WITHOUT_TR = {
    "2014": {"7313"}, "2018": {"8410"}, "2020": {"8706R1"},
    "2017": {"8092", "8093", "8094", "8095", "8096", "8097", "8098", "8110"},
    "2022": {"8950R1", "8953R1", "8989R1", "9016R1", "9021R1"},
}  # fmt: skip
# The press releases of those rows, and one resolution whose </a> cuts its symbol in two.
PRESS_WITHOUT_TR = {"2014": {"SC/11650"}, "2017": {"SC/13064", "SC/13079"}, "2020": {"SC/14086"}}
SPLIT_SYMBOL = {"2011": {"S/RES/1969(2011)"}}


def meeting_key(record: str) -> str | None:
    """Key a meeting record the test's own way: number, then R<k> or P<roman> if any."""
    number = re.match(r"S/PV\.(\d+)", record)
    if not number:
        return None
    resumed = re.search(r"Resumption\s*(\d+|I)?", record)
    part = re.search(r"Part\s*(I+)", record)
    suffix = ("R" + (resumed.group(1) or "")).replace("RI", "R1") if resumed else ""
    return number.group(1) + suffix + ("P" + part.group(1) if part else "")


def reference_by_year(path: Path) -> dict[str, dict[str, set[str]]]:
    """Read the reference CSV: per year, its meetings, resolutions, PRSTs and SC/ releases."""
    out: defaultdict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if int(row["year"]) < 1994:
                continue
            year = out[row["year"]]
            if key := meeting_key(row["meeting_record"]):
                year["meeting"].add(key)
            year["resolution"].update(
                s.replace(" ", "") for s in row["resolutions"].split(";") if s
            )
            year["prst"].update(s for s in row["presidential_statements"].split(";") if s)
            year["press"].update(re.findall(r"SC/\d+", row["press_release"]))
            year["procedure"].add(row["date_text"]) if row["meeting_record"] == "--" else None
    return out


@cache
def parse_all(folder: Path) -> dict[str, list]:
    """Parse every real table from 1994 on, once per session: documents per year."""
    by_year: defaultdict[str, list] = defaultdict(list)
    for path in sorted(folder.glob("scact*_table_en.htm*")):
        year = re.search(r"\d{4}", path.name)
        if year and int(year.group()) >= 1994:
            result = parse(path.read_bytes(), filename=path.name)
            assert result.problems == [], path.name
            by_year[year.group()].extend(result.documents)
    return by_year


@pytest.fixture
def parsed(shared) -> dict[str, list]:
    return parse_all(shared.file(TABLES))


def test_every_layout_matches_the_independent_reference(shared, parsed):
    reference = reference_by_year(shared.file(REFERENCE))
    assert sorted(parsed) == [str(y) for y in range(1994, 2023)]
    for year, documents in parsed.items():
        mine: defaultdict[str, set[str]] = defaultdict(set)
        for doc in documents:
            key = meeting_key(doc.symbol) if doc.kind == "meeting" else doc.symbol.replace(" ", "")
            mine[doc.kind].add(key)
        ref = reference[year]
        assert mine["meeting"] == ref["meeting"] | ROWS_WITHOUT_TR.get(year, set()), year
        assert mine["resolution"] == ref["resolution"] | SPLIT_SYMBOL.get(year, set()), year
        assert mine["prst"] == ref["prst"], year
        assert mine["press"] == ref["press"] | PRESS_WITHOUT_TR.get(year, set()), year


def test_real_totals_1994_to_2022(parsed):
    kinds = Counter(doc.kind for docs in parsed.values() for doc in docs)
    assert kinds == {"meeting": 6067, "resolution": 1748, "prst": 1048, "press": 5025}
    assert sum(1 for docs in parsed.values() for d in docs if d.regions) > 4600


def test_written_procedures_have_no_meeting(shared, parsed):
    with shared.file(REFERENCE).open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["meeting_record"] == "--"]
    lists = ";".join(r["resolutions"] + ";" + r["presidential_statements"] for r in rows)
    expected = {s.replace(" ", "") for s in lists.split(";") if s}
    outcomes = [d for y in ("2020", "2021") for d in parsed[y] if d.kind in ("resolution", "prst")]
    by_procedure = [d for d in outcomes if d.meeting_symbol is None]
    assert {d.symbol.replace(" ", "") for d in by_procedure} == expected and len(expected) == 69
    assert len(rows) == 74 and {d.date.year for d in by_procedure} == {2020, 2021}
    assert all(d.meeting_symbol.startswith("S/PV.") for d in outcomes if d not in by_procedure)


def test_the_file_name_year_beats_the_covid_page_title(shared):
    path = shared.file(f"{TABLES}/scact2020_covid_table_en.html")
    assert "Security Council in 2021" in path.read_text(encoding="utf-8")
    result = parse(path.read_bytes(), filename=path.name)
    assert {d.date.year for d in result.documents} == {2020}
    assert next(d.symbol for d in result.documents if d.kind == "resolution") == "S/RES/2560 (2020)"


def test_a_meeting_on_two_agenda_items_is_one_document_with_both_tags(parsed):
    summit = next(d for d in parsed["2000"] if d.symbol == "S/PV.4194")
    assert summit.regions == ("COD",) and "Security Council Summit" in summit.title
    outcomes = {d.symbol: d.regions for d in parsed["2000"] if d.meeting_symbol == "S/PV.4194"}
    assert outcomes["S/PRST/2000/28"] == ("COD",) and outcomes["S/RES/1318 (2000)"] == ()


def test_real_links_and_dates(parsed):
    docs = {d.symbol: d for d in parsed["2005"]}
    assert docs["S/RES/1650 (2005)"].url == "https://undocs.org/en/S/RES/1650(2005)"
    assert docs["SC/8601"].url == "http://www.un.org/press/en/2005/sc8601.doc.htm"
    assert docs["S/PV.5342"].date == date(2005, 12, 21)
    assert docs["S/RES/1651 (2005)"].meeting_symbol == "S/PV.5342"
    ranged = {d.symbol: d.date for d in parsed["2002"]}
    assert ranged["S/PV.4503"] == date(2002, 3, 29)  # "29 + 30 March"


def test_somalia_counts_match_a_plain_reading_of_the_reference(shared):
    """Outcomes per quarter whose topic says Somalia, from the CSV with a substring test."""
    expected: Counter[str] = Counter()
    with shared.file(REFERENCE).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["year"] == "2019" and "somalia" in row["topic"].lower():
                month = int(row["date"][5:7])
                symbols = row["resolutions"] + ";" + row["presidential_statements"]
                expected[f"2019Q{(month - 1) // 3 + 1}"] += len(
                    [s for s in symbols.split(";") if s]
                )
    path = shared.file(f"{TABLES}/scact2019_table_en.html")
    rows = parse(path.read_bytes(), filename=path.name).rows
    got = {r.period: r.value for r in rows if (r.region, r.indicator) == ("SOM", "sc_outcomes")}
    assert got == {q: float(n) for q, n in expected.items()} and sum(got.values()) == 4


def test_the_small_2021_layout_payload():
    result = parse(SMALL.read_bytes(), filename="scact2021_table_en.html")
    docs = {d.symbol: d for d in result.documents}
    assert docs["S/RES/2617 (2021)"].meeting_symbol is None  # written procedure ("--")
    assert docs["S/PRST/2021/23"].meeting_symbol == "S/PV.8939"  # continuation row
    assert "GHA" in docs["S/PV.8939"].regions and "SOM" in docs["S/PV.8939"].regions
    assert docs["S/PV.8801 (Resumption 1)"].date == date(2021, 7, 14)  # "14-15 July"
    assert docs["S/PV.8801 (Resumption 1)"].regions == ()  # "Atlantis" is no country
    assert docs["S/PV.8790"].date == date(2021, 9, 2) and docs["S/PV.8790"].regions == (
        "SDN",
        "SSD",
    )
    assert docs["S/RES/2614 (2021)"].themes == ("piracy",)
    assert [(p.row_number, p.reason) for p in result.problems] == [
        (54, "date '31 Smarch' is not a day and month"), (72, "row has 4 cells, the header has 7"),
    ]  # fmt: skip
    rows = {(r.region, r.indicator, r.period): r.value for r in result.rows}
    assert rows[("SOM", "sc_crime_outcomes", "2021Q4")] == 1
    assert rows[("GHA", "sc_crime_outcomes", "2021Q4")] == 0
    assert (
        rows[("SDN", "sc_outcomes", "2021Q3")] == 1 and rows[("SDN", "sc_meetings", "2021Q3")] == 1
    )


def test_country_names_can_be_passed_in():
    result = parse(
        SMALL.read_bytes(), filename="scact2021_table_en.html", names={"Atlantis": "ATL"}
    )
    assert {d.symbol: d.regions for d in result.documents}["S/PV.8801 (Resumption 1)"] == ("ATL",)


def test_a_bundle_of_two_2020_pages_reads_each_with_its_own_year(shared):
    pages = ["scact2020_table_en.html", "scact2020_covid_table_en.html"]
    bundle = b"\n".join(
        PART.format(name=name).encode() + b"\n" + shared.file(f"{TABLES}/{name}").read_bytes()
        for name in pages
    )
    result = parse(bundle, filename="scact2020_bundle.html")
    alone = [parse(shared.file(f"{TABLES}/{n}").read_bytes(), filename=n) for n in pages]
    assert len(result.documents) == sum(len(r.documents) for r in alone)
    assert {d.date.year for d in result.documents} == {2020}


@pytest.mark.parametrize(
    ("text", "symbol"),
    [("S/PV.3485", "S/PV.3485"), ("S/PV.3434 + Corr.1", "S/PV.3434"),
     ("S/PV.8740 (closed)", "S/PV.8740"),
     ("S/PV.9079\n\t(Resumption 1)", "S/PV.9079 (Resumption 1)"),
     ("S/PV.5629(ResumptionI)", "S/PV.5629 (Resumption 1)"),
     ("S/PV.4072 (Part II)", "S/PV.4072 (Part II)"),
     ("S/PV.4200 (Resumption)", "S/PV.4200 (Resumption)"), ("--", None)],
)  # fmt: skip
def test_meeting_symbols(text, symbol):
    assert meeting_symbol(text) == symbol


@pytest.mark.parametrize(
    ("text", "day"),
    [("22 December", date(2005, 12, 22)), ("15 Sep.", date(2005, 9, 15)),
     ("14-15 October", date(2005, 10, 14)), ("22/23 November", date(2005, 11, 22)),
     ("29 + 30 March", date(2005, 3, 29)), ("29 December ", date(2005, 12, 29))],
)  # fmt: skip
def test_meeting_dates(text, day):
    assert meeting_date(text, 2005) == day


def test_a_truncated_table_keeps_its_complete_rows(shared):
    path = shared.file(f"{TABLES}/scact2005_table_en.html")
    content = path.read_bytes()
    cut = content[: content.index(b"<td>20 December</td>") + 30]
    result = parse(cut, filename=path.name)
    assert [d.symbol for d in result.documents if d.kind == "meeting"][-1] == "S/PV.5338"
    assert [p.reason for p in result.problems] == ["row has 3 cells, the header has 5"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><body><h1>404 Not Found</h1></body></html>",
         "scact2021_table_en.htm has no meeting table"),
        (b'{"error": "not found"}', "scact2021_table_en.htm is json; expected a DHL"),
        (b"year,meeting_record\n2021,S/PV.1\n", "scact2021_table_en.htm is csv; expected a DHL"),
        (b"<table><tr><th>Meeting Record</th><th>Date</th><th>Topic</th><th>Outcome</th></tr>"
         b"<tr><td>S/PV.1</td><td>1 May</td><td>x</td><td>--</td></tr></table>",
         "page.html: no year in the file name or the page title"),
    ],
)  # fmt: skip
def test_payloads_that_are_not_a_meeting_table_fail_in_one_line(content, message):
    name = "page.html" if "page.html" in message else "scact2021_table_en.htm"
    with pytest.raises(ParseError, match="^" + re.escape(message)) as failure:
        parse(content, filename=name)
    assert "\n" not in str(failure.value)


def test_the_source_declares_its_contract():
    assert SOURCE.id == "unsc_meetings" and all(c in BY_CODE for c in SOURCE.indicators)
    assert len(Registry([SOURCE])) == 1  # the registry's start-up checks pass
    assert table_urls(2021) == ["https://www.un.org/depts/dhl/resguide/scact2021_table_en.htm"]
    assert table_urls(2023) == ["https://www.un.org/depts/dhl/resguide/scact2023_table_en.html"]
    assert len(table_urls(2020)) == 2


def test_fetch_bundles_last_and_this_years_tables(monkeypatch, shared):
    table = shared.file(f"{TABLES}/scact2022_table_en.html").read_bytes()

    class Client:
        def get(self, url, *, conditional=True, accept_html=False):
            assert accept_html
            if "2023" in url:
                raise FetchError(f"HTTP 404 from {url}")
            return Payload(content=table, url=url)

    monkeypatch.setattr(unsc_meetings, "utcnow", lambda: datetime(2023, 1, 3, tzinfo=UTC))
    payload = unsc_meetings.fetch(Client(), None)
    assert payload.content.startswith(b"<!-- tocsin:part scact2022_table_en.html -->")
    assert {d.date.year for d in parse(payload.content, filename=payload.filename).documents} == {
        2022
    }


def test_older_layouts_read_too_with_continuation_rows(shared):
    with shared.file(REFERENCE).open(encoding="utf-8", newline="") as fh:
        continued = sum(
            r["continuation_row"] == "1" for r in csv.DictReader(fh) if r["year"] == "1948"
        )
    path = shared.file(f"{TABLES}/scact1948_table_en.html")
    result = parse(path.read_bytes(), filename=path.name)
    assert result.problems == [] and continued == 20
    assert result.excluded == {"meeting listed again (tags merged)": continued}
