"""Build Tocsin's shipped reference geography from the public files in ../shared/data.

Writes derived, transformed files only (never a verbatim copy of the inputs):

- backend/regions/data/regions.csv   M49 hierarchy + countries/areas + sub-national units
- backend/regions/data/aliases.csv   names and code variants that data sources use
- dashboard/assets/geo/world.geojson simplified Natural Earth 50m, feature.id = ISO3
- dashboard/assets/geo/points.json   markers for states too small to see at world scale

Run from the repository root:  python scripts/build_reference.py [--shared ../shared/data]
Origin, licences and the reasons for every addition are in the two README.md files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import itertools
import json
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
M49_FILE = "m49-country-codes/UNSD-m49-en.csv"
CODES_FILE = "m49-country-codes/country-codes.csv"
TOPO_FILE = "geo/world-atlas-2.0.2_countries-50m.topojson.json"

REGION_COLUMNS = [
    "code", "m49", "name", "level", "parent_code", "region_code", "subregion_code",
    "intermediate_code", "iso2", "fips", "sids", "ldc", "lldc", "lat", "lon",
]  # fmt: skip
ALIAS_KINDS = ("iso3", "m49", "fips", "iso2", "name", "code_variant")

SIMPLIFY_DEG = 0.03  # Douglas-Peucker tolerance, about 3 km: invisible at world scale
BASEMAP_DEG = 0.1  # plotly.js base-map fallback (never shown by the dashboard): coarser
DECIMALS = 2  # about 1 km; keeps world.geojson well under 1.5 MB
TINY_KM2 = 3_000.0  # below this a country is a few pixels wide on a world map
SMALL_SIDS_KM2 = 15_000.0  # island states below this also get a marker

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

# Representative points for units with no polygon in Natural Earth 50m (lat, lon).
FALLBACK_POINTS = {
    "TUV": (-8.52, 179.2), "GIB": (36.14, -5.35), "TKL": (-9.2, -171.85),
    "UMI": (19.28, 166.65), "BVT": (-54.42, 3.36), "CHI": (49.35, -2.35),
    "GBR_EW": (52.5, -1.5), "GBR_S": (56.8, -4.2), "GBR_NI": (54.65, -6.75),
    "IRQ_C": (33.0, 43.7), "IRQ_KUR": (36.2, 44.2),
}  # fmt: skip

# Natural Earth geometries that need an ISO3 other than their numeric id gives.
GEO_BY_NAME = {"Kosovo": "XKX", "Somaliland": "SOM", "N. Cyprus": "CYP"}
GEO_DROPPED = {"Siachen Glacier"}  # disputed glacier with no ISO code; ~2,500 km2
# Overseas parts drawn inside a parent polygon: (parent, part, lon0, lat0, lon1, lat1).
GEO_SPLITS = [
    ("FRA", "GUF", -55.0, 1.5, -51.0, 6.0), ("FRA", "GLP", -62.0, 15.8, -60.9, 16.6),
    ("FRA", "MTQ", -61.3, 14.3, -60.7, 15.0), ("FRA", "REU", 55.1, -21.5, 55.9, -20.8),
    ("FRA", "MYT", 44.9, -13.1, 45.4, -12.5), ("NOR", "SJM", -10.0, 70.5, 35.0, 81.0),
    ("NLD", "BES", -69.0, 11.9, -62.8, 17.8),
    ("IOT_AU", "CXR", 105.4, -10.7, 105.9, -10.3), ("IOT_AU", "CCK", 96.7, -12.3, 97.0, -11.7),
]  # fmt: skip

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
FIPS_FIXES = {"PSE": "WE", "SRB": "RI", "SJM": "SV", "UMI": "", "ALA": "", "BES": ""}


def parse_table(text: str) -> Iterator[tuple[str, list[str]]]:
    """Yield (code, [values]) from 'CODE|a|b;CODE|c' lines."""
    for chunk in text.replace("\n", ";").split(";"):
        if chunk.strip():
            code, *values = chunk.strip().split("|")
            yield code, values


def clean(value: str | None) -> str:
    """Strip whitespace, including the non-breaking spaces in country-codes.csv."""
    return (value or "").replace("\xa0", " ").strip()


def m49_code(number: str) -> str:
    """Return the Tocsin code of an M49 aggregate, e.g. '2' -> 'M49_002'."""
    return f"M49_{int(number):03d}"


def normalise(alias: str) -> str:
    """Fold case, accents, punctuation and spacing, as backend.regions.service does."""
    text = alias.replace("\u2019", "'").replace("&", " and ")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).replace("_", " ").split())


# --- regions -------------------------------------------------------------------------


def read_csv(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """Read a CSV file into a list of dicts with cleaned values."""
    with path.open(encoding=encoding, newline="") as fh:
        return [{k: clean(v) for k, v in row.items()} for row in csv.DictReader(fh)]


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


# --- aliases -------------------------------------------------------------------------


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
    not the country); a clash between codes is a bug in the tables above and stops the build.
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


# --- geometry ------------------------------------------------------------------------

Point = tuple[float, float]
Ring = list[Point]
RefPolygon = list[list[int]]  # rings as lists of TopoJSON arc references


def decode_arcs(topo: dict[str, Any]) -> list[list[Point]]:
    """Decode quantized, delta-encoded TopoJSON arcs into lon/lat points."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _distance(p: Point, a: Point, b: Point) -> float:
    """Return the distance from p to the segment a-b, in degrees."""
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker on one arc; endpoints stay, so shared borders stay shared."""
    if len(points) < 3:
        return points
    if points[0] == points[-1]:  # a closed arc: split at its farthest point first
        far = max(range(len(points)), key=lambda i: _distance(points[i], points[0], points[0]))
        if far in (0, len(points) - 1):
            return points
        return simplify(points[: far + 1], tolerance)[:-1] + simplify(points[far:], tolerance)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        index, worst = 0, -1.0
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                index, worst = i, d
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def ring_points(refs: list[int], arcs: list[list[Point]]) -> Ring:
    """Join the arcs of one ring, reversing negative (~i) references."""
    points: Ring = []
    for ref in refs:
        arc = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def unwrap(ring: Ring) -> Ring:
    """Make longitudes continuous across the antimeridian, for planar area and centroid.

    Rings that encircle a pole (Antarctica) cannot be unwrapped and are returned as is.
    """
    out, shift = [ring[0]], 0.0
    for (x0, _), (x1, y1) in itertools.pairwise(ring):
        shift += 360.0 if x1 - x0 < -180 else -360.0 if x1 - x0 > 180 else 0.0
        out.append((x1 + shift, y1))
    return out if shift == 0 or out[-1] == out[0] else ring


def signed_area(ring: Ring) -> float:
    """Return the planar shoelace area of a lon/lat ring, in square degrees."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def ring_km2(ring: Ring) -> float:
    """Return the approximate area of a ring in km2."""
    mean_lat = sum(p[1] for p in ring) / len(ring)
    return abs(signed_area(ring)) * 111.32**2 * math.cos(math.radians(mean_lat))


