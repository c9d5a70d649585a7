"""Any list as CSV: ``?format=csv`` (or ``Accept: text/csv``) answers every matching row.

One helper for every list route. A route keeps answering its JSON page and, when CSV is
asked for, hands this module either the items it already holds (:func:`csv_response`) or a
page fetcher that is called page after page until the rows run out (:func:`paged_csv`).
Nested objects become dotted columns (``region.code``); lists and free-form mappings
become JSON text; text a spreadsheet would run as a formula is quoted, as in the exports.
"""

from __future__ import annotations

import csv
import io
import json
import types
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal, Protocol, Self, TypeVar, Union, get_args, get_origin

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from backend.exports.tables import escape_formula

CSV_MEDIA_TYPE = "text/csv"
# Rows read per query when every page is wanted: few round trips, bounded result sets.
CSV_PAGE_SIZE = 1000
ListFormat = Literal["json", "csv"]

CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The page as JSON, or with `format=csv` (or `Accept: text/csv`) every "
        "matching row as a CSV download with a header row",
        "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}


class CsvFormat(BaseModel):
    """Mixin of list queries: the answer's format."""

    format: ListFormat = Field(
        default="json",
        description="json (one page), or csv: every matching row, all pages, as a download",
        examples=["json"],
    )


class PagedQuery(Protocol):
    """A list query with a page number and size (the fetcher is called with copies)."""

    page: int
    page_size: int

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self:
        """Return a copy with some fields replaced."""
        ...


class PageOf(Protocol):
    """A page answer: its items."""

    @property
    def items(self) -> Sequence[BaseModel]:
        """Return the page's items."""
        ...


Q = TypeVar("Q", bound=PagedQuery)
Q_contra = TypeVar("Q_contra", bound=PagedQuery, contravariant=True)


class PageFetcher(Protocol[Q_contra]):
    """A list query function with the session bound, e.g. ``partial(list_alerts, session)``."""

    def __call__(self, *, query: Q_contra) -> PageOf:
        """Return one page of the query's matches."""
        ...


def wants_csv(request: Request, fmt: str = "json") -> bool:
    """Tell whether the caller asked for CSV, by the format parameter or the Accept header."""
    return fmt == "csv" or CSV_MEDIA_TYPE in request.headers.get("accept", "")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """Return the model class of an annotation like ``Model`` or ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [m for m in map(_model_of, get_args(annotation)) if m is not None]
        return models[0] if len(models) == 1 else None
    return None


def columns(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Return the CSV columns of a model: its fields, nested models flattened with dots."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        nested = _model_of(field.annotation)
        key = prefix + name
        out.extend(columns(nested, key + ".") if nested is not None else [key])
    return out


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Map dotted keys to values; a mapping is kept whole too (a free-form column)."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        key = prefix + name
        out[key] = value
        if isinstance(value, dict):
            out.update(_flatten(value, key + "."))
    return out


def cell(value: Any) -> str:
    """Return one CSV cell: JSON text for lists and mappings, formula-safe text otherwise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return escape_formula(str(value))


def _line(values: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def csv_lines(model: type[BaseModel], items: Iterable[BaseModel]) -> Iterator[str]:
    """Yield the header line, then one line per item."""
    keys = columns(model)
    yield _line(keys)
    for item in items:
        flat = _flatten(item.model_dump(mode="json"))
        yield _line(cell(flat.get(key)) for key in keys)


def all_pages(query: Q, fetch: PageFetcher[Q]) -> list[BaseModel]:
    """Return every item the query matches, reading page after page until one is not full."""
    items: list[BaseModel] = []
    page = 1
    while True:
        copy = query.model_copy(update={"page": page, "page_size": CSV_PAGE_SIZE})
        found = fetch(query=copy).items
        items.extend(found)
        if len(found) < CSV_PAGE_SIZE:
            return items
        page += 1


def csv_response(
    name: str, model: type[BaseModel], items: Iterable[BaseModel]
) -> StreamingResponse:
    """Stream items as a CSV attachment named ``tocsin-<name>.csv``."""
    headers = {"Content-Disposition": f'attachment; filename="tocsin-{name}.csv"'}
    return StreamingResponse(
        csv_lines(model, items), media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8", headers=headers
    )


def paged_csv(
    name: str, model: type[BaseModel], query: Q, fetch: PageFetcher[Q]
) -> StreamingResponse:
    """Answer a paged list as CSV of every page.

    The pages are read here, on the request's own session (one connection per request,
    so a burst of requests cannot exhaust the pool), and a bad query is still answered
    with its problem details; the body then streams as it is encoded.
    """
    return csv_response(name, model, all_pages(query, fetch))
