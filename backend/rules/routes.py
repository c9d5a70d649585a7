"""Rule routes: list and read rules, create and version them (analysts), validate, backtest
and preview an edit's impact on past alerts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from backend.access import ANALYST_RESPONSES, READ_ACCESS, problem_doc
from backend.alerts.schemas import RuleName
from backend.auth import AnalystDep
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES, InvalidInput
from backend.rules import editing, service
from backend.rules.editing import StoredRule
from backend.rules.schemas import (
    BacktestAlert,
    BacktestRead,
    BacktestRequest,
    BacktestWindow,
    EvaluationRead,
    ImpactRead,
    ImpactRequest,
    RuleCreate,
    RuleDetailRead,
    RulePage,
    RuleRead,
    RuleSaved,
    RuleUpdate,
    RuleVersionRead,
    RuleYamlBody,
    ValidationRead,
)
from rules import AlertCandidate, Composite

WRITE_RESPONSES: dict[int | str, dict[str, Any]] = ANALYST_RESPONSES | {
    409: problem_doc("Name taken, no change, or edited from a stale version"),
}
router = APIRouter(prefix="/rules", tags=["rules"], responses=PROBLEM_RESPONSES)
NameParam = Annotated[RuleName, Path(description="Rule name", examples=["homicide_rate_record"])]


def _read(stored: StoredRule) -> dict[str, Any]:
    rule, current = stored.rule, stored.current
    return {
        "name": stored.row.name,
        "group": stored.row.group_name,
        "kind": "composite" if isinstance(rule, Composite) else "rule",
        "enabled": stored.row.enabled,
        "current_version": stored.row.current_version,
        "indicator": rule.indicator if rule else None,
        "operator": rule.mode if isinstance(rule, Composite) else rule.operator if rule else None,
        "severity": rule.severity if rule else None,
        "sentence": rule.sentence if rule else None,
        "updated_at": current.created_at,
        "author": current.author,
    }


def _detail(stored: StoredRule) -> RuleDetailRead:
    return RuleDetailRead(
        **_read(stored),
        definition=stored.current.definition,
        yaml=stored.rule_file(),
        versions=[RuleVersionRead.model_validate(v, from_attributes=True) for v in stored.versions],
    )


def _alerts(found: list[AlertCandidate]) -> list[BacktestAlert]:
    return [BacktestAlert.model_validate(editing.contract_row(c)) for c in found]


def _backtest(
    session: SessionDep, chosen: list[service.Definition], window: BacktestWindow
) -> BacktestRead:
    with editing.rule_errors():
        found = service.backtest(
            session=session, rules=chosen, start=window.start, end=window.end,
            as_known_then=window.as_known_then or False,
        )  # fmt: skip
    return BacktestRead(alerts=_alerts(found))


def _evaluate(session: SessionDep, names: list[str]) -> EvaluationRead:
    with editing.rule_errors():
        result = service.evaluate_rules(session=session, names=names)
    alerts = result.alerts
    return EvaluationRead(
        rules=result.rules, observations=result.observations, candidates=result.candidates,
        created=alerts.created, changed=alerts.changed, unchanged=alerts.unchanged,
        resolved=alerts.resolved,
    )  # fmt: skip


@router.get("", summary="List rules", dependencies=READ_ACCESS)
def list_rules(session: SessionDep) -> RulePage:
    """List every rule with its current version, by group and name."""
    items = [RuleRead.model_validate(_read(s)) for s in editing.list_rules(session=session)]
    return RulePage(items=items, total=len(items))


@router.post("", summary="Create rules", status_code=201, responses=WRITE_RESPONSES)
def create_rules(session: SessionDep, principal: AnalystDep, body: RuleCreate) -> RuleSaved:
    """Store the rules of a rule file as version 1 and evaluate them (analyst).

    Invalid YAML is a 422 problem whose `messages` list `yaml:LINE: what is wrong`; a
    name that exists already is a 409.
    """
    saved = editing.create_rules(
        session=session, text=body.yaml, reason=body.reason, actor=principal.user
    )
    evaluation = _evaluate(session, [s.row.name for s in saved])
    return RuleSaved(rules=[_detail(s) for s in saved], evaluation=evaluation)


@router.post("/validate", summary="Validate a rule file", dependencies=READ_ACCESS)
def validate_rules(session: SessionDep, body: RuleYamlBody) -> ValidationRead:
    """Check a rule file without saving it: `yaml:LINE: message` per problem."""
    try:
        rule_set = editing.parse_rule_file(body.yaml)
    except InvalidInput as exc:
        messages = exc.extra.get("messages", [exc.detail])
        return ValidationRead(valid=False, rules=[], errors=messages, warnings=[])
    warnings = editing.missing_indicators(session=session, rule_set=rule_set)
    names = [r.name for r in service.definitions(rule_set)]
    return ValidationRead(valid=True, rules=names, errors=[], warnings=warnings)


@router.post("/backtest", summary="Backtest a rule file", dependencies=READ_ACCESS)
def backtest_rules(session: SessionDep, body: BacktestRequest) -> BacktestRead:
    """Return every alert the rules of a rule file would have raised over the history.

    The shape is `tocsin rules backtest --format json`'s, in period order.
    """
    return _backtest(session, service.definitions(editing.parse_rule_file(body.yaml)), body)


@router.get("/{name}", summary="Get a rule", responses=NOT_FOUND_RESPONSE, dependencies=READ_ACCESS)
def get_rule(session: SessionDep, name: NameParam) -> RuleDetailRead:
    """Return a rule's current version (also as an editable rule file) and its history."""
    return _detail(editing.get_rule(session=session, name=name))


@router.put("/{name}", summary="Save a new version", responses=WRITE_RESPONSES | NOT_FOUND_RESPONSE)
def update_rule(
    session: SessionDep, principal: AnalystDep, name: NameParam, body: RuleUpdate
) -> RuleSaved:
    """Save the rule file (holding exactly this rule) as a new version, with a reason (analyst).

    The rule is then re-evaluated over the database, so its alerts speak for the new
    version. Invalid YAML is a 422 problem with `messages`; no change, or a `base_version`
    the rule has moved on from, is a 409.
    """
    saved = editing.update_rule(
        session=session, name=name, text=body.yaml, reason=body.reason, actor=principal.user,
        base_version=body.base_version,
    )  # fmt: skip
    return RuleSaved(rules=[_detail(saved)], evaluation=_evaluate(session, [name]))


@router.post(
    "/{name}/backtest",
    summary="Backtest a saved rule",
    responses=NOT_FOUND_RESPONSE,
    dependencies=READ_ACCESS,
)
def backtest_saved(session: SessionDep, name: NameParam, body: BacktestWindow) -> BacktestRead:
    """Return every alert the rule's current version would have raised over the history."""
    return _backtest(session, [editing.get_rule(session=session, name=name).loaded()], body)


@router.post(
    "/{name}/impact",
    summary="Preview an edit's impact",
    responses=NOT_FOUND_RESPONSE,
    dependencies=READ_ACCESS,
)
def rule_impact(session: SessionDep, name: NameParam, body: ImpactRequest) -> ImpactRead:
    """Say which past alerts the proposed YAML adds and removes against the saved version."""
    result = editing.impact(
        session=session, name=name, text=body.yaml, start=body.start, end=body.end
    )
    return ImpactRead(
        summary=result.summary,
        saved_version=result.saved_version,
        added=len(result.added),
        removed=len(result.removed),
        unchanged=result.unchanged,
        added_alerts=_alerts(result.added),
        removed_alerts=_alerts(result.removed),
    )