def contains(ring: Ring, point: Point) -> bool:
    """Return whether point lies inside ring (even-odd rule)."""
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def dissolve(polygons: list[RefPolygon], arcs: list[list[Point]]) -> list[RefPolygon]:
    """Merge polygons into one outline by dropping the arcs they share (TopoJSON merge)."""
    uses = Counter(ref if ref >= 0 else ~ref for poly in polygons for ring in poly for ref in ring)
    free = [r for poly in polygons for ring in poly for r in ring if uses[r if r >= 0 else ~r] < 2]
    start = {ring_points([r], arcs)[0]: r for r in free}
    exterior_sign = math.copysign(1, signed_area(ring_points(polygons[0][0], arcs)))
    rings: list[list[int]] = []
    while start:
        first = next(iter(start))
        ring: list[int] = []
        point = first
        while point in start:
            ref = start.pop(point)
            ring.append(ref)
            point = ring_points([ref], arcs)[-1]
        rings.append(ring)
    outers = [r for r in rings if signed_area(ring_points(r, arcs)) * exterior_sign > 0]
    merged: list[RefPolygon] = [[r] for r in outers]
    for hole in (r for r in rings if r not in outers):
        probe = ring_points(hole, arcs)[0]
        owner = next(p for p in merged if contains(ring_points(p[0], arcs), probe))
        owner.append(hole)
    return merged


