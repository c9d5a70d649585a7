"""Soak: GDELT slots replayed as a live feed for ~10 minutes while clients read the API.

``.venv/bin/python -m benchmarks bench_soak`` (``TOCSIN_SOAK_SECONDS`` shortens it) runs:

- ``tocsin serve api`` (two workers) on a fresh SQLite database;
- a feeder process standing in for the scheduler: every few seconds it ingests the next
  "slot", the real GDELT 2.0 export from ../shared/data moved one day later each time
  (SQLDATE and DATEADDED shifted), with a crime-event surge in a few countries every ninth
  day, so the soak-only rule below fires and resolves as a real feed would make it;
- READERS clients looping over the read endpoints, and STREAMS clients on ``/stream``.

It reports the API's resident memory growth after warm-up (limit +10%), server errors
(must be zero), rows lost or duplicated (must be zero: the database must hold exactly the
rows the runs said they inserted, one latest value per series and day), and the latency
from an alert's event being written to a stream client receiving it (p50/p95/p99).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from benchmarks.harness import ROOT, Figure, free_port, percentile, require_shared, tocsin
from ingest.sources.gdelt import COLUMNS

GDELT = "api-samples/gdelt/20191024143000.export.CSV"
DURATION_S = float(os.environ.get("TOCSIN_SOAK_SECONDS", "600"))
SLOT_EVERY_S = 4.0
READERS = 8
STREAMS = 2
SAMPLE_EVERY_S = 5.0
SURGE_EVERY = 9  # every ninth day, a few countries see four times their crime events
SURGE_COUNTRIES = ("US", "UK", "IN", "NI", "MX")  # FIPS codes, as GDELT writes them
USER, PASSWORD = "soak", "soak benchmark password"
# Benchmark only: the default pack uses GDELT as corroboration, never alone (SIGNALS.md).
SOAK_RULES = """\
groups:
  - name: soak
    rules:
      - name: soak_gdelt_crime_surge
        indicator: gdelt_crime_events
        operator: change_vs_rolling_mean
        params: {periods: 7, min_change: 1.0, floor: 10.0, min_baseline: 2.0}
        severity: warning
        annotations:
          summary: "{region_name}: {value:.0f} crime events on {period} (soak benchmark)"
"""
READ_PATHS = (
    "/api/v1/alerts?state=firing&page_size=50",
    "/api/v1/heatmap?indicator=gdelt_crime_events",
    "/api/v1/observations?region=USA&indicator=gdelt_crime_events",
    "/api/v1/regions",
    "/api/v1/sources",
    "/api/v1/health",
)


# ---------------------------------------------------------------- the feeder process


def shifted_slot(lines: list[str], days: int, surge: bool) -> tuple[str, bytes]:
    """Return the export moved ``days`` later (file name and bytes), surged when asked."""
    day_at, added_at, url_at, place_at = (
        COLUMNS.index(name)
        for name in ("SQLDATE", "DATEADDED", "SOURCEURL", "ActionGeo_CountryCode")
    )
    out = []
    for line in lines:
        cells = line.split("\t")
        day = datetime.strptime(cells[day_at], "%Y%m%d") + timedelta(days=days)
        added = datetime.strptime(cells[added_at], "%Y%m%d%H%M%S") + timedelta(days=days)
        cells[day_at], cells[added_at] = day.strftime("%Y%m%d"), added.strftime("%Y%m%d%H%M%S")
        out.append("\t".join(cells))
        if surge and cells[place_at] in SURGE_COUNTRIES:
            for copy in range(3):  # new articles, so they are not merged as repeats
                cells[url_at] = f"{line.split(chr(9))[url_at]}#soak{copy}"
                out.append("\t".join(cells))
    stamp = added.strftime("%Y%m%d%H%M%S")
    return f"{stamp}.export.CSV", ("\n".join(out) + "\n").encode()


def feed(url: str, data_dir: str, seconds: float) -> None:
    """Ingest one shifted slot every SLOT_EVERY_S seconds; print the runs' totals as JSON."""
    from backend.config import get_settings
    from backend.context import build_context
    from ingest.jobs import run_ingest
    from ingest.sources.base import Payload

    ctx = build_context(get_settings(database_url=url, data_dir=Path(data_dir)))
    lines = require_shared(GDELT).read_text(encoding="utf-8").splitlines()
    totals: Counter[str] = Counter()
    end = time.monotonic() + seconds
    day = 0
    while time.monotonic() < end:
        started = time.monotonic()
        name, content = shifted_slot(lines, day, surge=day % SURGE_EVERY == SURGE_EVERY - 1)
        result = run_ingest(
            ctx, "gdelt_events", trigger="schedule",
            payload=Payload(content=content, url=f"soak:{name}", filename=name),
        )  # fmt: skip
        totals["runs"] += 1
        totals["failed"] += int(not result.ok)
        totals["inserted"] += result.inserted
        totals["revised"] += result.revised
        day += 1
        time.sleep(max(0.0, SLOT_EVERY_S - (time.monotonic() - started)))
    ctx.dispose()
    print(json.dumps(totals))


