"""``tocsin users``: create users and issue API tokens from the command line."""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum

import typer
from rich.console import Console
from rich.table import Table

from backend.cli.common import cli_transaction, console, fail
from backend.timeutil import utcnow
from backend.users import service

app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)

CLI_ACTOR = "system:cli"


class RoleChoice(StrEnum):
    """A role a user or a token can have."""

    viewer = "viewer"
    analyst = "analyst"
    admin = "admin"


def _read_password(from_stdin: bool) -> str:
    """Read the new password from stdin (first line) or prompt for it twice, hidden."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command()
def create(
    username: str = typer.Argument(..., help="Lower-case login name"),
    role: RoleChoice = typer.Option(RoleChoice.viewer, "--role", help="viewer, analyst or admin"),
    email: str | None = typer.Option(None, "--email", help="Contact address"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin"
    ),
) -> None:
    """Create a user; the password is prompted for unless --password-stdin is given."""
    password = _read_password(password_stdin)
    with cli_transaction() as session:
        user = service.create_user(
            session=session,
            actor=CLI_ACTOR,
            username=username,
            password=password,
            role=role.value,
            email=email,
        )
        console.print(f"created user {user.username!r} ({user.role}), id {user.id}")


@app.command()
def token(
    username: str = typer.Argument(..., help="Owner of the token"),
    name: str = typer.Option(..., "--name", help="What the token is for"),
    role: RoleChoice | None = typer.Option(None, "--role", help="At most the user's role"),
    expires_days: int | None = typer.Option(
        None, "--expires-days", min=1, max=3650, help="Days until it expires (default: never)"
    ),
) -> None:
    """Issue an API token and print it once on stdout (it is stored only as a digest)."""
    with cli_transaction() as session:
        user = service.find_user(session=session, username=username)
        if user is None:
            fail(f"no user {username!r}")
        expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
        issued, secret = service.issue_token(
            session=session,
            actor=CLI_ACTOR,
            user=user,
            name=name,
            role=role.value if role else None,
            expires_at=expires_at,
        )
    console.print(
        f"token {issued.id} ({issued.role}) for {user.username!r}; it is shown only once:"
    )
    typer.echo(secret)


@app.command("list")
def list_users() -> None:
    """List users with their role and whether they are active."""
    with cli_transaction() as session:
        users = service.list_users(session=session)
    table = Table("id", "username", "role", "active", "email")
    for user in users:
        table.add_row(
            str(user.id),
            user.username,
            user.role,
            "yes" if user.is_active else "no",
            user.email or "",
        )
    Console().print(table)


@app.command("has-admin")
def has_admin() -> None:
    """Exit 0 when an active admin exists, 1 otherwise (for start-up scripts)."""
    with cli_transaction() as session:
        users = service.list_users(session=session)
    if not any(user.role == "admin" and user.is_active for user in users):
        console.print("no active admin")
        raise typer.Exit(1)
    console.print("an active admin exists")
