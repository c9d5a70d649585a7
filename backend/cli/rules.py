"""``tocsin rules``."""

from __future__ import annotations

import typer

app = typer.Typer(help="rules", no_args_is_help=True)
