"""Alert candidates: what the rule core hands to the alert lifecycle."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from rules.model import Severity

State = Literal["pending", "firing"]
DetailValue = float | int | str | bool | None


def fingerprint(rule: str, region: str, period: str) -> str:
    """Return the stable identity of an alert: sha1 of rule name, region and period."""
    key = "\x1f".join((rule, region, period)).encode()
    return hashlib.sha1(key, usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class AlertCandidate:
    """One rule condition met for one region and period, with the numbers that explain it.

    ``state`` is "pending" while the condition has held for fewer than ``for + 1``
    consecutive periods, then "firing".
    """

    rule: str
    region: str
    indicator: str
    period: str
    state: State
    severity: Severity
    value: float | None
    baseline: float | None
    threshold: float | None
    explanation: str
    details: dict[str, DetailValue] = field(hash=False)
    labels: dict[str, str] = field(hash=False)
    fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of every field."""
        return asdict(self)
