"""``tocsin users``: create a user, issue a token printed once, list users."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from backend import migrate
from backend.cli.users import app
from backend.config import Environment, Settings
from backend.context import build_context
from backend.users import security
from backend.users.models import ApiToken, AuditEntry

runner = CliRunner()
PASSWORD = "correct horse battery staple"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at a fresh migrated SQLite database."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("TOCSIN_DATABASE_URL", url)
    return url


def test_create_then_token_then_list(database: str) -> None:
    made = runner.invoke(
        app, ["create", "Boss", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert made.exit_code == 0, made.output
    issued = runner.invoke(app, ["token", "boss", "--name", "ci", "--role", "analyst"])
    assert issued.exit_code == 0, issued.output
    secret = issued.stdout.strip().splitlines()[-1]
    assert secret.startswith("tocsin_")
    context = build_context(Settings(env=Environment.test, database_url=database))
    with context.sessions() as session:
        token = session.scalars(select(ApiToken)).one()
        assert token.token_hash == security.hash_token(secret) and token.role == "analyst"
        actors = set(session.scalars(select(AuditEntry.actor)))
    context.dispose()
    assert actors == {"system:cli"}
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0 and "boss" in listed.stdout and "admin" in listed.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["create", "ann", "--password-stdin"], "short\n", "at least 12"),
        (["token", "ghost", "--name", "x"], "", "no user 'ghost'"),
    ],
)
def test_failures_are_one_line(database: str, args: list[str], stdin: str, message: str) -> None:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 1
    assert message in result.output


def test_a_token_above_the_users_role_is_refused(database: str) -> None:
    runner.invoke(app, ["create", "ann", "--password-stdin"], input=PASSWORD + "\n")
    result = runner.invoke(app, ["token", "ann", "--name", "x", "--role", "admin"])
    assert result.exit_code == 1 and "cannot carry role admin" in result.output


def test_has_admin_answers_by_exit_code(database: str) -> None:
    assert runner.invoke(app, ["has-admin"]).exit_code == 1
    runner.invoke(app, ["create", "ann", "--password-stdin"], input=PASSWORD + "\n")
    assert runner.invoke(app, ["has-admin"]).exit_code == 1, "a viewer is not an admin"
    made = runner.invoke(
        app, ["create", "boss", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert made.exit_code == 0, made.output
    answer = runner.invoke(app, ["has-admin"])
    assert answer.exit_code == 0 and "an active admin exists" in answer.output