# ---------------------------------------------------------------- the clients


@dataclass
class Observed:
    """What the clients saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    not_ok: Counter[str] = field(default_factory=Counter)  # "status path" of non-200 answers
    read_ms: list[float] = field(default_factory=list)
    alert_latency_s: list[float] = field(default_factory=list)
    stream_reconnects: int = 0


async def read_loop(client: httpx.AsyncClient, offset: int, stop: float, seen: Observed) -> None:
    """Cycle through the read endpoints until ``stop`` (a monotonic time)."""
    i = offset
    while time.monotonic() < stop:
        started = time.perf_counter()
        path = READ_PATHS[i % len(READ_PATHS)]
        try:
            status = (await client.get(path)).status_code
        except httpx.HTTPError:
            status = 0  # no answer at all counts against the API too
        seen.statuses[status] += 1
        if status != 200:
            seen.not_ok[f"{status} {path}"] += 1
        seen.read_ms.append((time.perf_counter() - started) * 1000)
        i += 1


async def stream_loop(client: httpx.AsyncClient, stop: float, seen: Observed) -> None:
    """Follow /stream, resuming with Last-Event-ID; time each alert event's arrival."""
    last = ""
    while time.monotonic() < stop:
        headers = {"Last-Event-ID": last} if last else {}
        try:
            async with client.stream("GET", "/api/v1/stream", headers=headers) as response:
                kind = ""
                async for line in response.aiter_lines():
                    if line.startswith("id: "):
                        last = line[4:]
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: ") and kind == "alert":
                        written = datetime.fromisoformat(json.loads(line[6:])["created_at"])
                        seen.alert_latency_s.append((datetime.now(UTC) - written).total_seconds())
                    if time.monotonic() >= stop:
                        return
        except httpx.HTTPError:
            pass
        seen.stream_reconnects += 1


async def drive(base: str, token: str, seconds: float) -> Observed:
    """Run the readers and the stream clients for ``seconds``."""
    seen = Observed()
    stop = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=READERS + STREAMS)
    timeout = httpx.Timeout(30.0, read=60.0)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=timeout
    ) as client:
        tasks = [read_loop(client, i, stop, seen) for i in range(READERS)]
        tasks += [stream_loop(client, stop, seen) for _ in range(STREAMS)]
        await asyncio.gather(*tasks)
    return seen


# ---------------------------------------------------------------- memory


