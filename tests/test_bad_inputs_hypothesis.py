"""Property tests of the parsers: whatever the bytes, only ParseError, and only finite values."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.sources import csv_upload, default_registry, owid, sdg, worldbank
from ingest.sources.base import ParseError, ParseResult

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Cells that have broken parsers somewhere before: numbers at the edges, separators, encodings.
TRICKY = st.sampled_from([
    "", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e30", "9" * 400,
    "1,234", "1.2.3", "0x10", "1_000", "--1", "\uff12\uff10\uff12\uff10", "2020", "2020Q5",
    "2020-13", "2020-02-30",
    "9999", "0000", "NOR", "XXZ", "Côte d'Ivoire", "homicide_rate", "=HYPERLINK(\"x\")",
    "\x00", "\ufeff", "\r", "\"", "a\nb", ";", "\t",
])  # fmt: skip
CELL = st.one_of(TRICKY, st.text(max_size=12), st.floats(allow_nan=True).map(str))
JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _check(parse: Callable[..., ParseResult], content: bytes) -> None:
    """Parse; a ParseError is fine, anything else fails; returned values must be finite."""
    try:
        result = parse(content, filename="fuzz")
    except ParseError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip()
        return
    assert all(math.isfinite(row.value) for row in result.rows)


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


@pytest.mark.parametrize("source", [s.id for s in default_registry()])
@FAST
@given(content=st.binary(max_size=600))
def test_random_bytes_only_raise_parse_error(source: str, content: bytes) -> None:
    _check(default_registry().get(source).parse, content)


@FAST
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=6), max_size=8))
def test_upload_cells_give_rows_or_problems(rows: list[list[str]]) -> None:
    content = _csv(["region", "indicator", "period", "value", "unit"], rows)
    try:
        result = csv_upload.parse(content, filename="fuzz.csv")
    except ParseError:
        return
    assert all(math.isfinite(row.value) for row in result.rows)
    assert len(result.rows) + len(result.problems) <= len(rows) + 1


@FAST
@given(rows=st.lists(st.lists(CELL, min_size=4, max_size=4), max_size=8))
def test_owid_cells_give_rows_or_problems(rows: list[list[str]]) -> None:
    header = ["Entity", "Code", "Year", owid.VALUE_PREFIX]
    _check(owid.parse, _csv(header, rows))


@FAST
@given(document=JSONISH)
def test_worldbank_and_sdg_json_of_any_shape(document: Any) -> None:
    content = json.dumps(document).encode()
    _check(worldbank.parse, content)
    _check(sdg.parse, content)


@FAST
@given(records=st.lists(st.dictionaries(st.sampled_from(["countryiso3code", "date", "value",
                                                         "country", "indicator"]), JSONISH,
                                        max_size=5), max_size=5))  # fmt: skip
def test_worldbank_pages_with_odd_records(records: list[dict[str, Any]]) -> None:
    meta = {"page": 1, "pages": 1, "per_page": 50, "total": len(records)}
    _check(worldbank.parse, json.dumps([meta, records]).encode())
