"""Natural Earth 50m shapes per ISO3 code: grouping, splitting, simplifying, rounding."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from .planar import Point, Ring, centroid, signed_area
from .topojson import RefPolygon, decode_arcs, dissolve, ring_points, simplify, unwrap

SIMPLIFY_DEG = 0.1  # Douglas-Peucker, about 11 km: under half a pixel on a 1920 px world map
BASEMAP_DEG = 0.1  # plotly.js base-map fallback (never shown by the dashboard): coarser
DECIMALS = 2  # about 1 km; keeps world.geojson well under 1.5 MB

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
