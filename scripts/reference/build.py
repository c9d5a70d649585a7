"""The whole build: read the public inputs, return the text of every generated file."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from .aliases import alias_candidates, build_aliases
from .geometry import BASEMAP_DEG, SIMPLIFY_DEG, build_geometry
from .outputs import basemap_text, csv_text, feature, geojson_text, points_text, small_states
from .planar import country_area
from .regions import REGION_COLUMNS, build_regions, ordered, set_points

REPO = Path(__file__).resolve().parents[2]
M49_FILE = "m49-country-codes/UNSD-m49-en.csv"
CODES_FILE = "m49-country-codes/country-codes.csv"
TOPO_FILE = "geo/world-atlas-2.0.2_countries-50m.topojson.json"


def clean(value: str | None) -> str:
    """Strip whitespace, including the non-breaking spaces in country-codes.csv."""
    return (value or "").replace("\xa0", " ").strip()


def read_csv(path: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    """Read a CSV file into a list of dicts with cleaned values."""
    with path.open(encoding=encoding, newline="") as fh:
        return [{k: clean(v) for k, v in row.items()} for row in csv.DictReader(fh)]


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
        geo_dir / "points.json": points_text(points),
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
