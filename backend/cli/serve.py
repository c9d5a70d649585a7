"""``tocsin serve``."""

from __future__ import annotations

import typer

app = typer.Typer(help="serve", no_args_is_help=True)