def centroid(ring: Ring) -> Point:
    """Return the area centroid of a ring (its vertex mean when degenerate)."""
    area = signed_area(ring)
    if area == 0:
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    pairs = list(itertools.pairwise(ring))
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in pairs) / (6 * area)
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in pairs) / (6 * area)
    return cx, cy


def representative_point(polygons: list[list[Ring]]) -> Point:
    """Return a point inside the largest polygon: its centroid, or the widest scanline gap."""
    rings = max(polygons, key=lambda poly: ring_km2(poly[0]))
    cx, cy = centroid(rings[0])
    if contains(rings[0], (cx, cy)) and not any(contains(h, (cx, cy)) for h in rings[1:]):
        return cx, cy
    y = cy + 1e-7  # never exactly on a vertex
    xs = sorted(
        x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        for ring in rings
        for (x0, y0), (x1, y1) in itertools.pairwise(ring)
        if (y0 > y) != (y1 > y)
    )
    gaps = [(xs[i + 1] - xs[i], (xs[i] + xs[i + 1]) / 2) for i in range(0, len(xs) - 1, 2)]
    return max(gaps)[1], y


def group_geometries(
    topo: dict[str, Any], arcs: list[list[Point]], iso3_by_m49: dict[str, str]
) -> dict[str, list[RefPolygon]]:
    """Return the polygons of each ISO3 code, merged and split as documented above."""
    parts: dict[str, list[list[RefPolygon]]] = defaultdict(list)
    for geom in topo["objects"]["countries"]["geometries"]:
        name = geom["properties"]["name"]
        if name in GEO_DROPPED:
            continue
        code = iso3_by_m49.get(geom.get("id", ""), GEO_BY_NAME.get(name))
        code = code or ("IOT_AU" if name == "Indian Ocean Ter." else None)
        if code is None:
            raise ValueError(f"no ISO3 for geometry {name!r}")
        parts[code].append(geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]])
    groups: dict[str, list[RefPolygon]] = {}
    for code, geoms in parts.items():
        polygons = [poly for geom in geoms for poly in geom]
        arc_use = Counter(r if r >= 0 else ~r for poly in polygons for ring in poly for r in ring)
        shared = len(geoms) > 1 and max(arc_use.values()) > 1
        groups[code] = dissolve(polygons, arcs) if shared else polygons
    for parent, part, lon0, lat0, lon1, lat1 in GEO_SPLITS:
        moved = []
        for poly in groups[parent]:
            (x, y) = centroid(ring_points(poly[0], arcs))
            if lon0 <= x <= lon1 and lat0 <= y <= lat1:
                moved.append(poly)
        if not moved:
            raise ValueError(f"no polygon of {parent} falls in the box of {part}")
        groups[parent] = [p for p in groups[parent] if p not in moved]
        groups.setdefault(part, []).extend(moved)
    if groups.pop("IOT_AU"):
        raise ValueError("part of 'Indian Ocean Ter.' was not assigned")
    return groups


def output_ring(refs: list[int], *tries: list[list[Point]]) -> Ring:
    """Return the first rounded ring of tries (arc sets) that does not collapse, else []."""
    for arcs in tries:
        ring: Ring = []
        for x, y in ring_points(refs, arcs):
            point = (round(x, DECIMALS), round(y, DECIMALS))
            if not ring or ring[-1] != point:
                ring.append(point)
        if len(ring) >= 4 and signed_area(ring) != 0:
            return ring
    return []


