"""Composites in the database: stored as versions, listed, evaluated and backtested."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import rules
from backend.alerts.models import Alert
from backend.rules import editing, service
from backend.rules.models import RuleVersion

T1 = datetime(2024, 3, 1, tzinfo=UTC)
World = Any  # the ``world`` fixture's factory (tests/backend/rules/conftest.py)
RULES_YAML = """
groups:
  - name: homicide
    rules:
      - name: rate_record
        indicator: homicide_rate
        operator: highest_in_n
        params: {periods: 3, floor: 2.0}
        severity: warning
        annotations:
          summary: "{region} {value:.1f} in {period}, above {baseline:.1f}"
  - name: composites
    composites:
      - name: rising_unheard
        all:
          - indicator: homicide_rate
            operator: change_vs_previous
            params: {min_change: 0.2}
          - indicator: sc_meetings
            operator: threshold_above
            params: {threshold: 0}
            within: 4
            negate: true
            missing: "true"
        severity: critical
        labels: {theme: homicide}
        annotations:
          summary: "{region} {period}: {value:g} with no meeting ({clauses})"
"""
RISE = {"2017": 3.0, "2018": 3.1, "2019": 5.0}


def _import(session: Session, text: str = RULES_YAML) -> service.ImportSummary:
    rule_set = rules.load_rules_text(text, "test.yaml")
    return service.import_rule_set(session=session, rule_set=rule_set, author="ana", reason="r")


def test_composites_are_stored_as_versions_and_load_back(session: Session, world: World) -> None:
    assert _import(session).created == ("rate_record", "rising_unheard")
    assert _import(session).unchanged == ("rate_record", "rising_unheard")
    edited = RULES_YAML.replace("min_change: 0.2", "min_change: 0.3")
    assert _import(session, edited).updated == ("rising_unheard",)
    versions = session.scalars(select(RuleVersion.version).order_by(RuleVersion.id)).all()
    assert versions == [1, 1, 2]
    active = {a.rule.name: a for a in service.active_rules(session=session)}
    composite = active["rising_unheard"].rule
    assert isinstance(composite, rules.Composite) and active["rising_unheard"].version == 2
    assert composite.clauses[0].params.model_dump()["min_change"] == 0.3
    stored = editing.get_rule(session=session, name="rising_unheard")
    assert "composites:" in stored.rule_file() and stored.rule == composite


def test_evaluating_a_clause_indicator_raises_the_composite_explained(
    session: Session, world: World
) -> None:
    world.series("AAA", RISE)
    world.series("BBB", RISE)
    world.series("BBB", {"2019Q3": 2.0}, indicator="sc_meetings")  # BBB was discussed
    _import(session)
    summary = service.evaluate_changed(
        session=session, indicator_codes={"sc_meetings"}, region_ids=None, detected_at=T1
    )
    assert summary.rules == 1  # only the composite reads sc_meetings
    (alert,) = session.scalars(select(Alert).where(Alert.rule_name == "rising_unheard"))
    assert (alert.period, alert.state, alert.severity) == ("2019", "firing", "critical")
    assert alert.explanation == (
        "AAA 2019: 5 with no meeting (homicide_rate change_vs_previous: true (5 in 2019, "
        "threshold 3.72); not sc_meetings threshold_above: true (no value))"
    )
    assert alert.details["clause1_value"] == 5.0
    assert alert.details["clause2_state"] == "true"


def test_backtests_and_the_rule_list_include_composites(session: Session, world: World) -> None:
    world.series("AAA", RISE)
    _import(session)
    chosen = [active.rule for active in service.active_rules(session=session)]
    found = service.backtest(session=session, rules=chosen)
    assert [(c.rule, c.period) for c in found] == [
        ("rate_record", "2019"),
        ("rising_unheard", "2019"),
    ]
    listed = {s.row.name: s.rule for s in editing.list_rules(session=session)}
    assert isinstance(listed["rising_unheard"], rules.Composite)
