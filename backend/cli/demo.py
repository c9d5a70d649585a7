"""``tocsin demo``: load or clear the clearly labelled, synthetic demo dataset.

The commands own the transaction, the progress display and the summary line; what a load
or a clear writes is ``backend.demo.service``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

import rules as rule_core
from backend.cli.common import console, context, fail
from backend.db import transaction
from backend.demo.service import (
    DemoLoaded,
    Reporter,
    UnknownCountryError,
    clear_demo,
    delete_demo_source,
    load_demo,
)
from backend.timeutil import utcnow
from ingest.demo import DEFAULT_SEED

app = typer.Typer(help="The synthetic demo dataset.", no_args_is_help=True)


class RichReporter(Reporter):
    """Shows each step with a spinner, and a bar for steps that count rows."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None
        self._total = 1

    def step(self, text: str, total: int | None = None) -> None:
        """Finish the previous step and start a new one."""
        self._finish()
        self._total = total or 1
        self._task = self._progress.add_task(text, total=self._total)

    def advance(self, amount: int) -> None:
        """Advance the current step."""
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def _finish(self) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._total)
            self._progress.stop_task(self._task)


@contextmanager
def _rich_reporter() -> Iterator[RichReporter]:
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        yield RichReporter(progress)


def _parse_codes(text: str | None) -> set[str] | None:
    if not text:
        return None
    return {code.strip().upper() for code in text.split(",") if code.strip()}


@app.command("load")
def load(
    countries: str | None = typer.Option(
        None, help="Only these ISO3 codes, comma-separated (quick tries and tests)."
    ),
    seed: int = typer.Option(DEFAULT_SEED, help="Random seed of the generator."),
) -> None:
    """Load the synthetic demo dataset, replacing any previous demo data."""
    ctx = context()
    started = time.perf_counter()
    try:
        with _rich_reporter() as reporter, transaction(ctx.sessions) as session:
            loaded = load_demo(
                session=session,
                present=utcnow().date(),
                countries=_parse_codes(countries),
                seed=seed,
                reporter=reporter,
            )
    except rule_core.RuleFileError as exc:
        fail(f"the default rule pack is invalid: {exc.messages[0]}")
    except UnknownCountryError as exc:
        fail(str(exc))
    finally:
        ctx.dispose()
    typer.echo(_summary(loaded, time.perf_counter() - started))


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _summary(loaded: DemoLoaded, seconds: float) -> str:
    skipped = (
        f"; skipped {', '.join(loaded.skipped_indicators)} (real data present)"
        if loaded.skipped_indicators
        else ""
    )
    return (
        f"demo data loaded: {loaded.observations:,} observations for {loaded.countries} "
        f"countries ({loaded.indicators} indicators), {_plural(loaded.rules, 'rule')}, "
        f"{loaded.alerts:,} alerts ({loaded.firing:,} firing), in {seconds:.1f} s "
        f"— synthetic, marked as demo{skipped}"
    )


@app.command("clear")
def clear() -> None:
    """Delete the demo observations, alerts and runs."""
    ctx = context()
    try:
        with transaction(ctx.sessions) as session:
            cleared = clear_demo(session=session)
            delete_demo_source(session=session)
    finally:
        ctx.dispose()
    typer.echo(
        f"demo data cleared: {cleared.observations:,} observations, "
        f"{cleared.alerts:,} alerts, {cleared.runs} runs"
    )
