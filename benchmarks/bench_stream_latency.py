"""Live stream latency: an event committed by another process, until an SSE client has it.

Starts the API with uvicorn on a free port against a temporary SQLite database, connects
a stream client, and commits N alert events one by one from a separate process (as the
scheduler would). Each latency is receipt time minus the moment the writer's commit
returned. The reference is the SQLite poll interval: p95 near 1x means the poll, not the
rest of the path, sets the delay. With ``TOCSIN_BENCH_PG_URL`` (a PostgreSQL server URL)
the same run is made on a throwaway PostgreSQL database, where LISTEN/NOTIFY should beat
the poll interval.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backend import migrate
from backend.db import make_engine, make_session_factory, transaction
from backend.events.service import append_event
from backend.stream.service import POLL_S
from benchmarks.harness import (
    ROOT,
    Figure,
    free_port,
    percentile,
    viewer_token,
    wait_until_serving,
)

EVENTS = 200
GAP_S = (0.005, 0.03)  # spread commits so they do not all land in one poll


def _start_api(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TOCSIN_DATABASE_URL": url, "TOCSIN_ENV": "test"}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "backend.app:create_app",
        "--factory",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    wait_until_serving(server, f"http://127.0.0.1:{port}/api/v1/health", timeout_s=60)
    return server


def _read(
    base: str, token: str, count: int, ready: threading.Event, received: dict[int, float]
) -> None:
    """Record when each event's number arrives on the stream."""
    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=base, timeout=60, headers=headers) as client,
        client.stream("GET", "/api/v1/stream") as response,
    ):
        if response.status_code != 200:
            response.read()
            raise SystemExit(f"the stream answered {response.status_code}: {response.text}")
        for line in response.iter_lines():
            ready.set()
            if line.startswith("data: "):
                received[json.loads(line[6:])["n"]] = time.time()
                if len(received) >= count:
                    return


def _write(url: str, count: int) -> dict[int, float]:
    """Commit count events from a separate process; return when each commit returned."""
    command = [sys.executable, "-m", "benchmarks.bench_stream_latency", "--write", url, str(count)]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    return {int(n): t for n, t in json.loads(done.stdout).items()}


def _writer_main(url: str, count: int) -> None:
    """Commit events one per transaction and print {n: commit-returned time} as JSON."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    committed: dict[int, float] = {}
    for n in range(count):
        with transaction(sessions) as session:
            append_event(session=session, kind="alert", payload={"n": n, "bench": True})
        committed[n] = time.time()
        time.sleep(random.uniform(*GAP_S))
    engine.dispose()
    print(json.dumps(committed))


def _latencies(url: str) -> list[float]:
    """Serve the API on url's database, stream from it, commit from elsewhere; return delays."""
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        token = viewer_token(session, "stream-bench")
    engine.dispose()
    port = free_port()
    server = _start_api(url, port)
    received: dict[int, float] = {}
    ready = threading.Event()
    reader = threading.Thread(
        target=_read, args=(f"http://127.0.0.1:{port}", token, EVENTS, ready, received), daemon=True
    )
    try:
        reader.start()
        if not ready.wait(30):
            raise SystemExit("the stream did not open")
        committed = _write(url, EVENTS)
        reader.join(60)
    finally:
        server.terminate()
        server.wait(30)
    return [received[n] - committed[n] for n in committed if n in received]


def _measure(label: str, url: str, limit: float) -> Figure:
    migrate.upgrade(url)
    latencies = _latencies(url)
    if len(latencies) < EVENTS:
        raise SystemExit(f"{label}: only {len(latencies)} of {EVENTS} events reached the client")
    p50, p95, p99 = (percentile(latencies, q) for q in (0.5, 0.95, 0.99))
    notes: dict[str, object] = {
        "events": EVENTS,
        "p50_ms": round(p50 * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "mean_ms": round(statistics.mean(latencies) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "poll_interval_ms": POLL_S * 1000,
    }
    print(
        f"stream latency {label}: p50 {notes['p50_ms']} ms, p95 {notes['p95_ms']} ms, "
        f"p99 {notes['p99_ms']} ms over {EVENTS} events"
    )
    return Figure(
        name=f"stream latency p95 ({label})",
        subject_s=p95,
        reference_s=POLL_S,
        reference="SQLite poll interval",
        limit=limit,
        notes=notes,
    )


def _measure_postgres(server_url: str) -> Figure:
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"tocsin_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        return _measure("postgresql", url, limit=1.0)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run() -> list[Figure]:
    """Measure commit-to-receipt latency on SQLite (and PostgreSQL when configured)."""
    with tempfile.TemporaryDirectory(prefix="tocsin-stream-") as folder:
        figures = [_measure("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}", limit=2.0)]
    pg_url = os.environ.get("TOCSIN_BENCH_PG_URL")
    if pg_url:
        figures.append(_measure_postgres(pg_url))
    return figures


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        _writer_main(sys.argv[2], int(sys.argv[3]))
    else:
        for figure in run():
            print(figure)
