"""The demo generator: deterministic, covering, plausible, with the surges alerts need."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from ingest.demo import (
    DAILY_DAYS,
    EMERGENCES,
    HOMICIDE_SURGES,
    UNINHABITED,
    DemoCountry,
    DemoRow,
    generate,
)
from ingest.indicators import BY_CODE

PRESENT = date(2025, 8, 20)
REGIONS_CSV = Path(__file__).resolve().parents[2] / "backend" / "regions" / "data" / "regions.csv"


def _m49_countries() -> list[DemoCountry]:
    if not REGIONS_CSV.exists():
        pytest.skip("backend/regions/data/regions.csv is not generated yet")
    with REGIONS_CSV.open(encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh) if row["level"] == "country"]
    return [
        DemoCountry(r["code"], r["subregion_code"] or None, r["intermediate_code"] or None)
        for r in rows
    ]


@pytest.fixture(scope="module")
def countries() -> list[DemoCountry]:
    """Every country of the shipped M49 table."""
    return _m49_countries()


@pytest.fixture(scope="module")
def rows(countries: list[DemoCountry]) -> list[DemoRow]:
    """The whole demo dataset, generated once for the module."""
    return generate(countries, present=PRESENT)


def _series(rows: list[DemoRow], indicator: str) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        if row.indicator == indicator:
            found[row.region][row.period] = row.value
    return found


def test_same_seed_gives_identical_rows(countries: list[DemoCountry], rows: list[DemoRow]) -> None:
    assert generate(countries, present=PRESENT) == rows


def test_another_seed_gives_other_values(countries: list[DemoCountry]) -> None:
    few = countries[:5]
    assert generate(few, present=PRESENT, seed=1) != generate(few, present=PRESENT, seed=2)


def test_a_country_does_not_depend_on_the_others(countries: list[DemoCountry]) -> None:
    alone = generate([c for c in countries if c.code == "GNB"], present=PRESENT)
    among = generate(countries[:40] + [c for c in countries if c.code == "GNB"], present=PRESENT)
    assert [r for r in among if r.region == "GNB"] == alone


def test_every_inhabited_country_is_covered(
    countries: list[DemoCountry], rows: list[DemoRow]
) -> None:
    covered = {row.region for row in rows}
    assert covered == {c.code for c in countries} - UNINHABITED


def test_values_are_finite_and_never_negative(rows: list[DemoRow]) -> None:
    assert all(row.value >= 0 and row.value == row.value for row in rows)


def test_indicators_are_in_the_catalogue_with_their_cadence(rows: list[DemoRow]) -> None:
    lengths = {"year": 4, "quarter": 6, "day": 10}
    for row in rows:
        assert len(row.period) == lengths[BY_CODE[row.indicator].frequency], row


def test_periods_stop_before_present(rows: list[DemoRow]) -> None:
    assert max(r.period for r in rows if len(r.period) == 4) == "2024"
    assert max(r.period for r in rows if "Q" in r.period) == "2025Q2"
    days = sorted({r.period for r in rows if len(r.period) == 10})
    assert len(days) == DAILY_DAYS
    assert days[-1] == "2025-08-19"
    assert min(r.period for r in rows) == "1995"


@pytest.mark.parametrize("code", sorted(HOMICIDE_SURGES))
def test_each_named_surge_beats_its_previous_five_years(rows: list[DemoRow], code: str) -> None:
    rates = _series(rows, "homicide_rate")[code]
    first = min(HOMICIDE_SURGES[code])
    peak = max(rates[str(year)] for year in HOMICIDE_SURGES[code] if str(year) in rates)
    before = [rates[str(year)] for year in range(first - 5, first) if str(year) in rates]
    assert len(before) == 5
    assert peak > 1.4 * max(before)
    assert peak >= 4.0  # above the default pack's floor


@pytest.mark.parametrize(("code", "group"), sorted(EMERGENCES))
def test_emergence_appears_for_the_first_time(rows: list[DemoRow], code: str, group: str) -> None:
    seized = _series(rows, f"seizures_{group}_kg")[code]
    assert min(seized) == str(EMERGENCES[(code, group)])


def test_homicide_count_matches_the_rate(rows: list[DemoRow]) -> None:
    rates, counts = _series(rows, "homicide_rate"), _series(rows, "homicide_count")
    assert rates.keys() == counts.keys()
    for region, series in rates.items():
        assert series.keys() == counts[region].keys()
        assert all((series[p] == 0) == (counts[region][p] == 0) for p in series)


def test_council_activity_is_mostly_zero_and_clustered(rows: list[DemoRow]) -> None:
    meetings = _series(rows, "sc_meetings")
    values = [v for series in meetings.values() for v in series.values()]
    assert 10 <= len(meetings) <= 40
    assert sum(v == 0 for v in values) / len(values) > 0.4
    busiest = max(meetings, key=lambda code: sum(meetings[code].values()))
    assert busiest in {"AFG", "SYR", "COD", "SOM", "PSE", "SDN", "UKR", "IRQ", "LBY"}


def test_generator_never_reads_the_clock() -> None:
    future = generate([DemoCountry("NOR", "M49_154")], present=date(2031, 1, 2))
    assert max(r.period for r in future if len(r.period) == 4) == "2030"
