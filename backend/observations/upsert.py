"""The vintage-keeping upsert: the only writer of real observations.

A value that differs from the stored one adds a row with the new vintage and moves the
``is_latest`` flag; nothing is overwritten. Work is done in bulk: one query per indicator
to read the stored series, one bulk UPDATE for the flags, one bulk INSERT for new rows.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from backend.observations.models import Observation
from backend.timeutil import utcnow

REL_TOLERANCE = 1e-9
_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-W(\d{2})|-(\d{2})(?:-(\d{2}))?)?$")


class PeriodError(ValueError):
    """A period is not a year, quarter, month or day."""


@lru_cache(maxsize=65536)  # a payload repeats a few hundred periods over thousands of rows
def period_start(period: str) -> date:
    """Return the first day of a period: 2020, 2020Q3, 2020-W27, 2020-07 or 2020-07-15."""
    match = _PERIOD.match(period)
    if not match:
        raise PeriodError(f"period {period!r} is not YYYY, YYYYQn, YYYY-Wnn, YYYY-MM or YYYY-MM-DD")
    year, quarter, week, month, day = match.groups()
    try:
        if quarter:
            return date(int(year), 3 * int(quarter) - 2, 1)
        if week:
            return date.fromisocalendar(int(year), int(week), 1)
        return date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise PeriodError(f"period {period!r} is not a real date: {exc}") from exc


def same_value(a: float | None, b: float | None) -> bool:
    """Tell whether two published values are equal, up to float noise."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=1e-12)


@dataclass(frozen=True)
class ObservationIn:
    """One resolved value ready to store."""

    region_id: int
    indicator_id: int
    period: str
    value: float | None
    vintage: date
    source_id: str
    run_id: int | None
    is_demo: bool = False


@dataclass
class UpsertResult:
    """What the upsert did, and the input rows (by index) it refused, with the reason."""

    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    demo_deleted: int = 0
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    changed: set[tuple[int, int]] = field(default_factory=set)  # (indicator_id, region_id)


class _Series:
    """The stored vintages of one (region, period), and which one is latest."""

    __slots__ = ("latest", "latest_ref", "vintages")

    def __init__(self) -> None:
        self.vintages: dict[date, float | None] = {}
        self.latest: date | None = None
        self.latest_ref: Any = None  # a stored row id, or the pending insert dict


def _split_conflicts(rows: Sequence[ObservationIn], result: UpsertResult) -> list[int]:
    """Return the indexes to store, in vintage order; refuse same-vintage rows that differ."""
    first: dict[tuple[int, int, str, date], int] = {}
    repeats: dict[tuple[int, int, str, date], list[int]] = {}
    for index, row in enumerate(rows):
        key = (row.indicator_id, row.region_id, row.period, row.vintage)
        seen = first.setdefault(key, index)
        if seen != index:
            repeats.setdefault(key, [seen]).append(index)
    dropped: set[int] = set()
    for (_, _, period, vintage), indexes in repeats.items():
        values = [rows[i].value for i in indexes]
        if all(same_value(values[0], v) for v in values[1:]):
            dropped.update(indexes[1:])
            result.unchanged += len(indexes) - 1  # exact repeats in one payload
            continue
        dropped.update(indexes)
        shown = ", ".join(str(v) for v in values)
        reason = f"conflicting values for {period} in one release (vintage {vintage}): {shown}"
        result.conflicts.extend((i, reason) for i in indexes)
    keep = [i for i in first.values() if i not in dropped] if dropped else list(first.values())
    if len({rows[i].vintage for i in keep}) > 1:
        keep.sort(key=lambda i: (rows[i].vintage, i))  # older releases first
    return keep


def _stored(session: Session, indicator_id: int, demo: bool) -> dict[tuple[int, str], _Series]:
    """Read every stored vintage of an indicator (real or demo) in one query."""
    c = Observation.__table__.c
    query = select(c.id, c.region_id, c.period, c.vintage, c.value, c.is_latest).where(
        c.indicator_id == indicator_id, c.is_demo.is_(demo)
    )
    series: dict[tuple[int, str], _Series] = {}
    # Core rows unpacked as tuples: this loop runs once per stored value on every re-ingest.
    for row_id, region_id, period, vintage, value, is_latest in session.connection().execute(query):
        state = series.get((region_id, period))
        if state is None:
            state = series[(region_id, period)] = _Series()
        state.vintages[vintage] = value
        if is_latest:
            state.latest, state.latest_ref = vintage, row_id
    return series


