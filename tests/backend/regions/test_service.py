"""Reference regions: loading the CSVs idempotently, aliases, and the resolver."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.regions.models import Region, RegionAlias
from backend.regions.service import (
    DATA_DIR,
    RegionDataError,
    RegionResolver,
    ensure_reference,
    load_reference,
    normalise_key,
)

REGION_HEADER = (
    "code,m49,name,level,parent_code,region_code,subregion_code,intermediate_code,"
    "iso2,fips,sids,ldc,lldc,lat,lon"
)
TINY_REGIONS = [
    "M49_001,001,World,world,,,,,,,false,false,false,,",
    "M49_150,150,Europe,region,M49_001,M49_150,,,,,false,false,false,,",
    "M49_155,155,Western Europe,subregion,M49_150,M49_150,M49_155,,,,false,false,false,,",
    "M49_009,009,Oceania,region,M49_001,M49_009,,,,,false,false,false,,",
    "AUT,040,Austria,country,M49_155,M49_150,M49_155,,AT,AU,false,false,true,47.5,14.5",
    "AUS,036,Australia,country,M49_009,M49_009,,,AU,AS,false,false,false,-25,134",
    "CIV,384,Côte d'Ivoire,country,M49_001,,,,CI,IV,false,true,false,,",
    "XKX,,Kosovo,country,M49_155,M49_150,M49_155,,XK,KV,false,false,false,,",
]
TINY_ALIASES = ["KOS,XKX,code_variant", "Ivory Coast,CIV,name", "Austria (Republic),AUT,name"]


def write_reference(folder: Path, regions: list[str], aliases: list[str]) -> Path:
    """Write a small regions.csv/aliases.csv pair in the shipped layout."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "regions.csv").write_text(
        "\n".join([REGION_HEADER, *regions]) + "\n", encoding="utf-8"
    )
    (folder / "aliases.csv").write_text(
        "\n".join(["alias,code,kind", *aliases]) + "\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_reference(tmp_path / "ref", TINY_REGIONS, TINY_ALIASES)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Côte d\u2019Ivoire", "cote d ivoire"),
        ("COTE D'IVOIRE", "cote d ivoire"),
        ("  Korea,   Rep. ", "korea rep"),
        ("Trinidad & Tobago", "trinidad and tobago"),
        ("Curaçao", "curacao"),
        ("M49_001", "m49 001"),
    ],
)
def test_normalise_key_folds_case_accents_punctuation_and_spacing(text, key):
    assert normalise_key(text) == key


def test_load_reference_links_the_hierarchy(session, tiny):
    assert load_reference(session, data_dir=tiny) == len(TINY_REGIONS)
    by_code = {r.code: r for r in session.scalars(select(Region))}
    austria = by_code["AUT"]
    assert (austria.m49, austria.iso2, austria.fips, austria.lldc) == (40, "AT", "AU", True)
    assert austria.parent_id == by_code["M49_155"].id
    assert austria.region_id == by_code["M49_150"].id
    assert austria.subregion_id == by_code["M49_155"].id
    assert by_code["XKX"].m49 is None
    assert by_code["M49_001"].parent_id is None


def test_load_reference_is_idempotent_and_updates_in_place(session, tiny):
    load_reference(session, data_dir=tiny)
    regions = session.scalar(select(func.count(Region.id)))
    aliases = session.scalar(select(func.count(RegionAlias.id)))
    renamed = [row.replace("Austria,", "Republic of Austria,") for row in TINY_REGIONS]
    write_reference(tiny, renamed, TINY_ALIASES)
    load_reference(session, data_dir=tiny)
    assert session.scalar(select(func.count(Region.id))) == regions
    assert session.scalar(select(Region.name).where(Region.code == "AUT")) == "Republic of Austria"
    # the new name is one more alias; nothing else is duplicated
    assert session.scalar(select(func.count(RegionAlias.id))) == aliases + 1


