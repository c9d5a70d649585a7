"""The export formats (a light module: the CLI imports it at start-up)."""

from __future__ import annotations

from enum import StrEnum


class ExportFormat(StrEnum):
    """A file format a snapshot exports to."""

    pdf = "pdf"
    xlsx = "xlsx"
    csv = "csv"
    zip = "zip"
