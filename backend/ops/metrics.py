"""Process metrics (requests, rule evaluations) that survive several worker processes.

Each process counts in memory and writes its totals, at most once a second, to
``<data_dir>/metrics/<pid>.json``; ``/metrics`` adds up every file. This is Prometheus'
own multiprocess model (per-process files summed at scrape time) in a few lines: any API
worker answers with the totals of all workers and of the scheduler, and the files of
processes that ended keep their final counts so counters never go backwards.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RULE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
FLUSH_EVERY = 1.0  # seconds between writes of this process's file

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Family:
    """One metric's name, type, help text and (for histograms) bucket bounds."""

    name: str
    kind: str  # "counter" or "histogram"
    help: str
    buckets: tuple[float, ...] = ()


HTTP_REQUESTS = Family(
    "tocsin_http_requests_total", "counter", "HTTP requests answered, by route and status"
)
HTTP_LATENCY = Family(
    "tocsin_http_request_duration_seconds",
    "histogram",
    "Time to answer an HTTP request, by route",
    REQUEST_BUCKETS,
)
RULE_EVALUATIONS = Family(
    "tocsin_rule_evaluations_total", "counter", "Rule evaluation passes, by outcome"
)
RULE_LATENCY = Family(
    "tocsin_rule_evaluation_duration_seconds",
    "histogram",
    "Time of one rule evaluation pass (every active rule over the changed series)",
    RULE_BUCKETS,
)
FAMILIES = {f.name: f for f in (HTTP_REQUESTS, HTTP_LATENCY, RULE_EVALUATIONS, RULE_LATENCY)}


@dataclass
class Store:
    """Counter values and histogram bucket counts of one process, keyed by name and labels."""

    values: dict[str, dict[Labels, list[float]]] = field(default_factory=dict)

    def add(self, family: Family, labels: Labels, amount: float) -> None:
        """Add to a counter, or record one observation in a histogram."""
        slot = self.values.setdefault(family.name, {})
        if family.kind == "counter":
            slot.setdefault(labels, [0.0])[0] += amount
            return
        # Histogram cells: one count per bucket bound, then +Inf count, then the sum.
        cells = slot.setdefault(labels, [0.0] * (len(family.buckets) + 2))
        for i, bound in enumerate(family.buckets):
            if amount <= bound:
                cells[i] += 1
        cells[-2] += 1
        cells[-1] += amount

    def merge(self, other: Store) -> None:
        """Add another process's values into this store."""
        for name, series in other.values.items():
            slot = self.values.setdefault(name, {})
            for labels, cells in series.items():
                mine = slot.setdefault(labels, [0.0] * len(cells))
                if len(mine) == len(cells):
                    slot[labels] = [a + b for a, b in zip(mine, cells, strict=True)]

    def dump(self) -> str:
        """Serialise to JSON (labels as lists of pairs)."""
        out = {n: [[list(map(list, k)), v] for k, v in s.items()] for n, s in self.values.items()}
        return json.dumps(out)

    @classmethod
    def load(cls, text: str) -> Store:
        """Read a store written by ``dump``."""
        raw = json.loads(text)
        return cls(
            {
                n: {tuple((str(a), str(b)) for a, b in k): list(v) for k, v in s}
                for n, s in raw.items()
            }
        )


def _pairs(key: object) -> Labels:
    """Turn stored ``[[name, value], ...]`` back into a labels tuple."""
    if not isinstance(key, list):
        raise ValueError("labels must be a list of pairs")
    return tuple((str(pair[0]), str(pair[1])) for pair in key)


class Recorder:
    """This process's store, written to a shared folder so every worker can report it."""

    def __init__(self) -> None:
        self.store = Store()
        self.folder: Path | None = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def configure(self, folder: Path | None) -> None:
        """Set (or clear) the folder where process files are written and read."""
        with self._lock:
            self.folder = folder
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)

    def add(self, family: Family, labels: dict[str, str], amount: float = 1.0) -> None:
        """Record one value; this process's file is rewritten within FLUSH_EVERY seconds."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            self.store.add(family, key, amount)
            if self.folder is None or self._timer is not None:
                return
            # Write later, once, so a burst costs one write and its tail is not left unwritten.
            self._timer = threading.Timer(FLUSH_EVERY, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def flush(self) -> None:
        """Write this process's totals atomically (rename over the old file)."""
        if self.folder is None:
            return
        with self._lock:
            text = self.store.dump()
            self._timer = None
        target = self.folder / f"{os.getpid()}.json"
        tmp = target.with_suffix(".tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        except OSError as exc:  # metrics must never break the process that counts
            log.warning("metrics: cannot write %s: %s", target, exc)

    def collect(self) -> Store:
        """Return the sum over every process file (or this process alone, with no folder)."""
        if self.folder is None:
            with self._lock:
                return Store.load(self.store.dump())
        self.flush()
        total = Store()
        for path in sorted(self.folder.glob("*.json")):
            try:
                total.merge(Store.load(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue  # a file being replaced or corrupt: the next scrape reads it
        return total


RECORDER = Recorder()


@contextmanager
def time_rule_evaluation(recorder: Recorder = RECORDER) -> Iterator[None]:
    """Time one rule evaluation pass and count it as ok or failed (the hook for callers)."""
    start = time.perf_counter()
    outcome = "failed"
    try:
        yield
        outcome = "ok"
    finally:
        recorder.add(RULE_LATENCY, {}, time.perf_counter() - start)
        recorder.add(RULE_EVALUATIONS, {"outcome": outcome})


def _number(value: float) -> str:
    """Format a sample value the way the exposition format expects."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _escape(value: str) -> str:
    """Escape a label value: backslash, double quote and newline."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    """Render ``{a="x",b="y"}``, or nothing without labels."""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + inner + "}" if inner else ""


def render_family(family: Family, series: dict[Labels, list[float]]) -> list[str]:
    """Render one family in the Prometheus text format (HELP, TYPE, samples)."""
    lines = [f"# HELP {family.name} {family.help}", f"# TYPE {family.name} {family.kind}"]
    for labels, cells in sorted(series.items()):
        if family.kind != "histogram":
            lines.append(f"{family.name}{_labels(labels)} {_number(cells[0])}")
            continue
        bounds: Sequence[float] = (*family.buckets, math.inf)
        for bound, count in zip(bounds, cells[:-1], strict=True):
            le = (*labels, ("le", _number(bound)))
            lines.append(f"{family.name}_bucket{_labels(le)} {_number(count)}")
        lines.append(f"{family.name}_sum{_labels(labels)} {_number(cells[-1])}")
        lines.append(f"{family.name}_count{_labels(labels)} {_number(cells[-2])}")
    return lines


def render_store(store: Store) -> list[str]:
    """Render every known family of a store (families with no samples still get HELP/TYPE)."""
    lines: list[str] = []
    for name, family in FAMILIES.items():
        lines += render_family(family, store.values.get(name, {}))
    return lines
