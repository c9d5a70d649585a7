"""Helpers for API tests with people: a cheap hasher, users with tokens, a client.

Imported by test modules (``from tests.backend.api._people import ...``), so tests in
other folders than ``api`` can build the same client without sharing conftest files.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.config import Environment, Settings
from backend.hotreads import Grants
from backend.users import security, service
from backend.users.models import User

PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "analyst", "admin")


def use_cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Swap in argon2id with minimal cost (production cost takes half a second a hash)."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(security, "hasher", lambda: cheap)
    monkeypatch.setattr(security, "_dummy_hash", lambda: cheap.hash("dummy password"))


def serve_session(app: FastAPI, session: Session) -> None:
    """Make every request of app (routes and the hot-read door) use the test's session."""
    app.state.open_session = lambda: nullcontext(session)
    app.state.grants = Grants(
        lambda: nullcontext(session.connection().connection), session.get_bind().dialect
    )


@contextmanager
def api_client(session: Session, tmp_path: Path) -> Iterator[TestClient]:
    """Yield a client of an app that uses the test's rolled-back session."""
    settings = Settings(env=Environment.test, database_url=f"sqlite:///{tmp_path / 'unused.db'}")
    app = create_app(settings)
    serve_session(app, session)
    with TestClient(app) as client:
        yield client


@dataclass
class Person:
    """A user, able to get fresh API tokens."""

    session: Session
    user: User

    def headers(self) -> dict[str, str]:
        """Return an Authorization header with a new token of the user's role."""
        _token, secret = service.issue_token(
            session=self.session, actor="test", user=self.user, name="t"
        )
        return {"Authorization": f"Bearer {secret}"}


def add_person(session: Session, username: str, role: str) -> Person:
    """Create a user with the shared password."""
    user = service.create_user(
        session=session, actor="test", username=username, password=PASSWORD, role=role
    )
    return Person(session, user)


def add_people(session: Session) -> dict[str, Person]:
    """Create viewer1, analyst1 and admin1, by role."""
    return {role: add_person(session, f"{role}1", role) for role in ROLES}


def headers_for(people: dict[str, Person], role: str) -> dict[str, str]:
    """Return the headers of a role's person; none for anonymous."""
    return {} if role == "anonymous" else people[role].headers()


@pytest.fixture(name="client")
def client_fixture(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """Yield a client on the test's session (import it into a test module to use it)."""
    use_cheap_hasher(monkeypatch)
    with api_client(session, tmp_path) as client:
        yield client


@pytest.fixture(name="people")
def people_fixture(session: Session, monkeypatch: pytest.MonkeyPatch) -> dict[str, Person]:
    """Insert viewer1, analyst1 and admin1 (import it into a test module to use it)."""
    use_cheap_hasher(monkeypatch)
    return add_people(session)
