"""``python -m scripts.reference``: same as ``python scripts/build_reference.py``."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
