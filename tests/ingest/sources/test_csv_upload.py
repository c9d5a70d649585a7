"""Analyst CSV upload parser: the documented template, bad lines, and files that are not CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from ingest.indicators import BY_CODE
from ingest.sources import Registry, make_trigger
from ingest.sources.base import FetchError, ParseError
from ingest.sources.csv_upload import OPTIONAL, REQUIRED, SOURCE, NewIndicator, fetch, parse
from tests.ingest.sources._source_helpers import make_xlsx, resolves_to_country

DOCS = Path(__file__).resolve().parents[3] / "docs"
HEADER = "region,indicator,period,value,unit,note\n"


def upload(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode()


def test_the_documented_template_parses_cleanly():
    content = (DOCS / "csv-upload-template.csv").read_bytes()
    with io.StringIO(content.decode("utf-8")) as fh:
        expected = list(csv.DictReader(fh))
    result = parse(content, filename="csv-upload-template.csv")
    assert result.problems == []
    assert [(r.region, r.indicator, r.period, r.value) for r in result.rows] == [
        (line["region"], line["indicator"], line["period"], float(line["value"]))
        for line in expected
    ]  # fmt: skip
    assert result.rows[0].raw["unit"] == "per 100,000 population"  # a quoted comma
    assert result.new_indicators == {
        "port_cocaine_seizures_t": NewIndicator("tonnes", "quarter"),
        "disappearances_reported": NewIndicator("persons", "month"),
    }
    assert all(resolves_to_country(r.region) for r in result.rows)


def test_the_template_document_describes_every_column():
    text = (DOCS / "csv-upload-template.md").read_text()
    assert all(f"`{name}`" in text for name in (*REQUIRED, *OPTIONAL))
    header = (DOCS / "csv-upload-template.csv").read_text().splitlines()[0]
    assert header == ",".join((*REQUIRED, *OPTIONAL))


def test_bad_lines_become_problems_and_the_rest_still_parses():
    result = parse(upload(
        "JAM,homicide_rate,2023,12.3,,ok",
        "JAM,Homicide Rate!,2023,1,,",
        "JAM,homicide_rate,2022,1,per 1000,",
        "JAM,homicide_rate,2023-05,1,,",
        "JAM,homicide_rate,2021,\"1,234\",,",
        ",homicide_rate,2021,1,,",
        "JAM,my_series,2024-13,1,,",
        "JAM,my_series,2024q2,1,boxes,",
        "JAM,my_series,2024Q3,2,crates,",
        "JAM,my_series,2024-07,2,boxes,",
        "JAM,homicide_rate,2020,1,,a,b",
        "Atlantis,homicide_rate,2020,4,,unknown place: the job quarantines it",
        "JAM,homicide_rate,2023,12.3,,same again",
        "MEX,homicide_rate,2023,20,,",
        "MEX,homicide_rate,2023,21,,",
    ))  # fmt: skip
    assert [(r.region, r.indicator, r.period) for r in result.rows] == [
        ("JAM", "homicide_rate", "2023"), ("JAM", "my_series", "2024Q2"),
        ("Atlantis", "homicide_rate", "2020"),
    ]  # fmt: skip
    assert [(p.row_number, p.reason) for p in result.problems] == [
        (3, "indicator 'Homicide Rate!' is not in the catalogue and is not a valid new code "
            "(lower_snake_case, 3 to 64 characters, starting with a letter)"),
        (4, "unit 'per 1000' is not homicide_rate's unit 'per 100,000 population'"),
        (5, "period '2023-05' is not yearly as homicide_rate is"),
        (6, "value '1,234' is not a number"),
        (7, "no region"),
        (8, "period '2024-13' is not a real date: month must be in 1..12"),
        (10, "unit 'crates' is not my_series's unit 'boxes'"),
        (11, "period '2024-07' is not quarterly as my_series is"),
        (12, "7 cells for 6 columns (an unquoted comma?)"),
        (14, "duplicate of row 2 for JAM homicide_rate 2023"),
        (15, "conflicting values (20, 21) for MEX homicide_rate 2023: none kept"),
        (16, "conflicting values (20, 21) for MEX homicide_rate 2023: none kept"),
    ]  # fmt: skip
    assert result.new_indicators == {"my_series": NewIndicator("boxes", "quarter")}
    assert not resolves_to_country("Atlantis")


def test_notes_and_units_stay_exactly_as_written():
    notes = [
        '<script>alert("x")</script>',
        '=HYPERLINK("http://example.com")',
        "Côte d'Ivoire — 5 %",
    ]
    lines = [f'CIV,homicide_count,{2000 + i},1,victims,"{n.replace(chr(34), chr(34) * 2)}"'
             for i, n in enumerate(notes)]  # fmt: skip
    result = parse(upload(*lines))
    assert [r.raw["note"] for r in result.rows] == notes


def test_a_bom_crlf_reordered_header_and_short_lines_are_fine():
    content = "\ufeffValue,Period,Region,Indicator\r\n5,2024,ECU,homicide_rate\r\n".encode()
    result = parse(content)
    assert [(r.region, r.period, r.value) for r in result.rows] == [("ECU", "2024", 5.0)]
    assert result.rows[0].raw["note"] == "" and result.problems == []


def test_a_truncated_upload_loses_only_its_cut_line():
    content = upload("JAM,homicide_rate,2023,12.3,,", "MEX,homicide_rate,2023,20,,")
    assert [(p.row_number, p.reason) for p in parse(content[:-6]).problems] == [(3, "no value")]
    result = parse(content[:-12])  # "MEX,homicide_rat"
    assert [r.region for r in result.rows] == ["JAM"]
    assert [(p.row_number, p.reason) for p in result.problems] == [(3, "no period")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>Sign in</body></html>",
         r"^upload\.csv is an HTML page, not data; expected a CSV made from the upload template"),
        (make_xlsx([["region", "indicator", "period", "value"]], sheet="Sheet1"),
         r"^upload\.csv is zip; expected a CSV made from the upload template"),
        (b"region;indicator;period;value\nJAM;homicide_rate;2023;12.3\n",
         r"^no region, indicator, period, value column \(the template is comma-separated\); "),
        (b"country,indicator,period,value\nJAM,homicide_rate,2023,1\n",
         r"^no region column; the header is country, indicator, period, value$"),
        (b"region,indicator,period,value\nC\xf4te d'Ivoire,homicide_rate,2023,1\n",
         r"^upload\.csv is not UTF-8 text: invalid continuation byte$"),
    ],
)  # fmt: skip
def test_files_that_are_not_an_upload_fail_in_one_line(content, message):
    with pytest.raises(ParseError, match=message) as failure:
        parse(content, filename="upload.csv")
    assert "\n" not in str(failure.value)


def test_fetch_refuses_and_points_at_file():
    with pytest.raises(FetchError, match=r"^csv_upload has no remote source: use --file$"):
        fetch(None, None)  # type: ignore[arg-type]


def test_the_source_is_manual_only():
    assert SOURCE.id == "csv_upload" and SOURCE.schedule == "off" and not SOURCE.live
    assert make_trigger(SOURCE.schedule) is None and len(Registry([SOURCE])) == 1
    assert set(SOURCE.indicators) == set(BY_CODE)
