"""API throughput: `tocsin serve api` on 1M observations and 10k alerts vs a bare uvicorn app.

Builds a SQLite database with the harness template (regions), one source, 20 yearly
indicators and 1,000,000 observations (250 countries x 20 indicators x 50 years x 4
vintages, bulk inserted), plus 10,000 alerts. Starts `tocsin serve api` on it, and a bare uvicorn
app whose only handler returns a small JSON object, and drives each with the same asyncio
load generator (32 keep-alive connections, ``DURATION_S`` seconds) for
``GET /alerts?state=firing&page_size=50`` and ``GET /heatmap?indicator=...``.

Both servers run ``WORKERS`` uvicorn processes: by default 4, what docker-compose.yml
gives the API (``TOCSIN_API_WORKERS``; ``make run`` uses .env's value, 1 by default);
``TOCSIN_BENCH_API_WORKERS`` overrides it, for both, so the ratio stays fair.

Figures: seconds per request of the API over the bare app's (limit 4, i.e. at least 0.25x
its throughput) and p99 latency over 100 ms (limit 1).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from benchmarks.harness import (
    ROOT,
    Figure,
    free_port,
    percentile,
    template_database,
    viewer_token,
    wait_until_serving,
)

CONNECTIONS = 32
DURATION_S = float(os.environ.get("TOCSIN_BENCH_API_SECONDS", "15"))
WARMUP_S = 2.0
WORKERS = int(os.environ.get("TOCSIN_BENCH_API_WORKERS", "4"))
P99_LIMIT_S = 0.100
INDICATORS = 20
YEARS = range(1974, 2024)
VINTAGES = (date(2021, 6, 30), date(2022, 6, 30), date(2023, 6, 30), date(2024, 6, 30))
ALERTS = 10_000
SOURCE = "bench_api"
BARE_BODY = b'{"status":"ok"}'


async def bare_app(
    scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
) -> None:
    """The reference: a bare ASGI handler answering a small JSON object."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", b"15")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BARE_BODY})


# ----------------------------------------------------------------- the database


def _observation_rows(regions: list[int], indicators: list[int]) -> list[tuple[Any, ...]]:
    """Return observation tuples in the demo loader's column order, newest vintage latest."""
    retrieved = datetime(2024, 7, 1, tzinfo=UTC)
    rows = []
    for indicator in indicators:
        for region in regions:
            for year in YEARS:
                for n, vintage in enumerate(VINTAGES):
                    value = float((region * 7 + indicator * 3 + year + n) % 97)
                    latest = n == len(VINTAGES) - 1
                    rows.append((indicator, region, str(year), date(year, 1, 1), value, vintage,
                                 retrieved, latest, False, SOURCE, None))  # fmt: skip
    return rows


def _alert_rows(regions: list[int]) -> list[dict[str, Any]]:
    """Return 10,000 alerts: a third firing, across regions and years."""
    states = ("firing", "resolved", "pending")
    return [
        {"fingerprint": f"bench-{n}", "rule_name": f"bench_rule_{n % 20}", "rule_version": 1,
         "region_id": regions[n % len(regions)], "indicator_code": "bench_0",
         "period": str(YEARS[n % len(YEARS)]), "state": states[n % 3], "triage": "new",
         "detected_at": datetime(2024, 1, 1, tzinfo=UTC).replace(minute=n % 60, second=n % 59),
         "severity": ("info", "warning", "critical")[n % 3], "value": 1.0, "baseline": 0.5,
         "threshold": 0.8, "explanation": f"bench alert {n}", "details": {}, "labels": {},
         "is_demo": False}
        for n in range(ALERTS)
    ]  # fmt: skip


