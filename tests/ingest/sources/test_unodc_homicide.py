"""UNODC CTS homicide parser: the real 2022 workbook, handmade workbooks, and the portal lookup."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from ingest.sources import Registry
from ingest.sources._tabular import CountedResult
from ingest.sources.base import FetchError, ParseError
from ingest.sources.unodc_homicide import (
    LOOKUP_URL,
    OLD_PORTAL_URL,
    SOURCE,
    fetch,
    latest_file_url,
    parse,
)
from tests.ingest.sources._source_helpers import RecordedHttp, make_xlsx, resolves_to_country

CTS = "unodc-homicide-cts/data_cts_intentional_homicide.xlsx"
VICTIMS = "Victims of intentional homicide"
HEADER = ["Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category",
          "Sex", "Age", "Year", "Unit of measurement", "VALUE", "Source"]  # fmt: skip
RATE, COUNTS = "Rate per 100,000 population", "Counts"
FIREARMS = ("by mechanisms", "Firearms or explosives - firearms")
GANGS = ("by situational context", "Organized criminal groups or gangs")


TOTAL = ("Total", "Total")
CITY = "Victims of intentional homicide \u2013 City-level data"  # an en dash, as published


def line(
    code: str,
    year: int,
    value: object,
    unit: str = COUNTS,
    dim: tuple[str, str] = TOTAL,
    indicator: str = VICTIMS,
    sex: str = "Total",
) -> list[object]:
    """Return one data row of the CTS layout."""
    return [
        code,
        code,
        "Region",
        "Subregion",
        indicator,
        *dim,
        sex,
        "Total",
        year,
        unit,
        value,
        "CTS",
    ]


def workbook(*rows: list[object], title: tuple[str, ...] = ("UNODC", "08/08/2022"),
             header: list[str] = HEADER) -> bytes:  # fmt: skip
    """Return a CTS-shaped workbook: title rows, the header, then ``rows``."""
    return make_xlsx([[cell] for cell in title] + [header, *rows])


@cache
def read_real(path: Path) -> tuple[bytes, CountedResult, pd.DataFrame]:
    """Parse the real workbook once, and read it with pandas (header=2, the documented way)."""
    content = path.read_bytes()
    frame = pd.read_excel(io.BytesIO(content), header=2, engine="calamine")
    return content, parse(content, filename=path.name), frame


@pytest.fixture
def real(shared) -> CountedResult:
    return read_real(shared.file(CTS))[1]


@pytest.fixture
def frame(shared) -> pd.DataFrame:
    return read_real(shared.file(CTS))[2]


def totals(frame: pd.DataFrame, dim: tuple[str, str], unit: str) -> pd.DataFrame:
    wanted = {"Indicator": VICTIMS, "Dimension": dim[0], "Category": dim[1], "Sex": "Total",
              "Age": "Total", "Unit of measurement": unit}  # fmt: skip
    chosen = frame[(frame[list(wanted)] == pd.Series(wanted)).all(axis=1)]
    return chosen[["Iso3_code", "Year", "VALUE"]]


def expected_shares(frame: pd.DataFrame, dim: tuple[str, str]) -> tuple[dict, int]:
    """Compute the shares with a pandas merge: {(code, year): %}, and the unusable count."""
    merged = totals(frame, dim, COUNTS).merge(
        totals(frame, TOTAL, COUNTS), on=["Iso3_code", "Year"], how="left",
        suffixes=("", "_total"),
    )  # fmt: skip
    good = merged[(merged["VALUE_total"] > 0) & (merged["VALUE"] <= merged["VALUE_total"])]
    columns = good[["Iso3_code", "Year", "VALUE", "VALUE_total"]]
    shares = {
        (code, str(int(year))): 100 * value / total
        for code, year, value, total in columns.itertuples(index=False)
    }
    return shares, len(merged) - len(good)


def test_the_real_workbook_gives_the_documented_headline_series(real, frame):
    by_indicator = Counter(row.indicator for row in real.rows)
    assert by_indicator["homicide_count"] == len(totals(frame, TOTAL, COUNTS)) == 3961
    assert by_indicator["homicide_rate"] == len(totals(frame, TOTAL, RATE)) == 3843
    assert real.vintage == date(2022, 8, 8)
    assert {row.vintage for row in real.rows} == {date(2022, 8, 8)}
    assert max(r.period for r in real.rows if r.indicator == "homicide_rate") == "2020"
    assert max(r.period for r in real.rows if r.indicator == "homicide_count") == "2021"


def test_the_real_shares_match_an_independent_computation(real, frame):
    firearms, firearm_bad = expected_shares(frame, FIREARMS)
    gangs, gang_bad = expected_shares(frame, GANGS)
    got = {ind: {(r.region, r.period): r.value for r in real.rows if r.indicator == ind}
           for ind in ("homicide_firearm_share", "homicide_ocg_share")}  # fmt: skip
    assert got["homicide_firearm_share"] == pytest.approx(firearms) and len(firearms) == 800
    assert got["homicide_ocg_share"] == pytest.approx(gangs) and len(gangs) == 391
    assert len(real.problems) == firearm_bad + gang_bad == 64
    reasons = Counter(p.reason.split(" for ")[0].split(" exceeds")[0] for p in real.problems)
    assert reasons["no total victim count"] == 22  # 14 firearm + 8 gang rows lack a total
    assert sum(v for k, v in reasons.items() if k.startswith("category count")) == 6  # Panama


def test_the_real_aggregates_and_city_rows_are_counted_not_kept(real, frame):
    indicator = frame["Indicator"]
    assert real.excluded["aggregate"] == indicator.str.contains("Regional Estimate").sum() == 2310
    assert real.excluded["city-level"] == indicator.str.contains("City-level").sum() == 3341
    assert sum(real.excluded.values()) + len(real.rows) + len(real.problems) == len(frame)
    series = ((TOTAL, COUNTS), (TOTAL, RATE), (FIREARMS, COUNTS), (GANGS, COUNTS))
    read = sum(len(totals(frame, dim, unit)) for dim, unit in series)
    assert real.excluded["other series"] == len(frame) - read - 2310 - 3341 == 61628
    codes = {row.region for row in real.rows}
    assert not any(c == "WORLD" or c.startswith(("M49_", "BIG5_")) for c in codes)


def test_the_real_rows_are_unique_and_resolve_to_countries_or_areas(real):
    keys = Counter((r.region, r.indicator, r.period) for r in real.rows)
    assert keys.most_common(1)[0][1] == 1
    codes = {row.region for row in real.rows}
    assert {"GBR_EW", "GBR_S", "GBR_NI", "IRQ_C", "IRQ_KUR", "KOS"} <= codes
    gbr = [r for r in real.rows if r.region == "GBR"]  # UNODC's own sum of the parts
    assert len(gbr) == 58 and {r.raw["Source"] for r in gbr} <= {
        "Computed",
        "MD Adjusted/Eurostat/SDG/Computed",
    }
    assert all(resolves_to_country(code) for code in codes)


def test_a_real_row_points_at_its_excel_row(real):
    aruba = next(
        r
        for r in real.rows
        if (r.region, r.indicator, r.period) == ("ABW", "homicide_count", "1990")
    )
    assert aruba.row_number == 4 and aruba.value == 0.0 and aruba.raw["Source"] == "MD"


def test_a_handmade_workbook_with_shares():
    result = parse(workbook(
        line("ALB", 2006, 95), line("ALB", 2006, 3.2, RATE), line("ALB", 2006, 53, dim=FIREARMS),
        line("ALB", 2006, 19, dim=GANGS), line("ALB", 2006, 50, sex="Male"),
        line("WORLD", 2006, 6, indicator="Victims of Intentional Homicide - Regional Estimate"),
        line("ALB", 2006, 12, indicator=CITY),
    ))  # fmt: skip
    assert sorted((r.indicator, round(r.value, 3), r.row_number) for r in result.rows) == [
        ("homicide_count", 95.0, 4), ("homicide_firearm_share", 55.789, 6),
        ("homicide_ocg_share", 20.0, 7), ("homicide_rate", 3.2, 5),
    ]  # fmt: skip
    assert result.excluded == Counter({"aggregate": 1, "city-level": 1, "other series": 1})
    share = next(r for r in result.rows if r.indicator == "homicide_ocg_share")
    assert share.raw["total_count"] == 95.0 and share.raw["total_row"] == 4


def test_the_header_is_found_wherever_it_is_and_columns_may_move():
    moved = [HEADER[11], *HEADER[:11], HEADER[12]]
    rows = [
        ["UNODC"],
        ["Release"],
        ["08/08/2023"],
        [],
        moved,
        [7.5, *line("MEX", 2020, 0)[:11], "CTS"],
    ]
    result = parse(make_xlsx(rows))
    assert [(r.region, r.period, r.value, r.row_number) for r in result.rows] == [
        ("MEX", "2020", 7.5, 6)
    ]
    assert result.vintage == date(2023, 8, 8)


def test_bad_rows_become_problems_and_the_rest_still_parses():
    result = parse(workbook(
        line("AAA", 2020, "n/a"), line("", 2020, 4), line("BBB", "2020a", 4),
        line("XYZ", 2020, 10), line("CCC", 2020, 5), line("CCC", 2020, 5),
        line("DDD", 2020, 5), line("DDD", 2020, 6), line("EEE", 2020, 3, dim=FIREARMS),
    ))  # fmt: skip
    assert [(r.region, r.value) for r in result.rows] == [("XYZ", 10.0), ("CCC", 5.0)]
    assert [(p.row_number, p.reason) for p in result.problems] == [
        (4, "value 'n/a' is not a number"), (5, "no Iso3_code"),
        (6, "year '2020a' is not a 4-digit year"),
        (9, "duplicate of row 8 for CCC homicide_count 2020"),
        (10, "conflicting values (5, 6) for DDD homicide_count 2020: none kept"),
        (11, "conflicting values (5, 6) for DDD homicide_count 2020: none kept"),
        (12, "no total victim count for EEE 2020 to compute homicide_firearm_share"),
    ]  # fmt: skip
    assert not resolves_to_country("XYZ")  # kept as published; the job quarantines it


def test_a_zero_total_makes_the_share_undefined():
    result = parse(workbook(line("AND", 2007, 0), line("AND", 2007, 0, dim=FIREARMS)))
    assert [r.indicator for r in result.rows] == ["homicide_count"]
    assert result.problems[0].reason == "total victim count for AND 2007 is 0: share undefined"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>Portal maintenance</body></html>",
         r"^cts\.xlsx is an HTML page, not data; expected the CTS workbook \(\.xlsx\)$"),
        (b"Iso3_code,Year,VALUE\nABW,2020,1\n", r"^cts\.xlsx is csv; expected the CTS workbook"),
        (workbook()[:300], r"^cts\.xlsx is not a readable \.xlsx workbook \(.+\)$"),
        (make_xlsx([["UNODC"], ["Country", "Year", "VALUE"]]), "has no 'Iso3_code' header cell"),
        (workbook(title=("UNODC",), header=[*HEADER[:11], "OBS_VALUE", "Source"]),
         r"^the header \(row 2\) lacks VALUE; it has: Iso3_code, .*OBS_VALUE"),
    ],
)  # fmt: skip
def test_payloads_that_are_not_the_workbook_fail_in_one_line(content, message):
    with pytest.raises(ParseError, match=message) as failure:
        parse(content, filename="cts.xlsx")
    assert "\n" not in str(failure.value)


def lookup(*files: tuple[str, str, str]) -> bytes:
    """Return a Drupal JSON:API file listing of (filename, folder, changed) entries."""
    data = [
        {"type": "file--file", "id": f"id-{i}", "attributes": {
            "filename": name, "changed": changed,
            "uri": {"value": f"public://{folder}/{name}", "url": f"{FILES}/{folder}/{name}"},
        }}
        for i, (name, folder, changed) in enumerate(files)
    ]  # fmt: skip
    return json.dumps({"jsonapi": {"version": "1.0"}, "data": data, "links": {}}).encode()


FILES = "/sites/dataportal.unodc.org/files"
NEW_URL = f"https://data.unodc.org{FILES}/2026-05/data_cts_intentional_homicide.xlsx"
LATEST = ("data_cts_intentional_homicide.xlsx", "2026-05", "2026-05-12T09:30:00+00:00")


def test_the_lookup_takes_the_newest_file_of_that_exact_name():
    listing = lookup(
        ("data_cts_intentional_homicide.xlsx", "2025-06", "2025-06-10T08:00:00+00:00"),
        LATEST,
        ("old_data_cts_intentional_homicide.xlsx", "2027-01", "2027-01-01T00:00:00+00:00"),
    )  # fmt: skip
    assert latest_file_url(listing) == (NEW_URL, date(2026, 5, 12))


def test_fetch_uses_the_new_portal_and_keeps_its_date_as_a_hint():
    client = RecordedHttp({LOOKUP_URL: lookup(LATEST), NEW_URL: b"PK\x03\x04new"})
    payload = fetch(client, None)  # type: ignore[arg-type]
    assert (payload.url, payload.content, payload.vintage_hint) == (
        NEW_URL,
        b"PK\x03\x04new",
        date(2026, 5, 12),
    )
    assert payload.filename == "data_cts_intentional_homicide.xlsx"
    assert client.calls == [(LOOKUP_URL, False), (NEW_URL, True)]


@pytest.mark.parametrize(
    "answer", [FetchError("HTTP 503 from lookup"), b'{"errors": []}', b"not json"]
)
def test_fetch_falls_back_to_the_old_portal(answer):
    client = RecordedHttp({LOOKUP_URL: answer, OLD_PORTAL_URL: b"PK\x03\x04old"})
    payload = fetch(client, None)  # type: ignore[arg-type]
    assert payload.url == OLD_PORTAL_URL and payload.vintage_hint is None


def test_fetch_names_every_failure_when_no_copy_answers():
    client = RecordedHttp({LOOKUP_URL: FetchError("HTTP 503 from lookup")})
    with pytest.raises(
        FetchError,
        match=r"new portal lookup: HTTP 503 from lookup; HTTP 404 from https://dataunodc",
    ):
        fetch(client, None)  # type: ignore[arg-type]


def test_fetch_passes_not_modified_through():
    client = RecordedHttp({LOOKUP_URL: b"{}"}, not_modified={OLD_PORTAL_URL})
    assert fetch(client, None).not_modified  # type: ignore[arg-type]


def test_the_source_declares_its_contract():
    assert SOURCE.id == "unodc_homicide" and len(Registry([SOURCE])) == 1
    assert SOURCE.indicators == ("homicide_rate", "homicide_count", "homicide_firearm_share",
                                 "homicide_ocg_share")  # fmt: skip
    assert SOURCE.cadence_days == 365 and SOURCE.live
