"""Crash consistency: ``kill -9`` in the middle of a write leaves nothing half done.

Each test runs a real ``tocsin`` command in a child process (tests/reliability/crash_child.py)
that pauses inside its open transaction at a chosen SQL statement, kills it there with
SIGKILL, and checks on SQLite and PostgreSQL that nothing partial was kept, that the next
start says what happened, and that a rerun completes.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from backend.db import make_engine
from backend.observations.models import Observation
from backend.rules.models import Rule, RuleVersion
from backend.snapshots.models import Snapshot, SnapshotFile
from backend.sources.models import IngestRun

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REGIONS_CSV = ROOT / "backend" / "regions" / "data" / "regions.csv"
CLI_SECONDS = 240.0


@dataclass
class Tocsin:
    """A migrated database of one kind and the environment that points commands at it."""

    url: str
    env: dict[str, str]
    engine: Engine
    folder: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``tocsin ARGS`` to completion and return it (exit code unchecked)."""
        return subprocess.run(
            [sys.executable, "-m", "tests.reliability.crash_child", "-", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=CLI_SECONDS,
            check=False,
        )  # fmt: skip

    def kill_midway(self, marker: str, *args: str) -> None:
        """Start ``tocsin ARGS``, wait until it pauses at ``marker``, and SIGKILL it there."""
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.crash_child", marker, *args],
            env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert child.stdout is not None
        said = []
        for line in child.stdout:
            said.append(line)
            if line.strip() == "MIDWAY":
                break
        else:
            child.wait(timeout=CLI_SECONDS)
            pytest.fail(f"the command ended before {marker}:\n{''.join(said)[-3000:]}")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL

    def count(self, statement: object) -> int:
        """Return a scalar count from the database, read in a fresh connection."""
        with self.engine.connect() as conn:
            return int(conn.execute(statement).scalar_one())  # type: ignore[call-overload]


@pytest.fixture
def tocsin(blank_database_url: str, tmp_path: Path) -> Iterator[Tocsin]:
    """Yield a database of each kind, upgraded by ``tocsin db upgrade`` (regions, rules)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOCSIN_")}
    env.update(
        TOCSIN_ENV="test",
        TOCSIN_DATABASE_URL=blank_database_url,
        TOCSIN_DATA_DIR=str(tmp_path / "data"),
        TOCSIN_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    engine = make_engine(blank_database_url)
    box = Tocsin(blank_database_url, env, engine, tmp_path)
    upgraded = box.run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    yield box
    engine.dispose()


def country_codes(limit: int) -> list[str]:
    """Return the first ``limit`` country codes (ISO3) of the reference table."""
    with REGIONS_CSV.open(encoding="utf-8", newline="") as fh:
        codes = [row["code"] for row in csv.DictReader(fh) if row["level"] == "country"]
    return codes[:limit]


def upload_file(folder: Path, *, regions: int = 150, years: int = 40) -> tuple[Path, int]:
    """Write an analyst's CSV upload of a new yearly indicator; return it and its row count."""
    lines = ["region,indicator,period,value,unit,note"]
    for i, code in enumerate(country_codes(regions)):
        lines += [f"{code},crash_test_rate,{1980 + y},{(i * 7 + y) % 50 + 0.5},per 100k,"
                  for y in range(years)]  # fmt: skip
    path = folder / "upload.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines) - 1


def test_an_ingest_killed_while_writing_keeps_nothing_and_is_marked_abandoned(
    tocsin: Tocsin,
) -> None:
    path, rows = upload_file(tocsin.folder)
    before = tocsin.count(select(func.count()).select_from(Observation))
    # Every observation is written; the run's own "succeeded" update is next: die there.
    tocsin.kill_midway("UPDATE ingest_run", "ingest", "run", "csv_upload", "--file", str(path))

    assert tocsin.count(select(func.count()).select_from(Observation)) == before
    assert tocsin.count(select(func.count()).where(IngestRun.status == "running")) == 1

    rerun = tocsin.run("ingest", "run", "csv_upload", "--file", str(path))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr

    with tocsin.engine.connect() as conn:
        runs = conn.execute(select(IngestRun.status, IngestRun.error).order_by(IngestRun.id)).all()
        doubled = conn.execute(
            select(Observation.region_id, Observation.indicator_id, Observation.period)
            .where(Observation.is_latest)
            .group_by(Observation.region_id, Observation.indicator_id, Observation.period)
            .having(func.count() > 1)
        ).all()
    assert [status for status, _ in runs] == ["abandoned", "succeeded"]
    assert "stopped before it finished" in (runs[0].error or "")
    added = tocsin.count(select(func.count()).select_from(Observation)) - before
    assert added == rows, "the rerun wrote every row once"
    assert doubled == [], "no series holds two latest values for one period"


def pack_file(folder: Path, *, rules: int, threshold: float) -> Path:
    """Write a rule file of ``rules`` threshold rules on the homicide rate."""
    lines = ["groups:", "  - name: crash", "    rules:"]
    for i in range(rules):
        lines += [
            f"      - name: crash_rule_{i:03d}",
            "        indicator: homicide_rate",
            "        operator: threshold_above",
            f"        params: {{threshold: {threshold + i}}}",
            "        severity: info",
            "        annotations:",
            '          summary: "{region} above the crash-test threshold"',
        ]
    path = folder / f"pack-{threshold:g}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def crash_rules(tocsin: Tocsin) -> list[tuple[str, int, int]]:
    """Return (name, versions stored, highest version) of the crash-test rules."""
    with tocsin.engine.connect() as conn:
        rows = conn.execute(
            select(Rule.name, func.count(RuleVersion.id), func.max(RuleVersion.version))
            .join(RuleVersion, RuleVersion.rule_id == Rule.id, isouter=True)
            .where(Rule.name.like("crash_rule_%"))
            .group_by(Rule.name)
            .order_by(Rule.name)
        ).all()
    return [(name, int(n), int(top or 0)) for name, n, top in rows]


def test_a_rule_save_killed_midway_keeps_no_rule_and_no_version(tocsin: Tocsin) -> None:
    first = pack_file(tocsin.folder, rules=60, threshold=5)
    reason = ("--reason", "crash test")
    tocsin.kill_midway("INSERT INTO rule_version@40", "rules", "import", str(first), *reason)
    assert crash_rules(tocsin) == [], "39 rules were written, none may be kept"

    assert tocsin.run("rules", "import", str(first), *reason).returncode == 0
    assert [(n, top) for _, n, top in crash_rules(tocsin)] == [(1, 1)] * 60

    # New versions: killed once versions are written and rules start pointing at them
    # (PostgreSQL inserts the 60 versions in one batch first, SQLite one by one).
    second = pack_file(tocsin.folder, rules=60, threshold=50)
    tocsin.kill_midway("UPDATE rule SET", "rules", "import", str(second), *reason)
    assert [(n, top) for _, n, top in crash_rules(tocsin)] == [(1, 1)] * 60

    assert tocsin.run("rules", "import", str(second), *reason).returncode == 0
    assert [(n, top) for _, n, top in crash_rules(tocsin)] == [(2, 2)] * 60


def test_a_snapshot_killed_while_created_or_exported_leaves_no_trace_or_half_file(
    tocsin: Tocsin,
) -> None:
    path, _ = upload_file(tocsin.folder, regions=20, years=10)
    assert tocsin.run("ingest", "run", "csv_upload", "--file", str(path)).returncode == 0

    # Creating: killed as the creation is audited (the snapshot row is already written).
    tocsin.kill_midway("INSERT INTO audit_log", "snapshot", "create", "--quarter", "2024Q4")
    assert tocsin.count(select(func.count()).select_from(Snapshot)) == 0
    created = tocsin.run("snapshot", "create", "--quarter", "2024Q4")
    assert created.returncode == 0, created.stdout + created.stderr
    snap_id = created.stdout.strip().splitlines()[-1].split()[-1]

    reference = tocsin.folder / "reference.xlsx"
    export = ("snapshot", "export", snap_id, "--format", "xlsx", "--no-figures")
    assert tocsin.run(*export, "--out", str(reference)).returncode == 0

    # Exporting: killed after the file is written but before it is recorded.
    out = tocsin.folder / "exports" / "brief.xlsx"
    tocsin.kill_midway("INSERT INTO snapshot_file", *export, "--out", str(out))
    assert out.read_bytes() == reference.read_bytes(), "a complete file or none"
    assert tocsin.count(select(func.count()).select_from(SnapshotFile)) == 1  # the reference
    leftovers = [p.name for p in out.parent.iterdir() if p.name != out.name]
    assert leftovers == []

    assert tocsin.run(*export, "--out", str(out)).returncode == 0
    assert out.read_bytes() == reference.read_bytes()
    assert tocsin.count(select(func.count()).select_from(SnapshotFile)) == 2
