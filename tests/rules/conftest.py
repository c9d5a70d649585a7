"""Fixtures for the rule-core tests: the path helper for the shared public data.

Kept here for now; it can move to tests/conftest.py, which has a similar helper.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def shared_data_file(relative: str) -> Path:
    """Return a file under ../shared/data; skip when absent, fail when CI=true."""
    path = SHARED_DATA / relative
    if not path.is_file():
        reason = f"shared data file {path} is absent"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true requires the shared data")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Callable[[str], Path]:
    """Return the helper that finds a shared data file or skips the test."""
    return shared_data_file
