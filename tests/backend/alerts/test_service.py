"""The alert lifecycle writes: create, move, resolve; one transition and one event each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert, AlertTransition
from backend.alerts.service import (
    AlertServiceError,
    ApplySummary,
    EvaluatedScope,
    RuleRef,
    apply_candidates,
    delete_demo_alerts,
)
from backend.events.service import events_after, last_cursor
from backend.regions.models import Region
from rules import AlertCandidate, fingerprint

T1 = datetime(2024, 1, 1, tzinfo=UTC)
T2 = datetime(2024, 2, 1, tzinfo=UTC)
REFS = {"surge": RuleRef(rule_id=None, version=3), "other": RuleRef(rule_id=None, version=1)}


@pytest.fixture(autouse=True)
def regions(session: Session) -> dict[str, int]:
    """Three countries."""
    rows = [
        Region(code=code, name=f"Country {code}", level="country") for code in ("AAA", "BBB", "CCC")
    ]
    session.add_all(rows)
    session.flush()
    return {row.code: row.id for row in rows}


def candidate(
    region: str = "AAA",
    period: str = "2020",
    *,
    rule: str = "surge",
    state: str = "firing",
    value: float = 9.0,
) -> AlertCandidate:
    """Return a candidate with plausible numbers."""
    return AlertCandidate(
        rule=rule,
        region=region,
        indicator="homicide_rate",
        period=period,
        state=state,  # type: ignore[arg-type]  # tests pass both states
        severity="warning",
        value=value,
        baseline=5.0,
        threshold=5.0,
        explanation=f"{region} {period}: {value}",
        details={"held": 1},
        labels={"theme": "homicide"},
        fingerprint=fingerprint(rule, region, period),
    )


def _apply(
    session: Session, candidates: list[AlertCandidate], at: datetime = T1, **kw: Any
) -> ApplySummary:
    return apply_candidates(
        session=session, candidates=candidates, rule_versions=REFS, detected_at=at, **kw
    )


def _alert(session: Session, region: str, period: str, rule: str = "surge") -> Alert:
    return session.scalars(
        select(Alert).where(Alert.fingerprint == fingerprint(rule, region, period))
    ).one()


def _transitions(session: Session, alert: Alert) -> list[tuple[str | None, str | None]]:
    query = (
        select(AlertTransition)
        .where(AlertTransition.alert_id == alert.id)
        .order_by(AlertTransition.id)
    )
    return [(t.from_value, t.to_value) for t in session.scalars(query)]


def test_new_candidates_become_alerts_with_a_transition_and_an_event(session: Session) -> None:
    cursor = last_cursor(session=session)
    summary = _apply(session, [candidate("AAA"), candidate("BBB", state="pending")])
    assert (summary.created, summary.changed, summary.resolved) == (2, 0, 0)
    alert = _alert(session, "AAA", "2020")
    assert (alert.state, alert.triage, alert.rule_version, alert.detected_at.year) == (
        "firing",
        "new",
        3,
        2024,
    )
    assert (alert.value, alert.baseline, alert.labels) == (9.0, 5.0, {"theme": "homicide"})
    assert _transitions(session, alert) == [(None, "firing")]
    events = events_after(session=session, cursor=cursor)
    assert [(e.kind, e.payload["region"], e.payload["state"]) for e in events] == [
        ("alert", "AAA", "firing"),
        ("alert", "BBB", "pending"),
    ]
    assert events[0].payload["alert_id"] == alert.id


def test_unchanged_state_writes_no_transition_but_refreshes_numbers(session: Session) -> None:
    _apply(session, [candidate(value=9.0)])
    cursor = last_cursor(session=session)
    summary = _apply(session, [candidate(value=9.5)], at=T2)
    assert (summary.created, summary.unchanged, summary.transitions) == (0, 1, 0)
    alert = _alert(session, "AAA", "2020")
    assert alert.value == 9.5
    assert alert.detected_at.month == 1  # detection time is the first one
    assert list(events_after(session=session, cursor=cursor)) == []


def test_a_changed_state_is_one_transition_and_one_event(session: Session) -> None:
    _apply(session, [candidate(state="pending")])
    cursor = last_cursor(session=session)
    summary = _apply(session, [candidate(state="firing")], at=T2)
    assert summary.changed == 1
    alert = _alert(session, "AAA", "2020")
    assert _transitions(session, alert) == [(None, "pending"), ("pending", "firing")]
    (event,) = events_after(session=session, cursor=cursor)
    assert (event.payload["previous_state"], event.payload["state"]) == ("pending", "firing")


def test_alerts_no_longer_raised_are_resolved(session: Session) -> None:
    _apply(session, [candidate("AAA"), candidate("BBB"), candidate("CCC", rule="other")])
    summary = _apply(
        session, [candidate("AAA")], at=T2, scope=EvaluatedScope(rules=frozenset({"surge"}))
    )
    assert (summary.unchanged, summary.resolved) == (1, 1)
    assert _alert(session, "BBB", "2020").state == "resolved"
    assert _transitions(session, _alert(session, "BBB", "2020"))[-1] == ("firing", "resolved")
    assert _alert(session, "CCC", "2020", rule="other").state == "firing"  # rule not evaluated


def test_resolution_stays_inside_the_evaluated_regions(session: Session) -> None:
    _apply(session, [candidate("AAA"), candidate("BBB")])
    scope = EvaluatedScope(rules=frozenset(REFS), regions=frozenset({"AAA"}))
    summary = _apply(session, [], at=T2, scope=scope)
    assert summary.resolved == 1
    assert (_alert(session, "AAA", "2020").state, _alert(session, "BBB", "2020").state) == (
        "resolved",
        "firing",
    )


def test_a_resolved_alert_raised_again_fires_again(session: Session) -> None:
    _apply(session, [candidate()])
    _apply(session, [], at=T2)
    summary = _apply(session, [candidate()], at=T2)
    assert summary.changed == 1
    assert _transitions(session, _alert(session, "AAA", "2020"))[-1] == ("resolved", "firing")


def test_candidates_are_deduplicated_by_fingerprint(session: Session) -> None:
    summary = _apply(session, [candidate(value=1.0), candidate(value=2.0), candidate(value=3.0)])
    assert summary.created == 1
    count = session.scalar(
        select(func.count(Alert.id)).where(Alert.fingerprint == fingerprint("surge", "AAA", "2020"))
    )
    assert count == 1
    assert _alert(session, "AAA", "2020").value == 3.0


def test_demo_and_real_alerts_resolve_separately(session: Session) -> None:
    _apply(session, [candidate("AAA")], is_demo=True)
    _apply(session, [candidate("BBB")])
    _apply(session, [], at=T2)  # a real evaluation that raised nothing
    assert _alert(session, "AAA", "2020").state == "firing"
    assert _alert(session, "BBB", "2020").state == "resolved"
    assert _alert(session, "AAA", "2020").is_demo


def test_delete_demo_alerts_takes_their_transitions(session: Session) -> None:
    _apply(session, [candidate("AAA")], is_demo=True)
    _apply(session, [candidate("BBB")])
    alert_id = _alert(session, "AAA", "2020").id
    assert delete_demo_alerts(session=session, indicator_codes={"homicide_rate"}) == 1
    session.expire_all()
    left = session.scalars(select(AlertTransition.alert_id)).all()
    assert alert_id not in left
    assert session.scalar(select(func.count(Alert.id))) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [(candidate("ZZZ"), "unknown region"), (candidate(rule="nobody"), "no stored version")],
    ids=["region", "rule"],
)
def test_unknown_region_or_rule_is_refused(
    session: Session, bad: AlertCandidate, message: str
) -> None:
    with pytest.raises(AlertServiceError, match=message):
        _apply(session, [bad])
