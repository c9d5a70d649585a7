"""PostgreSQL restarting under a running API and scheduler: both recover on their own.

A private throwaway cluster (scripts/pg_test_cluster.sh) is stopped and started again while
``tocsin serve api`` and a scheduler run against it. While it is down the API answers 503
problem details (never 500) and the scheduler logs failed jobs; once it is back, requests,
sign-ins, scheduled ingests and the live stream work again without restarting anything.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from backend.config import get_settings
from backend.context import AppContext, build_context
from backend.sources.models import IngestRun
from backend.timeutil import utcnow
from ingest import scheduler as sched
from ingest.sources import Registry
from tests.conftest import skip_or_fail
from tests.ingest.test_scheduler import FAST

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "scripts" / "pg_test_cluster.sh"
PASSWORD = "restart test password"
WAIT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A private PostgreSQL cluster this test may stop and start at will."""

    folder: Path
    port: int
    url: str = ""

    def start(self) -> None:
        done = subprocess.run(
            ["bash", str(CLUSTER), "start", str(self.folder), str(self.port)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            skip_or_fail(f"cannot start a private PostgreSQL cluster: {done.stderr.strip()}")
        self.url = done.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        subprocess.run(["bash", str(CLUSTER), "stop", str(self.folder)], timeout=120, check=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """Yield a running private cluster; stop and remove it afterwards."""
    if not os.environ.get("TOCSIN_TEST_PG_URL"):
        skip_or_fail("TOCSIN_TEST_PG_URL is not set: PostgreSQL is not available here")
    folder = Path(tempfile.mkdtemp(prefix="tocsin-restart-pg-"))
    folder.chmod(0o755)  # as root, the cluster runs as the postgres user, who must get in
    box = Cluster(folder / "data", free_port())
    box.start()
    try:
        yield box
    finally:
        box.stop()
        shutil.rmtree(folder, ignore_errors=True)


def tocsin_env(url: str, folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOCSIN_")}
    env.update(
        TOCSIN_ENV="test", TOCSIN_DATABASE_URL=url, TOCSIN_DATA_DIR=str(folder / "data"),
        TOCSIN_LOG_LEVEL="WARNING", TOCSIN_API_WORKERS="1", TOCSIN_SCHEDULER_ENABLED="false",
        TOCSIN_ADMIN_PASSWORD=PASSWORD, PYTHONPATH=str(ROOT),
    )  # fmt: skip
    return env


def cli(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def wait_for(check: Callable[[], bool], what: str) -> None:
    """Poll ``check()`` until it is true or WAIT_S passes."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"not within {WAIT_S:.0f} s: {what}")


TICKING = replace(FAST, id="ticking")


def test_api_and_scheduler_recover_when_postgresql_restarts(
    cluster: Cluster, tmp_path: Path
) -> None:
    env = tocsin_env(cluster.url, tmp_path)
    cli(env, "db", "upgrade")
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    api = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "api", "--host", "127.0.0.1", "--port",
         str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    ctx = build_context(
        get_settings(database_url=cluster.url, data_dir=tmp_path / "data",
                     schedules={"ticking": "@every 1s"})
    )  # fmt: skip
    scheduler = sched.build_scheduler(
        ctx, registry=Registry([TICKING, replace(TICKING, id="off", enabled=False)]),
        holder="restart-test", lease_seconds=3,
    )  # fmt: skip
    ticking = threading.Thread(target=scheduler.start, daemon=True)
    try:
        wait_for(lambda: httpx.get(f"{base}/ready").status_code == 200, "the API is ready")
        ticking.start()

        cluster.stop()
        down = httpx.get(f"{base}/ready", timeout=20)
        assert down.status_code == 503
        login = httpx.post(f"{base}/auth/login", json={"username": "admin", "password": PASSWORD},
                           timeout=20)  # fmt: skip
        assert login.status_code == 503, login.text
        assert login.headers["content-type"].startswith("application/problem+json")
        time.sleep(2)  # scheduled runs fail meanwhile; the scheduler must carry on
        cluster.start()
        back = utcnow()

        wait_for(lambda: httpx.get(f"{base}/ready").status_code == 200, "ready again")
        token = httpx.post(
            f"{base}/auth/login", json={"username": "admin", "password": PASSWORD}
        ).json()["token"]
        wait_for(lambda: ran_since(ctx, back), "a scheduled ingest succeeded after the restart")
        with httpx.stream(
            "GET", f"{base}/stream", headers={"Authorization": f"Bearer {token}",
                                               "Last-Event-ID": "0"}, timeout=20,
        ) as stream:  # fmt: skip
            kinds = []
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    kinds.append(line.removeprefix("event: "))
                if "ingest_run" in kinds:
                    break
        assert "ingest_run" in kinds
    finally:
        scheduler.shutdown(wait=False)
        api.terminate()
        api.wait(timeout=20)
        ctx.dispose()


def ran_since(ctx: AppContext, moment: datetime) -> bool:
    """Tell whether a run of the ticking source succeeded after ``moment``."""
    with ctx.sessions() as session:
        started = session.scalars(
            select(IngestRun.started_at).where(
                IngestRun.source_id == "ticking", IngestRun.status == "succeeded"
            )
        ).all()
    return any(when > moment for when in started)  # PostgreSQL gives aware datetimes
