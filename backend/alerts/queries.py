"""Alert read queries: the filtered, sorted, paged inbox and one alert with its history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from backend.alerts.models import SEVERITIES, Alert, AlertComment, AlertLabel, AlertTransition
from backend.alerts.schemas import (
    AlertCommentRead,
    AlertDetailRead,
    AlertFeedbackRead,
    AlertMemberRead,
    AlertPage,
    AlertQuery,
    AlertRead,
    AlertTransitionRead,
)
from backend.errors import NotFound
from backend.observations.service import period_range
from backend.regions.models import Region

# Severity sorts by rank, not alphabetically; unknown values rank lowest.
_SEVERITY_RANK = case(
    {name: rank for rank, name in enumerate(SEVERITIES)}, value=Alert.severity, else_=-1
)
# The whitelist: a sort key names an expression, so no SQL is ever built from the request.
_SORT_KEYS: dict[str, ColumnElement[Any]] = {
    "detected_at": Alert.detected_at.expression,
    "period": Alert.period.expression,
    "severity": _SEVERITY_RANK,
    "region": Region.code.expression,
    "rule": Alert.rule_name.expression,
    "state": Alert.state.expression,
    "id": Alert.id.expression,
}


def _filters(query: AlertQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for column, wanted in (
        (Alert.state, query.state),
        (Alert.severity, query.severity),
        (Alert.triage, query.triage),
        (Alert.rule_name, query.rule),
        (Alert.indicator_code, query.indicator),
        (Region.code, [code.upper() for code in query.region]),
    ):
        if wanted:
            clauses.append(column.in_(wanted))
    if query.within is not None:
        unit = aliased(Region)
        unit_id = select(unit.id).where(unit.code == query.within.upper()).scalar_subquery()
        clauses.append(
            or_(
                Region.parent_id == unit_id,
                Region.region_id == unit_id,
                Region.subregion_id == unit_id,
                Region.intermediate_id == unit_id,
            )
        )
    if query.is_demo is not None:
        clauses.append(Alert.is_demo.is_(query.is_demo))
    if not query.include_muted:
        clauses.append(Alert.muted_by_id.is_(None))
    clauses += period_range(Alert.period, period_from=query.period_from, period_to=query.period_to)
    return clauses


def _order(sort: str) -> list[ColumnElement[Any]]:
    key = _SORT_KEYS[sort.removeprefix("-")]
    primary = key.desc() if sort.startswith("-") else key.asc()
    return [primary, Alert.id.desc()]


_MUTER = aliased(Alert, name="muter")


def _select() -> Select[Alert, str, str, str | None, str | None]:
    return (
        select(Alert, Region.code, Region.name, _MUTER.rule_name, _MUTER.severity)
        .join(Region, Alert.region_id == Region.id)
        .outerjoin(_MUTER, _MUTER.id == Alert.muted_by_id)
    )


def _explanation(alert: Alert, muter_rule: str | None, muter_severity: str | None) -> str:
    """Return the alert's explanation, saying why it is muted when it is."""
    if alert.muted_by_id is None:
        return alert.explanation
    return (
        f"{alert.explanation}; muted by alert {alert.muted_by_id} ({muter_severity} "
        f"{muter_rule}), which fires at a higher severity for the same region and theme."
    )


def _to_read(
    alert: Alert, code: str, name: str, muter_rule: str | None, muter_severity: str | None
) -> dict[str, Any]:
    return {
        "id": alert.id,
        "rule": alert.rule_name,
        "rule_version": alert.rule_version,
        "region": code,
        "region_name": name,
        "indicator": alert.indicator_code,
        "period": alert.period,
        "state": alert.state,
        "triage": alert.triage,
        "severity": alert.severity,
        "value": alert.value,
        "baseline": alert.baseline,
        "threshold": alert.threshold,
        "explanation": _explanation(alert, muter_rule, muter_severity),
        "detected_at": alert.detected_at,
        "assignee": alert.assignee,
        "is_demo": alert.is_demo,
        "is_rollup": alert.is_rollup,
        "muted_by": alert.muted_by_id,
    }


def list_alerts(session: Session, *, query: AlertQuery) -> AlertPage:
    """Return one page of alerts matching the filters, sorted, with the total count."""
    where = _filters(query)
    total = session.scalar(
        select(func.count(Alert.id)).join(Region, Alert.region_id == Region.id).where(*where)
    )
    stmt = (
        _select()
        .where(*where)
        .order_by(*_order(query.sort))
        .limit(query.page_size)
        .offset((query.page - 1) * query.page_size)
    )
    items = [AlertRead(**_to_read(*row)) for row in session.execute(stmt)]
    return AlertPage(items=items, total=total or 0, page=query.page, page_size=query.page_size)


def _members(details: dict[str, object]) -> list[AlertMemberRead]:
    """Return a roll-up's member alerts as stored in its details."""
    found = details.get("members")
    items = found if isinstance(found, list) else []
    return [AlertMemberRead.model_validate(item) for item in items]


def get_alert(session: Session, *, alert_id: int) -> AlertDetailRead:
    """Return one alert with its details and history, or raise NotFound."""
    row = session.execute(_select().where(Alert.id == alert_id)).first()
    if row is None:
        raise NotFound(f"No alert with id {alert_id}")
    alert = row[0]
    transitions = session.scalars(
        select(AlertTransition)
        .where(AlertTransition.alert_id == alert_id)
        .order_by(AlertTransition.at, AlertTransition.id)
    )
    comments = session.scalars(
        select(AlertComment)
        .where(AlertComment.alert_id == alert_id)
        .order_by(AlertComment.created_at, AlertComment.id)
    )
    feedback = session.scalars(
        select(AlertLabel)
        .where(AlertLabel.alert_id == alert_id)
        .order_by(AlertLabel.created_at, AlertLabel.id)
    )
    details = alert.details or {}
    return AlertDetailRead(
        **_to_read(*row),
        fingerprint=alert.fingerprint,
        members=_members(details) if alert.is_rollup else [],
        details=details,
        labels=alert.labels or {},
        transitions=[
            AlertTransitionRead.model_validate(t, from_attributes=True) for t in transitions
        ],
        comments=[AlertCommentRead.model_validate(c, from_attributes=True) for c in comments],
        feedback=[AlertFeedbackRead.model_validate(f, from_attributes=True) for f in feedback],
    )
