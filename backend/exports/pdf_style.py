"""Styles and small flowable helpers of the PDF brief; every text goes through ``para``."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, Image, Paragraph, Table, TableStyle

PAGE = A4
MARGIN = 2 * cm
WIDTH = PAGE[0] - 2 * MARGIN
_BASE = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", parent=_BASE["Title"], fontSize=26, leading=32),
    "h1": ParagraphStyle("h1", parent=_BASE["Heading1"], fontSize=17, spaceBefore=6),
    "h2": ParagraphStyle("h2", parent=_BASE["Heading2"], fontSize=13),
    "body": ParagraphStyle("body", parent=_BASE["BodyText"], fontSize=10, leading=13.5),
    "cell": ParagraphStyle("cell", parent=_BASE["BodyText"], fontSize=8, leading=10),
    "head": ParagraphStyle("head", parent=_BASE["BodyText"], fontSize=8, leading=10,
                           fontName="Helvetica-Bold"),
    "code": ParagraphStyle("code", parent=_BASE["Code"], fontSize=7, leading=8.5),
    "cover": ParagraphStyle("cover", parent=_BASE["BodyText"], fontSize=14, leading=20),
}  # fmt: skip


def para(text: object, style: str = "body") -> Paragraph:
    """Return a paragraph of plain text: <, > and & are escaped, never parsed as markup."""
    return Paragraph(escape(str(text)), STYLES[style])


def cell(value: Any) -> str:
    """Format a table value as text."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
    """Return a wrapped, striped table whose column widths (fractions) fill the text width."""
    data = [[para(h, "head") for h in header]]
    data += [[para(cell(v), "cell") for v in row] for row in rows]
    out = Table(data, colWidths=[w * WIDTH for w in widths], repeatRows=1)
    out.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dddddd")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f4f4")]),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))  # fmt: skip
    return out


def image(png: bytes, *, max_height: float = 20 * cm) -> Flowable:
    """Return a PNG scaled to the text width (and at most ``max_height``)."""
    from reportlab.lib.utils import ImageReader

    w, h = ImageReader(BytesIO(png)).getSize()
    scale = min(WIDTH / w, max_height / h)
    return Image(BytesIO(png), width=w * scale, height=h * scale)
