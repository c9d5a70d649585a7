"""Shared fixtures: the real-data folder, and databases (SQLite and a real PostgreSQL).

Database tests take the ``session`` fixture; it runs each test inside a transaction that is
rolled back, once on SQLite and once on PostgreSQL (``TOCSIN_TEST_PG_URL``). Without that
variable the PostgreSQL leg skips on a developer's machine and fails under ``CI=true``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from backend import migrate
from backend.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; fail under CI=true, where nothing may be skipped."""
    if IN_CI:
        pytest.fail(f"required under CI=true: {reason}")
    pytest.skip(reason)


def shared_file(relative: str) -> Path:
    """Return a real public file from ../shared/data, or skip/fail when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        skip_or_fail(f"real data file ../shared/data/{relative} is not here (a user's clone)")
    return path


@pytest.fixture
def shared() -> type:
    """Expose the real-data helpers to tests as a fixture."""
    return _SharedHelpers


class _SharedHelpers:
    root = SHARED_DATA
    file = staticmethod(shared_file)


def _postgres_url() -> str:
    url = os.environ.get("TOCSIN_TEST_PG_URL")
    if not url:
        skip_or_fail("TOCSIN_TEST_PG_URL is not set: no PostgreSQL for the PostgreSQL leg")
    return url  # type: ignore[return-value]


def _fresh_postgres_database(admin_url: str) -> tuple[str, Engine]:
    """Create a throwaway database on the test cluster and return its URL and the admin engine."""
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"tocsin_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), admin


def _drop_postgres_database(admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Yield the URL of an empty, migrated database of each kind (one per test session)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tocsin.db'}"
        migrate.upgrade(url)
        yield url
        return
    url, admin = _fresh_postgres_database(_postgres_url())
    migrate.upgrade(url)
    yield url
    _drop_postgres_database(admin, url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """Yield an engine on the migrated test database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """Yield a session whose work is rolled back after the test, commits included."""
    with engine.connect() as conn:
        outer = conn.begin()
        db = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield db
        finally:
            db.close()
            outer.rollback()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield an unmigrated database of each kind, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    url, admin = _fresh_postgres_database(_postgres_url())
    yield url
    _drop_postgres_database(admin, url)
