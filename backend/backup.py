"""Back up and restore a Tocsin database: SQLite's online backup API, or pg_dump/pg_restore."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, literal, select
from sqlalchemy import table as table_
from sqlalchemy.engine import URL, make_url

from backend import migrate
from backend.db import make_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables whose rows make a database "not empty" (a fresh `db upgrade` seeds regions only).
CONTENT_TABLES = ("observation", "alert", "ingest_run", "user_account", "document")
_REVISION_LINE = re.compile(r"^([0-9a-f]{6,40})\s*$", re.MULTILINE)


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, in one line."""


@dataclass(frozen=True)
class BackupResult:
    """What a backup or restore did."""

    path: Path
    revision: str
    bytes: int


def backup(*, database_url: str, path: Path) -> BackupResult:
    """Write a consistent copy of the database to ``path`` (online: writers may keep going)."""
    url = make_url(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_file(url), path, single_file=True)
        revision = sqlite_revision(path)
    else:
        _run([_pg_binary("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-f", str(path)], url)
        revision = dump_revision(path)
    return BackupResult(path=path, revision=revision, bytes=path.stat().st_size)


def restore(*, database_url: str, path: Path, force: bool = False) -> BackupResult:
    """Replace the database with the backup at ``path``; refuse a non-empty target unless forced."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    url = make_url(database_url)
    is_sqlite = url.get_backend_name() == "sqlite"
    revision = sqlite_revision(path) if is_sqlite else dump_revision(path)
    _check_known(revision, path)
    if not force and (filled := _non_empty_tables(database_url)):
        raise BackupError(
            f"the target database is not empty ({', '.join(filled)} hold rows); "
            "stop the API and scheduler, then pass --force to overwrite it"
        )
    if is_sqlite:
        _sqlite_backup(path, _sqlite_file(url))
    else:
        _pg_restore(url, path)
    return BackupResult(path=path, revision=revision, bytes=path.stat().st_size)


def _sqlite_file(url: URL) -> Path:
    """Return the file behind a SQLite URL (memory databases cannot be backed up)."""
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _sqlite_backup(source: Path, target: Path, *, single_file: bool = False) -> None:
    """Copy ``source`` into ``target`` with sqlite3's backup API (a backup: one file, no WAL)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(str(target), timeout=30)
    try:
        # One step under one read snapshot: in WAL mode writers go on, and the copy never restarts.
        src.backup(dst)
        if single_file:
            dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup from {source} to {target} failed: {exc}") from exc
    finally:
        dst.close()
        src.close()


def sqlite_revision(path: Path) -> str:
    """Return the Alembic revision stored in a SQLite file, or raise if it is not a Tocsin DB."""
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{path}: not a SQLite database")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a Tocsin database (no alembic_version table)") from exc
    finally:
        conn.close()
    if len(rows) != 1:
        raise BackupError(f"{path}: not a Tocsin database (no single Alembic revision)")
    return str(rows[0][0])


def dump_revision(path: Path) -> str:
    """Return the Alembic revision inside a pg_dump custom-format archive."""
    with path.open("rb") as handle:
        if handle.read(len(PGDUMP_MAGIC)) != PGDUMP_MAGIC:
            raise BackupError(f"{path}: not a pg_dump custom-format archive")
    listing = _run(
        [_pg_binary("pg_restore"), "--data-only", "--table=alembic_version", "-f", "-", str(path)]
    )
    copy = listing.split("COPY public.alembic_version", 1)
    found = _REVISION_LINE.findall(copy[1].split("\\.", 1)[0]) if len(copy) == 2 else []
    if len(found) != 1:
        raise BackupError(f"{path}: not a Tocsin database (no single Alembic revision)")
    return str(found[0])


def _check_known(revision: str, path: Path) -> None:
    """Refuse a backup whose revision is not in this Tocsin's migration history."""
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    known = {script.revision for script in scripts.walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"{path}: revision {revision} is not in this Tocsin's migration history "
            "(made by a newer version?)"
        )


def _non_empty_tables(database_url: str) -> list[str]:
    """Return the content tables of the target database that hold rows."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return [
                table
                for table in CONTENT_TABLES
                if table in present
                and conn.execute(select(literal(1)).select_from(table_(table)).limit(1)).first()
                is not None
            ]
    finally:
        engine.dispose()


def _pg_restore(url: URL, path: Path) -> None:
    """Drop what the archive holds and recreate it, in one transaction."""
    command = [_pg_binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    _run([*command, "--single-transaction", "--exit-on-error", str(path)], url)


def _pg_binary(name: str) -> str:
    """Find a PostgreSQL client program: the newest under /usr/lib/postgresql, else PATH."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if installed:
        return str(installed[-1])
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (install the PostgreSQL client programs)")
    return found


def _run(command: list[str], url: URL | None = None) -> str:
    """Run a PostgreSQL client program; the password travels in PGPASSWORD, never in argv."""
    env = dict(os.environ)
    if url is not None:
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        plain = url.set(drivername="postgresql", password=None)
        command = [*command, f"--dbname={plain.render_as_string(hide_password=False)}"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{Path(command[0]).name} failed: {last}")
    return done.stdout
