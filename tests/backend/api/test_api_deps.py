"""The request owns the transaction: commit on success, roll back on error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from backend import migrate
from backend.app import create_app
from backend.config import Settings
from backend.deps import SessionDep
from backend.errors import Conflict
from backend.sources.models import Source


def _source(source_id: str) -> Source:
    return Source(id=source_id, title=source_id, publisher="p", licence="l", url="u",
                  cadence="yearly", cadence_days=365, schedule="0 3 * * 1")  # fmt: skip


def test_request_commits_on_success_and_rolls_back_on_error(
    tmp_path: Path, app_settings: Callable[..., Settings]
) -> None:
    url = f"sqlite:///{tmp_path / 'tx.db'}"
    migrate.upgrade(url)
    app = create_app(app_settings(database_url=url))

    def keep(session: SessionDep) -> None:
        session.add(_source("kept"))

    def fail(session: SessionDep) -> None:
        session.add(_source("dropped"))
        session.flush()
        raise Conflict("changed my mind")

    app.add_api_route("/api/v1/test-keep", keep, methods=["POST"])
    app.add_api_route("/api/v1/test-fail", fail, methods=["POST"])
    with TestClient(app) as client:
        assert client.post("/api/v1/test-keep").status_code == 200
        assert client.post("/api/v1/test-fail").status_code == 409
        with app.state.context.sessions() as session:
            assert list(session.scalars(select(Source.id))) == ["kept"]
