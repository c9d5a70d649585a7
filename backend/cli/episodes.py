"""``tocsin episodes``: import reference episodes from CSV and list them."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from backend.cli.common import cli_transaction, console, fail
from backend.episodes import service
from backend.episodes.schemas import EpisodeQuery
from backend.errors import InvalidInput

app = typer.Typer(help="Reference episodes that rules are scored against.", no_args_is_help=True)

CLI_ACTOR = "system:cli"
LIST_LIMIT = 1000


@app.command("import")
def import_file(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file to import"),
) -> None:
    """Import every episode of a CSV file, or none when any line is bad (each one is listed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
    with cli_transaction() as session:
        try:
            imported = service.import_csv(session=session, text=text, actor=CLI_ACTOR)
        except InvalidInput as exc:
            for error in exc.extra.get("errors", []):
                column = f" ({error['loc'][2]})" if len(error["loc"]) > 2 else ""
                typer.echo(f"{path}:{error['line']}{column}: {error['msg']}", err=True)
            fail(exc.detail)
    console.print(f"imported {len(imported)} reference episodes from {path}")


@app.command("list")
def list_episodes(
    region: str | None = typer.Option(None, "--region", help="Only this region code"),
    theme: str | None = typer.Option(None, "--theme", help="Only this crime theme"),
) -> None:
    """List reference episodes by region and onset."""
    try:
        query = EpisodeQuery(region=region, theme=theme, page_size=LIST_LIMIT)
    except ValidationError as exc:
        fail(f"bad filter: {exc.errors()[0]['msg']}")
    with cli_transaction() as session:
        page = service.list_episodes(session=session, query=query)
    table = Table("id", "region", "onset", "label", "theme", "by")
    for item in page.items:
        table.add_row(
            str(item.id), item.region, item.onset_period, item.label, item.theme or "",
            item.created_by,
        )  # fmt: skip
    Console().print(table)
    if page.total > len(page.items):
        console.print(f"showing {len(page.items)} of {page.total}; filter with --region/--theme")
