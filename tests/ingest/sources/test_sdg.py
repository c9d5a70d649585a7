"""UN SDG API VC_IHR_PSRC parser: handmade pages in the documented shape (no real sample exists)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest

from ingest.sources import Registry
from ingest.sources.base import ParseError
from ingest.sources.sdg import SOURCE, api_url, fetch, parse
from tests.ingest.sources._source_helpers import RecordedHttp, resolves_to_country

PAYLOADS = Path(__file__).resolve().parent / "payloads"


@pytest.fixture
def pages() -> list[dict]:
    """The two handmade pages of a Series/Data answer (page size 4, 7 elements)."""
    return [json.loads((PAYLOADS / f"sdg_vc_ihr_psrc_page{n}.json").read_text()) for n in (1, 2)]


def as_bytes(data: object) -> bytes:
    return json.dumps(data).encode()


def test_a_bundle_of_pages_keeps_country_totals_only(pages):
    result = parse(as_bytes(pages))
    assert [(r.region, r.period, r.value) for r in result.rows] == [
        ("4", "2009", 4.07063), ("8", "2020", 2.13797),
        ("388", "2022", 52.9), ("826", "2021", 1.07),
    ]  # fmt: skip
    assert result.problems == [] and result.vintage is None
    assert result.excluded == Counter({"aggregate": 2, "breakdown": 1})
    assert all(resolves_to_country(r.region) for r in result.rows)  # unpadded M49 resolves
    assert {r.indicator for r in result.rows} == {"homicide_rate"}
    assert result.rows[0].raw["geoAreaName"] == "Afghanistan"


def test_a_single_page_answer_parses(pages):
    pages[0]["totalPages"] = 1
    assert len(parse(as_bytes(pages[0])).rows) == 2


def test_a_bundle_missing_a_page_is_refused(pages):
    with pytest.raises(ParseError, match=r"^the payload holds 1 of the 2 pages announced$"):
        parse(as_bytes(pages[0]))


def test_bad_elements_become_problems_and_the_rest_still_parses(pages):
    data = pages[1]["data"]
    extra = [copy.deepcopy(data[1]) for _ in range(4)]
    extra[0].update(value="NaN")
    extra[1].update(value="<5", geoAreaCode="999")
    extra[2].update(geoAreaCode="", timePeriodStart=2021.0)
    extra[3].update(timePeriodStart="2021.5")
    data[2]["dimensions"].pop("Reporting Type")  # a breakdown it lacks does not matter
    pages[1]["data"] = [*data, *extra, dict(data[1], value=None), copy.deepcopy(data[1])]
    result = parse(as_bytes(pages))
    assert [r.region for r in result.rows] == ["4", "8", "388", "826"]
    assert [p.reason for p in result.problems] == [
        "value 'NaN' is not a finite number", "value '<5' is not a number", "no geoAreaCode",
        "year '2021.5' is not a 4-digit year",
        "duplicate of an earlier record for 388 homicide_rate 2022",
    ]  # fmt: skip
    assert result.excluded["empty value"] == 1


def test_an_unknown_area_code_is_kept_as_published_for_the_job_to_quarantine(pages):
    pages[1]["data"][1]["geoAreaCode"] = "999"
    assert "999" in {r.region for r in parse(as_bytes(pages)).rows}
    assert not resolves_to_country("999")


def test_female_and_age_breakdowns_are_not_totals(pages):
    element = pages[0]["data"][1]
    element["dimensions"] = {"Sex": "BOTHSEX", "Age": "15-29"}
    pages[0]["data"] = [element]
    pages[1]["data"] = []
    assert parse(as_bytes(pages)).excluded == Counter({"breakdown": 1})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><body>Service Unavailable</body></html>",
         r"^sdg\.json is an HTML page, not data; expected SDG API JSON"),
        (b'{"message": "An error has occurred."}',
         r"^SDG API JSON is not a page of Series/Data: An error has occurred\.$"),
        (b'{"totalPages": 1}', r"^SDG API JSON is not a page of Series/Data: keys totalPages$"),
        (b'{"data": [], "totalPages": 1, "pageNu', r"^SDG API JSON does not parse"),
        (b'{"data": [{"series": "VC_IHR_PSRCN", "value": "12"}], "totalPages": 1}',
         r"^the payload holds VC_IHR_PSRCN, not VC_IHR_PSRC$"),
    ],
)  # fmt: skip
def test_payloads_that_are_not_series_data_fail_in_one_line(content, message):
    with pytest.raises(ParseError, match=message) as failure:
        parse(content, filename="sdg.json")
    assert "\n" not in str(failure.value)


def test_fetch_reads_every_page_and_bundles_them(pages, monkeypatch):
    monkeypatch.setattr(
        "ingest.sources.sdg.utcnow", lambda: __import__("datetime").datetime(2026, 3, 1)
    )
    client = RecordedHttp(
        {api_url(1, 2026): as_bytes(pages[0]), api_url(2, 2026): as_bytes(pages[1])}
    )
    payload = fetch(client, None)  # type: ignore[arg-type]
    assert client.calls == [(api_url(1, 2026), True), (api_url(2, 2026), False)]
    assert len(parse(payload.content).rows) == 4
    assert api_url(2, 2026) == (
        "https://unstats.un.org/sdgapi/v1/sdg/Series/Data?seriesCode=VC_IHR_PSRC"
        "&timePeriodStart=1990&timePeriodEnd=2026&pageSize=1000&page=2"
    )


def test_fetch_passes_not_modified_through(monkeypatch):
    monkeypatch.setattr(
        "ingest.sources.sdg.utcnow", lambda: __import__("datetime").datetime(2026, 3, 1)
    )
    client = RecordedHttp({}, not_modified={api_url(1, 2026)})
    assert fetch(client, None).not_modified  # type: ignore[arg-type]


def test_the_source_declares_its_contract():
    assert SOURCE.id == "sdg_homicide" and SOURCE.indicators == ("homicide_rate",)
    assert (
        len(Registry([SOURCE])) == 1 and "1" in SOURCE.aggregates and "4" not in SOURCE.aggregates
    )
