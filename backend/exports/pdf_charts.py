"""Small vector charts drawn with reportlab shapes: one per region page, fast and crisp.

The overview figures go through plotly and kaleido (see figures.py); a brief can have a
hundred region pages, and a Chromium round trip (or reportlab's chart widgets) per region
would make the export too slow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, String
from reportlab.lib import colors

from backend.exports.pdf_style import WIDTH

LINE = colors.HexColor("#225ea8")
GRID = colors.HexColor("#dddddd")
HEIGHT, LEFT, BOTTOM, TOP = 170.0, 40.0, 22.0, 30.0


def _step(top: float) -> float:
    raw = max(top, 1e-9) / 4
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))


def _axes(drawing: Drawing, top: float, plot_w: float, plot_h: float) -> None:
    step = _step(top)
    k = 0
    while k * step <= top * 1.0001:
        y = BOTTOM + plot_h * (k * step) / top
        drawing.add(Line(LEFT, y, LEFT + plot_w, y, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(String(LEFT - 4, y - 2.5, f"{k * step:g}", fontSize=7, textAnchor="end"))
        k += 1


def series_chart(obs: Sequence[Mapping[str, Any]], title: str, unit: str) -> Drawing:
    """Return a line chart of one region's values over the frozen periods."""
    drawing = Drawing(WIDTH, HEIGHT)
    drawing.add(String(0, HEIGHT - 11, title, fontName="Helvetica-Bold", fontSize=9))
    drawing.add(String(0, HEIGHT - 22, unit, fontName="Helvetica", fontSize=7))
    values = [o["value"] for o in obs]
    top = max([v for v in values if v is not None] or [1.0]) * 1.1 or 1.0
    step = _step(top)
    top = math.ceil(top / step) * step
    plot_w, plot_h = WIDTH - LEFT - 10, HEIGHT - BOTTOM - TOP
    _axes(drawing, top, plot_w, plot_h)
    gap = plot_w / max(len(obs) - 1, 1)
    every = max(1, math.ceil(len(obs) / 12))
    points: list[float] = []
    for i, (o, v) in enumerate(zip(obs, values, strict=True)):
        x = LEFT + i * gap
        if i % every == 0 or i == len(obs) - 1:
            drawing.add(String(x, BOTTOM - 11, str(o["period"]), fontSize=7, textAnchor="middle"))
        if v is not None:
            y = BOTTOM + plot_h * v / top
            points += [x, y]
            drawing.add(Circle(x, y, 1.8, fillColor=LINE, strokeColor=None))
    if len(points) > 2:
        drawing.add(PolyLine(points, strokeColor=LINE, strokeWidth=1.5))
    return drawing
