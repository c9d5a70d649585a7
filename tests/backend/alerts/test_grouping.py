"""Regional roll-ups and inhibition: stored, recorded as transitions and events, listed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.alerts.grouping import GroupingSummary, regroup
from backend.alerts.models import Alert, AlertTransition
from backend.alerts.service import EvaluatedScope, RuleRef, apply_candidates
from backend.events.models import Event
from backend.regions.models import Region
from rules import AlertCandidate, fingerprint

# client and people are fixtures, found by pytest in this module's namespace.
from tests.backend.api._people import Person, client_fixture, people_fixture  # noqa: F401

T1 = datetime(2024, 1, 1, tzinfo=UTC)
T2 = datetime(2024, 2, 1, tzinfo=UTC)
REFS = {"surge": RuleRef(rule_id=None, version=2), "big": RuleRef(rule_id=None, version=1)}
COUNTRIES = ("AAA", "BBB", "CCC", "DDD")
UNIT = "M49_013"


@pytest.fixture(autouse=True)
def regions(session: Session) -> dict[str, int]:
    """Four countries of one sub-region."""
    unit = Region(code=UNIT, name="Central Land", level="subregion", m49=13)
    session.add(unit)
    session.flush()
    rows = [
        Region(code=code, name=f"Country {code}", level="country", subregion_id=unit.id)
        for code in COUNTRIES
    ]
    session.add_all(rows)
    session.flush()
    return {UNIT: unit.id, **{row.code: row.id for row in rows}}


def candidate(
    region: str, *, rule: str = "surge", severity: str = "warning", theme: str = "homicide"
) -> AlertCandidate:
    """Return a firing candidate for 2020."""
    return AlertCandidate(
        rule=rule, region=region, indicator="homicide_rate", period="2020", state="firing",
        severity=severity,  # type: ignore[arg-type]  # tests pass every severity
        value=9.0, baseline=5.0, threshold=6.0, explanation=f"{region} rose", details={},
        labels={"theme": theme}, fingerprint=fingerprint(rule, region, "2020"),
    )  # fmt: skip


def evaluate(
    session: Session, found: list[AlertCandidate], at: datetime = T1, **kw: Any
) -> GroupingSummary:
    """Apply one evaluation of both rules over every region, then regroup."""
    scope = EvaluatedScope(rules=frozenset(REFS))
    apply_candidates(
        session=session, candidates=found, rule_versions=REFS, detected_at=at, scope=scope
    )
    return regroup(session=session, rules=scope.rules, detected_at=at, **kw)


def _rollup(session: Session) -> Alert:
    return session.scalars(select(Alert).where(Alert.is_rollup.is_(True))).one()


def _member_codes(alert: Alert) -> list[str]:
    members = alert.details["members"]
    assert isinstance(members, list)
    return [member["region"] for member in members]


def _moves(session: Session, alert: Alert) -> list[tuple[str, str | None, str | None]]:
    query = select(AlertTransition).where(AlertTransition.alert_id == alert.id)
    return [(t.field, t.from_value, t.to_value) for t in session.scalars(query)]


def test_three_countries_of_a_subregion_fire_one_regional_alert(
    session: Session, regions: dict[str, int]
) -> None:
    summary = evaluate(session, [candidate(c) for c in COUNTRIES[:3]])
    assert summary == GroupingSummary(rollups_fired=1)
    rollup = _rollup(session)
    assert (rollup.region_id, rollup.rule_name, rollup.period) == (regions[UNIT], "surge", "2020")
    assert rollup.state == "firing" and rollup.rule_version == 2
    assert rollup.fingerprint == fingerprint("surge", UNIT, "2020")
    assert _member_codes(rollup) == ["AAA", "BBB", "CCC"]
    assert rollup.explanation.startswith("3 countries of Central Land fire surge for 2020")
    assert _moves(session, rollup) == [("state", None, "firing")]
    events = [e.payload for e in session.scalars(select(Event).order_by(Event.id))]
    assert events[-1]["is_rollup"] is True and events[-1]["region"] == UNIT
    # Applying the same evaluation again changes nothing.
    assert evaluate(session, [candidate(c) for c in COUNTRIES[:3]], T2) == GroupingSummary()


def test_the_rollup_resolves_when_fewer_than_the_minimum_remain(session: Session) -> None:
    evaluate(session, [candidate(c) for c in COUNTRIES])
    assert _member_codes(_rollup(session)) == list(COUNTRIES)
    evaluate(session, [candidate(c) for c in COUNTRIES[:3]], T2)
    assert _rollup(session).state == "firing"
    summary = evaluate(session, [candidate(c) for c in COUNTRIES[:2]], T2)
    assert summary.rollups_resolved == 1
    rollup = _rollup(session)
    assert rollup.state == "resolved"
    assert _moves(session, rollup)[-1] == ("state", "firing", "resolved")


def test_the_minimum_is_a_parameter(session: Session) -> None:
    assert evaluate(session, [candidate(c) for c in COUNTRIES[:2]]).rollups_fired == 0
    assert evaluate(session, [candidate(c) for c in COUNTRIES[:2]], min_members=2).rollups_fired


def _by_rule(session: Session, rule: str, region: str = "AAA") -> Alert:
    query = select(Alert).where(Alert.fingerprint == fingerprint(rule, region, "2020"))
    return session.scalars(query).one()


def test_a_higher_severity_alert_mutes_a_lower_one_of_the_same_region_and_theme(
    session: Session,
) -> None:
    found = [
        candidate("AAA", rule="big", severity="critical"),
        candidate("AAA"),
        candidate("BBB"),  # another region: not muted
    ]
    summary = evaluate(session, found)
    big, surge = _by_rule(session, "big"), _by_rule(session, "surge")
    assert summary.muted == 1
    assert surge.muted_by_id == big.id and surge.state == "firing"
    assert _by_rule(session, "surge", "BBB").muted_by_id is None
    assert _moves(session, surge)[-1] == ("muted_by", None, str(big.id))
    events = [e.payload for e in session.scalars(select(Event).order_by(Event.id))]
    assert events[-1]["change"] == "muted_by" and events[-1]["muted_by"] == big.id
    # The critical alert stops firing: the warning speaks again.
    assert evaluate(session, found[1:], T2).unmuted == 1
    assert surge.muted_by_id is None
    assert _moves(session, surge)[-1] == ("muted_by", str(big.id), None)


def test_another_theme_is_not_muted(session: Session) -> None:
    found = [candidate("AAA", rule="big", severity="critical"), candidate("AAA", theme="x")]
    evaluate(session, found)
    assert _by_rule(session, "surge").muted_by_id is None


def test_the_inbox_leaves_muted_alerts_out_unless_asked(
    client: TestClient, session: Session, people: dict[str, Person]
) -> None:
    evaluate(session, [candidate("AAA", rule="big", severity="critical"), candidate("AAA")])
    viewer = people["viewer"].headers()
    listed = client.get("/api/v1/alerts", headers=viewer).json()
    assert [a["rule"] for a in listed["items"]] == ["big"] and listed["total"] == 1
    every = client.get("/api/v1/alerts?include_muted=true", headers=viewer).json()
    muted = next(a for a in every["items"] if a["rule"] == "surge")
    big = _by_rule(session, "big")
    assert muted["muted_by"] == big.id
    assert muted["explanation"] == (
        f"AAA rose; muted by alert {big.id} (critical big), which fires at a higher severity "
        "for the same region and theme."
    )


def test_a_rollup_lists_its_members_over_the_api(
    client: TestClient, session: Session, people: dict[str, Person]
) -> None:
    evaluate(session, [candidate(c) for c in COUNTRIES[:3]])
    rollup = _rollup(session)
    body = client.get(f"/api/v1/alerts/{rollup.id}", headers=people["viewer"].headers()).json()
    assert body["is_rollup"] is True and body["region"] == UNIT
    assert [(m["region"], m["severity"]) for m in body["members"]] == [
        ("AAA", "warning"), ("BBB", "warning"), ("CCC", "warning"),
    ]  # fmt: skip
    assert {m["alert_id"] for m in body["members"]} == {
        _by_rule(session, "surge", c).id for c in COUNTRIES[:3]
    }
