"""World Bank VC.IHR.PSRC.P5 parser: the real bulk CSV, its ZIP, and API v2 JSON fixtures."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from datetime import date

import pytest

from ingest.sources.base import ParseError
from ingest.sources.worldbank import AGGREGATES, SOURCE, api_url, parse

REAL_JSON = "api-samples/worldbank/wb_api_v2_EG.ELC.RNEW.ZS_CAN-FIN-IRL.json"


def count_cells(path) -> tuple[int, Counter[str]]:
    """Count non-empty year cells straight from the raw file: (total, by country code)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    header_at = next(
        i for i, line in enumerate(lines) if line[:2] == ["Country Name", "Country Code"]
    )
    header = lines[header_at]
    years = [i for i, name in enumerate(header) if name.isdigit()]
    by_code: Counter[str] = Counter()
    for line in lines[header_at + 1 :]:
        by_code[line[1]] += sum(1 for i in years if line[i].strip())
    return sum(by_code.values()), by_code


def test_the_real_bulk_csv_gives_every_non_empty_cell(wb_csv):
    total, by_code = count_cells(wb_csv)
    result = parse(wb_csv.read_bytes(), filename=wb_csv.name)
    assert total == 3888  # as documented in DATA-SOURCES.md
    assert len(result.rows) == total and result.problems == []
    assert Counter(r.region for r in result.rows) == +by_code
    assert result.vintage == date(2022, 7, 20)
    assert {r.indicator for r in result.rows} == {"homicide_rate"}
    assert {r.vintage for r in result.rows} == {date(2022, 7, 20)}
    assert (
        min(r.period for r in result.rows) == "1990"
        and max(r.period for r in result.rows) == "2020"
    )


def test_the_real_csv_keeps_zero_as_a_value_and_points_at_its_line(wb_csv):
    aruba_1990 = next(
        r for r in parse(wb_csv.read_bytes()).rows if (r.region, r.period) == ("ABW", "1990")
    )
    assert aruba_1990.value == 0.0  # published zero, not missing
    assert aruba_1990.row_number == 6  # BOM line 1, preamble, header on line 5
    assert aruba_1990.raw["Country Name"] == "Aruba" and aruba_1990.raw["value"] == "0"


def test_kosovo_and_the_channel_islands_keep_their_world_bank_codes(wb_csv):
    codes = {r.region for r in parse(wb_csv.read_bytes()).rows}
    assert {"XKX", "CHI"} <= codes


def test_the_bulk_zip_reads_like_its_csv(wb_csv):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Metadata_Indicator_API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv", "x,y\n")
        archive.writestr("Metadata_Country_API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv", "a,b\n")
        archive.writestr(wb_csv.name, wb_csv.read_bytes())
    from_zip = parse(buffer.getvalue(), filename="bulk.zip")
    assert from_zip.rows == parse(wb_csv.read_bytes()).rows


def test_a_zip_without_the_data_file_names_what_it_holds():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Metadata_Country_x.csv", "a,b\n")
    with pytest.raises(
        ParseError, match=r"holds no API_\*\.csv \(it holds Metadata_Country_x.csv\)"
    ):
        parse(buffer.getvalue(), filename="bulk.zip")


def test_our_json_fixtures_have_the_real_response_shape(shared, wb_json):
    real = json.loads(shared.file(REAL_JSON).read_bytes())
    ours = json.loads(wb_json["page1"])
    assert list(ours[0]) == list(real[0])
    assert list(ours[1][0]) == list(real[1][0])
    assert list(ours[1][0]["country"]) == list(real[1][0]["country"])


def test_two_json_pages_skip_nulls_and_keep_aggregates_for_the_job(wb_json):
    bundle = b"[" + wb_json["page1"] + b"," + wb_json["page2"] + b"]"
    result = parse(bundle)
    assert [(r.region, r.period, r.value) for r in result.rows] == [
        ("AFE", "2021", 15.1), ("CAN", "2021", 2.06), ("CAN", "2020", 1.97),
        ("FIN", "2020", 1.64), ("XKX", "2020", 2.1), ("CHI", "2020", 0.6),
    ]  # fmt: skip
    assert result.problems == []
    assert result.vintage == date(2025, 7, 1)
    assert "AFE" in AGGREGATES and "CAN" not in AGGREGATES


def test_a_single_json_page_parses(wb_json):
    assert len(parse(wb_json["page2"]).rows) == 3


def test_the_error_envelope_is_a_clear_failure(wb_json):
    with pytest.raises(
        ParseError,
        match=r"^World Bank API error 120 \(Invalid value\): The provided parameter value is not",
    ):
        parse(wb_json["error"])


def test_rows_null_means_no_rows(wb_json):
    result = parse(wb_json["empty"])
    assert result.rows == [] and result.problems == []


def test_json_of_another_indicator_is_refused_as_a_whole(shared):
    with pytest.raises(ParseError, match=r"holds EG\.ELC\.RNEW\.ZS, not VC\.IHR\.PSRC\.P5"):
        parse(shared.file(REAL_JSON).read_bytes())


def test_bad_json_records_become_problems(wb_json):
    page = json.loads(wb_json["page2"])
    page[1][1]["value"] = "n/a"
    page[1][2]["date"] = "2020Q1"
    result = parse(json.dumps(page).encode())
    assert len(result.rows) == 1
    assert sorted(p.reason for p in result.problems) == [
        "could not convert string to float: 'n/a'", "period '2020Q1' is not a year",
    ]  # fmt: skip


def test_a_bad_csv_cell_becomes_a_problem_with_its_line(wb_csv):
    text = wb_csv.read_text(encoding="utf-8-sig").replace('"7.46974752253374"', '"7,4x"', 1)
    result = parse(text.encode())
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.row_number == 6 and problem.raw["Country Code"] == "ABW"
    assert problem.reason.startswith("bad value")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"<!DOCTYPE html><html><body>Maintenance</body></html>",
            "page.csv is an HTML page, not data",
        ),
        (b"\x00\x01\x02binary", "page.csv is not a recognised data format"),
        (b"a,b,c\n1,2,3\n", "no 'Country Name,Country Code' header line"),
        (b"[1, 2", "World Bank JSON does not parse"),
        (b'{"not": "an envelope"}', "not the [meta, rows] envelope"),
    ],
)
def test_payloads_that_are_not_world_bank_data_fail_in_one_line(content, message):
    with pytest.raises(
        ParseError, match=message.replace("[", r"\[").replace("]", r"\]")
    ) as failure:
        parse(content, filename="page.csv")
    assert "\n" not in str(failure.value)


def test_the_source_declares_its_contract():
    assert SOURCE.id == "worldbank_homicide" and SOURCE.indicators == ("homicide_rate",)
    assert SOURCE.licence == "CC BY 4.0" and SOURCE.cadence_days == 365
    assert api_url(2, 2026) == (
        "https://api.worldbank.org/v2/country/all/indicator/VC.IHR.PSRC.P5"
        "?format=json&per_page=20000&date=1990:2026&page=2"
    )
