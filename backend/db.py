"""Engine and session factories; the declarative base with a stable naming convention."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every Tocsin table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(engine: Engine) -> None:
    """Apply WAL, foreign keys and pysqlite's transaction fix so SAVEPOINTs behave."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own BEGIN handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for SQLite or PostgreSQL with Tocsin's connection settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to the engine."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session that commits on success and rolls back on any error (the boundary's job)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# pg_advisory_xact_lock key: one writing job (an ingest, the notifier...) at a time.
WRITER_LOCK = 7_361_001


def claim_writer(session: Session) -> None:
    """Take the database's write lock for this transaction before it reads anything.

    Jobs read (existing values, cursors, leases) and then write what differs. On SQLite
    (WAL) a transaction that has read cannot start writing once another connection
    committed since (SQLITE_BUSY_SNAPSHOT, at once, without waiting), so a no-op UPDATE
    first takes the write lock and makes a busy writer wait instead. On PostgreSQL a
    transaction-scoped advisory lock keeps two jobs from inserting the same new row.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("UPDATE job_lock SET name = name WHERE 0 = 1"))
    elif dialect == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(WRITER_LOCK)))


@contextmanager
def writing(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a transaction that reads then writes, holding the write lock (``claim_writer``)."""
    with transaction(factory) as session:
        claim_writer(session)
        yield session
