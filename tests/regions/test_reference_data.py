"""The shipped reference regions: internally consistent, and complete for the real sources.

The consistency tests read only backend/regions/data. The real-data tests read the public
files in ../shared/data; they skip on a user's clone and fail under CI=true.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import unicodedata
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "backend" / "regions" / "data"
SHARED = ROOT.parent / "shared" / "data"
COLUMNS = [
    "code", "m49", "name", "level", "parent_code", "region_code", "subregion_code",
    "intermediate_code", "iso2", "fips", "sids", "ldc", "lldc", "lat", "lon",
]  # fmt: skip
LEVELS = ["world", "region", "subregion", "intermediate", "country", "area"]
KINDS = {"iso3", "m49", "fips", "iso2", "name", "code_variant"}
ADDED = {"XKX", "CHI"}  # countries the data sources report that M49 2024 does not list
# The 49 World Bank aggregates in the WDI bulk CSV (the "Region" column of its metadata
# file is empty for exactly these).
WB_AGGREGATES = frozenset((
    "AFE", "AFW", "ARB", "CEB", "CSS", "EAP", "EAR", "EAS", "ECA", "ECS", "EMU", "EUU", "FCS",
    "HIC", "HPC", "IBD", "IBT", "IDA", "IDB", "IDX", "INX", "LAC", "LCN", "LDC", "LIC", "LMC",
    "LMY", "LTE", "MEA", "MIC", "MNA", "NAC", "OED", "OSS", "PRE", "PSS", "PST", "SAS", "SSA",
    "SSF", "SST", "TEA", "TEC", "TLA", "TMN", "TSA", "TSS", "UMC", "WLD",
))  # fmt: skip
WB_FILE = "worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv"
OWID_FILE = "owid-homicide/homicide-rate-unodc.csv"
M49_FILE = "m49-country-codes/UNSD-m49-en.csv"


def read(name: str) -> list[dict[str, str]]:
    """Read one shipped CSV file."""
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def fold(text: str) -> str:
    """Fold case, accents, punctuation and spacing: how aliases are matched."""
    text = text.replace("\u2019", "'").replace("&", " and ")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).replace("_", " ").split())


REGIONS = read("regions.csv")
BY_CODE = {r["code"]: r for r in REGIONS}
ALIASES = read("aliases.csv")
LOOKUP = {fold(a["alias"]): a["code"] for a in ALIASES if a["kind"] != "fips"}


def shared_file(relative: str) -> Path:
    """Return a file from ../shared/data; skip when absent, but fail under CI=true."""
    path = SHARED / relative
    if not path.exists():
        reason = f"../shared/data/{relative} is absent (a user's clone has no shared data)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"required under CI=true: {reason}")
        pytest.skip(reason)
    return path


def resolve(text: str) -> str | None:
    """Resolve a name or code the way the backend does: code first, then alias."""
    if text.upper() in BY_CODE:
        return text.upper()
    return LOOKUP.get(fold(text))


# --- regions.csv ---------------------------------------------------------------------


def test_regions_have_the_documented_columns_and_unique_codes() -> None:
    with (DATA / "regions.csv").open(encoding="utf-8") as fh:
        assert fh.readline().strip().split(",") == COLUMNS
    duplicated = [c for c, n in Counter(r["code"] for r in REGIONS).items() if n > 1]
    assert duplicated == []
    assert {r["level"] for r in REGIONS} == set(LEVELS)


@pytest.mark.parametrize("column", ["m49", "iso2", "fips"])
def test_codes_that_identify_a_unit_are_unique(column: str) -> None:
    values = Counter(r[column] for r in REGIONS if r[column])
    assert [v for v, n in values.items() if n > 1] == []


def test_every_parent_exists_one_level_up() -> None:
    for row in REGIONS:
        if row["level"] == "world":
            assert row["parent_code"] == "", row
            continue
        parent = BY_CODE.get(row["parent_code"])
        assert parent is not None, f"{row['code']}: parent {row['parent_code']!r} is missing"
        if row["level"] == "area":
            assert parent["level"] == "country", row["code"]
        else:
            assert LEVELS.index(parent["level"]) < LEVELS.index(row["level"]), row["code"]


def test_aggregate_codes_follow_m49() -> None:
    for row in REGIONS:
        if row["level"] not in ("country", "area"):
            assert row["code"] == f"M49_{row['m49']}", row
    assert BY_CODE["M49_002"]["name"] == "Africa"
    assert BY_CODE["M49_202"]["name"] == "Sub-Saharan Africa"
    assert BY_CODE["M49_011"]["name"] == "Western Africa"


def test_every_country_has_a_region_and_a_subregion_of_the_right_level() -> None:
    for row in REGIONS:
        if row["level"] not in ("country", "area") or row["code"] == "ATA":
            continue  # M49 puts Antarctica directly under the world (see the data README)
        for column, level in [("region_code", "region"), ("subregion_code", "subregion")]:
            assert BY_CODE[row[column]]["level"] == level, (row["code"], column)
        if row["intermediate_code"]:
            assert BY_CODE[row["intermediate_code"]]["level"] == "intermediate", row["code"]
    assert BY_CODE["ATA"]["parent_code"] == "M49_001"


def test_countries_and_areas_have_a_point_and_true_false_flags() -> None:
    for row in REGIONS:
        assert {row["sids"], row["ldc"], row["lldc"]} <= {"true", "false"}, row["code"]
        if row["level"] in ("country", "area"):
            assert -90 <= float(row["lat"]) <= 90 and -180 <= float(row["lon"]) <= 180, row


def test_the_additions_are_where_the_brief_puts_them() -> None:
    kosovo = BY_CODE["XKX"]
    assert (kosovo["level"], kosovo["parent_code"], kosovo["m49"]) == ("country", "M49_039", "")
    assert (kosovo["iso2"], kosovo["fips"]) == ("XK", "KV")
    assert BY_CODE["CHI"]["m49"] == "830"
    for code, parent in [("GBR_EW", "GBR"), ("GBR_S", "GBR"), ("GBR_NI", "GBR"),
                         ("IRQ_C", "IRQ"), ("IRQ_KUR", "IRQ")]:  # fmt: skip
        assert (BY_CODE[code]["level"], BY_CODE[code]["parent_code"]) == ("area", parent)


def test_points_fall_where_the_country_is() -> None:
    expected = {"FRA": (46.6, 2.4), "FJI": (-17.8, 178.0), "RUS": (61.7, 99.7),
                "USA": (39.5, -99.1), "XKX": (42.6, 20.9)}  # fmt: skip
    for code, (lat, lon) in expected.items():
        row = BY_CODE[code]
        assert abs(float(row["lat"]) - lat) < 2 and abs(float(row["lon"]) - lon) < 2, row


# --- aliases.csv ---------------------------------------------------------------------


def test_every_alias_points_at_a_code_with_a_known_kind() -> None:
    assert [a for a in ALIASES if a["code"] not in BY_CODE] == []
    assert {a["kind"] for a in ALIASES} == KINDS
    assert all(a["alias"].strip() == a["alias"] != "" for a in ALIASES)


@pytest.mark.parametrize("namespace", ["fips", "text"])
def test_no_folded_alias_names_two_codes(namespace: str) -> None:
    owners: dict[str, set[str]] = {}
    for a in ALIASES:
        if (a["kind"] == "fips") == (namespace == "fips"):
            owners.setdefault(fold(a["alias"]), set()).add(a["code"])
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_every_unit_is_an_alias_of_itself_and_of_its_name() -> None:
    own = {(a["alias"], a["code"]) for a in ALIASES}
    for row in REGIONS:
        assert (row["code"], row["code"]) in own, row["code"]
        assert LOOKUP[fold(row["name"])] == row["code"], row["code"]


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("Bolivia (Plurinational State of)", "BOL"), ("Bolivia", "BOL"), ("Türkiye", "TUR"),
        ("Turkey", "TUR"), ("Côte d'Ivoire", "CIV"), ("Cote d'Ivoire", "CIV"),
        ("Ivory Coast", "CIV"), ("Democratic Republic of the Congo", "COD"),
        ("Congo, Dem. Rep.", "COD"), ("Iran (Islamic Republic of)", "IRN"),
        ("Iran, Islamic Rep.", "IRN"), ("Venezuela, RB", "VEN"), ("Egypt, Arab Rep.", "EGY"),
        ("Gambia, The", "GMB"), ("Korea, Rep.", "KOR"), ("Lao PDR", "LAO"),
        ("Russian Federation", "RUS"),
        ("United Kingdom of Great Britain and Northern Ireland", "GBR"),
        ("United States of America", "USA"), ("KOS", "XKX"), ("OWID_KOS", "XKX"),
        ("KKK", "XKX"), ("PSX", "PSE"), ("SAH", "ESH"), ("SDS", "SSD"), ("CHI", "CHI"),
        ("CHA", "CHI"), ("Kosovo under UNSCR 1244", "XKX"), ("WORLD", "M49_001"),
        ("M49_SUB_S_AFR", "M49_202"), ("England and Wales", "GBR_EW"),
        ("Iraq (Kurdistan Region)", "IRQ_KUR"), ("COTE D\u2019IVOIRE", "CIV"),
    ],
)  # fmt: skip
def test_the_spellings_publishers_use_resolve(alias: str, code: str) -> None:
    assert resolve(alias) == code


def test_fips_codes_resolve_in_their_own_namespace() -> None:
    fips = {fold(a["alias"]): a["code"] for a in ALIASES if a["kind"] == "fips"}
    assert (fips["as"], fips["au"], fips["kv"], fips["gz"], fips["uk"]) == (
        "AUS", "AUT", "XKX", "PSE", "GBR",
    )  # fmt: skip
    assert LOOKUP["au"] == "AUS"  # ISO2 AU is Australia


# --- against the real public files ---------------------------------------------------


@pytest.mark.realdata
def test_counts_match_the_m49_table() -> None:
    with shared_file(M49_FILE).open(encoding="utf-8-sig", newline="") as fh:
        m49 = list(csv.DictReader(fh))
    countries = {r["code"] for r in REGIONS if r["level"] == "country"}
    assert countries == {r["ISO-alpha3 Code"] for r in m49} | ADDED
    for row in m49:
        ours = BY_CODE[row["ISO-alpha3 Code"]]
        assert ours["m49"] == row["M49 Code"], ours
        for column, source in [("region_code", "Region Code"),
                               ("subregion_code", "Sub-region Code"),
                               ("intermediate_code", "Intermediate Region Code")]:  # fmt: skip
            assert ours[column] == (f"M49_{row[source]}" if row[source] else ""), ours
    aggregates = {r["code"] for r in REGIONS if r["level"] not in ("country", "area")}
    named = {f"M49_{r[c]}" for r in m49 for c in ("Global Code", "Region Code",
             "Sub-region Code", "Intermediate Region Code") if r[c]}  # fmt: skip
    assert aggregates == named


@pytest.mark.realdata
def test_every_world_bank_country_row_resolves_by_name_and_code() -> None:
    with shared_file(WB_FILE).open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in list(csv.reader(fh))[5:] if len(r) > 1]
    assert {code for _, code, *_ in rows} >= WB_AGGREGATES
    countries = [(name, code) for name, code, *_ in rows if code not in WB_AGGREGATES]
    wrong = [(n, c, resolve(n), resolve(c)) for n, c in countries if resolve(n) != c]
    assert wrong == []
    assert all(BY_CODE[c]["level"] == "country" for _, c in countries)
    assert len(countries) == len({c for _, c in countries}) == len(rows) - len(WB_AGGREGATES)


@pytest.mark.realdata
def test_every_owid_entity_that_is_not_an_aggregate_resolves() -> None:
    with shared_file(OWID_FILE).open(encoding="utf-8", newline="") as fh:
        entities = {(r["Entity"], r["Code"]) for r in csv.DictReader(fh)}
    aggregates = {(n, c) for n, c in entities if n.endswith(" (UN)") or n == "World"}
    resolved = {}
    for name, code in sorted(entities - aggregates):
        by_name = resolve(name)
        assert by_name is not None and BY_CODE[by_name]["level"] in ("country", "area"), name
        assert code == "" or resolve(code) == by_name, (name, code)
        resolved[name] = by_name
    assert len(set(resolved.values())) == len(resolved)
    assert {resolve(n) for n, _ in aggregates} <= {
        r["code"] for r in REGIONS if r["level"] not in ("country", "area")
    }


@pytest.mark.realdata
def test_the_shipped_files_are_what_the_build_script_makes() -> None:
    shared_file(M49_FILE)
    spec = importlib.util.spec_from_file_location(
        "build_reference", ROOT / "scripts" / "build_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outputs = module.build(SHARED)
    stale = [str(p) for p, text in outputs.items() if p.read_text(encoding="utf-8") != text]
    assert stale == [], "run: python scripts/build_reference.py"
