"""Fixtures for ingest tests: a migrated SQLite file per test, a process context, payloads."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend import migrate
from backend.config import get_settings
from backend.context import AppContext, build_context

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WB_CSV = "worldbank-wdi-homicide/API_VC.IHR.PSRC.P5_DS2_en_csv_v2_4355130.csv"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file per test session; tests get copies (faster than migrating)."""
    path = tmp_path_factory.mktemp("template") / "tocsin.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(migrated_template: Path, tmp_path: Path) -> str:
    """Return the URL of a fresh, migrated SQLite database for this test."""
    path = tmp_path / "tocsin.db"
    shutil.copyfile(migrated_template, path)
    return f"sqlite:///{path}"


def make_ctx(url: str, data_dir: Path, **overrides: object) -> AppContext:
    """Build a process context on ``url`` with its files under ``data_dir``."""
    settings = get_settings(database_url=url, data_dir=data_dir, fetch_retries=1, **overrides)
    return build_context(settings)


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[AppContext]:
    """Yield a process context on a fresh SQLite database (commits are real)."""
    context = make_ctx(db_url, tmp_path / "data")
    yield context
    context.dispose()


@pytest.fixture
def any_ctx(blank_database_url: str, tmp_path: Path) -> Iterator[AppContext]:
    """Yield a context on a fresh migrated database of each kind (SQLite, PostgreSQL)."""
    migrate.upgrade(blank_database_url)
    context = make_ctx(blank_database_url, tmp_path / "data")
    yield context
    context.dispose()


@pytest.fixture
def wb_json() -> dict[str, bytes]:
    """The hand-made VC.IHR.PSRC.P5 API responses, by name (page1, page2, error, empty)."""
    folder = FIXTURES / "worldbank"
    return {p.stem.removeprefix("vc_ihr_psrc_p5_"): p.read_bytes() for p in folder.glob("*.json")}


@pytest.fixture
def wb_csv(shared: type) -> Path:
    """The real World Bank bulk CSV (skips when ../shared/data is absent)."""
    path: Path = shared.file(WB_CSV)
    return path
