"""Real-browser fixtures: the API and the dashboard on a fresh demo database, and Chromium.

``live_servers`` runs the real command line in a temporary folder (``tocsin db upgrade``,
``tocsin demo load``, ``tocsin users create``, ``tocsin serve api``, ``tocsin serve
dashboard``) once per session and always stops what it started. It creates one user per
role (``USERS``); ``live_servers.headers(role)`` is a bearer header for direct API calls.
``visit`` signs in as a role (analyst by default; ``role=None`` stays anonymous) and opens a
page in Debian's headless Chromium with every request that would leave this machine aborted
and recorded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
# One user per role, created by the command line for every session (test-only passwords).
USERS = {
    "viewer": ("viewer1", "viewer1-e2e-password"),
    "analyst": ("analyst1", "analyst1-e2e-password"),
    "admin": ("admin1", "admin1-e2e-password"),
}


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
    """Base URLs of the running API and dashboard, and sign-ins for each role in USERS."""

    api_url: str
    dashboard_url: str
    _tokens: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _cookies: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, repr=False)

    def headers(self, role: str) -> dict[str, str]:
        """Return an Authorization header of a user with this role (signed in once per role)."""
        if role not in self._tokens:
            username, password = USERS[role]
            answer = httpx.post(
                f"{self.api_url}/api/v1/auth/login",
                json={"username": username, "password": password},
                timeout=10.0,
            )
            answer.raise_for_status()
            self._tokens[role] = answer.json()["token"]
        return {"Authorization": f"Bearer {self._tokens[role]}"}

    def dashboard_cookies(self, role: str) -> dict[str, str]:
        """Return the dashboard's cookies after posting its sign-in form as this role (once)."""
        if role not in self._cookies:
            username, password = USERS[role]
            with httpx.Client(base_url=self.dashboard_url, timeout=10.0) as client:
                client.get("/login")
                answer = client.post(
                    "/auth/login",
                    data={
                        "username": username,
                        "password": password,
                        "csrf_token": client.cookies["_csrf_token"],
                    },
                    headers={"Origin": self.dashboard_url},
                )
                if answer.status_code != 302 or "error=" in answer.headers.get("location", ""):
                    pytest.fail(f"signing in to the dashboard as {username} failed: {answer}")
                self._cookies[role] = dict(client.cookies.items())
        return self._cookies[role]


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


def _cli(*args: str, env: dict[str, str], cwd: Path, stdin: str | None = None) -> None:
    """Run one ``tocsin`` command to completion, failing the session with its output."""
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        env=env,
        cwd=cwd,
        input=stdin,
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


Loader = Callable[[dict[str, str], Path], None]


@contextmanager
def serving(folder: Path, load: Loader) -> Iterator[LiveServers]:
    """Upgrade a fresh SQLite database, ``load`` data into it, create the test users, and
    serve the API and the dashboard on it until the block ends."""
    # The working folder is the temporary one, so a developer's .env cannot leak in.
    env = _environment(folder)
    _cli("db", "upgrade", env=env, cwd=folder)
    load(env, folder)
    for role, (username, password) in USERS.items():
        argv = ("users", "create", username, "--role", role, "--password-stdin")
        _cli(*argv, env=env, cwd=folder, stdin=password + "\n")
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


def _demo(env: dict[str, str], folder: Path) -> None:
    _cli("demo", "load", env=env, cwd=folder)


@pytest.fixture(scope="session")
def live_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServers]:
    """Serve the API and the dashboard on a fresh SQLite database holding the demo data."""
    with serving(tmp_path_factory.mktemp("e2e"), _demo) as servers:
        yield servers


# The real files ingested for real_servers: the UNODC homicide workbook, and the Council's
# meeting tables of the years Guinea-Bissau's drug-trafficking crisis was on its agenda.
REAL_HOMICIDE = "unodc-homicide-cts/data_cts_intentional_homicide.xlsx"
REAL_COUNCIL = [
    f"unsc/dhl-meeting-tables-html/scact{year}_table_en.html" for year in range(2008, 2013)
]


@pytest.fixture(scope="module")
def real_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServers]:
    """Serve the API and the dashboard on the real public data, loaded by the command line."""
    shared_file = root_helpers(request.config).shared_file
    files = [("unodc_homicide", shared_file(REAL_HOMICIDE))]
    files += [("unsc_meetings", shared_file(path)) for path in REAL_COUNCIL]

    def load(env: dict[str, str], folder: Path) -> None:
        for source, path in files:
            _cli("ingest", "run", source, "--file", str(path), env=env, cwd=folder)

    with serving(tmp_path_factory.mktemp("e2e-real"), load) as servers:
        yield servers


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


@contextmanager
def visitor(browser: Any, servers: LiveServers) -> Iterator[Callable[..., Visit]]:
    """Open dashboard pages offline, signed in as ``role``; other hosts are aborted and recorded.

    Each call opens a fresh browser context carrying that role's session cookie (the sign-in
    form is posted once per role and session); all are closed when the block ends.
    """
    contexts: list[Any] = []

    def open_page(
        path: str = "/", *, role: str | None = "analyst", width: int = 1920, height: int = 1080
    ) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        if role is not None:
            cookies = servers.dashboard_cookies(role)
            context.add_cookies(
                [
                    {"name": name, "value": value, "url": servers.dashboard_url}
                    for name, value in cookies.items()
                ]
            )
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
        visit.page.goto(servers.dashboard_url + path)
        return visit

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture(scope="module")
def visit(browser: Any, live_servers: LiveServers) -> Iterator[Callable[..., Visit]]:
    """Open pages of the demo-data dashboard (see ``visitor``)."""
    with visitor(browser, live_servers) as open_page:
        yield open_page


@pytest.fixture(scope="module")
def visit_real(browser: Any, real_servers: LiveServers) -> Iterator[Callable[..., Visit]]:
    """Open pages of the real-data dashboard (see ``visitor``)."""
    with visitor(browser, real_servers) as open_page:
        yield open_page


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Return the (gitignored) folder screenshots are saved to, for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
