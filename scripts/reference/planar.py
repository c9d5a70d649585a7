"""Planar measures of lon/lat rings: area, containment, centroid, representative point."""

from __future__ import annotations

import itertools
import math

Point = tuple[float, float]
Ring = list[Point]


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


def country_area(polygons: list[list[Ring]]) -> float:
    """Return the land area of a country in km2 (outer rings minus holes)."""
    return sum(ring_km2(p[0]) - sum(ring_km2(h) for h in p[1:]) for p in polygons)
