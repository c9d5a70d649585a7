"""Rules in the database: versions on change only, active rules, evaluation, backtest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

import rules
from backend.alerts.models import Alert
from backend.observations.models import Observation
from backend.rules import service
from backend.rules.models import Rule, RuleVersion

T1 = datetime(2024, 3, 1, tzinfo=UTC)
World = Any  # the ``world`` fixture's factory (tests/backend/rules/conftest.py)
RULES_YAML = """
groups:
  - name: homicide
    rules:
      - name: rate_record          # a comment the stored version does not keep
        indicator: homicide_rate
        operator: highest_in_n
        params: {periods: 3, floor: 2.0}
        severity: warning
        annotations:
          summary: "{region} {value:.1f} in {period}, above {baseline:.1f}"
  - name: council
    rules:
      - name: many_meetings
        indicator: sc_meetings
        operator: threshold_above
        params: {threshold: 4}
        severity: info
        annotations:
          summary: "{region}: {value:g} meetings in {period}"
"""
SURGE = {"2015": 3.0, "2016": 3.2, "2017": 3.1, "2018": 6.5, "2019": 6.0}


def _import(
    session: Session, text: str = RULES_YAML, reason: str = "first", **kw: Any
) -> service.ImportSummary:
    rule_set = rules.load_rules_text(text, "test.yaml")
    return service.import_rule_set(
        session=session, rule_set=rule_set, author="ana", reason=reason, **kw
    )


def _versions(session: Session, name: str) -> list[tuple[int, str, str]]:
    query = (
        select(RuleVersion.version, RuleVersion.author, RuleVersion.reason)
        .join(Rule, Rule.id == RuleVersion.rule_id)
        .where(Rule.name == name)
        .order_by(RuleVersion.version)
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def _alerts(session: Session) -> dict[tuple[str, str], tuple[str, bool]]:
    found = session.scalars(select(Alert))
    return {(a.rule_name, a.period): (a.state, a.is_demo) for a in found}


def test_first_import_creates_version_one_with_who_and_why(session: Session) -> None:
    summary = _import(session, at=T1)
    assert summary.created == ("rate_record", "many_meetings")
    assert _versions(session, "rate_record") == [(1, "ana", "first")]
    stored = session.scalars(select(RuleVersion)).first()
    assert stored is not None and stored.created_at.year == 2024
    assert "comment" not in stored.definition  # canonical YAML, not the file's text


@pytest.mark.parametrize(
    ("edit", "new_version"),
    [
        (lambda text: text, False),
        (lambda text: text.replace("# a comment the stored version does not keep", ""), False),
        (lambda text: text.replace("floor: 2.0", "floor: 2.5"), True),
        (lambda text: text.replace("severity: warning", "severity: critical"), True),
    ],
    ids=["same", "comment-only", "params", "severity"],
)
def test_reimport_adds_a_version_only_when_the_rule_changed(
    session: Session, edit: Callable[[str], str], new_version: bool
) -> None:
    _import(session)
    summary = _import(session, edit(RULES_YAML), reason="tuning")
    assert ("rate_record" in summary.updated) is new_version
    expected = [(1, "ana", "first"), (2, "ana", "tuning")] if new_version else [(1, "ana", "first")]
    assert _versions(session, "rate_record") == expected
    assert _versions(session, "many_meetings") == [(1, "ana", "first")]


def test_keep_existing_leaves_stored_rules_alone(session: Session) -> None:
    _import(session)
    summary = _import(session, RULES_YAML.replace("floor: 2.0", "floor: 9.0"), keep_existing=True)
    assert summary.updated == ()
    assert _versions(session, "rate_record") == [(1, "ana", "first")]


def test_import_rule_files_refuses_bad_files(
    session: Session, rules_file: Callable[..., Path]
) -> None:
    bad = rules_file("groups: [{name: g, rules: [{name: x}]}]")
    with pytest.raises(rules.RuleFileError) as caught:
        service.import_rule_files(session=session, paths=[bad], author="a", reason="r")
    assert all(m.startswith(f"{bad}:1: ") for m in caught.value.messages)
    assert session.scalars(select(Rule)).first() is None


def test_active_rules_parse_current_versions_of_enabled_rules(session: Session) -> None:
    _import(session)
    _import(session, RULES_YAML.replace("floor: 2.0", "floor: 2.5"))
    session.execute(update(Rule).where(Rule.name == "many_meetings").values(enabled=False))
    (active,) = service.active_rules(session=session)
    assert (active.rule.name, active.version, active.group) == ("rate_record", 2, "homicide")
    assert active.rule.params.floor == 2.5  # type: ignore[attr-defined]


def test_a_stored_version_that_no_longer_loads_is_reported(session: Session) -> None:
    _import(session)
    session.execute(update(RuleVersion).values(definition="name: broken\noperator: nope\n"))
    with pytest.raises(service.StoredRuleError, match="rule rate_record v1"):
        service.active_rules(session=session)


def test_evaluate_changed_raises_resolves_and_marks_demo(session: Session, world: World) -> None:
    _import(session)
    world.series("AAA", SURGE)
    world.series("BBB", SURGE, demo=True)
    world.series("CCC", {"2020Q1": 5, "2020Q2": 1}, indicator="sc_meetings")
    result = service.evaluate_changed(
        session=session, indicator_codes={"homicide_rate"}, region_ids=None
    )
    assert (result.rules, result.candidates, result.alerts.created) == (1, 2, 2)
    by_region = {a.region_id: a.is_demo for a in session.scalars(select(Alert))}
    assert by_region == {world.regions["AAA"].id: False, world.regions["BBB"].id: True}
    # A revision takes the record away in AAA: only AAA is re-evaluated, and resolved.
    session.execute(
        update(Observation)
        .where(Observation.region_id == world.regions["AAA"].id, Observation.period == "2018")
        .values(value=3.0)
    )
    again = service.evaluate_changed(
        session=session, indicator_codes={"homicide_rate"}, region_ids={world.regions["AAA"].id}
    )
    assert (again.alerts.resolved, again.alerts.created) == (0, 1)
    states = {(a.region_id, a.period): a.state for a in session.scalars(select(Alert))}
    assert states == {
        (world.regions["AAA"].id, "2018"): "resolved",  # history: 2019 is the newest period
        (world.regions["AAA"].id, "2019"): "firing",  # 6.0 is now a record of its own
        (world.regions["BBB"].id, "2018"): "resolved",
    }


def test_only_the_newest_period_of_a_series_can_fire(session: Session, world: World) -> None:
    _import(session)
    world.series("AAA", {"2015": 3.0, "2016": 3.2, "2017": 3.1, "2018": 6.5})
    service.evaluate_all(session=session)
    assert _alerts(session)[("rate_record", "2018")] == ("firing", False)
    world.series("AAA", {"2019": 4.0})  # a newer period arrives and breaks no record
    result = service.evaluate_changed(
        session=session, indicator_codes={"homicide_rate"}, region_ids={world.regions["AAA"].id}
    )
    assert result.alerts.changed == 1
    assert _alerts(session)[("rate_record", "2018")] == ("resolved", False)


def test_evaluate_all_reads_every_rule(session: Session, world: World) -> None:
    _import(session)
    world.series("AAA", SURGE)
    world.series("CCC", {"2020Q1": 5, "2020Q2": 1}, indicator="sc_meetings")
    result = service.evaluate_all(session=session)
    assert (result.rules, result.candidates) == (2, 2)
    assert _alerts(session) == {
        ("rate_record", "2018"): ("resolved", False),  # 2019 is newer
        ("many_meetings", "2020Q1"): ("resolved", False),  # 2020Q2 is newer
    }


def test_evaluating_unread_indicators_does_nothing(session: Session, world: World) -> None:
    _import(session)
    result = service.evaluate_changed(
        session=session, indicator_codes={"nobody_reads_me"}, region_ids=None
    )
    assert result == service.EvaluationSummary()


def test_demo_alerts_go_when_real_data_replaced_the_demo_series(
    session: Session, world: World
) -> None:
    _import(session)
    world.series("BBB", SURGE, demo=True)
    service.evaluate_all(session=session)
    session.execute(delete(Observation).where(Observation.is_demo.is_(True)))
    world.series("AAA", {"2019": 1.0})
    service.evaluate_changed(
        session=session, indicator_codes={"homicide_rate"}, region_ids={world.regions["AAA"].id}
    )
    assert _alerts(session) == {}


def test_backtest_filters_years_and_orders_by_period(session: Session, world: World) -> None:
    world.series("AAA", SURGE)
    world.series("BBB", {**SURGE, "2019": 9.0})
    world.series("CCC", {"2018Q1": 5, "2018Q2": 1, "2019Q4": 6}, indicator="sc_meetings")
    chosen = list(rules.load_rules_text(RULES_YAML))
    found = service.backtest(session=session, rules=chosen)
    assert [(c.period, c.region) for c in found] == [
        ("2018", "AAA"), ("2018", "BBB"), ("2018Q1", "CCC"), ("2019", "BBB"), ("2019Q4", "CCC"),
    ]  # fmt: skip
    assert [c.period for c in service.backtest(session=session, rules=chosen, start=2019)] == [
        "2019", "2019Q4",
    ]  # fmt: skip
    assert [c.period for c in service.backtest(session=session, rules=chosen, end=2018)] == [
        "2018", "2018", "2018Q1",
    ]  # fmt: skip
    assert session.scalars(select(Alert)).first() is None  # a backtest writes nothing
