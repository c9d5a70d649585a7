"""XLSX export: one sheet per table, typed cells, frozen headers, fixed metadata and bytes."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from backend.exports.tables import Column, Table, build_tables, escape_formula

NUMBER_FORMATS = {"float": "0.00", "int": "0", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _naive_utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _write(sheet: Worksheet, row: int, col: int, column: Column, value: Any, fmt: Format) -> None:
    """Write one cell with the type its column declares (blank when missing)."""
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif column.kind in ("int", "float"):
        sheet.write_number(row, col, float(value), fmt)
    elif column.kind == "bool":
        sheet.write_boolean(row, col, bool(value))
    elif column.kind == "date":
        sheet.write_datetime(
            row, col, datetime.combine(date.fromisoformat(value[:10]), datetime.min.time()), fmt
        )
    elif column.kind == "datetime":
        sheet.write_datetime(row, col, _naive_utc(value), fmt)
    else:
        sheet.write_string(row, col, escape_formula(str(value)))


def _sheet(book: xlsxwriter.Workbook, table: Table, header: Format) -> None:
    sheet = book.add_worksheet(table.name)
    formats = {k: book.add_format({"num_format": f}) for k, f in NUMBER_FORMATS.items()}
    plain = book.add_format()
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, column.key, header)
        sheet.set_column(col, col, column.width)
    for r, values in enumerate(table.rows, start=1):
        for col, (column, value) in enumerate(zip(table.columns, values, strict=True)):
            _write(sheet, r, col, column, value, formats.get(column.kind, plain))
    sheet.freeze_panes(1, 0)
    if table.rows:
        sheet.autofilter(0, 0, len(table.rows), len(table.columns) - 1)


def _summary(book: xlsxwriter.Workbook, manifest: Mapping[str, Any], sha: str) -> None:
    sheet = book.add_worksheet("snapshot")
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 90)
    items = [
        ("quarter", manifest["quarter"]), ("created_at", manifest["created_at"]),
        ("created_by", manifest["created_by"]), ("classification", manifest["classification"]),
        ("content_sha256", sha), ("observations_sha256", manifest["observations_sha256"]),
        ("policy", manifest["policy"]),
    ]  # fmt: skip
    for r, (key, value) in enumerate(items):
        sheet.write_string(r, 0, key)
        sheet.write_string(r, 1, escape_formula(str(value)))


def export_xlsx(manifest: Mapping[str, Any], *, content_sha256: str) -> bytes:
    """Return the workbook's bytes; the same manifest always gives the same bytes."""
    buffer = io.BytesIO()
    options = {"in_memory": True, "constant_memory": False, "strings_to_formulas": False,
               "strings_to_urls": False, "strings_to_numbers": False}  # fmt: skip
    book = xlsxwriter.Workbook(buffer, options)
    created = _naive_utc(str(manifest["created_at"]))
    book.set_properties({
        "title": f"Tocsin snapshot {manifest['quarter']}", "author": "Tocsin",
        "created": created, "comments": f"content sha256 {content_sha256}",
    })  # fmt: skip
    header = book.add_format({"bold": True, "bg_color": "#DDDDDD", "bottom": 1})
    _summary(book, manifest, content_sha256)
    for table in build_tables(manifest):
        _sheet(book, table, header)
    book.close()
    return buffer.getvalue()