def build_geometry(
    topo: dict[str, Any], iso3_by_m49: dict[str, str], tolerances: list[tuple[float, bool]]
) -> tuple[dict[str, list[list[Ring]]], list[dict[str, list[list[Ring]]]]]:
    """Return full-resolution rings per ISO3, and simplified rings for each tolerance.

    With keep_islands, a ring that simplification collapses keeps its full outline.
    """
    arcs = decode_arcs(topo)
    groups = group_geometries(topo, arcs, iso3_by_m49)
    full = {
        code: [[unwrap(ring_points(r, arcs)) for r in poly] for poly in polygons]
        for code, polygons in groups.items()
    }
    outputs = []
    for tolerance, keep_islands in tolerances:
        simple = [simplify(arc, tolerance) for arc in arcs]
        tries = (simple, arcs) if keep_islands else (simple,)
        out: dict[str, list[list[Ring]]] = {}
        for code, polygons in groups.items():
            out[code] = []
            for poly in polygons:
                rings = [output_ring(r, *tries) for r in poly]
                if rings[0]:
                    out[code].append([rings[0], *(r for r in rings[1:] if r)])
        outputs.append(out)
    return full, outputs


def country_area(polygons: list[list[Ring]]) -> float:
    """Return the land area of a country in km2 (outer rings minus holes)."""
    return sum(ring_km2(p[0]) - sum(ring_km2(h) for h in p[1:]) for p in polygons)


# --- outputs -------------------------------------------------------------------------


def feature(code: str, name: str, polygons: list[list[Ring]]) -> dict[str, Any]:
    """Return one GeoJSON feature keyed by ISO3."""
    coords = [[[list(p) for p in ring] for ring in poly] for poly in polygons]
    geometry = (
        {"type": "Polygon", "coordinates": coords[0]}
        if len(coords) == 1
        else {"type": "MultiPolygon", "coordinates": coords}
    )
    return {"type": "Feature", "id": code, "properties": {"iso3": code, "name": name},
            "geometry": geometry}  # fmt: skip


def small_states(units: dict[str, dict[str, str]], areas: dict[str, float]) -> list[dict[str, Any]]:
    """Return marker points for countries absent from, or too small for, a world map."""
    points = []
    for code, unit in sorted(units.items()):
        if unit["level"] != "country" or code == "ATA":
            continue
        area = areas.get(code, 0.0)
        limit = SMALL_SIDS_KM2 if unit["sids"] == "true" else TINY_KM2
        if area < limit:
            points.append({"iso3": code, "name": unit["name"], "lat": float(unit["lat"]),
                           "lon": float(unit["lon"])})  # fmt: skip
    return points


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