def build_database(folder: Path) -> tuple[str, str, int]:
    """Build the benchmark database; return its URL, a viewer token and the observation count."""
    from backend.alerts.models import Alert
    from backend.config import get_settings
    from backend.context import build_context
    from backend.db import transaction
    from backend.demo.service import bulk_insert_observations
    from backend.regions.models import Region
    from backend.sources.models import Indicator, Source

    url = f"sqlite:///{template_database(folder)}"
    ctx = build_context(get_settings(database_url=url, data_dir=folder / "data"))
    with transaction(ctx.sessions) as session:
        session.add(Source(id=SOURCE, title="Benchmark", publisher="Tocsin", licence="CC0",
                           url="https://example.org", cadence="yearly", cadence_days=365,
                           schedule="off"))  # fmt: skip
        session.flush()  # the source first: the indicators point at it
        session.add_all(
            Indicator(code=f"bench_{i}", name=f"Bench {i}", unit="per 100,000 population",
                      frequency="year", higher_is_worse=True, source_id=SOURCE)
            for i in range(INDICATORS)
        )  # fmt: skip
        session.flush()
        regions = list(session.scalars(select(Region.id).where(Region.level == "country")))
        indicators = list(
            session.scalars(select(Indicator.id).where(Indicator.source_id == SOURCE))
        )
        # Enough countries x indicators x years x vintages for a million rows.
        per_region = len(indicators) * len(YEARS) * len(VINTAGES)
        regions = regions[: -(-1_000_000 // per_region)]
        count = bulk_insert_observations(
            session=session, rows=_observation_rows(regions, indicators)
        )
        session.execute(insert(Alert), _alert_rows(regions))
        secret = viewer_token(session, "bench")
    ctx.dispose()
    return url, secret, count


# ----------------------------------------------------------------- servers


def start_api(url: str, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start `tocsin serve api` on the database; return the process and its port."""
    port = free_port()
    env = {**os.environ, "TOCSIN_DATABASE_URL": url, "TOCSIN_ENV": "test",
           "TOCSIN_DATA_DIR": str(folder / "data"), "TOCSIN_LOG_LEVEL": "WARNING",
           "TOCSIN_API_WORKERS": str(WORKERS)}  # fmt: skip
    command = [sys.executable, "-m", "backend.cli", "serve", "api", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    wait_until_serving(server, f"http://127.0.0.1:{port}/api/v1/health")
    return server, port


def start_bare() -> tuple[subprocess.Popen[bytes], int]:
    """Start uvicorn serving bare_app; return the process and its port."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.bench_api_throughput:bare_app",
               "--port", str(port), "--workers", str(WORKERS), "--log-level", "warning",
               "--no-access-log"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT)
    wait_until_serving(server, f"http://127.0.0.1:{port}/")
    return server, port


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a server this benchmark started."""
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# ----------------------------------------------------------------- the load generator


@dataclass
class Load:
    """What one load run measured."""

    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        """Return successful requests per second."""
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        """Return the latency at quantile q (seconds)."""
        return percentile(self.latencies, q)


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one keep-alive GET and read the whole answer; return the status code."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:  # chunked
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return int(lines[0].split()[1])


async def _worker(port: int, request: bytes, until: float, warm: float, load: Load) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (start := time.perf_counter()) < until:
            status = await _one(reader, writer, request)
            if start < warm:
                continue
            if status == 200:
                load.requests += 1
                load.latencies.append(time.perf_counter() - start)
            else:
                load.errors += 1
    finally:
        writer.close()


async def _drive(port: int, path: str, token: str | None) -> Load:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()
    warm = time.perf_counter() + WARMUP_S
    until = warm + DURATION_S
    load = Load(0, 0, DURATION_S, [])
    await asyncio.gather(*(_worker(port, request, until, warm, load) for _ in range(CONNECTIONS)))
    return load


def drive(port: int, path: str, token: str | None = None) -> Load:
    """Run CONNECTIONS keep-alive connections against path for DURATION_S seconds."""
    return asyncio.run(_drive(port, path, token))


# ----------------------------------------------------------------- figures


def _figures(label: str, load: Load, bare: Load) -> list[Figure]:
    notes: dict[str, object] = {
        "requests_per_s": round(load.rps, 1), "bare_requests_per_s": round(bare.rps, 1),
        "throughput_ratio": round(load.rps / bare.rps, 3), "errors": load.errors,
        "p50_ms": round(load.percentile(0.5) * 1000, 1),
        "p99_ms": round(load.percentile(0.99) * 1000, 1),
        "mean_ms": round(statistics.mean(load.latencies) * 1000, 1),
        "connections": CONNECTIONS, "workers": WORKERS, "seconds": DURATION_S,
    }  # fmt: skip
    print(f"{label}: {notes}")
    return [
        Figure(name=f"api throughput {label}", subject_s=1 / load.rps, reference_s=1 / bare.rps,
               reference="bare uvicorn JSON handler (s per request)", limit=4.0, notes=notes),
        Figure(name=f"api p99 {label}", subject_s=load.percentile(0.99), reference_s=P99_LIMIT_S,
               reference="100 ms", limit=1.0, notes=notes),
    ]  # fmt: skip


def run() -> list[Figure]:
    """Build the database, serve it, load both servers, and return the figures."""
    with tempfile.TemporaryDirectory(prefix="tocsin-api-bench-") as name:
        folder = Path(name)
        started = time.perf_counter()
        url, token, count = build_database(folder)
        print(f"database: {count:,} observations, {ALERTS:,} alerts "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
        bare_server, bare_port = start_bare()
        try:
            bare = drive(bare_port, "/")
        finally:
            stop(bare_server)
        api_server, api_port = start_api(url, folder)
        paths = {"alerts (firing, page of 50)": "/api/v1/alerts?state=firing&page_size=50",
                 "heatmap": "/api/v1/heatmap?indicator=bench_0"}  # fmt: skip
        figures: list[Figure] = []
        try:
            for label, path in paths.items():
                figures += _figures(label, drive(api_port, path, token), bare)
        finally:
            stop(api_server)
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure)
