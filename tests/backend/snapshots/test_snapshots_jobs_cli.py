"""The scheduled snapshot job and the ``tocsin snapshot`` commands, on a migrated SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.schedulers.blocking import BlockingScheduler
from typer.testing import CliRunner

from backend import migrate
from backend.cli import app
from backend.config import get_settings
from backend.context import AppContext, build_context
from backend.db import transaction
from backend.snapshots.hashing import sha256_bytes
from backend.snapshots.service import list_snapshots
from ingest import scheduler as sched
from tests.backend.snapshots.factory import at, build_2023

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Return a migrated SQLite database holding the small 2023 world."""
    url = f"sqlite:///{tmp_path / 'snap.db'}"
    migrate.upgrade(url)
    ctx = build_context(get_settings(database_url=url))
    with transaction(ctx.sessions) as session:
        world = build_2023(session)
        world.alert("SQA", "2022", at(2023, 11, 5))
    ctx.dispose()
    return url


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:
    """Yield a context on the database with a 15-day snapshot delay."""
    context = build_context(
        get_settings(database_url=db_url, data_dir=tmp_path / "data", snapshot_delay_days=15)
    )
    yield context
    context.dispose()


def test_scheduled_snapshot_waits_for_the_delay_and_runs_once(ctx: AppContext) -> None:
    first = sched.scheduled_snapshot(ctx, holder="me", now=at(2024, 1, 10))
    second = sched.scheduled_snapshot(ctx, holder="me", now=at(2024, 1, 20))
    third = sched.scheduled_snapshot(ctx, holder="me", now=at(2024, 1, 21))
    assert first is not None and third is None
    with transaction(ctx.sessions) as session:
        quarters = {s.id: s.quarter for s in list_snapshots(session)}
    assert quarters == {first: "2023Q3", second: "2023Q4"}


def test_snapshot_job_is_added_only_when_enabled(ctx: AppContext) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    sched.add_snapshot_job(scheduler, ctx, holder="me")
    job = scheduler.get_job("snapshot")
    assert job is not None and (job.coalesce, job.max_instances) == (True, 1)
    ctx.settings.snapshot_enabled = False
    quiet = BlockingScheduler(timezone="UTC")
    sched.add_snapshot_job(quiet, ctx, holder="me")
    assert quiet.get_jobs() == []


def test_cli_create_prints_the_id_last_and_export_writes_the_file(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", db_url)
    monkeypatch.setenv("TOCSIN_SNAPSHOT_CLASSIFICATION", "RESTRICTED")
    created = runner.invoke(app, ["snapshot", "create", "--quarter", "2023Q4"])
    assert created.exit_code == 0, created.output
    snap_id = created.stdout.strip().splitlines()[-1]
    assert snap_id.isdigit()
    out = tmp_path / "out" / "q.xlsx"
    exported = runner.invoke(
        app, ["snapshot", "export", snap_id, "--format", "xlsx", "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.split()[-1] == sha256_bytes(out.read_bytes())
    bad = runner.invoke(app, ["snapshot", "create", "--quarter", "2023Q9"])
    assert bad.exit_code == 1 and "not a quarter" in bad.output
    missing = runner.invoke(
        app, ["snapshot", "export", "999", "--format", "pdf", "--out", str(out)]
    )
    assert missing.exit_code == 1 and "not found" in missing.output
