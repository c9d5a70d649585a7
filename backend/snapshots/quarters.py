"""Calendar quarters: parse ``2023Q4``, give their bounds, the previous one, the last ended."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``YYYYQn``; raise ValueError on anything else."""
        match = _PATTERN.match(text.strip().upper())
        if match is None:
            raise ValueError(f"not a quarter: {text!r} (expected YYYYQn, e.g. 2023Q4)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """Return the quarter a day falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def last_ended(cls, now: datetime, delay_days: int = 0) -> Quarter:
        """Return the latest quarter that ended at least ``delay_days`` days before ``now``."""
        return cls.containing(now.date() - timedelta(days=delay_days)).previous()

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> date:
        """Return the quarter's first day."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """Return the quarter's last day."""
        following = self.next().start
        return following - timedelta(days=1)

    def previous(self) -> Quarter:
        """Return the quarter before."""
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def next(self) -> Quarter:
        """Return the quarter after."""
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )
