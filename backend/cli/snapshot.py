"""``tocsin snapshot``: freeze a quarter and export it.

``create`` prints the new snapshot's id on its last line (a contract scripts rely on).
"""

from __future__ import annotations

import getpass
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from backend.cli.common import cli_transaction, console, context
from backend.exports.formats import ExportFormat
from backend.files import write_atomically
from backend.snapshots import service
from backend.snapshots.hashing import sha256_bytes

app = typer.Typer(help="Quarterly snapshots: create and export.", no_args_is_help=True)


@app.command()
def create(
    quarter: str = typer.Option(..., "--quarter", help="Quarter to freeze, e.g. 2023Q4"),
    classification: str | None = typer.Option(
        None, "--classification", help="Marking on exports (default: the setting)"
    ),
) -> None:
    """Freeze a quarter; print the new snapshot's id on the last line."""
    marking = classification or context().settings.snapshot_classification
    with console.status(f"Freezing {quarter}..."), cli_transaction() as session:
        snap = service.create_snapshot(
            session, quarter=quarter, created_by=f"cli:{getpass.getuser()}",
            classification=marking,
        )  # fmt: skip
        console.print(f"snapshot {snap.id} of {snap.quarter}, sha256 {snap.content_sha256}")
        typer.echo(snap.id)


@app.command()
def export(
    snapshot_id: int = typer.Argument(..., help="Snapshot id"),
    fmt: ExportFormat = typer.Option(..., "--format", help="pdf, xlsx, csv (zipped) or zip"),
    out: Path = typer.Option(..., "--out", help="File to write"),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Render figures"),
) -> None:
    """Export a snapshot to a file and record the file's sha256."""
    from backend.exports.service import export_bytes  # plotly, reportlab: load only when used

    with cli_transaction() as session:
        snap = service.get_snapshot(session, snapshot_id=snapshot_id)
        with console.status(f"Exporting snapshot {snapshot_id} as {fmt.value}..."):
            data = export_bytes(snap, fmt, with_figures=figures, session=session)
        write_atomically(out, data)  # a crash never leaves half a file under this name
        sha = sha256_bytes(data)
        service.record_file(session, snapshot=snap, fmt=fmt.value, path=str(out), sha256=sha)
    typer.echo(f"{out} {sha}")


@app.command("list")
def list_(quarter: str | None = typer.Option(None, "--quarter", help="Only this quarter")) -> None:
    """List snapshots, newest first."""
    with cli_transaction() as session:
        rows = service.list_snapshots(session, quarter=quarter)
        grid = Table("id", "quarter", "created", "by", "sha256")
        for s in rows:
            grid.add_row(str(s.id), s.quarter, s.created_at.isoformat()[:19], s.created_by,
                         s.content_sha256[:16])  # fmt: skip
    Console().print(grid)
