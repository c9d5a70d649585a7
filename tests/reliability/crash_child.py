"""A ``tocsin`` command for the crash tests to kill, pausing where the test wants it dead.

``python -m tests.reliability.crash_child MARKER ARGS...`` runs ``tocsin ARGS...`` in this
process, exactly as the command line does (the database comes from the environment), with
one addition: the first time an SQL statement starting with MARKER runs (for example
``INSERT INTO observation``), it prints ``MIDWAY`` and pauses inside the open transaction,
so that the parent's ``kill -9`` lands there. ``MARKER@N`` pauses at the Nth such statement
instead; MARKER ``-`` never pauses.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

PAUSE_SECONDS = 60.0  # far longer than the parent needs to kill us


def pause_at(marker: str) -> None:
    """Print MIDWAY and pause when the Nth statement starting with the marker runs."""
    prefix, _, nth = marker.partition("@")
    left = int(nth or 1)

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal left
        if statement.lstrip().upper().startswith(prefix.upper()):
            left -= 1
            if left == 0:
                print("MIDWAY", flush=True)
                time.sleep(PAUSE_SECONDS)

    event.listen(Engine, "before_cursor_execute", before)


def main(marker: str, *args: str) -> None:
    """Run ``tocsin ARGS`` with the pause installed."""
    from backend.cli import app

    if marker != "-":
        pause_at(marker)
    app(list(args), prog_name="tocsin")


if __name__ == "__main__":
    main(*sys.argv[1:])
