"""Test helpers for the source parsers: a recorded HTTP getter, an .xlsx writer, a resolver."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection
from functools import cache
from xml.sax.saxutils import escape

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from backend.db import Base
from backend.regions import models
from backend.regions.service import RegionResolver, load_reference
from ingest.sources.base import FetchError, Payload


class RecordedHttp:
    """An HttpGetter answering from a {url: bytes | Exception} table, logging each call."""

    def __init__(self, answers: dict[str, bytes | Exception], not_modified: Collection[str] = ()):
        self.answers = answers
        self.not_modified = not_modified
        self.calls: list[tuple[str, bool]] = []

    def get(self, url: str, *, conditional: bool = True, accept_html: bool = False) -> Payload:
        """Return the recorded answer for ``url``; an unknown URL is an HTTP 404."""
        self.calls.append((url, conditional))
        if conditional and url in self.not_modified:
            return Payload(content=b"", url=url, not_modified=True)
        answer = self.answers.get(url, FetchError(f"HTTP 404 from {url}"))
        if isinstance(answer, Exception):
            raise answer
        return Payload(content=answer, url=url, content_type="application/octet-stream")


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet"/></Relationships>'
)


def _workbook(sheet: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _cell(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"<c><v>{value}</v></c>"
    return f'<c t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def make_xlsx(rows: list[list[object]], sheet: str = "data_cts_intentional_homicide") -> bytes:
    """Write a one-sheet .xlsx (inline strings, numbers) the way Excel lays one out."""
    body = "".join(
        f'<row r="{n}">{"".join(_cell(v) for v in row)}</row>' for n, row in enumerate(rows, 1)
    )
    sheet_xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _workbook(sheet))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return buffer.getvalue()


@cache
def reference_resolver() -> RegionResolver:
    """Return the job's region resolver over the shipped reference tables (in-memory SQLite)."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[models.Region.__table__, models.RegionAlias.__table__])
    with Session(engine) as session:
        load_reference(session)
        resolver = RegionResolver.from_session(session)
    engine.dispose()
    return resolver


def resolves_to_country(region: str) -> bool:
    """Tell whether the job would store a row of this region (a country or an area)."""
    resolver = reference_resolver()
    found = resolver.resolve(region)
    return found is not None and resolver.info(found).is_country
