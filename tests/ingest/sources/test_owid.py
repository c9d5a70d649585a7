"""OWID homicide-rate grapher parser: the real CSV and metadata, handmade CSVs, and fetch."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from ingest.sources import Registry
from ingest.sources.base import FetchError, ParseError
from ingest.sources.owid import CSV_URL, METADATA_URL, SOURCE, bundle, fetch, parse
from tests.ingest.sources._source_helpers import RecordedHttp, resolves_to_country

FOLDER = "owid-homicide"
# The code-less entities that are places, not aggregates (the test's own allow-list).
SUBNATIONAL = {"England and Wales", "Scotland", "Northern Ireland", "Iraq (Central Iraq)",
               "Iraq (Kurdistan Region)"}  # fmt: skip
HEADER = 'Entity,Code,Year,"Homicide rate per 100,000 population",World region according to OWID\n'
METADATA = json.dumps({"columns": {
    "Homicide rate per 100,000 population - sex: Total - age: Total": {"lastUpdated": "2025-05-28"},
    "World regions according to OWID": {"lastUpdated": "2023-01-01"},
}}).encode()  # fmt: skip


def real_files(shared) -> tuple[bytes, bytes]:
    folder: Path = shared.file(FOLDER)
    csv_path = shared.file(f"{FOLDER}/homicide-rate-unodc.csv")
    return csv_path.read_bytes(), (folder / "homicide-rate-unodc.metadata.json").read_bytes()


def expected_from_raw(content: bytes) -> tuple[Counter[str], int]:
    """Count kept rows by region and the aggregates, with the csv module and an allow-list."""
    kept: Counter[str] = Counter()
    aggregates = 0
    for record in csv.DictReader(io.StringIO(content.decode("utf-8"))):
        code, entity = record["Code"], record["Entity"]
        if code in ("OWID_WRL",) or code[:3] == "UN_" or (not code and entity not in SUBNATIONAL):
            aggregates += 1
        else:
            kept[code or entity] += 1
    return kept, aggregates


def test_the_real_csv_with_its_metadata(shared):
    content, metadata = real_files(shared)
    kept, aggregates = expected_from_raw(content)
    result = parse(content, filename="homicide-rate-unodc.csv", metadata=metadata)
    assert Counter(r.region for r in result.rows) == kept
    assert len(result.rows) == 4333 and aggregates == 552
    assert result.excluded == Counter({"aggregate": aggregates}) and result.problems == []
    assert result.vintage == date(2025, 5, 28)  # lastUpdated, though the column was renamed
    assert {r.indicator for r in result.rows} == {"homicide_rate"}
    assert sorted(r.region for r in result.rows if r.period == "2024")[:3] == ["ALB", "AZE", "CYP"]
    assert sum(r.period == "2024" for r in result.rows) == 10


def test_the_real_regions_all_resolve_and_subnational_rows_keep_their_names(shared):
    content, _ = real_files(shared)
    regions = {r.region for r in parse(content).rows}
    assert regions >= SUBNATIONAL and {"OWID_KOS", "OWID_CIS"} <= regions
    assert all(resolves_to_country(region) for region in regions)


def test_a_real_row_keeps_its_line_and_text(shared):
    content, _ = real_files(shared)
    first = parse(content).rows[0]
    assert (first.region, first.period, first.value, first.row_number) == (
        "AFG",
        "2009",
        4.05955,
        2,
    )
    assert first.raw["Entity"] == "Afghanistan"


def test_the_vintage_falls_back_to_the_one_given_then_to_none(shared):
    content, _ = real_files(shared)
    assert parse(content, vintage=date(2025, 11, 8)).vintage == date(2025, 11, 8)
    assert parse(content).vintage is None
    result = parse(content, vintage=date(2025, 11, 8), metadata=METADATA)
    assert result.vintage == date(2025, 5, 28) and result.rows[0].vintage == date(2025, 5, 28)


def test_the_zip_bundle_reads_like_the_csv_and_its_metadata(shared):
    content, metadata = real_files(shared)
    from_zip = parse(bundle(content, metadata), filename="homicide-rate-unodc.zip")
    assert from_zip.rows == parse(content, metadata=metadata).rows
    assert from_zip.vintage == date(2025, 5, 28)
    assert bundle(content, metadata) == bundle(content, metadata)  # same bytes, same archive


def test_a_renamed_value_column_is_found_by_its_prefix():
    text = ('Entity,Code,Year,"Homicide rate per 100,000 population - sex: Total - age: Total"\n'
            "Jamaica,JAM,2023,49.3\n")  # fmt: skip
    assert [(r.region, r.value) for r in parse(text.encode()).rows] == [("JAM", 49.3)]


def test_bad_lines_become_problems_and_the_rest_still_parses():
    text = HEADER + (
        "Jamaica,JAM,2023,49.3,North America\n"
        "Atlantis,,2023,1.0,\n"  # unknown: kept by name, the job quarantines it
        "Ecuador,ECU,2023,n/a,South America\n"
        "Ecuador,ECU,23,1.0,South America\n"
        ",,2023,2.0,\n"
        "Colombia,COL,2023,,South America\n"
        "Jamaica,JAM,2023,49.3,North America\n"
        "Americas (UN),,2023,15.0,\n"
        "World,OWID_WRL,2023,5.8,\n"
    )
    result = parse(text.encode())
    assert [(r.region, r.row_number) for r in result.rows] == [("JAM", 2), ("Atlantis", 3)]
    assert [(p.row_number, p.reason) for p in result.problems] == [
        (4, "value 'n/a' is not a number"), (5, "year '23' is not a 4-digit year"),
        (6, "no Code and no Entity"), (8, "duplicate of row 2 for JAM homicide_rate 2023"),
    ]  # fmt: skip
    assert result.excluded == Counter({"aggregate": 2, "empty value": 1})
    assert not resolves_to_country("Atlantis")


def test_a_truncated_download_flags_its_cut_last_line(shared):
    content, _ = real_files(shared)
    cut = content[: content.rindex(b",Africa") - 3]  # "Zimbabwe,ZWE,2022,6.7583" and no more
    result = parse(cut)
    assert len(result.rows) == 4332
    assert [(p.row_number, p.reason) for p in result.problems] == [
        (4886, "4 cells for 5 columns: a cut or broken line")
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!doctype html><html><head><title>Our World in Data</title></head></html>",
         r"^homicide\.csv is an HTML page, not data; expected an OWID grapher CSV"),
        (b"Entity,Code,Year,Homicide rate\nJamaica,JAM,2023,49.3\n",
         r"^no column starting 'Homicide rate per 100,000 population'; the header is Entity, "),
        (b'Entity,Year,"Homicide rate per 100,000 population"\nJamaica,2023,49.3\n',
         r"^no Code column; the header is Entity, Year"),
        (b'Entity,Code,Year,"Homicide rate per 100,000 population - sex: Male",'
         b'"Homicide rate per 100,000 population - sex: Female"\n',
         r"^several columns start 'Homicide rate per 100,000 population': "),
        (b"PK\x03\x04broken", r"^homicide\.csv is not a readable ZIP"),
        (b'Entity,Code,Year,"Homicide rate per 100,000 population"\nC\xf4te d\'Ivoire,CIV,2020,1\n',
         r"^homicide\.csv is not UTF-8 text: invalid continuation byte$"),
        (b"\xff\xfeE\x00n\x00,\x00", r"^homicide\.csv is not a recognised data format; expected"),
    ],
)  # fmt: skip
def test_payloads_that_are_not_the_grapher_csv_fail_in_one_line(content, message):
    with pytest.raises(ParseError, match=message) as failure:
        parse(content, filename="homicide.csv")
    assert "\n" not in str(failure.value)


def test_broken_metadata_is_refused_rather_than_ignored():
    with pytest.raises(ParseError, match="the OWID metadata JSON does not parse"):
        parse(HEADER.encode(), metadata=b"{not json")


def test_a_zip_without_a_csv_names_what_it_holds():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.md", "# Homicide rate")
    with pytest.raises(ParseError, match=r"holds no \.csv \(it holds readme\.md\)"):
        parse(buffer.getvalue(), filename="owid.zip")


def test_fetch_bundles_the_csv_with_its_metadata():
    client = RecordedHttp(
        {METADATA_URL: METADATA, CSV_URL: HEADER.encode() + b"Jamaica,JAM,2023,49.3,\n"}
    )
    payload = fetch(client, None)  # type: ignore[arg-type]
    assert (
        payload.vintage_hint == date(2025, 5, 28) and payload.filename == "homicide-rate-unodc.zip"
    )
    assert client.calls == [(METADATA_URL, False), (CSV_URL, True)]
    result = parse(payload.content, filename=payload.filename)
    assert [r.region for r in result.rows] == ["JAM"] and result.vintage == date(2025, 5, 28)


def test_fetch_without_metadata_returns_the_csv_alone():
    client = RecordedHttp({METADATA_URL: FetchError("HTTP 500"), CSV_URL: HEADER.encode()})
    payload = fetch(client, None)  # type: ignore[arg-type]
    assert payload.content == HEADER.encode() and payload.vintage_hint is None


def test_fetch_passes_not_modified_through():
    client = RecordedHttp({METADATA_URL: METADATA}, not_modified={CSV_URL})
    assert fetch(client, None).not_modified  # type: ignore[arg-type]


def test_the_source_declares_its_contract():
    assert SOURCE.id == "owid_homicide" and SOURCE.indicators == ("homicide_rate",)
    assert len(Registry([SOURCE])) == 1 and SOURCE.live and SOURCE.cadence_days == 365
