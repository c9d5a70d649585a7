"""GDELT 2.0 events parser: the real 15-minute export, file lists, bundles, broken payloads."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from ingest.indicators import BY_CODE
from ingest.sources import Registry, gdelt
from ingest.sources.base import FetchError, ParseError, Payload
from ingest.sources.gdelt import (
    COLUMNS,
    CRIME_BASES,
    CRIME_ROOTS,
    SOURCE,
    day_slots,
    export_entry,
    fetch,
    parse,
    read_file_list,
)

EXPORT = "api-samples/gdelt/20191024143000.export.CSV"
SCHEMA = "api-samples/gdelt/gdelt_v2_events_schema.csv"
LOOKUP = "api-samples/gdelt/LOOKUP-CAMEO.eventcodes.txt"
MASTER = "api-samples/gdelt/masterfilelist_excerpt_2015-02-18_to_2015-02-22.txt"
DOC = Path(__file__).resolve().parents[3] / "docs" / "gdelt-event-codes.md"


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def export(shared) -> bytes:
    return shared.file(EXPORT).read_bytes()


def expected_counts(path: Path) -> dict[tuple[str, str], tuple[int, float]]:
    """Count the sample with the csv module and the test's own reading of the rules."""
    with path.open(encoding="utf-8", newline="") as fh:
        records = [dict(zip(COLUMNS, r, strict=True))
                   for r in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]  # fmt: skip
    seen, crime, scales = set(), defaultdict(int), defaultdict(list)
    for r in records:
        key = (r["ActionGeo_CountryCode"], r["SQLDATE"], r["SOURCEURL"], r["EventCode"])
        if not r["ActionGeo_CountryCode"] or r["SQLDATE"] != "20191024" or key in seen:
            continue
        seen.add(key)
        place = ("FIPS:" + r["ActionGeo_CountryCode"], "2019-10-24")
        scales[place].append(float(r["GoldsteinScale"]))
        code = r["EventCode"]
        crime[place] += code[:2] in ("18", "19", "20") or code[:3] in ("145", "171", "173", "175")
    return {place: (crime[place], sum(s) / len(s)) for place, s in scales.items()}


def test_the_real_export_matches_an_independent_count(shared, export):
    expected = expected_counts(shared.file(EXPORT))
    result = parse(zipped({"20191024143000.export.CSV": export}), filename="slot.zip")
    assert result.problems == [] and result.vintage == date(2019, 10, 24)
    crime = {
        (r.region, r.period): r.value for r in result.rows if r.indicator == "gdelt_crime_events"
    }
    scale = {
        (r.region, r.period): r.value for r in result.rows if r.indicator == "gdelt_goldstein_mean"
    }
    assert crime == {place: counts[0] for place, counts in expected.items()}
    assert scale == pytest.approx({place: counts[1] for place, counts in expected.items()})
    assert len(result.rows) == 3 * 102 and sum(crime.values()) == 133  # 102 country-days
    assert result.excluded == {
        "same article, place, day and event code": 907,
        "SQLDATE is not the day the slot covers": 57,
        "no ActionGeo_CountryCode (not located)": 37,
    }
    assert crime[("FIPS:US", "2019-10-24")] == 42  # FIPS US is the United States
    assert ("FIPS:UK", "2019-10-24") in crime  # FIPS UK, not ISO GB


def test_an_unzipped_export_reads_like_its_zip(export):
    assert parse(export, filename="x.CSV").rows == parse(zipped({"x.CSV": export})).rows


def test_the_embedded_column_names_are_the_codebook(shared):
    with shared.file(SCHEMA).open(encoding="utf-8", newline="") as fh:
        assert tuple(row["name"] for row in csv.DictReader(fh)) == COLUMNS


def test_the_documented_codes_are_the_counted_codes(shared):
    counted = DOC.read_text(encoding="utf-8").split("## Not counted")[0]
    roots = set(re.findall(r"\| root `(\d\d)`", counted))
    bases = set(re.findall(r"^\| `(\d{3})`", counted, flags=re.M))
    assert (roots, bases) == (CRIME_ROOTS, CRIME_BASES)
    lookup = shared.file(LOOKUP).read_bytes()
    assert b"\r\n" in lookup  # CRLF, as GDELT publishes it
    codes = {line.split("\t")[0] for line in lookup.decode().splitlines()[1:]}
    assert roots | bases <= codes and len(codes) == 310


def test_a_bundle_counts_each_article_once_across_slots_and_counts_missing_slots(export):
    slot = zipped({"20191024143000.export.CSV": export})
    bundle = zipped({"20191024143000.export.CSV.zip": slot, "20191024144500.export.CSV.zip": slot,
                     "MISSING.txt": b"20191024150000\n20191024151500"})  # fmt: skip
    once, twice = parse(slot), parse(bundle)
    assert twice.rows == once.rows
    assert twice.excluded["slot missing upstream"] == 2
    assert twice.excluded["same article, place, day and event code"] == 907 + (2111 - 37 - 57)


def test_bad_lines_are_problems_and_the_rest_counts(export):
    lines = export.decode().splitlines()
    cells = lines[0].split("\t")
    cells[30] = "strong"  # GoldsteinScale
    broken = ["\t".join(cells), *lines[1:], lines[5][:120]]  # and a last line cut short
    result = parse("\n".join(broken).encode(), filename="x.CSV")
    assert [(p.row_number, p.reason) for p in result.problems] == [
        (1, "GoldsteinScale 'strong' does not read"),
        (2112, f"line has {lines[5][:120].count(chr(9)) + 1} columns, expected 61"),
    ]
    assert len(result.rows) == 3 * 102


