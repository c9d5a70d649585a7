"""The default pack on the real World Bank / UNODC homicide series (1990-2020)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from rules import AlertCandidate, backtest, evaluate, load_rule_files, pack_path

pytestmark = pytest.mark.realdata

RECORD = "homicide_rate_highest_5y"
JUMP = "homicide_rate_jump"

WDI = "worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv"
M49 = "m49-country-codes/UNSD-m49-en.csv"

# Known surges and their onset years: the pack must flag each at or before onset.
ONSETS = {
    "MEX": "2008",
    "HND": "2009",
    "SLV": "2015",
    "CRI": "2008",
    "TTO": "2005",
    "JAM": "2004",
    "URY": "2018",
    "USA": "2020",
    "ECU": "2020",
}
# Stable low-crime countries and areas: no alert in thirty years.
QUIET = [
    "JPN",
    "NOR",
    "ISL",
    "CHE",
    "DEU",
    "GBR",
    "SWE",
    "FIN",
    "DNK",
    "NLD",
    "AUT",
    "LUX",
    "MLT",
    "IRL",
    "FRA",
    "ITA",
    "ESP",
    "PRT",
    "SVN",
    "CZE",
    "POL",
    "SGP",
    "KOR",
    "HKG",
    "CHN",
    "QAT",
    "ARE",
    "AUS",
    "NZL",
    "CAN",
]


def _m49(path: Path) -> pd.DataFrame:
    m49 = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    meta = m49.rename(
        columns={
            "ISO-alpha3 Code": "iso3",
            "Region Name": "region",
            "Sub-region Name": "subregion",
            "Intermediate Region Name": "intermediate",
            "Country or Area": "name",
        }
    )
    return meta.dropna(subset=["iso3"]).set_index("iso3")[
        ["region", "subregion", "intermediate", "name"]
    ]


def _wdi_panel(path: Path, countries: pd.Index) -> pd.DataFrame:
    # World Bank bulk CSV: UTF-8 BOM, 4 preamble lines, one trailing empty column.
    wide = pd.read_csv(path, skiprows=4, encoding="utf-8-sig")
    wide = wide.loc[:, ~wide.columns.str.startswith("Unnamed")]
    long = wide.melt(
        id_vars=["Country Name", "Country Code", "Indicator Name", "Indicator Code"],
        var_name="period",
        value_name="value",
    ).dropna(subset=["value"])
    # Aggregates (WLD, AFE, ...) are computed by Tocsin, never stored as countries.
    long = long[long["Country Code"].isin(countries)]
    return pd.DataFrame(
        {
            "region": long["Country Code"],
            "indicator": "homicide_rate",
            "period": long["period"].astype(str),
            "value": long["value"].astype(float),
        }
    )


@pytest.fixture(scope="module")
def world(shared_data: Callable[[str], Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    meta = _m49(shared_data(M49))
    return _wdi_panel(shared_data(WDI), meta.index), meta


@pytest.fixture(scope="module")
def pack_alerts(world: tuple[pd.DataFrame, pd.DataFrame]) -> list[AlertCandidate]:
    panel, meta = world
    return backtest(load_rule_files([pack_path("default")]), panel, region_meta=meta)


@pytest.fixture(scope="module")
def alerts(pack_alerts: list[AlertCandidate]) -> list[AlertCandidate]:
    found = [a for a in pack_alerts if a.rule == RECORD]
    by_region: dict[str, list[str]] = {}
    for alert in found:
        by_region.setdefault(alert.region, []).append(alert.period)
    print(f"\ndefault pack on WDI homicide: {len(found)} alerts in {len(by_region)} countries")
    for region in ("MEX", "HND", "SLV", "JAM", "TTO", "URY", "USA", "ECU"):
        print(f"  {region}: {', '.join(by_region.get(region, []))}")
    return found


def test_panel_is_the_real_one(world: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    panel, _ = world
    assert panel["region"].nunique() > 180
    assert panel["period"].min() == "1990" and panel["period"].max() == "2020"


def test_default_pack_raises_alerts(alerts: list[AlertCandidate]) -> None:
    assert 50 <= len(alerts) <= 400
    assert len({a.region for a in alerts}) >= 40
    assert all(a.state == "firing" and a.explanation for a in alerts)
    assert alerts == sorted(alerts, key=lambda a: (a.period, a.region, a.rule))


def test_default_pack_respects_floor_and_margin(alerts: list[AlertCandidate]) -> None:
    for alert in alerts:
        assert alert.value is not None and alert.baseline is not None
        assert alert.value >= 4.0
        assert alert.value > alert.baseline * 1.1


@pytest.mark.parametrize(("region", "onset"), sorted(ONSETS.items()))
def test_known_surges_are_flagged_by_onset(
    alerts: list[AlertCandidate], region: str, onset: str
) -> None:
    periods = [a.period for a in alerts if a.region == region]
    assert periods and min(p for p in periods if p >= str(int(onset) - 5)) <= onset


def test_stable_low_crime_countries_stay_quiet(alerts: list[AlertCandidate]) -> None:
    assert sorted({a.region for a in alerts} & set(QUIET)) == []


def test_streaming_equals_backtest_on_real_data(
    world: tuple[pd.DataFrame, pd.DataFrame], alerts: list[AlertCandidate]
) -> None:
    panel, meta = world
    rule = load_rule_files([pack_path("default")]).get(RECORD)
    streamed = [
        alert
        for region, rows in panel.groupby("region")
        for alert in evaluate(
            rule, rows.set_index("period")["value"], region=str(region), region_meta=meta
        )
    ]
    assert sorted(streamed, key=lambda a: (a.period, a.region, a.rule)) == alerts


# The jump rule catches these at or before onset (HND a year early, TTO two).
JUMP_ONSETS = {k: v for k, v in ONSETS.items() if k != "CRI"}


@pytest.mark.parametrize(("region", "onset"), sorted(JUMP_ONSETS.items()))
def test_jump_rule_flags_surges_by_onset(
    pack_alerts: list[AlertCandidate], region: str, onset: str
) -> None:
    periods = [a.period for a in pack_alerts if a.rule == JUMP and a.region == region]
    assert periods and min(p for p in periods if p >= str(int(onset) - 5)) <= onset


def test_crime_rules_keep_stable_countries_quiet(pack_alerts: list[AlertCandidate]) -> None:
    # Staleness is a data alert (a missing year in Switzerland is not crime).
    crime = {a.region for a in pack_alerts if a.labels.get("theme") != "data_quality"}
    assert sorted(crime & set(QUIET)) == []


def test_missing_shared_data_skips_or_fails_on_ci(
    shared_data: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="is absent"):
        shared_data("no-such-dataset/missing.csv")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires"):
        shared_data("no-such-dataset/missing.csv")