def test_each_region_gets_its_own_code_name_m49_iso2_and_fips_as_aliases(session, tiny):
    load_reference(session, data_dir=tiny)
    aut = session.scalar(select(Region.id).where(Region.code == "AUT"))
    kinds = {
        (a.alias, a.kind)
        for a in session.scalars(select(RegionAlias).where(RegionAlias.region_id == aut))
    }
    assert {("AUT", "iso3"), ("Austria", "name"), ("040", "m49"), ("40", "m49"), ("AT", "iso2"),
            ("AU", "fips"), ("Austria (Republic)", "name")} <= kinds  # fmt: skip


def test_an_alias_claimed_by_two_regions_is_a_clear_error(session, tmp_path):
    folder = write_reference(tmp_path / "bad", TINY_REGIONS, ["Austria,AUS,name"])
    with pytest.raises(RegionDataError, match=r"'Austria' \(name\) -> AUT and AUS"):
        load_reference(session, data_dir=folder)


def test_a_missing_reference_file_is_a_clear_error(session, tmp_path):
    with pytest.raises(RegionDataError, match=r"regions\.csv is missing"):
        load_reference(session, data_dir=tmp_path)


def test_ensure_reference_loads_only_into_an_empty_table(session, tiny):
    assert ensure_reference(session, data_dir=tiny) == len(TINY_REGIONS)
    assert ensure_reference(session, data_dir=tiny) == 0


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("AUT", "AUT"), ("aut", "AUT"), ("040", "AUT"), ("40", "AUT"), (40, "AUT"),
        ("AT", "AUT"),  # ISO2 in the general namespace
        ("AU", "AUS"),  # ... so AU is Australia, never FIPS Austria
        ("Cote d'Ivoire", "CIV"), ("IVORY COAST", "CIV"), ("KOS", "XKX"), ("Kosovo", "XKX"),
        ("M49_150", "M49_150"), ("150", "M49_150"), ("Europe", "M49_150"),
        ("Atlantis", None), ("", None), (None, None), ("999", None),
    ],
)  # fmt: skip
def test_resolver_tries_code_m49_and_aliases(session, tiny, value, code):
    load_reference(session, data_dir=tiny)
    resolver = RegionResolver.from_session(session)
    found = resolver.resolve(value)
    assert (resolver.info(found).code if found is not None else None) == code


@pytest.mark.parametrize(
    ("fips", "code"), [("AU", "AUT"), ("AS", "AUS"), ("kv", "XKX"), ("AT", None), ("", None)]
)
def test_fips_is_a_separate_namespace(session, tiny, fips, code):
    load_reference(session, data_dir=tiny)
    resolver = RegionResolver.from_session(session)
    found = resolver.resolve_fips(fips)
    assert (resolver.info(found).code if found is not None else None) == code


def test_resolver_knows_countries_from_aggregates(session, tiny):
    load_reference(session, data_dir=tiny)
    resolver = RegionResolver.from_session(session)
    assert resolver.info(resolver.resolve("AUT")).is_country
    assert not resolver.info(resolver.resolve("M49_001")).is_country
    assert len(resolver) == len(TINY_REGIONS)


def test_the_shipped_reference_loads_without_clashes(session):
    if not (DATA_DIR / "regions.csv").exists():
        pytest.skip("backend/regions/data is not generated yet")
    count = load_reference(session)
    resolver = RegionResolver.from_session(session)
    assert count == session.scalar(select(func.count(Region.id)))
    for code in ("XKX", "CHI", "FRA", "USA"):
        region = resolver.resolve(code)
        assert region is not None and resolver.info(region).is_country, code


def test_every_world_bank_country_code_resolves_to_a_country(session, shared):
    """Every non-aggregate row of the real WDI file names a country or area Tocsin knows."""
    from ingest.sources.worldbank import AGGREGATES

    path = shared.file("worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv")
    load_reference(session)
    resolver = RegionResolver.from_session(session)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        codes = {row[1] for row in list(csv.reader(fh))[5:] if len(row) > 1}
    unresolved = sorted(c for c in codes - AGGREGATES if resolver.resolve(c) is None)
    assert unresolved == []
    assert all(resolver.info(resolver.resolve(c)).is_country for c in codes - AGGREGATES)
