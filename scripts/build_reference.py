"""Build Tocsin's shipped reference geography from the public files in ../shared/data.

Writes backend/regions/data/{regions,aliases}.csv and dashboard/assets/geo/{world.geojson,
points.json,plotly/world_110m.json}; the code is the package scripts/reference/.

Run from the repository root:  python scripts/build_reference.py [--shared ../shared/data]
Origin, licences and the reasons for every addition are in the two README.md files.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a file, sys.path[0] is scripts/
    sys.path.insert(0, str(REPO))

from scripts.reference.build import build  # noqa: E402
from scripts.reference.cli import main  # noqa: E402

__all__ = ["build", "main"]

if __name__ == "__main__":
    sys.exit(main())
