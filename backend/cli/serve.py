"""``tocsin serve``: the API, the dashboard, the scheduler, or all three on one machine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from types import FrameType

import typer

from backend.cli.common import console, context

app = typer.Typer(help="Run Tocsin's processes.", no_args_is_help=True)

HostOption = typer.Option(None, "--host", help="Interface to bind (default from settings)")
PortOption = typer.Option(None, "--port", help="Port to bind (default from settings)")


@app.command()
def api(host: str | None = HostOption, port: int | None = PortOption) -> None:
    """Serve the HTTP API with uvicorn."""
    import uvicorn

    settings = context().settings
    # Worker processes inherit this: glibc's default of 8 malloc arenas per core lets a
    # threaded server's memory creep up under steady load; two arenas keep it flat.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=settings.api_workers,
        log_level=settings.log_level.lower(),
    )


@app.command()
def dashboard(host: str | None = HostOption, port: int | None = PortOption) -> None:
    """Serve the Dash dashboard (a client of the API at TOCSIN_API_URL) with uvicorn."""
    import uvicorn

    from dashboard.app import create_app
    from dashboard.auth import SessionPolicy
    from dashboard.server import asgi_app

    settings = context().settings
    policy = SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
        secure_cookie=settings.session_cookie_secure,
    )
    dash_app = create_app(
        api_url=settings.api_url, secret_key=settings.secret_key, session_policy=policy
    )
    uvicorn.run(
        asgi_app(dash_app, api_url=settings.api_url),
        host=host or settings.dashboard_host,
        port=port or settings.dashboard_port,
        lifespan="off",
        log_level=settings.log_level.lower(),
        access_log=False,  # a line per script and callback would drown the other logs
        server_header=False,
        headers=[("server", "tocsin-dashboard")],
    )


@app.command()
def scheduler() -> None:
    """Run scheduled ingests in this process until interrupted."""
    from ingest.scheduler import run_scheduler

    run_scheduler(context())


@app.command(name="all")
def all_(host: str | None = HostOption, port: int | None = PortOption) -> None:
    """Run the API, the scheduler and the dashboard together; Ctrl-C stops all three."""
    settings = context().settings
    api_host = host or settings.api_host
    api_port = port or settings.api_port
    children = {
        "api": _spawn("api", "--host", api_host, "--port", str(api_port)),
        "scheduler": _spawn("scheduler"),
        "dashboard": _spawn("dashboard"),
    }
    console.print(
        f"Tocsin is starting:\n  dashboard  http://{settings.dashboard_host}:{settings.dashboard_port}/\n"
        f"  API        http://{api_host}:{api_port}/api/v1/health  (docs: /docs)\n"
        "  scheduler  running scheduled ingests\nPress Ctrl-C to stop all three."
    )
    _supervise(children)


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    """Start ``tocsin serve ARGS`` as a child in its own session.

    A terminal's Ctrl-C then reaches only this supervisor, which stops each child exactly
    once with SIGTERM (a second signal makes uvicorn abort its graceful shutdown).
    """
    command = [sys.executable, "-m", "backend.cli", "serve", *args]
    return subprocess.Popen(command, start_new_session=True)


def _supervise(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """Wait until Ctrl-C, SIGTERM or a child's exit, then stop every child cleanly."""
    stopping = False

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    exited = ""
    while not stopping and not exited:
        exited = next((name for name, proc in children.items() if proc.poll() is not None), "")
        time.sleep(0.2)
    if exited:
        console.print(
            f"[red]{exited} exited with code {children[exited].returncode};"
            " stopping the others[/red]"
        )
    for proc in children.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + 15
    for name, proc in children.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            console.print(f"{name} did not stop in time; killing it")
            proc.kill()
            proc.wait()
    console.print("Tocsin stopped.")
    if exited:
        raise typer.Exit(1)
