"""UNODC WDR seizures parser: the real WDR 2024 workbook and WDR 2018 CSV, and small payloads."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import pytest

from ingest.indicators import BY_CODE
from ingest.sources import Registry
from ingest.sources.base import ParseError
from ingest.sources.unodc_seizures import SOURCE, annex_url, group_of, parse

XLSX = "unodc-drug-seizures/drug_seizures_2018_2022.xlsx"
CSV_2018 = "unodc-drug-seizures/seizuresdata2_2012-2016.csv"
ECSTASY = "“Ecstasy”-type substances"
SMALL_CSV = Path(__file__).parent / "payloads" / "seizures_wdr2018_small.csv"
HEADER = ["Region", "SubRegion", "Country", "DrugGroup", "DrugSubGroup", "DrugName",
          "Reference year", "Kilograms", "msCode"]  # fmt: skip
# The test's own reading of the annex notes, written apart from the parser's table.
EXPECTED_GROUP = {
    "Cocaine-type": "cocaine",
    "Cannabis-type drugs (excluding synthetic cannabinoids)": "cannabis",
    "Opioids": "opioids",
    "Amphetamine-type stimulants (excluding “ecstasy”)": "ats",
    "“Ecstasy”-type substances": "ats",
    "NPS": "nps",
}


OOXML = "http://schemas.openxmlformats.org"
SHEET_NS = f'xmlns="{OOXML}/spreadsheetml/2006/main"'
REL = f"{OOXML}/officeDocument/2006/relationships"
MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _rels(kind: str, target: str) -> str:
    return (
        f'<Relationships xmlns="{OOXML}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/{kind}" Target="{target}"/></Relationships>'
    )


def _cell(value: object) -> str:
    if isinstance(value, int | float):
        return f"<c><v>{value}</v></c>"
    return f'<c t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def tiny_xlsx(rows: list[list[object]], sheet: str = "Export") -> bytes:
    """Write a minimal one-sheet XLSX (inline strings) the way Excel lays one out."""
    body = "".join(f"<row>{''.join(_cell(v) for v in row)}</row>" for row in rows)
    types = (
        f'<Types xmlns="{OOXML}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
        '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{MIME}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{MIME}.worksheet+xml"/>'
        "</Types>"
    )
    parts = {
        "[Content_Types].xml": types,
        "_rels/.rels": _rels("officeDocument", "xl/workbook.xml"),
        "xl/workbook.xml": f'<workbook {SHEET_NS} xmlns:r="{REL}"><sheets>'
        f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": _rels("worksheet", "worksheets/sheet1.xml"),
        "xl/worksheets/sheet1.xml": f"<worksheet {SHEET_NS}><sheetData>{body}</sheetData>"
        "</worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    return buffer.getvalue()


def kenya(group: str, subgroup: str, drug: str, kg: object, code: str = "KEN") -> list[object]:
    """Return one WDR 2024 line for Kenya (or another code) in 2023."""
    return ["Africa", "East Africa", "Kenya", group, subgroup, drug, 2023, kg, code]


def expected_from_workbook(path: Path) -> dict[tuple[str, str, str], float]:
    """Recompute kg per (code, year, group) with pandas, straight from the raw workbook."""
    frame = pd.read_excel(path, header=1, engine="calamine").dropna(subset=["Kilograms"])
    frame["total"] = frame["DrugSubGroup"].str.startswith("Reported total")
    frame["group"] = frame["DrugGroup"].map(EXPECTED_GROUP).fillna("other")
    frame["year"] = frame["Reference year"].astype(int).astype(str)
    keys = ["msCode", "year", "DrugGroup"]
    parts = frame.pivot_table(index=keys, columns="total", values="Kilograms", aggfunc="sum")
    file_groups = parts.max(axis=1).rename("kg").reset_index()  # a total already holds its lines
    file_groups["group"] = file_groups["DrugGroup"].map(EXPECTED_GROUP).fillna("other")
    summed = file_groups.groupby(["msCode", "year", "group"])["kg"].sum()
    return {key: float(value) for key, value in summed.items()}


def by_key(rows) -> dict[tuple[str, str, str], float]:
    return {(r.region, r.period, r.indicator.removeprefix("seizures_").removesuffix("_kg")): r.value
            for r in rows if r.indicator != "seizure_drug_groups"}  # fmt: skip


def test_the_real_wdr_2024_workbook_matches_an_independent_count(shared):
    path = shared.file(XLSX)
    expected = expected_from_workbook(path)
    result = parse(path.read_bytes(), filename=path.name)
    assert result.problems == [] and result.vintage == date(2024, 6, 21)  # docProps modified
    assert result.excluded == {"empty kilograms cell (not published, not zero)": 72}
    got = by_key(result.rows)
    assert got.keys() == expected.keys() and len(got) == 3039
    assert all(got[key] == pytest.approx(expected[key]) for key in expected)
    groups = [r for r in result.rows if r.indicator == "seizure_drug_groups"]
    assert len(groups) == len({(c, y) for c, y, _ in expected}) == 646
    assert len(result.rows) == 3685 and len({r.region for r in result.rows}) == 156


def test_the_seized_group_count_counts_positive_groups_only(shared):
    result = parse(shared.file(XLSX).read_bytes())
    kg = by_key(result.rows)
    for row in (r for r in result.rows if r.indicator == "seizure_drug_groups"):
        here = (row.region, row.period)
        positive = {g for (c, y, g), v in kg.items() if (c, y) == here and v > 0}
        assert row.value == len(positive) and row.raw["groups"] == sorted(positive)


def test_the_real_wdr_2018_csv_matches_an_independent_count(shared):
    path = shared.file(CSV_2018)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.DictReader(fh, delimiter=";"))
    expected: defaultdict[tuple[str, str, str], float] = defaultdict(float)
    for line in lines:
        if line["KgEquivalent"].strip():
            key = (line["CountryCode"], line["Year"], group_of(line["DrugGroup"], line["Drug"]))
            expected[key] += float(line["KgEquivalent"])
    result = parse(path.read_bytes(), filename=path.name)
    assert len(lines) == 9442 and result.problems == []
    assert result.excluded == {"empty kilograms cell (not published, not zero)": 4}
    assert by_key(result.rows) == pytest.approx(dict(expected))
    assert len(result.rows) == 3703 and result.vintage is None
    assert "KKK" in {r.region for r in result.rows}  # Kosovo, left as published


@pytest.mark.parametrize(
    ("file_group", "drug", "group"),
    [
        ("Cocaine-type", "Crack", "cocaine"), ("Cannabis-type", "Cannabis plants", "cannabis"),
        ("Opioids", "Heroin", "opioids"), ("ATS", "Ecstasy-type substances", "ats"),
        ("“Ecstasy”-type substances", "x", "ats"), ('"Ecstasy"-type substances', "x", "ats"),
        ("Amphetamine-type stimulants (excluding “ecstasy”)", "Methamphetamine", "ats"),
        ("NPS", "Plant-based NPS", "nps"),
        ("Substances not under international control", "Synthetic cathinones", "nps"),
        ("Substances not under international control", "GBL", "other"),
        ("Hallucinogens", "LSD", "other"), ("Precursors", "Precursors", "other"),
        ("  cocaine-TYPE ", "Crack", "cocaine"),
    ],
)  # fmt: skip
def test_drug_groups_map_as_documented(file_group, drug, group):
    assert group_of(file_group, drug) == group


def test_a_small_wdr_2018_payload():
    result = parse(SMALL_CSV.read_bytes(), filename=SMALL_CSV.name)
    got = {(r.region, r.indicator): r.value for r in result.rows}
    assert got[("KKK", "seizures_cannabis_kg")] == 1830
    assert got[("KKK", "seizures_ats_kg")] == 0  # a published zero stays a value
    assert got[("KKK", "seizures_nps_kg")] == 3 and got[("KKK", "seizures_other_kg")] == 7
    assert got[("KKK", "seizure_drug_groups")] == 4  # cannabis, opioids, nps, other
    assert got[("AZE", "seizures_cannabis_kg")] == 6000  # the total holds its lines: not 10918
    assert ("AZE", "seizures_cocaine_kg") not in got  # empty cell: not zero, not a row
    assert got[("XAT", "seizures_cocaine_kg")] == 12  # unknown code: the job quarantines it
    assert got[("PRT", "seizures_cannabis_kg")] == 9311
    assert [(p.row_number, p.reason) for p in result.problems] == [
        (13, "value 'n/a' is not a number")
    ]
    assert result.excluded == {"empty kilograms cell (not published, not zero)": 1}


def test_a_small_workbook_with_title_rows_and_another_sheet_name():
    rows: list[list[object]] = [
        ["Drug seizures, 2019-2023"],
        [],
        HEADER,
        kenya("Cocaine-type", "Cocaine", "Cocaine hydrochloride", 10.5),
        kenya("Cocaine-type", "Cocaine", "Cocaine hydrochloride", 0.25),
        kenya(ECSTASY, 'Reported total "ecstasy"-type substances', "Total", 4),
        kenya(ECSTASY, ECSTASY, "MDMA", 1),
        kenya("Opioids", "Opiates", "Heroin", ""),
        kenya("Opioids", "Opiates", "Heroin", 3, code=""),
    ]
    result = parse(tiny_xlsx(rows, sheet="Seizures"), filename="7.1_Drug_seizures_2019-2023.xlsx")
    got = {(r.region, r.indicator, r.period): r.value for r in result.rows}
    assert got == {
        ("KEN", "seizures_cocaine_kg", "2023"): 10.75, ("KEN", "seizures_ats_kg", "2023"): 4,
        ("KEN", "seizure_drug_groups", "2023"): 2,
    }  # fmt: skip
    assert [(p.row_number, p.reason) for p in result.problems] == [(9, "no country code")]
    assert result.vintage is None  # no docProps in this workbook


def test_a_renamed_column_is_named_in_one_line():
    header = [("Country code" if name == "msCode" else name) for name in HEADER]
    with pytest.raises(ParseError, match=r"^header row 2 has no msCode column \(it has: Region, "):
        parse(tiny_xlsx([["Drug seizures"], header, ["x"] * 9]))


def test_a_csv_without_the_kilogram_column_is_refused():
    text = SMALL_CSV.read_text(encoding="utf-8-sig").replace("KgEquivalent", "Kg", 1)
    with pytest.raises(ParseError, match=r"^the header line has no KgEquivalent column"):
        parse(text.encode())


def test_a_truncated_csv_keeps_its_good_lines_and_flags_the_cut_one():
    content = SMALL_CSV.read_bytes()
    cut = content[: content.index(b"Cannabis plants;;310") + 9]
    result = parse(cut)
    assert [(p.row_number, p.reason) for p in result.problems] == [
        (3, "line is cut short: too few cells")
    ]
    assert result.problems[0].raw["cells"][:4] == [
        "Europe",
        "Southeast Europe",
        "Kosovo under UNSCR 1244",
        "KKK",
    ]
    assert [(r.region, r.indicator, r.value) for r in result.rows] == [
        ("KKK", "seizures_cannabis_kg", 1520), ("KKK", "seizure_drug_groups", 1)
    ]  # fmt: skip


def test_a_truncated_workbook_fails_in_one_line(shared):
    content = shared.file(XLSX).read_bytes()
    with pytest.raises(ParseError, match=r"^annex\.xlsx is not a readable XLSX: ") as failure:
        parse(content[: len(content) // 2], filename="annex.xlsx")
    assert "\n" not in str(failure.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>Page not found</body></html>",
         "annex.xlsx is an HTML page, not data; expected a WDR seizures annex"),
        (b"\x00\x01binary", "annex.xlsx is not a recognised data format"),
        (tiny_xlsx([["Region", "Country", "Tonnes"]]),
         "annex.xlsx has no sheet with a 'Kilograms' header"),
        (b"Region;Country\nAfrica;Kenya\n", "the header line has no CountryCode, Year, DrugGroup"),
    ],
)  # fmt: skip
def test_payloads_that_are_not_an_annex_fail_in_one_line(content, message):
    with pytest.raises(ParseError, match="^" + message.replace(".", r"\.")) as failure:
        parse(content, filename="annex.xlsx")
    assert "\n" not in str(failure.value)


def test_the_source_declares_its_contract():
    assert SOURCE.id == "unodc_seizures"
    assert len(Registry([SOURCE])) == 1  # the registry's start-up checks pass
    assert all(code in BY_CODE for code in SOURCE.indicators) and len(SOURCE.indicators) == 7
    assert annex_url(2025) == (
        "https://www.unodc.org/documents/data-and-analysis/WDR_2025/Annex/7.1_Drug_seizures_2019-2023.xlsx"
    )
    assert annex_url(2026).endswith("WDR_2026/Annex/7.1_Drug_seizures_2015-2024.xlsx")


def test_fetch_falls_back_to_last_years_annex(monkeypatch):
    from ingest.sources import unodc_seizures
    from ingest.sources.base import FetchError, Payload

    asked: list[str] = []

    class Client:
        def get(self, url, *, conditional=True, accept_html=False):
            asked.append(url)
            if "WDR_2026" in url:
                raise FetchError(f"HTTP 404 from {url}")
            return Payload(content=b"PK\x03\x04", url=url)

    monkeypatch.setattr(unodc_seizures, "utcnow", lambda: datetime(2026, 3, 1, tzinfo=UTC))
    payload = unodc_seizures.fetch(Client(), None)
    assert payload.url == annex_url(2025) and len(asked) == 2
    assert Counter("WDR_2026" in url for url in asked) == {True: 1, False: 1}
