"""``tocsin db backup`` / ``db restore``: a round trip restores everything, on both databases."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from backend import migrate
from backend.alerts.models import Alert
from backend.backup import BackupError, backup, restore
from backend.cli import app
from backend.db import make_engine, make_session_factory, transaction
from backend.demo.service import load_demo
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.regions.service import load_reference
from backend.rules.models import Rule
from backend.sources.models import IngestRun
from backend.users.models import User
from backend.users.service import create_user

PASSWORD = "a long password 1"
MODELS = (Region, Observation, Alert, Rule, IngestRun, User)


def _fill(url: str, *, demo: bool = True, username: str = "ana") -> None:
    """Load regions, demo observations and alerts (unless told not to), and a user."""
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        if demo:
            load_reference(session)
            load_demo(session=session, present=date(2025, 8, 20), countries=("GNB", "HND", "MLI"))
        create_user(
            session=session, actor="test", username=username, password=PASSWORD, role="analyst"
        )
    engine.dispose()


def _census(url: str) -> dict[str, object]:
    """Return row counts per table and a few values that must survive."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        found: dict[str, object] = {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in MODELS
        }
        found["value_sum"] = round(
            float(session.scalar(select(func.sum(Observation.value))) or 0), 6
        )
        found["user"] = session.scalar(select(User.password_hash).where(User.username == "ana"))
        found["fingerprints"] = sorted(session.scalars(select(Alert.fingerprint)))
    engine.dispose()
    return found


def test_round_trip_restores_every_row(blank_database_url: str, tmp_path: Path) -> None:
    url = blank_database_url
    migrate.upgrade(url)
    _fill(url)
    before = _census(url)
    assert before["observation"] and before["alert"] and before["user_account"] == 1
    archive = tmp_path / "tocsin.backup"
    made = backup(database_url=url, path=archive)
    assert made.revision == migrate.heads()[0] and made.bytes > 0

    with pytest.raises(BackupError, match="not empty"):
        restore(database_url=url, path=archive)
    migrate.downgrade(url, "base")  # wipe: every table gone
    migrate.upgrade(url)
    _fill(url, demo=False, username="zed")  # the target holds data: a plain restore refuses
    with pytest.raises(BackupError, match="--force"):
        restore(database_url=url, path=archive)
    restore(database_url=url, path=archive, force=True)
    assert _census(url) == before


def test_restore_into_a_fresh_database(blank_database_url: str, tmp_path: Path) -> None:
    migrate.upgrade(blank_database_url)
    _fill(blank_database_url)
    archive = tmp_path / "copy.backup"
    backup(database_url=blank_database_url, path=archive)
    before = _census(blank_database_url)
    migrate.downgrade(blank_database_url, "base")
    restore(database_url=blank_database_url, path=archive)  # nothing in it: no --force needed
    assert _census(blank_database_url) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>not a database</html>", "not a"),
        (b"", "not a"),
    ],
)
def test_restore_refuses_what_is_not_a_tocsin_backup(
    blank_database_url: str, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.backup"
    bad.write_bytes(content)
    with pytest.raises(BackupError, match=message):
        restore(database_url=blank_database_url, path=bad)


def test_restore_refuses_a_sqlite_file_without_alembic(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(BackupError, match="not a Tocsin database"):
        restore(database_url=f"sqlite:///{tmp_path / 'target.db'}", path=other)


def test_restore_refuses_an_unknown_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    migrate.upgrade(url)
    conn = sqlite3.connect(make_url(url).database or "")
    conn.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match="not in this Tocsin's migration history"):
        restore(database_url=f"sqlite:///{tmp_path / 'dst.db'}", path=tmp_path / "src.db")


def test_cli_backup_and_restore_one_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TOCSIN_DATABASE_URL", url)
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    migrate.upgrade(url)
    _fill(url)
    runner = CliRunner()
    made = runner.invoke(app, ["db", "backup", str(tmp_path / "b.db")])
    assert made.exit_code == 0, made.output
    assert "backed up to" in made.stdout
    refused = runner.invoke(app, ["db", "restore", str(tmp_path / "b.db")])
    assert refused.exit_code == 1
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    done = runner.invoke(app, ["db", "restore", "--force", str(tmp_path / "b.db")])
    assert done.exit_code == 0, done.output
    missing = runner.invoke(app, ["db", "restore", str(tmp_path / "nope.db")])
    assert missing.exit_code == 1 and "no such backup file" in missing.stderr


def test_sqlite_backup_is_consistent_while_a_writer_commits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    migrate.upgrade(url)
    _fill(url)
    stop = threading.Event()

    def write() -> None:
        conn = sqlite3.connect(tmp_path / "busy.db", timeout=30)
        while not stop.is_set():
            conn.execute("UPDATE observation SET value = value + 1 WHERE id % 7 = 0")
            conn.commit()
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        backup(database_url=url, path=tmp_path / "hot.db")
    finally:
        stop.set()
        writer.join()
    check = sqlite3.connect(tmp_path / "hot.db")
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert check.execute("SELECT count(*) FROM observation").fetchone()[0] > 0
