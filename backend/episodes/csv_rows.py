"""Read reference episodes from CSV text, reporting every bad line at once.

Columns: region (ISO3 or any name the alias table knows), onset_period, label, and
optionally theme and note; header names are matched without case. A file with any bad
line is refused whole, so an import never stores half a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import ValidationError

from backend.episodes.schemas import EpisodeCreate
from backend.errors import InvalidInput

REQUIRED_COLUMNS = ("region", "onset_period", "label")
OPTIONAL_COLUMNS = ("theme", "note")
MAX_ROWS = 10_000
Resolve = Callable[[str], int | None]


def _error(line: int, column: str | None, msg: str, kind: str) -> dict[str, Any]:
    loc: list[str | int] = ["file", line] if column is None else ["file", line, column]
    return {"loc": loc, "msg": msg, "type": kind, "line": line}


def _header_errors(fields: list[str]) -> list[dict[str, Any]]:
    missing = [c for c in REQUIRED_COLUMNS if c not in fields]
    unknown = [c for c in fields if c not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
    errors = [_error(1, c, f"missing column {c!r}", "missing_column") for c in missing]
    errors += [
        _error(1, c, f"unknown column {c!r}; known: region, onset_period, label, theme, note",
               "unknown_column")
        for c in unknown
    ]  # fmt: skip
    return errors


def _records(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Return the normalised header and (line number, values) per non-blank row."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in next(reader, [])]

    def rows() -> Iterator[tuple[int, list[str]]]:
        for values in reader:
            if any(v.strip() for v in values):
                yield reader.line_num, [v.strip() for v in values]

    return header, rows()


def _row(
    line: int, header: list[str], values: list[str], resolve: Resolve
) -> tuple[tuple[EpisodeCreate, int] | None, list[dict[str, Any]]]:
    """Validate one row: the episode and its region id, or the line's errors."""
    if len(values) > len(header):
        message = f"{len(values)} values for {len(header)} columns (a comma not quoted?)"
        return None, [_error(line, None, message, "too_many_values")]
    data = {k: v for k, v in zip(header, values, strict=False) if v or k in REQUIRED_COLUMNS}
    try:
        episode = EpisodeCreate.model_validate(data)
    except ValidationError as exc:
        return None, [
            _error(line, ".".join(str(p) for p in e["loc"]) or None, e["msg"], e["type"])
            for e in exc.errors()
        ]
    region_id = resolve(episode.region)
    if region_id is None:
        message = f"unknown region {episode.region!r}: give an ISO3 code or a known name"
        return None, [_error(line, "region", message, "unknown_region")]
    return (episode, region_id), []


def parse_rows(text: str, resolve: Resolve) -> list[tuple[EpisodeCreate, int]]:
    """Return each row's episode and region id, or raise InvalidInput listing bad lines."""
    header, records = _records(text)
    errors = _header_errors(header)
    found: list[tuple[EpisodeCreate, int]] = []
    if not errors:
        for line, values in records:
            if len(found) >= MAX_ROWS:
                errors.append(_error(line, None, f"more than {MAX_ROWS} rows", "too_many_rows"))
                break
            parsed, problems = _row(line, header, values, resolve)
            errors += problems
            found += [parsed] if parsed else []
    if not errors and not found:
        errors.append(_error(1, None, "the file holds no episodes", "empty"))
    if errors:
        lines = sorted({e["line"] for e in errors})
        raise InvalidInput(
            f"{len(lines)} line(s) of the CSV are invalid (line {', '.join(map(str, lines[:10]))}"
            f"{'...' if len(lines) > 10 else ''}); nothing was imported",
            extra={"errors": errors},
        )
    return found
