"""Build Tocsin's shipped reference geography from the public files in ../shared/data.

The command line of ``python scripts/build_reference.py`` and ``python -m scripts.reference``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import REPO, build, check_manifest


def main(argv: list[str] | None = None) -> int:
    """Build the reference files; with --check, fail if the committed ones are stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help="folder holding the public inputs (default: ../shared/data)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if any output differs from the build",
    )
    args = parser.parse_args(argv)  # fmt: skip
    for warning in check_manifest(args.shared):
        print(f"warning: {warning}", file=sys.stderr)
    outputs = build(args.shared)
    stale = []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        status = "unchanged" if current == text else "stale" if args.check else "written"
        if current != text and not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        stale += [path] if status == "stale" else []
        size = len(text.encode("utf-8"))
        print(f"{status:>9}  {path.relative_to(REPO)}  {size / 1024:,.0f} KiB", file=sys.stderr)
    return 1 if stale else 0
