"""Gaps in the event ids behind the cursor: events that may still be on their way.

On PostgreSQL, ids come from a sequence when the row is inserted, not when it commits: a
long ingest can commit event 41 after a short rule edit committed event 42. A cursor
that jumped to 42 would never see 41. So the cursor remembers the ranges of ids it skipped
and looks for them again on every run, until they show up or are older than any
transaction could be (then they were rolled back). Pure functions: no database here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Gap:
    """Event ids first..last were missing when the cursor passed them at ``since``."""

    first: int
    last: int
    since: datetime

    def to_json(self) -> dict[str, object]:
        """Return the gap as stored in the cursor row."""
        return {"first": self.first, "last": self.last, "since": self.since.isoformat()}

    @classmethod
    def from_json(cls, value: Mapping[str, object]) -> Gap:
        """Read a gap stored by ``to_json``."""
        since = datetime.fromisoformat(str(value["since"]))
        return cls(int(str(value["first"])), int(str(value["last"])), since)


def skipped(after: int, ids: Iterable[int], since: datetime) -> list[Gap]:
    """Return the ranges of ids between after and the last of ids (ascending) that ids skip."""
    gaps, expected = [], after + 1
    for event_id in ids:
        if event_id > expected:
            gaps.append(Gap(expected, event_id - 1, since))
        expected = event_id + 1
    return gaps


def fill(gaps: Sequence[Gap], arrived: Iterable[int]) -> list[Gap]:
    """Return the gaps without the ids that arrived, split where needed."""
    found = sorted(set(arrived))
    left: list[Gap] = []
    for gap in gaps:
        inside = [i for i in found if gap.first <= i <= gap.last]
        left += skipped(gap.first - 1, [*inside, gap.last + 1], gap.since)
    return left


def still_open(gaps: Sequence[Gap], oldest: datetime) -> list[Gap]:
    """Return the gaps first seen at or after oldest; older ones were rolled back."""
    return [gap for gap in gaps if gap.since >= oldest]
