"""Helpers shared by CLI commands: the process context and one-line failures."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from backend.context import AppContext, build_context

console = Console(stderr=True, soft_wrap=True)


def context() -> AppContext:
    """Build the context for one CLI invocation from the environment."""
    return build_context()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line reason to stderr and exit non-zero."""
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
