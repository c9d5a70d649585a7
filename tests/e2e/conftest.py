"""Real-browser fixtures: the API and the dashboard on a fresh demo database, and Chromium.

``live_servers`` runs the real command line in a temporary folder (``tocsin db upgrade``,
``tocsin demo load``, ``tocsin serve api``, ``tocsin serve dashboard``) once per session
and always stops what it started. ``visit`` opens a page in Debian's headless Chromium
with every request that would leave this machine aborted and recorded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without these, Chromium keeps retrying connections that the closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
READY_SECONDS = 30.0
CLI_SECONDS = 180.0
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def root_helpers(config: pytest.Config) -> ModuleType:
    """Return tests/conftest.py as pytest loaded it.

    Every conftest module is named ``conftest``, so ``from conftest import ...`` here would
    import this file itself; the plugin manager holds the real one.
    """
    root = Path(__file__).resolve().parents[1] / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", None) or "/").resolve() == root:
            return plugin  # type: ignore[no-any-return]
    raise LookupError(f"{root} is not loaded as a pytest plugin")


# ----------------------------------------------------------------- live servers


@dataclass(frozen=True)
class LiveServers:
    """Base URLs of the running API and dashboard."""

    api_url: str
    dashboard_url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(folder: Path) -> dict[str, str]:
    """Return this process's environment without any TOCSIN_ setting, then the test's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOCSIN_")}
    env.update(
        TOCSIN_ENV="test",
        TOCSIN_DATABASE_URL=f"sqlite:///{folder / 'tocsin.db'}",
        TOCSIN_DATA_DIR=str(folder / "data"),
        TOCSIN_API_WORKERS="1",
        TOCSIN_SCHEDULER_ENABLED="false",
        TOCSIN_LOG_LEVEL="WARNING",
    )
    return env


def _tail(path: Path, lines: int = 25) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _cli(*args: str, env: dict[str, str], cwd: Path) -> None:
    """Run one ``tocsin`` command to completion, failing the session with its output."""
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"`tocsin {' '.join(args)}` exited {done.returncode}:\n{done.stderr[-3000:]}")


def _start(*args: str, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start a ``tocsin`` server with its output in a log file (a pipe could fill up)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "backend.cli", *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    """Poll url until it answers 200, the process dies, or the deadline passes."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server for {url} exited {proc.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} not ready within {READY_SECONDS:.0f} s:\n{_tail(log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def live_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServers]:
    """Serve the API and the dashboard on a fresh SQLite database holding the demo data."""
    # The working folder is the temporary one, so a developer's .env cannot leak in.
    folder = tmp_path_factory.mktemp("e2e")
    env = _environment(folder)
    _cli("db", "upgrade", env=env, cwd=folder)
    _cli("demo", "load", env=env, cwd=folder)
    api_port, dashboard_port = _free_port(), _free_port()
    servers = LiveServers(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{dashboard_port}")
    env["TOCSIN_API_URL"] = servers.api_url
    started: list[subprocess.Popen[bytes]] = []
    try:
        for name, port, ready in (
            ("api", api_port, f"{servers.api_url}/api/v1/health"),
            ("dashboard", dashboard_port, f"{servers.dashboard_url}/healthz"),
        ):
            log = folder / f"{name}.log"
            argv = ("serve", name, "--host", "127.0.0.1", "--port", str(port))
            started.append(_start(*argv, env=env, cwd=folder, log=log))
            _wait_ready(ready, started[-1], log, time.monotonic() + READY_SECONDS)
        yield servers
    finally:
        for proc in started:
            _stop(proc)


# ----------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Launch Debian's headless Chromium once per session."""
    if not CHROMIUM.exists():
        root_helpers(request.config).skip_or_fail(
            f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Visit:
    """An open page and what it tried to do that it should not have."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def visit(browser: Any, live_servers: LiveServers) -> Iterator[Callable[..., Visit]]:
    """Open dashboard pages offline: requests to other hosts are aborted and recorded.

    Each call opens a fresh browser context; all are closed when the test module ends.
    """
    contexts: list[Any] = []

    def open_page(path: str = "/", *, width: int = 1920, height: int = 1080) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        visit = Visit(page=context.new_page())

        def gate(route: Any) -> None:
            if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                visit.blocked.append(route.request.url)
                route.abort()

        def console(message: Any) -> None:
            if message.type == "error":
                visit.errors.append(message.text)

        context.route("**/*", gate)
        visit.page.on("console", console)
        visit.page.on("pageerror", lambda exc: visit.errors.append(str(exc)))
        visit.page.goto(live_servers.dashboard_url + path)
        return visit

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Return the (gitignored) folder screenshots are saved to, for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
