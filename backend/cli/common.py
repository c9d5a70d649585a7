"""Helpers shared by CLI commands: the process context and one-line failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from backend.context import AppContext, build_context
from backend.db import transaction
from backend.errors import DomainError

console = Console(stderr=True, soft_wrap=True)


def context() -> AppContext:
    """Build the context for one CLI invocation from the environment."""
    return build_context()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line reason to stderr and exit non-zero."""
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def cli_transaction() -> Iterator[Session]:
    """Open one transaction; turn domain and database errors into a one-line failure."""
    try:
        with transaction(context().sessions) as session:
            yield session
    except DomainError as exc:
        fail(exc.detail)
    except SQLAlchemyError as exc:
        fail(f"database error ({type(exc).__name__}); is it reachable and upgraded?")
