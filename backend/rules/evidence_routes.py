"""Evidence routes: score rules against reference episodes, and tune one to a noise budget.

Dry runs, open like the other rule reads: nothing is stored. Included before the rules
router so that ``/rules/scorecard`` and ``/rules/noise-budget`` are never read as names.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from backend.access import READ_ACCESS
from backend.alerts.schemas import RuleName
from backend.deps import SessionDep
from backend.errors import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES, InvalidInput
from backend.rules import editing, scoring, service
from backend.rules.evidence_schemas import (
    CandidateRead,
    CaughtRead,
    FeedbackRead,
    MissedRead,
    NoiseBudgetQuery,
    NoiseBudgetRead,
    NoiseBudgetRequest,
    ScorecardPage,
    ScorecardQuery,
    ScorecardRead,
    ScorecardRequest,
)
from backend.rules.service import Definition
from rules.scoring import Window

router = APIRouter(prefix="/rules", tags=["rules"], responses=PROBLEM_RESPONSES)
NameParam = Annotated[RuleName, Path(description="Rule name", examples=["homicide_rate_record"])]


def _read(evidence: scoring.RuleEvidence) -> ScorecardRead:
    card = evidence.scorecard
    return ScorecardRead(
        rule=card.rule, episodes=card.episodes, alerts=card.alerts,
        true_positives=card.true_positives, precision=card.precision, recall=card.recall,
        median_lead=card.median_lead,
        caught=[CaughtRead(region=c.region, onset=c.onset, first_alert=c.first_alert,
                           lead=c.lead) for c in card.caught],
        missed=[MissedRead(region=m.region, onset=m.onset) for m in card.missed],
        feedback=FeedbackRead(**evidence.feedback),
    )  # fmt: skip


def _scorecards(
    session: SessionDep, chosen: list[Definition], query: ScorecardQuery
) -> ScorecardPage:
    with editing.rule_errors():
        found = scoring.scorecards(
            session=session, chosen=chosen, start=query.start, end=query.end,
            window=Window(query.lead, query.lag),
        )  # fmt: skip
    return ScorecardPage(items=[_read(e) for e in found])


def _budget(session: SessionDep, rule: Definition, query: NoiseBudgetQuery) -> NoiseBudgetRead:
    with editing.rule_errors():
        result = scoring.noise_budget(
            session=session, rule=rule, budget=query.max_per_quarter,
            window=Window(query.lead, query.lag),
        )  # fmt: skip
    best = result.suggested
    return NoiseBudgetRead(
        rule=result.rule, parameter=result.parameter, current=result.current,
        suggested=best.value if best else None,
        alerts_per_quarter=best.alerts_per_quarter if best else None,
        recall=best.recall if best else None, budget=result.budget,
        candidates=[CandidateRead(value=t.value, alerts_per_quarter=t.alerts_per_quarter,
                                  recall=t.recall, precision=t.precision) for t in result.trials],
    )  # fmt: skip


def _pick(items: list[Definition], name: str | None) -> Definition:
    """Return the named rule of a rule file, or its only rule when no name is given."""
    if name is None:
        if len(items) != 1:
            raise InvalidInput(f"The file holds {len(items)} rules: name the one to tune")
        return items[0]
    for item in items:
        if item.name == name:
            return item
    raise InvalidInput(f"The file holds no rule named {name!r}")


@router.post("/scorecard", summary="Score a rule file", dependencies=READ_ACCESS)
def score_rule_file(session: SessionDep, body: ScorecardRequest) -> ScorecardPage:
    """Backtest each rule of an unsaved rule file and score it against reference episodes.

    An alert catches an episode of its region from `lead` periods before the onset to
    `lag` periods after it; precision counts alerts, recall episodes.
    """
    chosen = service.definitions(editing.parse_rule_file(body.yaml))
    return _scorecards(session, chosen, body)


@router.post("/noise-budget", summary="Tune a rule file's rule to an alert budget",
             dependencies=READ_ACCESS)  # fmt: skip
def noise_budget_rule_file(session: SessionDep, body: NoiseBudgetRequest) -> NoiseBudgetRead:
    """Suggest the value of the rule's main parameter with the best recall within the budget.

    Each candidate value is backtested over the whole history; alerts per quarter are
    its alerts over the quarters the indicator's history spans.
    """
    items = service.definitions(editing.parse_rule_file(body.yaml))
    return _budget(session, _pick(items, body.rule), body)


@router.get("/{name}/scorecard", summary="Score a saved rule", responses=NOT_FOUND_RESPONSE,
            dependencies=READ_ACCESS)  # fmt: skip
def score_saved(
    session: SessionDep, name: NameParam, query: Annotated[ScorecardQuery, Query()]
) -> ScorecardPage:
    """Backtest the rule's current version and score it against reference episodes."""
    rule = editing.get_rule(session=session, name=name).loaded()
    return _scorecards(session, [rule], query)


@router.get("/{name}/noise-budget", summary="Tune a saved rule to an alert budget",
            responses=NOT_FOUND_RESPONSE, dependencies=READ_ACCESS)  # fmt: skip
def noise_budget_saved(
    session: SessionDep, name: NameParam, query: Annotated[NoiseBudgetQuery, Query()]
) -> NoiseBudgetRead:
    """Suggest the value of the saved rule's main parameter for at most N alerts a quarter."""
    return _budget(session, editing.get_rule(session=session, name=name).loaded(), query)
