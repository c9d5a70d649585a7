"""Freeze the alerts of a quarter: raised, active at its end, and resolved within it."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert, AlertComment, AlertTransition
from backend.regions.models import Region
from backend.snapshots.collect import iso
from backend.timeutil import as_utc

Row = dict[str, Any]
OPEN = ("pending", "firing")


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Return the quarter as a half-open UTC interval [start, day after end)."""
    return (
        datetime.combine(start, time(), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC),
    )


def _history(session: Session, until: datetime) -> dict[int, list[AlertTransition]]:
    stmt = (
        select(AlertTransition)
        .where(AlertTransition.at < until)
        .order_by(AlertTransition.at, AlertTransition.id)
    )
    out: dict[int, list[AlertTransition]] = defaultdict(list)
    for move in session.scalars(stmt):
        out[move.alert_id].append(move)
    return out


def _status(moves: list[AlertTransition], start: datetime) -> dict[str, Any]:
    """Return the state and triage at the quarter's end and what happened within it."""
    state = triage = None
    resolved_at: datetime | None = None
    for move in moves:
        if move.field == "state":
            state = move.to_value
            if state == "resolved" and as_utc(move.at) >= start:
                resolved_at = as_utc(move.at)
        elif move.field == "triage":
            triage = move.to_value
    return {"state": state, "triage": triage or "new", "resolved_at": resolved_at}


def _comments(session: Session, ids: list[int], until: datetime) -> dict[int, list[Row]]:
    stmt = (
        select(AlertComment)
        .where(AlertComment.alert_id.in_(ids), AlertComment.created_at < until)
        .order_by(AlertComment.created_at, AlertComment.id)
    )
    out: dict[int, list[Row]] = defaultdict(list)
    for c in session.scalars(stmt):
        out[c.alert_id].append({"author": c.author, "at": iso(c.created_at), "body": c.body})
    return out


def _row(alert: Alert, region: Region, status: dict[str, Any], start: datetime) -> Row:
    detected = as_utc(alert.detected_at)
    return {
        "id": alert.id, "rule": alert.rule_name, "rule_version": alert.rule_version,
        "region": region.code, "region_name": region.name, "indicator": alert.indicator_code,
        "period": alert.period, "severity": alert.severity, "detected_at": iso(detected),
        "state": status["state"], "triage": status["triage"],
        "resolved_at": iso(status["resolved_at"]), "value": alert.value,
        "baseline": alert.baseline, "threshold": alert.threshold,
        "explanation": alert.explanation, "raised": detected >= start,
        "resolved": status["resolved_at"] is not None, "active": status["state"] in OPEN,
    }  # fmt: skip


def quarter_alerts(session: Session, *, start: date, end: date) -> list[Row]:
    """Return the alerts raised, active at the end of, or resolved within the quarter."""
    lo, hi = bounds(start, end)
    history = _history(session, hi)
    stmt = (
        select(Alert, Region)
        .join(Region, Region.id == Alert.region_id)
        .where(Alert.id.in_(list(history)), Alert.is_demo.is_(False))
        .order_by(Alert.detected_at, Alert.id)
    )
    rows = []
    for alert, region in session.execute(stmt):
        row = _row(alert, region, _status(history[alert.id], lo), lo)
        if row["raised"] or row["resolved"] or row["active"]:
            rows.append(row)
    comments = _comments(session, [r["id"] for r in rows], hi)
    for row in rows:
        row["comments"] = comments.get(row["id"], [])
    return rows
