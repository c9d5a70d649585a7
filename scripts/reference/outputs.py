"""Serialisation of the generated files: CSV, GeoJSON, marker points, plotly base map."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .planar import Ring

TINY_KM2 = 3_000.0  # below this a country is a few pixels wide on a world map
SMALL_SIDS_KM2 = 15_000.0  # island states below this also get a marker


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


def points_text(points: list[dict[str, Any]]) -> str:
    """Serialise marker points as a JSON array, one point per line."""
    return "[\n" + ",\n".join(json.dumps(p, ensure_ascii=False) for p in points) + "\n]\n"


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
