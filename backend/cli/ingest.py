"""``tocsin ingest``: list sources, run one ingest, probe the live sources."""

from __future__ import annotations

from pathlib import Path

import typer
from rich import box
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from backend.cli.common import console, context, fail
from backend.context import AppContext
from backend.sources import service as sources
from backend.sources.models import IngestRun
from ingest.fetch import make_fetcher
from ingest.jobs import STAGES, RunResult, one_line, run_ingest
from ingest.sources import Registry, RegistryError, UnknownSourceError, default_registry
from ingest.sources.base import Source

app = typer.Typer(help="Fetch public data into the database.", no_args_is_help=True)


def _registry() -> Registry:
    try:
        return default_registry()
    except RegistryError as exc:
        fail(str(exc))


def _last_run_cells(run: IngestRun | None) -> tuple[str, str]:
    """Return (status, detail) of a source's newest run for the table."""
    if run is None:
        return "never run", ""
    when = (run.finished_at or run.started_at).strftime("%Y-%m-%d %H:%M")
    if run.status == "failed":
        return "[red]failed[/red]", f"{when}: {run.error or ''}"
    counts = (
        f"{run.rows_read} read, {run.rows_inserted} new, {run.rows_revised} revised, "
        f"{run.rows_unchanged} unchanged, {run.rows_quarantined} quarantined"
    )
    return run.status, f"{when}: {counts}"


@app.command("list")
def list_sources() -> None:
    """Show every source, its schedule and its last run."""
    registry, ctx = _registry(), context()
    with ctx.sessions() as session:
        runs = sources.last_runs(session=session)
    table = Table(title="Tocsin sources (schedules in UTC)", box=box.SIMPLE_HEAD)
    for column in ("source", "schedule", "last run"):
        table.add_column(column, no_wrap=True)
    table.add_column("detail", overflow="fold")
    for source in registry:
        schedule = registry.schedule(source.id, ctx.settings.schedules)
        table.add_row(source.id, schedule, *_last_run_cells(runs.get(source.id)))
    console.print(table)
    ctx.dispose()


@app.command("run")
def run(
    source: str = typer.Argument(..., help="Source id, as shown by `tocsin ingest list`"),
    file: Path | None = typer.Option(
        None, "--file", help="Read this local payload instead of fetching"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do everything, then roll back"),
    force: bool = typer.Option(
        False, "--force", help="Parse again even if the last run stored these very bytes"
    ),
) -> None:
    """Run one ingest of SOURCE and print a one-line summary."""
    registry, ctx = _registry(), context()
    try:
        with _progress_bar() as bar:
            task = bar.add_task(f"{source}: starting", total=STAGES)

            def step(message: str) -> None:
                bar.update(task, advance=1, description=f"{source}: {message}")

            result = run_ingest(
                ctx, source, file=file, dry_run=dry_run, registry=registry, progress=step,
                force=force,
            )  # fmt: skip
            bar.update(task, completed=STAGES)
    except UnknownSourceError as exc:
        fail(str(exc.args[0]))
    finally:
        ctx.dispose()
    _report(result)


def _progress_bar() -> Progress:
    """Return the stage bar of one run, on stderr (stdout keeps the one summary line)."""
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
        TextColumn("{task.completed}/{task.total} stages"), TimeElapsedColumn(),
        console=console, transient=True,
    )  # fmt: skip


def _report(result: RunResult) -> None:
    if not result.ok:
        fail(result.summary())
    typer.echo(result.summary())


def _probe_one(ctx: AppContext, registry: Registry, source: Source) -> bool:
    """Try one live source with a short timeout; ingest it when it answers."""
    fetcher = make_fetcher(ctx.settings, timeout=ctx.settings.live_probe_timeout, retries=0)
    with fetcher:
        try:
            payload = source.fetch(fetcher, ctx.settings)
        except Exception as exc:  # any failure here just means "not reachable now"
            reason = f"{source.id}: unreachable ({one_line(exc)})"
            console.print(reason, highlight=False, soft_wrap=True)
            return False
        result = run_ingest(
            ctx, source.id, trigger="probe", registry=registry, fetcher=fetcher, payload=payload
        )
    typer.echo(result.summary())
    return result.ok


@app.command("probe")
def probe() -> None:
    """Ingest each live source that answers quickly; exit 1 when none did (then: demo data)."""
    registry, ctx = _registry(), context()
    live = [s for s in registry if s.live and s.enabled]
    try:
        succeeded = [s.id for s in live if _probe_one(ctx, registry, s)]
    finally:
        ctx.dispose()
    if not succeeded:
        fail("no live source could be ingested")
