"""Timing, the figure record and the report: shared by every benchmark module."""

from __future__ import annotations

import gc
import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
REPORT = Path(__file__).resolve().parent / "report.json"


@dataclass
class Figure:
    """One measured figure: the subject's time against its reference's, and the bar it must meet."""

    name: str
    subject_s: float
    reference_s: float
    reference: str
    limit: float | None = None  # the ratio must be at most this
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Return subject time divided by reference time."""
        return self.subject_s / self.reference_s if self.reference_s else float("inf")

    @property
    def passed(self) -> bool | None:
        """Tell whether the ratio meets the limit (None when there is no limit)."""
        return None if self.limit is None else self.ratio <= self.limit


def best_of(
    fn: Callable[[], object], *, repeat: int = 5, setup: Callable[[], object] | None = None
) -> float:
    """Return the best wall time of ``repeat`` runs of ``fn`` (setup excluded from the timing)."""
    best = float("inf")
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def require_shared(relative: str) -> Path:
    """Return a real data file from ../shared/data or stop with a clear message."""
    path = SHARED_DATA / relative
    if not path.exists():
        raise SystemExit(f"benchmark needs ../shared/data/{relative}, which is not here")
    return path


def write_report(figures: list[Figure]) -> dict[str, object]:
    """Write benchmarks/report.json and return its content."""
    report: dict[str, object] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "figures": [{**asdict(f), "ratio": round(f.ratio, 3), "passed": f.passed} for f in figures],
    }
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