def tree_rss_kib(pid: int) -> int:
    """Return the resident memory of a process and all its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines()
                       if line.startswith("VmRSS:")), 0)  # fmt: skip
    return total


async def sample_rss(pid: int, seconds: float, into: list[tuple[float, int]]) -> None:
    """Record (elapsed seconds, RSS KiB) every SAMPLE_EVERY_S seconds."""
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < seconds:
        into.append((elapsed, tree_rss_kib(pid)))
        await asyncio.sleep(SAMPLE_EVERY_S)


# ---------------------------------------------------------------- the run


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 180  # two workers importing on a busy machine
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the API did not become ready for the soak within 180 s")


def database_rows(url: str) -> tuple[int, int]:
    """Return (latest GDELT observations, series-days holding more than one latest value)."""
    from backend.db import make_engine
    from backend.observations.models import Observation
    from backend.sources.models import Indicator

    engine = make_engine(url)
    gdelt = select(Indicator.id).where(Indicator.source_id == "gdelt_events")
    latest = select(Observation).where(Observation.is_latest, Observation.indicator_id.in_(gdelt))
    doubled = (
        select(Observation.region_id, Observation.indicator_id, Observation.period)
        .where(Observation.is_latest)
        .group_by(Observation.region_id, Observation.indicator_id, Observation.period)
        .having(func.count() > 1)
    )
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(latest.subquery())).scalar_one()
        twice = conn.execute(select(func.count()).select_from(doubled.subquery())).scalar_one()
    engine.dispose()
    return int(rows), int(twice)


def run() -> list[Figure]:
    """Soak the API for DURATION_S seconds and return memory and latency figures."""
    require_shared(GDELT)
    with tempfile.TemporaryDirectory(prefix="tocsin-soak-") as folder:
        url = f"sqlite:///{Path(folder) / 'soak.db'}"
        env = {key: value for key, value in os.environ.items() if not key.startswith("TOCSIN_")}
        env.update(TOCSIN_DATABASE_URL=url, TOCSIN_DATA_DIR=str(Path(folder) / "data"),
                   TOCSIN_ENV="test", TOCSIN_LOG_LEVEL="WARNING", TOCSIN_API_WORKERS="2",
                   TOCSIN_SCHEDULER_ENABLED="false")  # fmt: skip
        tocsin(env, "db", "upgrade")
        rules = Path(folder) / "soak.yaml"
        rules.write_text(SOAK_RULES, encoding="utf-8")
        tocsin(env, "rules", "import", str(rules), "--reason", "soak benchmark")
        tocsin(env, "users", "create", USER, "--role", "viewer", "--password-stdin",
               stdin=PASSWORD)  # fmt: skip
        token = tocsin(env, "users", "token", USER, "--name", "soak").strip().splitlines()[-1]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        api = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "api", "--host", "127.0.0.1",
             "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_ready(base)
            feeder = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.bench_soak", "--feed", url,
                 str(Path(folder) / "data"), str(DURATION_S)],
                env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            samples: list[tuple[float, int]] = []

            async def soak() -> Observed:
                sampler = asyncio.create_task(sample_rss(api.pid, DURATION_S, samples))
                seen = await drive(base, token, DURATION_S)
                await sampler
                return seen

            seen = asyncio.run(soak())
            out, _ = feeder.communicate(timeout=300)
            fed = json.loads(out.strip().splitlines()[-1])
            rows, doubled = database_rows(url)
        finally:
            api.terminate()
            api.wait(timeout=30)
    return report(seen, samples, fed, rows, doubled)


def report(
    seen: Observed, samples: list[tuple[float, int]], fed: dict[str, int], rows: int,
    doubled: int,
) -> list[Figure]:  # fmt: skip
    """Print the soak's figures and return them for the report."""
    warm = [rss for at, rss in samples if at >= min(60.0, DURATION_S / 5)]
    first, last = statistics.mean(warm[:3]), statistics.mean(warm[-3:])
    errors = sum(n for status, n in seen.statuses.items() if status >= 500 or status == 0)
    lost = fed["inserted"] - rows
    latency = seen.alert_latency_s
    notes: dict[str, object] = {
        "duration_s": DURATION_S,
        "requests": sum(seen.statuses.values()),
        "statuses": {str(k): v for k, v in sorted(seen.statuses.items())},
        "not_ok": dict(seen.not_ok),
        "server_errors": errors,
        "read_p50_ms": round(percentile(seen.read_ms, 0.5), 1),
        "read_p99_ms": round(percentile(seen.read_ms, 0.99), 1),
        "slots_ingested": fed["runs"],
        "failed_runs": fed["failed"],
        "rows_inserted_by_runs": fed["inserted"],
        "rows_in_database": rows,
        "rows_lost": lost,
        "rows_duplicated": doubled,
        "alerts_on_stream": len(latency),
        "alert_to_stream_p50_ms": round(percentile(latency, 0.5) * 1000, 1),
        "alert_to_stream_p95_ms": round(percentile(latency, 0.95) * 1000, 1),
        "alert_to_stream_p99_ms": round(percentile(latency, 0.99) * 1000, 1),
        "stream_reconnects": seen.stream_reconnects,
        "rss_after_warmup_mib": round(first / 1024, 1),
        "rss_at_end_mib": round(last / 1024, 1),
        "rss_samples": len(samples),
        "rss_by_minute_mib": [
            round(rss / 1024, 1) for at, rss in samples if at % 60 < SAMPLE_EVERY_S
        ],
    }
    print(json.dumps(notes, indent=1))
    if errors or lost or doubled or fed["failed"]:
        print("SOAK FAILED: server errors, failed runs, or rows lost or duplicated (see above)")
    memory = Figure(name="soak: API memory at end vs after warm-up", subject_s=last,
                    reference_s=first, reference="RSS after warm-up (KiB)", limit=1.10,
                    notes=notes)  # fmt: skip
    stream = Figure(name="soak: alert-to-stream p95", subject_s=percentile(latency, 0.95),
                    reference_s=1.0, reference="the 1 s target", limit=1.0)  # fmt: skip
    return [memory, stream]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--feed"]:
        feed(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        for figure in run():
            print(figure)