def csv_text(rows: list[dict[str, str]], columns: list[str]) -> str:
    """Serialise rows as CSV with Unix line endings."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def geojson_text(features: list[dict[str, Any]]) -> str:
    """Serialise a FeatureCollection compactly, one feature per line for readable diffs."""
    lines = [json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def basemap_text(polygons: dict[str, list[list[Ring]]], names: dict[str, str]) -> str:
    """Serialise plotly.js's base-map TopoJSON (objects land and countries, id = ISO3).

    plotly.js fetches ``{topojsonURL}world_110m.json`` when a geo subplot shows a base layer
    or uses locationmode; the dashboard points topojsonURL here so that never leaves the
    host. Arcs are the rings themselves, unquantized; coastlines, lakes, rivers, ocean and
    subunits are empty (the dashboard never shows them).
    """
    arcs: list[list[list[float]]] = []
    countries: list[dict[str, Any]] = []
    land: list[list[list[int]]] = []
    for code in sorted(polygons):
        refs = []
        for poly in polygons[code]:
            refs.append([[len(arcs) + i] for i in range(len(poly))])
            arcs.extend([list(p) for p in ring] for ring in poly)
        if refs:
            countries.append({"type": "MultiPolygon", "id": code, "arcs": refs,
                              "properties": {"name": names[code]}})  # fmt: skip
            land.extend(refs)
    objects: dict[str, Any] = {
        name: {"type": "GeometryCollection", "geometries": []}
        for name in ("coastlines", "lakes", "ocean", "rivers", "subunits")
    }
    objects["countries"] = {"type": "GeometryCollection", "geometries": countries}
    objects["land"] = {
        "type": "GeometryCollection",
        "geometries": [{"type": "MultiPolygon", "arcs": land}],
    }
    topology = {"type": "Topology", "objects": objects, "arcs": arcs}
    return json.dumps(topology, separators=(",", ":"), ensure_ascii=False) + "\n"


def build(shared: Path) -> dict[Path, str]:
    """Read the public inputs and return the text of every output file by path."""
    m49 = read_csv(shared / M49_FILE)
    codes = {r["ISO3166-1-Alpha-3"]: r for r in read_csv(shared / CODES_FILE, "utf-8")}
    units = build_regions(m49, codes)
    topo = json.loads((shared / TOPO_FILE).read_text(encoding="utf-8"))
    iso3_by_m49 = {r["M49 Code"]: r["ISO-alpha3 Code"] for r in m49}
    levels = [(SIMPLIFY_DEG, True), (BASEMAP_DEG, False)]
    full, (simple, coarse) = build_geometry(topo, iso3_by_m49, levels)
    if unknown := set(full) - set(units):
        raise ValueError(f"geometry for codes missing from regions: {sorted(unknown)}")
    set_points(units, full)
    areas = {code: country_area(polygons) for code, polygons in full.items()}
    aliases = build_aliases(alias_candidates(units, m49, codes))
    names = {code: unit["name"] for code, unit in units.items()}
    features = [feature(c, names[c], simple[c]) for c in sorted(simple) if simple[c]]
    points = small_states(units, areas)
    regions_dir, geo_dir = REPO / "backend/regions/data", REPO / "dashboard/assets/geo"
    return {
        regions_dir / "regions.csv": csv_text(ordered(units), REGION_COLUMNS),
        regions_dir / "aliases.csv": csv_text(aliases, ["alias", "code", "kind"]),
        geo_dir / "world.geojson": geojson_text(features),
        geo_dir / "plotly" / "world_110m.json": basemap_text(coarse, names),
        geo_dir / "points.json": "[\n"
        + ",\n".join(json.dumps(p, ensure_ascii=False) for p in points)
        + "\n]\n",
    }


def check_manifest(shared: Path) -> list[str]:
    """Return warnings for inputs whose sha256 differs from ../shared/data/MANIFEST.csv."""
    manifest = shared / "MANIFEST.csv"
    if not manifest.exists():
        return [f"{manifest} not found: input versions not checked"]
    expected = {r["local_path"]: r["sha256"] for r in read_csv(manifest)}
    warnings = []
    for name in (M49_FILE, CODES_FILE, TOPO_FILE):
        digest = hashlib.sha256((shared / name).read_bytes()).hexdigest()
        if expected.get(name) != digest:
            warnings.append(f"{name}: sha256 {digest[:12]} differs from MANIFEST.csv")
    return warnings


def main(argv: list[str] | None = None) -> int:
    """Build the reference files; with --check, fail if the committed ones are stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help="folder holding the public inputs (default: ../shared/data)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if any output differs from the build",
    )
    args = parser.parse_args(argv)  # fmt: skip
    for warning in check_manifest(args.shared):
        print(f"warning: {warning}", file=sys.stderr)
    outputs = build(args.shared)
    stale = []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        status = "unchanged" if current == text else "stale" if args.check else "written"
        if current != text and not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        stale += [path] if status == "stale" else []
        size = len(text.encode("utf-8"))
        print(f"{status:>9}  {path.relative_to(REPO)}  {size / 1024:,.0f} KiB", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
