"""Users fixtures: a cheap password hasher, an app on the rolled-back session, and people.

argon2id at production cost takes about half a second a hash here; tests that do not
check the cost itself use a cheap hasher (same algorithm, tiny parameters).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.config import Environment, Settings
from backend.users import security, service
from backend.users.models import User
from tests.backend.api._people import serve_session

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Swap in argon2id with minimal cost for the test."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(security, "hasher", lambda: cheap)
    monkeypatch.setattr(security, "_dummy_hash", lambda: cheap.hash("dummy password"))


@pytest.fixture
def client(session: Session, tmp_path: Path) -> Iterator[TestClient]:
    """Yield a client of an app that uses the test's rolled-back session."""
    settings = Settings(env=Environment.test, database_url=f"sqlite:///{tmp_path / 'unused.db'}")
    app = create_app(settings)

    serve_session(app, session)
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Person:
    """A user with a ready API token."""

    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Return the Authorization header for this person."""
        return {"Authorization": f"Bearer {self.token}"}


def add_person(session: Session, username: str, role: str) -> Person:
    """Create a user with the shared password and an API token of the same role."""
    user = service.create_user(
        session=session, actor="test", username=username, password=PASSWORD, role=role
    )
    _token, secret = service.issue_token(session=session, actor="test", user=user, name="t")
    return Person(user=user, token=secret)


@dataclass
class People:
    """One person per role."""

    viewer: Person
    analyst: Person
    admin: Person

    def by_role(self, role: str) -> Person | None:
        """Return the person with this role; None for 'anonymous'."""
        return getattr(self, role, None)


@pytest.fixture
def people(session: Session) -> People:
    """Insert a viewer, an analyst and an admin, each with a token."""
    return People(*(add_person(session, f"{r}1", r) for r in ("viewer", "analyst", "admin")))


@pytest.fixture
def make_person(session: Session) -> Callable[[str, str], Person]:
    """Return a maker of users with a token: make_person(username, role)."""
    return lambda username, role: add_person(session, username, role)
