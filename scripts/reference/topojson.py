"""TopoJSON arcs: decoding, Douglas-Peucker simplification, ring joining and merging."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

from .planar import Point, Ring, contains, signed_area

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
