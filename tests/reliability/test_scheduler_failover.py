"""Two schedulers on one database, on SQLite and PostgreSQL: jobs run once, and a crashed
leader's work is taken over once its lease runs out."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend import migrate
from backend.config import get_settings
from backend.context import AppContext, build_context
from backend.sources.models import IngestRun
from ingest import scheduler as sched
from ingest.jobs import RunResult, run_ingest
from ingest.sources import Registry
from tests.ingest.test_scheduler import FAST

pytestmark = pytest.mark.slow

LEASE_S = 1.5


TICK = replace(FAST, id="tick_a")
REGISTRY = Registry([TICK, replace(TICK, id="tick_b")])


@pytest.fixture
def ctx(blank_database_url: str, tmp_path: Path) -> Iterator[AppContext]:
    migrate.upgrade(blank_database_url)
    context = build_context(
        get_settings(database_url=blank_database_url, data_dir=tmp_path / "data",
                     schedules={"tick_a": "@every 1s", "tick_b": "@every 1s"})
    )  # fmt: skip
    yield context
    context.dispose()


class Recorder:
    """Runs the real job, remembering which scheduler ran what and when."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float, float]] = []
        self.lock = threading.Lock()

    def runner(self, holder: str) -> Any:
        def run(ctx: AppContext, source_id: str, **kwargs: Any) -> RunResult:
            start = time.monotonic()
            result = run_ingest(ctx, source_id, **kwargs)
            with self.lock:
                self.calls.append((holder, source_id, start, time.monotonic()))
            return result

        return run


def start(ctx: AppContext, holder: str, recorder: Recorder) -> Any:
    scheduler = sched.build_scheduler(
        ctx, registry=REGISTRY, holder=holder, lease_seconds=LEASE_S,
        runner=recorder.runner(holder),
    )  # fmt: skip
    threading.Thread(target=scheduler.start, daemon=True).start()
    return scheduler


def test_two_schedulers_run_each_job_once_and_the_survivor_takes_over(ctx: AppContext) -> None:
    recorder = Recorder()
    first = start(ctx, "first", recorder)
    time.sleep(0.5)  # the first takes the lease
    second = start(ctx, "second", recorder)
    time.sleep(3)
    first.shutdown(wait=True)  # "crashes": its lease is not given back, it runs out
    stopped = time.monotonic()
    time.sleep(LEASE_S * 2 + 3)
    second.shutdown(wait=True)

    before = [c for c in recorder.calls if c[3] <= stopped]
    after = [c for c in recorder.calls if c[2] > stopped]
    assert before and {holder for holder, *_ in before} == {"first"}
    assert after and {holder for holder, *_ in after} == {"second"}
    for source in ("tick_a", "tick_b"):
        spans = sorted((s, e) for _, src, s, e in recorder.calls if src == source)
        assert all(end <= nxt for (_, end), (nxt, _) in itertools.pairwise(spans)), (
            f"two runs of {source} overlapped"
        )
    with ctx.sessions() as session:
        runs = session.scalars(select(IngestRun)).all()
    assert len(runs) == len(recorder.calls)
    assert {run.status for run in runs} == {"succeeded"}
