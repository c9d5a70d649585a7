"""Schemathesis against the live ASGI app's OpenAPI: no 5xx, every answer matches its schema.

Every operation gets a bounded, derandomized run (the same examples every time) on a
migrated SQLite database holding the demo dataset. Writes go as an admin, reads as a
viewer (the lowest role that reads). Two operations are left out, each for a reason:
the stream never ends (tests/backend/stream covers it) and a snapshot PDF takes seconds
to render per file (tests/backend/snapshots covers the downloads).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import response_schema_conformance

from backend import migrate
from backend.app import create_app
from backend.config import Environment, Settings
from backend.db import transaction
from backend.demo.service import load_demo
from tests.backend.api._people import add_people, headers_for, use_cheap_hasher

pytestmark = pytest.mark.fuzz
READS = {"GET", "HEAD", "OPTIONS"}
MAX_EXAMPLES = 10  # 69 operations: about 700 calls, a few minutes at most on a busy box
DEMO_COUNTRIES = ("MEX", "HND", "GTM", "COL", "NGA", "GHA")
FuzzApp = tuple[FastAPI, dict[str, dict[str, str]]]


@pytest.fixture(scope="module")
def fuzz_app(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FuzzApp]:
    """Yield an app on its own migrated SQLite database with demo data, and role headers."""
    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'fuzz.db'}"
    migrate.upgrade(url)
    app = create_app(Settings(env=Environment.test, database_url=url, data_dir=folder / "data"))
    with pytest.MonkeyPatch.context() as patch, transaction(app.state.context.sessions) as session:
        use_cheap_hasher(patch)
        load_demo(session=session, present=date(2024, 6, 30), countries=DEMO_COUNTRIES)
        people = add_people(session)
        headers = {role: headers_for(people, role) for role in ("viewer", "admin")}
    yield app, headers
    app.state.context.dispose()


def openapi_schema() -> BaseSchema:
    """Load the OpenAPI schema from an app on an in-memory database (only for its schema)."""
    spec_app = create_app(Settings(env=Environment.test, database_url="sqlite://"))
    loaded = schemathesis.openapi.from_asgi("/openapi.json", spec_app)
    return loaded.exclude(path="/api/v1/stream").exclude(
        path="/api/v1/snapshots/{snapshot_id}/files/{fmt}"
    )


# Collected at import (pytest parametrizes from it); each call goes to the live fuzz_app.
schema = openapi_schema()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(case: schemathesis.Case, fuzz_app: FuzzApp) -> None:
    app, headers = fuzz_app
    role = "viewer" if case.method.upper() in READS else "admin"
    case.call_and_validate(
        headers=headers[role], checks=[not_a_server_error, response_schema_conformance], app=app
    )
