"""Notification fixtures: the world, alert changes, a session factory and settings.

The ``sessions`` fixture is a session factory on the test's own connection, so the
delivery job's transactions become savepoints that the test rolls back with the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from backend.config import Environment, Settings
from tests.backend.notify.factory import Changes, Places


@pytest.fixture
def places(session: Session) -> Places:
    """Insert the small M49 world."""
    return Places(session)


@pytest.fixture
def changes(session: Session) -> Changes:
    """Return the alert-change writer on the test session."""
    return Changes(session)


@pytest.fixture
def sessions(session: Session) -> sessionmaker[Session]:
    """Return a session factory whose commits are savepoints of the test's transaction."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Return test settings: two retries with no backoff, a short timeout, no SMTP."""
    return Settings(
        env=Environment.test, database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        notify_retries=2, notify_backoff=0.0, notify_timeout=0.5, notify_digest_minutes=60,
    )  # fmt: skip
