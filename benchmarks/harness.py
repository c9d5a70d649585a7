"""Timing, the figure record and the report: shared by every benchmark module."""

from __future__ import annotations

import gc
import json
import os
import platform
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ingest.sources import Registry

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


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (for a benchmark's server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds a process and all its descendants have used (Linux /proc)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # it ended while we looked
            continue
        # After "(command)": state, ppid, ... with utime and stime the 12th and 13th.
        fields = text[text.rindex(")") + 2 :].split()
        process = int(stat.parent.name)
        parents[process] = int(fields[1])
        used[process] = (int(fields[11]) + int(fields[12])) / ticks
    tree, grown = {pid}, True
    while grown:
        children = {child for child, parent in parents.items() if parent in tree}
        grown = not children <= tree
        tree |= children
    return sum(used.get(process, 0.0) for process in tree)


def wait_until_serving(
    server: subprocess.Popen[bytes], url: str, *, timeout_s: float = 120.0
) -> None:
    """Wait until url answers 200 and the server's processes are idle; stop if it never does.

    The first answer may come from the first of several workers while the others are
    still importing; waiting for idle keeps that start-up work out of the measurement.
    """
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {server.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                wait_until_idle(server.pid)
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server for {url} did not answer within {timeout_s:.0f} s")


def wait_until_idle(pid: int, *, quiet_s: float = 1.0, timeout_s: float = 120.0) -> None:
    """Wait until a server and its workers have finished starting (CPU under 5% for quiet_s).

    A server answers its first request while its other worker processes may still be
    importing; on a small machine that import work would be measured as the server's.
    """
    deadline = time.monotonic() + timeout_s
    before, since = tree_cpu_seconds(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(quiet_s / 4)
        now = time.monotonic()
        used = tree_cpu_seconds(pid)
        if used - before > 0.05 * (now - since):
            before, since = used, now
        elif now - since >= quiet_s:
            return
    raise SystemExit(f"process {pid} did not settle within {timeout_s:.0f} s")


def percentile(values: list[float], q: float) -> float:
    """Return the value at quantile q (nearest rank); 0.0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def tocsin(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run one ``tocsin`` command from the project folder; return its stdout, or stop."""
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], env=env, cwd=ROOT, input=stdin,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"`tocsin {' '.join(args)}` failed: {done.stderr[-2000:]}")
    return done.stdout


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


def viewer_token(session: Session, username: str) -> str:
    """Create a viewer and return a new API token's secret (reads are closed to anonymous)."""
    from backend.users import service as users

    user = users.create_user(session=session, actor="bench", username=username,
                             password=secrets.token_urlsafe(18), role="viewer")  # fmt: skip
    _token, secret = users.issue_token(session=session, actor="bench", user=user, name="bench")
    return secret


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


def timed(fn: Callable[..., Any], name: str, into: dict[str, float]) -> Callable[..., Any]:
    """Return ``fn`` adding the seconds each call takes to ``into[name]``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - start

    return call


@contextmanager
def phase_timer(owner: object, names: Iterable[str], into: dict[str, float]) -> Iterator[None]:
    """Time every call of ``owner.<name>`` into ``into[name]`` (seconds) while the block runs."""
    saved = {name: getattr(owner, name) for name in names}
    for name, fn in saved.items():
        setattr(owner, name, timed(fn, name, into))
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(owner, name, fn)


def template_database(folder: Path) -> Path:
    """Build a migrated, seeded SQLite database once; benchmarks copy it per repetition."""
    from backend import migrate
    from backend.config import get_settings
    from backend.context import build_context
    from backend.db import transaction
    from backend.seed import seed_reference

    path = folder / "template.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    ctx = build_context(get_settings(database_url=url, data_dir=folder / "data"))
    with transaction(ctx.sessions) as session:
        seed_reference(session=session)
    ctx.dispose()
    return path


def copy_database(template: Path, work: Path) -> None:
    """Replace ``work`` (and its WAL files) with a fresh copy of ``template``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, work)