def test_an_unknown_place_code_is_passed_on_for_the_job_to_quarantine(export):
    line = next(r for r in export.decode().splitlines() if "\t20191024\t" in r).split("\t")
    line[53] = "ZZ"
    line[60] = "https://example.org/unknown-place"
    result = parse("\t".join(line).encode(), filename="x.CSV")
    assert {r.region for r in result.rows} == {"FIPS:ZZ"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>Not Found</body></html>",
         "slot.zip is an HTML page, not data; expected a GDELT 2.0 events export ZIP"),
        (b'{"error": 1}', "slot.zip is json; expected a GDELT 2.0 events export ZIP"),
        (zipped({"readme.txt": b"x"}), "slot.zip holds no .export.CSV file"),
        (zipped({"a.CSV": b"1\t2\t3\n4\t5\t6\n"}), "a.CSV has 3 tab-separated columns, not the 61"),
        (zipped({"a.CSV": b"<html><body>error</body></html>"}), "a.CSV is an HTML page, not data"),
    ],
)  # fmt: skip
def test_payloads_that_are_not_an_export_fail_in_one_line(content, message):
    with pytest.raises(ParseError, match="^" + re.escape(message)) as failure:
        parse(content, filename="slot.zip")
    assert "\n" not in str(failure.value)


def test_a_truncated_zip_fails_in_one_line(export):
    content = zipped({"x.CSV": export})
    with pytest.raises(
        ParseError, match=r"^(the GDELT ZIP is broken|x\.CSV in the GDELT ZIP is broken)"
    ):
        parse(content[: len(content) // 2])


def test_the_zip_bomb_guard(monkeypatch, export):
    monkeypatch.setattr(gdelt, "MAX_UNZIPPED", 10_000)
    with pytest.raises(ParseError, match=r"x.CSV unzips to more than 10000 bytes: refused"):
        parse(zipped({"x.CSV": export}))


def test_file_lists(shared):
    lines = shared.file(MASTER).read_text(encoding="ascii").splitlines()
    entries = read_file_list("\n".join(lines))
    assert len(entries) == 1000
    assert sum(e.url.endswith(".export.CSV.zip") for e in entries) == sum(
        ".export.CSV.zip" in line for line in lines
    ) == 334  # fmt: skip
    latest = export_entry(read_file_list("\n".join(lines[:3])))  # a lastupdate.txt
    assert (latest.size, latest.md5, latest.slot) == (
        150383, "297a16b493de7cf6ca809a7cc31d0b93", "20150218230000",
    )  # fmt: skip
    with pytest.raises(ParseError, match=r"^file list line 2 is not '<bytes> <md5> <url>'"):
        read_file_list(lines[0] + "\n<html>oops</html>")
    with pytest.raises(ParseError, match=r"no \.export\.CSV\.zip line"):
        export_entry(read_file_list(lines[1]))


def test_day_slots_cover_the_day_and_end_at_midnight():
    slots = day_slots(date(2019, 10, 24))
    assert len(slots) == 96 and slots[0] == "20191024001500" and slots[-1] == "20191025000000"


class FakeGdelt:
    """Serve lastupdate.txt and some slots; every other slot is a 404."""

    def __init__(self, slots: dict[str, bytes], md5: str | None = None) -> None:
        self.slots, self.asked = slots, []
        last = "20191025000000"
        digest = md5 or hashlib.md5(slots[last], usedforsecurity=False).hexdigest()
        self.listing = (
            f"{len(slots[last])} {digest} http://data.gdeltproject.org/gdeltv2/{last}.export.CSV.zip\n"
            f"10 {'0' * 32} http://data.gdeltproject.org/gdeltv2/{last}.mentions.CSV.zip\n"
            f"10 {'1' * 32} http://data.gdeltproject.org/gdeltv2/{last}.gkg.csv.zip\n"
        )

    def get(self, url, *, conditional=True, accept_html=False):
        self.asked.append(url)
        if url.endswith("lastupdate.txt"):
            return Payload(content=self.listing.encode(), url=url)
        slot = url.rsplit("/", 1)[-1][:14]
        if slot not in self.slots:
            raise FetchError(f"HTTP 404 from {url}")
        return Payload(content=self.slots[slot], url=url)


def test_fetch_bundles_the_last_complete_day_and_tolerates_missing_slots(export):
    slot = zipped({"x.export.CSV": export})
    client = FakeGdelt({"20191024143000": slot, "20191025000000": slot})
    payload = fetch(client, None)
    assert payload.filename == "gdelt_events_20191024.zip" and len(client.asked) == 2 + 96
    result = parse(payload.content, filename=payload.filename)
    assert result.rows == parse(slot).rows and result.excluded["slot missing upstream"] == 94


def test_fetch_refuses_a_slot_whose_md5_is_not_the_published_one(export):
    client = FakeGdelt({"20191025000000": zipped({"x.export.CSV": export})}, md5="0" * 32)
    with pytest.raises(FetchError, match=r"md5 [0-9a-f]{32} is not the published 0{32}"):
        fetch(client, None)


def test_the_source_declares_its_contract():
    assert SOURCE.id == "gdelt_events" and all(code in BY_CODE for code in SOURCE.indicators)
    assert len(Registry([SOURCE])) == 1  # the registry's start-up checks pass
    assert SOURCE.indicators == ("gdelt_crime_events", "gdelt_goldstein_mean", "gdelt_tone_mean")
