"""/api/v1/ready and /metrics on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.config import Environment, Settings
from backend.ops.metrics import RECORDER, Store
from backend.regions.models import Region
from backend.sources.models import IngestRun, Source
from tests.backend.api._people import serve_session

T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def client(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """Yield a client of an app on the test's rolled-back session, fresh metrics in tmp_path."""
    monkeypatch.setattr(RECORDER, "store", Store())
    settings = Settings(
        env=Environment.test,
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        data_dir=tmp_path / "data",
    )
    app = create_app(settings)

    serve_session(app, session)
    with TestClient(app) as test_client:
        yield test_client


def _region(session: Session) -> None:
    session.add(Region(code="NOR", name="Norway", level="country"))
    session.flush()


def test_ready_needs_regions(client: TestClient, session: Session) -> None:
    refused = client.get("/api/v1/ready")
    assert refused.status_code == 503
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "no regions" in refused.json()["reason"]
    _region(session)
    ok = client.get("/api/v1/ready")
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "ready" and ok.json()["regions"] == 1


def test_ready_refuses_a_stale_schema(client: TestClient, session: Session) -> None:
    _region(session)
    session.execute(text("UPDATE alembic_version SET version_num = 'abc123'"))
    answer = client.get("/api/v1/ready")
    assert answer.status_code == 503
    assert "tocsin db upgrade" in answer.json()["reason"]


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    for _ in range(3):
        client.get("/api/v1/health")
    client.get("/api/v1/no/such/path")
    body = client.get("/metrics")
    assert body.status_code == 200
    assert body.headers["content-type"].startswith("text/plain; version=0.0.4")
    text_ = body.text
    assert 'tocsin_http_requests_total{method="GET",route="/api/v1/health",status="200"}' in text_
    assert 'route="unmatched",status="404"' in text_
    assert "# TYPE tocsin_http_request_duration_seconds histogram" in text_
    assert 'route="/api/v1/health",le="+Inf"} 3' in text_
    assert "tocsin_database_up 1" in text_
    assert "/no/such/path" not in text_


def test_metrics_read_ingest_runs_and_alerts_from_the_database(
    client: TestClient, session: Session
) -> None:
    session.add(
        Source(id="ops_src", title="t", publisher="p", licence="l", url="https://x.org",
               cadence="yearly", cadence_days=365, schedule="0 3 * * 1")
    )  # fmt: skip
    session.flush()
    for minutes, status in ((1, "succeeded"), (3, "succeeded"), (2, "failed")):
        session.add(
            IngestRun(source_id="ops_src", trigger="manual", started_at=T0,
                      finished_at=T0 + timedelta(minutes=minutes), status=status,
                      rows_read=10, rows_inserted=7, rows_quarantined=1)
        )  # fmt: skip
    session.flush()
    text_ = client.get("/metrics").text
    assert 'tocsin_ingest_runs_total{source="ops_src",status="succeeded"} 2' in text_
    assert 'tocsin_ingest_runs_total{source="ops_src",status="failed"} 1' in text_
    assert 'tocsin_ingest_rows_total{outcome="inserted",source="ops_src"} 21' in text_
    assert 'tocsin_ingest_run_duration_seconds_bucket{source="ops_src",le="120"} 2' in text_
    assert 'tocsin_ingest_run_duration_seconds_count{source="ops_src"} 3' in text_
    assert 'tocsin_ingest_run_duration_seconds_sum{source="ops_src"} 360' in text_
    stamp = (T0 + timedelta(minutes=3)).timestamp()
    assert f'tocsin_ingest_last_success_timestamp_seconds{{source="ops_src"}} {int(stamp)}' in text_
    assert "# TYPE tocsin_rule_alert_transitions_total counter" in text_