BARE_INSERT = (
    "INSERT INTO observation (indicator_id, region_id, period, period_start, value, vintage,"
    " retrieved_at, is_latest, is_demo, source_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, 'bench')"
)


def bare_indicator_ids(conn: sqlite3.Connection, codes: Iterable[str]) -> dict[str, int]:
    """Make sure the bench source and these indicators exist (plain SQL); return their ids."""
    conn.execute(
        "INSERT OR IGNORE INTO source (id, title, publisher, licence, url, cadence, cadence_days,"
        " schedule, enabled) VALUES ('bench', 'b', 'b', 'b', '', 'yearly', 365, 'off', 1)"
    )
    ids: dict[str, int] = {}
    for code in codes:
        conn.execute(
            "INSERT OR IGNORE INTO indicator (code, name, unit, frequency, higher_is_worse,"
            " description) VALUES (?, ?, 'u', 'year', 1, '')",
            (code, code),
        )
        ids[code] = conn.execute("SELECT id FROM indicator WHERE code = ?", (code,)).fetchone()[0]
    return ids


def bare_store(conn: sqlite3.Connection, values: list[tuple[object, ...]]) -> int:
    """Insert rows into observation with one executemany, commit, close; return the count."""
    conn.executemany(BARE_INSERT, values)
    conn.commit()
    conn.close()
    return len(values)


def run_source(
    database: Path, data_dir: Path, source_id: str, file: Path, registry: Registry | None = None
) -> str:
    """Run one ingest of a local file on a SQLite database and return its summary line."""
    from backend.config import get_settings
    from backend.context import build_context
    from ingest.jobs import run_ingest

    ctx = build_context(get_settings(database_url=f"sqlite:///{database}", data_dir=data_dir))
    result = run_ingest(ctx, source_id, file=file, registry=registry)
    ctx.dispose()
    if not result.ok:
        raise SystemExit(f"benchmark ingest failed: {result.summary()}")
    return result.summary()


PHASES = {"parse": "parse", "_resolve": "resolve", "upsert_observations": "upsert",
          "_evaluate_rules": "rules", "_append_event": "event"}  # fmt: skip


def ingest_breakdown(
    database: Path, data_dir: Path, source_id: str, file: Path, registry: Registry | None = None
) -> dict[str, float]:
    """Run one ingest and return the seconds spent in parse, resolve, upsert, rules and the rest."""
    import dataclasses

    import ingest.jobs
    from ingest.sources import Registry, default_registry

    phases: dict[str, float] = {}
    source = (registry or default_registry()).get(source_id)
    timed_source = dataclasses.replace(source, parse=timed(source.parse, "parse", phases))
    others = [s for s in (registry or default_registry()) if s.id != source_id]
    start = time.perf_counter()
    with phase_timer(ingest.jobs, [name for name in PHASES if name != "parse"], phases):
        run_source(database, data_dir, source_id, file, Registry([*others, timed_source]))
    total = time.perf_counter() - start
    out = {PHASES[name]: round(seconds, 4) for name, seconds in phases.items()}
    out["other (run record, archive, commit, setup)"] = round(total - sum(phases.values()), 4)
    out["total"] = round(total, 4)
    return out


@dataclass
class Workspace:
    """A template database, the working copy each repetition starts from, and a data dir."""

    template: Path
    work: Path
    data: Path

    def fresh(self) -> None:
        """Start the working database again from the template."""
        copy_database(self.template, self.work)

    def ingest(self, source_id: str, file: Path, registry: Registry | None = None) -> str:
        """Run one ingest on the working database and return its summary line."""
        return run_source(self.work, self.data, source_id, file, registry)

    def breakdown(
        self, source_id: str, file: Path, registry: Registry | None = None
    ) -> dict[str, float]:
        """Run one ingest on the working database and return where its time went."""
        return ingest_breakdown(self.work, self.data, source_id, file, registry)


@contextmanager
def workspace() -> Iterator[Workspace]:
    """Yield a workspace in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        yield Workspace(template_database(folder), folder / "work.db", folder / "data")
