"""The rows of regions.csv: M49 aggregates, countries and areas, and Tocsin's additions."""

from __future__ import annotations

from .planar import Ring, representative_point

REGION_COLUMNS = [
    "code", "m49", "name", "level", "parent_code", "region_code", "subregion_code",
    "intermediate_code", "iso2", "fips", "sids", "ldc", "lldc", "lat", "lon",
]  # fmt: skip

# Units the data sources report that M49 does not list, as (code, m49, name, level,
# parent, iso2, fips). Kosovo has no M49 code (the UN lists it under Serbia, UNSCR 1244),
# but the World Bank, OWID and UNODC report it separately. M49 830 "Channel Islands" was
# an intermediate region until 2022; the World Bank and UNODC still report it as one
# unit. UNODC splits the United Kingdom and Iraq into sub-national series with no total.
ADDITIONS = [
    ("XKX", "", "Kosovo", "country", "M49_039", "XK", "KV"),
    ("CHI", "830", "Channel Islands", "country", "M49_154", "", ""),
    ("GBR_EW", "", "England and Wales", "area", "GBR", "", ""),
    ("GBR_S", "", "Scotland", "area", "GBR", "", ""),
    ("GBR_NI", "", "Northern Ireland", "area", "GBR", "", ""),
    ("IRQ_C", "", "Iraq (Central Iraq)", "area", "IRQ", "", ""),
    ("IRQ_KUR", "", "Iraq (Kurdistan Region)", "area", "IRQ", "", ""),
]

# The datasets/country-codes snapshot renamed two units; restore the UNSD names.
NAME_FIXES = {"CIV": "Côte d'Ivoire", "FLK": "Falkland Islands (Malvinas)"}

# country-codes.csv glues the FIPS 10-4 codes of a unit's parts ("GZWE") or holds junk;
# the codes of the parts are aliases (aliases.EXTRA_FIPS).
FIPS_FIXES = {"PSE": "WE", "SRB": "RI", "SJM": "SV", "UMI": "", "ALA": "", "BES": ""}

# Representative points for units with no polygon in Natural Earth 50m (lat, lon).
FALLBACK_POINTS = {
    "TUV": (-8.52, 179.2), "GIB": (36.14, -5.35), "TKL": (-9.2, -171.85),
    "UMI": (19.28, 166.65), "BVT": (-54.42, 3.36), "CHI": (49.35, -2.35),
    "GBR_EW": (52.5, -1.5), "GBR_S": (56.8, -4.2), "GBR_NI": (54.65, -6.75),
    "IRQ_C": (33.0, 43.7), "IRQ_KUR": (36.2, 44.2),
}  # fmt: skip


def m49_code(number: str) -> str:
    """Return the Tocsin code of an M49 aggregate, e.g. '2' -> 'M49_002'."""
    return f"M49_{int(number):03d}"


def aggregate_rows(m49: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """Return the world, region, sub-region and intermediate units found in M49."""
    units: dict[str, dict[str, str]] = {}
    levels = [("Global", "world"), ("Region", "region"), ("Sub-region", "subregion"),
              ("Intermediate Region", "intermediate")]  # fmt: skip
    for row in m49:
        parent = ""
        chain: dict[str, str] = {}
        for prefix, level in levels:
            number = row[f"{prefix} Code"]
            if not number:
                continue
            code = m49_code(number)
            chain[level] = code
            units.setdefault(code, {
                "code": code, "m49": f"{int(number):03d}", "name": row[f"{prefix} Name"],
                "level": level, "parent_code": parent, "region_code": chain.get("region", ""),
                "subregion_code": chain.get("subregion", ""),
                "intermediate_code": chain.get("intermediate", ""),
            })  # fmt: skip
            parent = code
    return units


def country_row(row: dict[str, str], codes: dict[str, dict[str, str]]) -> dict[str, str]:
    """Return the regions.csv row of one M49 country or area."""
    iso3 = row["ISO-alpha3 Code"]
    chain = [row["Intermediate Region Code"], row["Sub-region Code"], row["Region Code"]]
    parent = next((m49_code(c) for c in chain if c), m49_code(row["Global Code"]))
    fips = FIPS_FIXES.get(iso3, codes[iso3]["FIPS"])
    flag = {"x": "true", "": "false"}
    return {
        "code": iso3, "m49": row["M49 Code"], "name": NAME_FIXES.get(iso3, row["Country or Area"]),
        "level": "country", "parent_code": parent,
        "region_code": m49_code(chain[2]) if chain[2] else "",
        "subregion_code": m49_code(chain[1]) if chain[1] else "",
        "intermediate_code": m49_code(chain[0]) if chain[0] else "",
        "iso2": row["ISO-alpha2 Code"], "fips": fips,
        "sids": flag[row["Small Island Developing States (SIDS)"]],
        "ldc": flag[row["Least Developed Countries (LDC)"]],
        "lldc": flag[row["Land Locked Developing Countries (LLDC)"]],
    }  # fmt: skip


def build_regions(
    m49: list[dict[str, str]], codes: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    """Return every unit keyed by code: aggregates, M49 countries and the additions."""
    units = aggregate_rows(m49)
    for row in m49:
        units[row["ISO-alpha3 Code"]] = country_row(row, codes)
    for code, number, name, level, parent, iso2, fips in ADDITIONS:
        if code in units:
            continue
        above = units[parent]
        units[code] = {
            "code": code, "m49": number, "name": name, "level": level, "parent_code": parent,
            "region_code": above["region_code"],
            "subregion_code": above["subregion_code"] or parent,
            "intermediate_code": above["intermediate_code"] if level == "area" else "",
            "iso2": iso2, "fips": fips, "sids": "false",
            "ldc": above.get("ldc", "false"), "lldc": above.get("lldc", "false"),
        }  # fmt: skip
    for unit in units.values():
        for column in REGION_COLUMNS:
            unit.setdefault(column, "false" if column in ("sids", "ldc", "lldc") else "")
    return units


def set_points(units: dict[str, dict[str, str]], full: dict[str, list[list[Ring]]]) -> None:
    """Fill lat/lon of every country and area from its geometry or the fallback table."""
    for code, unit in units.items():
        if unit["level"] not in ("country", "area"):
            continue
        if code in full and unit["level"] == "country":
            lon, lat = representative_point(full[code])
            lon = (lon + 180.0) % 360.0 - 180.0
        elif code in FALLBACK_POINTS:
            lat, lon = FALLBACK_POINTS[code]
        else:
            raise ValueError(f"{code} has no geometry and no fallback point")
        unit["lat"], unit["lon"] = f"{lat:.2f}", f"{lon:.2f}"


def ordered(units: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """Return units from the world down to sub-national areas, by code within a level."""
    rank = ["world", "region", "subregion", "intermediate", "country", "area"]
    return sorted(units.values(), key=lambda u: (rank.index(u["level"]), u["code"]))