def _new_row(row: ObservationIn, retrieved_at: datetime, latest: bool) -> dict[str, Any]:
    return {
        "indicator_id": row.indicator_id, "region_id": row.region_id, "period": row.period,
        "period_start": period_start(row.period), "value": row.value, "vintage": row.vintage,
        "retrieved_at": retrieved_at, "is_latest": latest, "is_demo": row.is_demo,
        "source_id": row.source_id, "run_id": row.run_id,
    }  # fmt: skip


class _Plan:
    """The inserts and flag changes one upsert call will write."""

    def __init__(self, retrieved_at: datetime) -> None:
        self.retrieved_at = retrieved_at
        self.inserts: list[dict[str, Any]] = []
        self.demote: list[int] = []

    def add(self, row: ObservationIn, state: _Series, result: UpsertResult, index: int) -> None:
        """Decide what one row does to its series: insert, revise, nothing, or conflict."""
        if row.vintage in state.vintages:
            stored = state.vintages[row.vintage]
            if same_value(stored, row.value):
                result.unchanged += 1
            else:
                reason = (
                    f"vintage {row.vintage} of {row.period} is stored as {stored}, now {row.value}"
                )
                result.conflicts.append((index, reason))
            return
        if state.latest is not None and same_value(state.vintages[state.latest], row.value):
            result.unchanged += 1
            return
        newest = state.latest is None or row.vintage > state.latest
        record = _new_row(row, self.retrieved_at, latest=newest)
        self.inserts.append(record)
        if state.latest is None:
            result.inserted += 1
        else:
            result.revised += 1
        if newest:
            self._demote(state.latest_ref)
            state.latest, state.latest_ref = row.vintage, record
        state.vintages[row.vintage] = row.value
        result.changed.add((row.indicator_id, row.region_id))

    def _demote(self, ref: Any) -> None:
        if isinstance(ref, dict):
            ref["is_latest"] = False  # superseded within this same payload
        elif ref is not None:
            self.demote.append(ref)

    def write(self, session: Session) -> None:
        """Flush the plan with one bulk UPDATE and one bulk INSERT."""
        if self.demote:
            session.execute(
                update(Observation), [{"id": i, "is_latest": False} for i in self.demote]
            )
        if self.inserts:
            # Core executemany: the ORM's bulk path costs several times more per row here.
            session.execute(insert(cast("Table", Observation.__table__)), self.inserts)


def delete_demo(session: Session, *, indicator_ids: set[int]) -> int:
    """Delete the demo observations of these indicators; real data replaces them."""
    if not indicator_ids:
        return 0
    statement = delete(Observation).where(
        Observation.indicator_id.in_(sorted(indicator_ids)), Observation.is_demo.is_(True)
    )
    done = session.execute(statement, execution_options={"synchronize_session": False})
    return int(cast("CursorResult[Any]", done).rowcount)


def upsert_observations(
    *, session: Session, rows: Sequence[ObservationIn], retrieved_at: datetime | None = None
) -> UpsertResult:
    """Store new values and revisions, keep every vintage, and replace demo data."""
    result = UpsertResult()
    keep = _split_conflicts(rows, result)
    real = {rows[i].indicator_id for i in keep if not rows[i].is_demo}
    result.demo_deleted = delete_demo(session, indicator_ids=real)
    plan = _Plan(retrieved_at or utcnow())
    by_indicator: dict[tuple[int, bool], list[int]] = defaultdict(list)
    for index in keep:
        by_indicator[(rows[index].indicator_id, rows[index].is_demo)].append(index)
    for (indicator_id, demo), indexes in by_indicator.items():
        stored = _stored(session, indicator_id, demo)
        for index in indexes:
            row = rows[index]
            state = stored.get((row.region_id, row.period))
            if state is None:
                state = stored[(row.region_id, row.period)] = _Series()
            plan.add(row, state, result, index)
    plan.write(session)
    session.flush()
    return result
