"""``tocsin db``: schema migrations."""

from __future__ import annotations

from pathlib import Path

import typer

from backend import migrate
from backend.cli.common import console, context, fail
from backend.db import transaction
from backend.seed import seed_reference
from backend.users.service import bootstrap_admin

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply migrations to TOCSIN_DATABASE_URL."""
    ctx = context()
    migrate.upgrade(ctx.settings.database_url, revision)
    where = ctx.engine.url.render_as_string(hide_password=True)
    if revision != "head":
        console.print(f"database at {where} is at {revision}")
        return
    with transaction(ctx.sessions) as session:
        seeded = seed_reference(session=session)
    if bootstrap_admin(ctx) is not None:
        console.print("created the initial admin user 'admin' (password: TOCSIN_ADMIN_PASSWORD)")
    rules_note = (
        f", {seeded.rules_imported} default rules installed" if seeded.rules_imported else ""
    )
    console.print(f"database at {where} is up to date: {seeded.regions} regions{rules_note}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or base")) -> None:
    """Revert migrations down to a revision."""
    ctx = context()
    migrate.downgrade(ctx.settings.database_url, revision)
    console.print(f"database downgraded to {revision}")


@app.command("has-data")
def has_data() -> None:
    """Exit 0 when the database holds observations, 1 when it is empty."""
    from sqlalchemy import select

    from backend.observations.models import Observation

    ctx = context()
    with ctx.sessions() as session:
        found = session.scalar(select(Observation.id).limit(1)) is not None
    raise typer.Exit(0 if found else 1)


@app.command()
def revision(
    message: str = typer.Option(..., "-m", "--message", help="What the change does"),
) -> None:
    """Autogenerate a migration from the models (developers; review it before committing)."""
    migrate.revision(context().settings.database_url, message)


@app.command()
def backup(path: Path = typer.Argument(..., help="File to write the backup to")) -> None:
    """Write a consistent online backup (SQLite backup API, or pg_dump -Fc)."""
    from backend.backup import BackupError
    from backend.backup import backup as run_backup

    url = context().settings.database_url
    try:
        done = run_backup(database_url=url, path=path)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(f"backed up to {done.path} ({done.bytes} bytes, revision {done.revision})")


@app.command()
def restore(
    path: Path = typer.Argument(..., help="Backup file made by `tocsin db backup`"),
    force: bool = typer.Option(False, "--force", help="Overwrite a database that holds data"),
) -> None:
    """Replace the database with a backup (stop the API and scheduler first)."""
    from backend.backup import BackupError
    from backend.backup import restore as run_restore

    url = context().settings.database_url
    try:
        done = run_restore(database_url=url, path=path, force=force)
    except BackupError as exc:
        fail(str(exc))
    typer.echo(
        f"restored {done.path} (revision {done.revision}); "
        "run `tocsin db upgrade` if this Tocsin is newer"
    )
