"""The rows of aliases.csv: names and code variants that data sources use for a unit."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator

ALIAS_KINDS = ("iso3", "m49", "fips", "iso2", "name", "code_variant")

# Names used by the World Bank, OWID, UNODC and others that M49 and country-codes lack.
EXTRA_NAMES = """
BHS|Bahamas, The;BOL|Bolivia;BRN|Brunei;CPV|Cape Verde;CIV|Ivory Coast|Cote d'Ivoire
COD|Congo, Dem. Rep.|DR Congo|Congo (Kinshasa)|Democratic Republic of Congo
COG|Congo, Rep.|Republic of the Congo|Congo (Brazzaville);CZE|Czech Republic
EGY|Egypt, Arab Rep.
FSM|Micronesia, Fed. Sts.|Micronesia (country)|Federated States of Micronesia
GMB|Gambia, The
HKG|Hong Kong SAR, China|China, Hong Kong SAR|Hong Kong
IRN|Iran, Islamic Rep.|Iran;KGZ|Kyrgyz Republic;KNA|St. Kitts and Nevis
KOR|Korea, Rep.|South Korea;PRK|Korea, Dem. People's Rep.|North Korea;LAO|Lao PDR|Laos
LCA|St. Lucia
MAC|Macao SAR, China|China, Macao SAR|Macao|Macau
MAF|St. Martin (French part);MDA|Moldova;MKD|The former Yugoslav Republic of Macedonia
PSE|West Bank and Gaza|Palestine;RUS|Russia;SVK|Slovak Republic;SYR|Syria;TUR|Turkiye|Turkey
TZA|Tanzania;TLS|East Timor;USA|United States;VCT|St. Vincent and the Grenadines;VAT|Vatican
VEN|Venezuela, RB|Venezuela;VIR|Virgin Islands (U.S.);VNM|Vietnam;YEM|Yemen, Rep.
TWN|China, Taiwan Province of China;GBR|United Kingdom;CHI|Channel Island
XKX|Kosovo under UNSCR 1244;GBR_EW|United Kingdom (England and Wales)
GBR_S|United Kingdom (Scotland);GBR_NI|United Kingdom (Northern Ireland);IRQ_C|Central Iraq
IRQ_KUR|Kurdistan Region of Iraq|Kurdistan Region;M49_002|All Africa;M49_019|All Americas
M49_142|All Asia;M49_150|All Europe;M49_009|All Oceania
"""
# Code variants: UNODC (KOS, CHA, WORLD, BIG5_*, M49_*), OWID (OWID_*, UN_*), the World
# Bank (WLD), the 2018 drug report (KKK) and Natural Earth ADM0_A3 (PSX, SAH, SDS, KOS,
# CYN, SOL; N. Cyprus and Somaliland are merged into CYP and SOM, as the UN reports them).
EXTRA_CODES = """
XKX|KOS|OWID_KOS|KKK;CHI|CHA|OWID_CIS;PSE|PSX;ESH|SAH;SSD|SDS;CYP|CYN;SOM|SOL
M49_001|WORLD|WLD|OWID_WRL;M49_002|BIG5_AFR|UN_AFR;M49_019|BIG5_AMER;M49_142|BIG5_ASIA|UN_ASI
M49_150|BIG5_EUR|UN_EUR;M49_009|BIG5_OECANIA|BIG5_OCEANIA|UN_OCE;M49_419|M49_L_AM_CAR|UN_LAC
M49_021|M49_N_AMER|UN_NAM;M49_053|M49_AUS_NZL;M49_143|M49_C_ASIA;M49_030|M49_E_ASIA
M49_151|M49_E_EUR;M49_054|M49_MELAN;M49_015|M49_N_AFR;M49_154|M49_N_EUR;M49_035|M49_SE_ASIA
M49_034|M49_S_ASIA;M49_039|M49_SE_EUR;M49_202|M49_SUB_S_AFR;M49_145|M49_W_ASIA;M49_155|M49_W_EUR
"""
# FIPS 10-4 codes for parts of a unit (GDELT uses them); country-codes.csv glues them.
EXTRA_FIPS = (
    "PSE|GZ|WE;SRB|RI;SJM|SV|JN;UMI|FQ|HQ|DQ|JQ|KQ|MQ|BQ|LQ|WQ;ATF|BS|EU|GO|JU|TE|FS;AUS|AT|CR"
)


def parse_table(text: str) -> Iterator[tuple[str, list[str]]]:
    """Yield (code, [values]) from 'CODE|a|b;CODE|c' lines."""
    for chunk in text.replace("\n", ";").split(";"):
        if chunk.strip():
            code, *values = chunk.strip().split("|")
            yield code, values


def normalise(alias: str) -> str:
    """Fold case, accents, punctuation and spacing, as backend.regions.service does."""
    text = alias.replace("\u2019", "'").replace("&", " and ")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).replace("_", " ").split())


def alias_candidates(
    units: dict[str, dict[str, str]],
    m49: list[dict[str, str]],
    codes: dict[str, dict[str, str]],
) -> Iterator[tuple[str, str, str]]:
    """Yield (alias, code, kind) in priority order: official first, variants last."""
    for code, unit in units.items():
        own_kind = "iso3" if unit["level"] == "country" and code != "CHI" else "code_variant"
        yield code, code, own_kind
        yield unit["name"], code, "name"
        if unit["m49"]:
            yield unit["m49"], code, "m49"
        if unit["iso2"]:
            yield unit["iso2"], code, "iso2"
        if unit["fips"]:
            yield unit["fips"], code, "fips"
        if unit["level"] not in ("country", "area"):
            yield f"{unit['name']} (UN)", code, "name"  # OWID's spelling of UN aggregates
    for row in m49:
        yield row["Country or Area"], row["ISO-alpha3 Code"], "name"
    for code, values in parse_table(EXTRA_NAMES):
        yield from ((value, code, "name") for value in values)
    for code, values in parse_table(EXTRA_CODES):
        yield from ((value, code, "code_variant") for value in values)
    for code, values in parse_table(EXTRA_FIPS):
        yield from ((value, code, "fips") for value in values)
    for iso3, row in codes.items():
        for column in ("official_name_en", "UNTERM English Short", "UNTERM English Formal",
                       "CLDR display name"):  # fmt: skip
            name = row[column].rstrip(" *").removesuffix(" (the)").strip()
            if column == "UNTERM English Formal":
                name = name.removeprefix("the ")
            if name:
                yield name, iso3, "name"


def build_aliases(candidates: Iterable[tuple[str, str, str]]) -> list[dict[str, str]]:
    """Deduplicate aliases; spellings that fold to a key another code holds are dropped.

    Matching folds case and accents, so every spelling kept must fold to one code only.
    A code's name may lose to an earlier, official one ("Micronesia" is the M49 sub-region,
    not the country); a clash between codes is a bug in the tables above (or in regions.py)
    and stops the build.
    """
    owner: dict[tuple[str, str], str] = {}
    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for alias, code, kind in candidates:
        key = ("fips" if kind == "fips" else "text", normalise(alias))
        if owner.setdefault(key, code) != code:
            if kind != "name":
                raise ValueError(f"alias {alias!r} ({kind}) claimed by {owner[key]} and {code}")
            print(f"note: alias {alias!r} kept for {owner[key]}, not {code}", file=sys.stderr)
            continue
        rows.setdefault((alias, code, kind), {"alias": alias, "code": code, "kind": kind})
    order = {kind: i for i, kind in enumerate(ALIAS_KINDS)}
    return sorted(rows.values(), key=lambda r: (r["code"], order[r["kind"]], r["alias"]))
