"""Metrics read from the database: ingest runs and alert outcomes, the same from every worker."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert, AlertTransition
from backend.ops.metrics import Family, Labels, Store, render_family
from backend.sources.models import IngestRun

INGEST_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
INGEST_RUNS = Family("tocsin_ingest_runs_total", "counter", "Ingest runs, by source and status")
INGEST_ROWS = Family(
    "tocsin_ingest_rows_total", "counter", "Rows handled by ingest runs, by source and outcome"
)
INGEST_LATENCY = Family(
    "tocsin_ingest_run_duration_seconds",
    "histogram",
    "Wall time of finished ingest runs, by source",
    INGEST_BUCKETS,
)
INGEST_LAST_SUCCESS = Family(
    "tocsin_ingest_last_success_timestamp_seconds",
    "gauge",
    "Unix time when the source last finished a successful run",
)
ALERT_TRANSITIONS = Family(
    "tocsin_rule_alert_transitions_total",
    "counter",
    "Alert state changes made by rule evaluation, by rule and new state",
)
ALERTS = Family("tocsin_alerts", "gauge", "Alerts now in the database, by state")
ROW_OUTCOMES = ("read", "inserted", "revised", "unchanged", "quarantined")


def _seconds(start: datetime, end: datetime) -> float:
    """Return the seconds between two stored times (SQLite may drop the zone on one side)."""
    return max((end.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds(), 0.0)


def _ingest(session: Session) -> Store:
    """Count runs and rows per source, and bucket the durations of finished runs."""
    store = Store()
    columns = [func.sum(getattr(IngestRun, f"rows_{o}")) for o in ROW_OUTCOMES]
    query = select(IngestRun.source_id, IngestRun.status, func.count(), *columns).group_by(
        IngestRun.source_id, IngestRun.status
    )
    for source, status, runs, *sums in session.execute(query):
        store.add(INGEST_RUNS, (("source", source), ("status", status)), float(runs))
        for outcome, total in zip(ROW_OUTCOMES, sums, strict=True):
            store.add(INGEST_ROWS, (("outcome", outcome), ("source", source)), float(total or 0))
    finished = select(IngestRun.source_id, IngestRun.started_at, IngestRun.finished_at).where(
        IngestRun.finished_at.is_not(None)
    )
    for source, started, ended in session.execute(finished):
        if ended is None:
            continue
        store.add(INGEST_LATENCY, (("source", source),), _seconds(started, ended))
    return store


def _last_success(session: Session) -> dict[Labels, list[float]]:
    """Return each source's newest successful finish as a Unix time."""
    query = (
        select(IngestRun.source_id, func.max(IngestRun.finished_at))
        .where(IngestRun.status == "succeeded")
        .group_by(IngestRun.source_id)
    )
    return {(("source", source),): [_unix(when)] for source, when in session.execute(query) if when}


def _unix(when: datetime) -> float:
    """Return a stored time as a Unix timestamp, naive times read as UTC."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _alerts(session: Session) -> Store:
    """Count rule-made state transitions per rule, and alerts per state."""
    store = Store()
    transitions = (
        select(Alert.rule_name, AlertTransition.to_value, func.count())
        .join(Alert, Alert.id == AlertTransition.alert_id)
        .where(AlertTransition.field == "state", AlertTransition.actor.like("system:%"))
        .group_by(Alert.rule_name, AlertTransition.to_value)
    )
    for rule, state, count in session.execute(transitions):
        store.add(ALERT_TRANSITIONS, (("rule", rule), ("to", state or "none")), float(count))
    for state, count in session.execute(select(Alert.state, func.count()).group_by(Alert.state)):
        store.add(ALERTS, (("state", state),), float(count))
    return store


def render_database_metrics(session: Session) -> list[str]:
    """Render the database-derived families in the Prometheus text format."""
    ingest, alerts = _ingest(session), _alerts(session)
    lines: list[str] = []
    for family, store in ((INGEST_RUNS, ingest), (INGEST_ROWS, ingest), (INGEST_LATENCY, ingest)):
        lines += render_family(family, store.values.get(family.name, {}))
    lines += render_family(INGEST_LAST_SUCCESS, _last_success(session))
    for family in (ALERT_TRANSITIONS, ALERTS):
        lines += render_family(family, alerts.values.get(family.name, {}))
    return lines
