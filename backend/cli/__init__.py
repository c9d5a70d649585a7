"""The ``tocsin`` command line: one Typer app with a sub-command per area."""

from __future__ import annotations

import typer

from backend.cli import db, demo, episodes, ingest, rules, serve, snapshot, users

app = typer.Typer(
    name="tocsin",
    help="Tocsin: early warning for crime-driven instability.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(demo.app, name="demo")
app.add_typer(episodes.app, name="episodes")
app.add_typer(ingest.app, name="ingest")
app.add_typer(rules.app, name="rules")
app.add_typer(serve.app, name="serve")
app.add_typer(snapshot.app, name="snapshot")
app.add_typer(users.app, name="users")


def main() -> None:
    """Run the command line."""
    app()
