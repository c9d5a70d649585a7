"""Rules against the evidence: scorecards on reference episodes, and noise-budget tuning.

The arithmetic is the rule core's (``rules.scoring``); this module reads what it needs
from the database: the backtest, the reference episodes, the rules' scopes, and the
feedback labels analysts gave the rules' stored alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import rules as rule_core
from backend.alerts.models import LABELS, Alert, AlertLabel
from backend.episodes import service as episodes
from backend.errors import InvalidInput
from backend.observations.panel import load_panel, region_meta
from backend.rules import service
from backend.rules.service import Definition
from rules import AlertCandidate, Rule
from rules.scope import scope_mask
from rules.scoring import (
    AlertKey,
    Episode,
    Scorecard,
    Trial,
    Window,
    candidate_values,
    in_years,
    quarters_spanned,
    score,
    suggest,
    tunable,
    with_parameter,
)


@dataclass(frozen=True)
class RuleEvidence:
    """A rule's scorecard and the feedback labels on its stored alerts."""

    scorecard: Scorecard
    feedback: dict[str, int]


@dataclass(frozen=True)
class Budget:
    """The values tried for a rule's tunable parameter, and the one suggested."""

    rule: str
    parameter: str
    current: float
    budget: float
    trials: list[Trial]
    suggested: Trial | None


def _keys(found: Iterable[AlertCandidate]) -> list[AlertKey]:
    return [AlertKey(c.rule, c.region, c.period) for c in found]


def scope_regions(rule: Definition, meta: pd.DataFrame) -> frozenset[str] | None:
    """Return the codes of the regions in the rule's scope; None when it is everywhere."""
    if rule.scope.everywhere and not rule.scope.exclude:
        return None
    codes = meta.index.to_numpy(dtype=object)
    return frozenset(str(code) for code in codes[scope_mask(rule.scope, codes, meta)])


def feedback(
    *, session: Session, names: Sequence[str], start: int | None = None, end: int | None = None
) -> dict[str, dict[str, int]]:
    """Count the feedback labels on each rule's stored alerts, periods within the years."""
    query = (
        select(Alert.rule_name, Alert.period, AlertLabel.label)
        .join(Alert, Alert.id == AlertLabel.alert_id)
        .where(Alert.rule_name.in_(list(names)))
    )
    counts = {name: dict.fromkeys(LABELS, 0) for name in names}
    for name, period, label in session.execute(query):
        if label in counts[name] and in_years(period, start, end):
            counts[name][label] += 1
    return counts


def scorecards(
    *,
    session: Session,
    chosen: Sequence[Definition],
    start: int | None = None,
    end: int | None = None,
    window: Window = Window(),
) -> list[RuleEvidence]:
    """Backtest the rules over the history and score each against the episodes in scope."""
    found = _keys(service.backtest(session=session, rules=chosen, start=start, end=end))
    known = [e for e in episodes.scoring_episodes(session=session) if in_years(e.onset, start, end)]
    meta = region_meta(session=session)
    labels = feedback(session=session, names=[r.name for r in chosen], start=start, end=end)
    return [
        RuleEvidence(
            score(rule.name, found, known, window=window, regions=scope_regions(rule, meta)),
            labels[rule.name],
        )
        for rule in chosen
    ]


def _trial(
    rule: Rule, value: float, panel: pd.DataFrame, context: tuple[pd.DataFrame, list[Episode]],
    quarters: float, window: Window,
) -> Trial | None:  # fmt: skip
    """Backtest the rule with its tunable parameter at value and score the alerts."""
    variant = with_parameter(rule, value)
    if variant is None:
        return None
    meta, known = context
    found = _keys(rule_core.backtest([variant], panel, region_meta=meta))
    card = score(rule.name, found, known, window=window, regions=scope_regions(rule, meta))
    per_quarter = len(found) / quarters if quarters else 0.0
    return Trial(value, per_quarter, card.recall, card.precision)


def noise_budget(
    *, session: Session, rule: Definition, budget: float, window: Window = Window()
) -> Budget:
    """Try values of the rule's tunable parameter; suggest the best recall within budget.

    The panel is read once; each value is one backtest of it. Alerts per quarter are the
    backtested alerts over the number of quarters the indicator's history spans.
    """
    if not isinstance(rule, Rule):
        raise InvalidInput(f"{rule.name!r} is a composite: tune the rules it combines instead")
    try:
        spec, current = tunable(rule)
    except KeyError:
        raise InvalidInput(f"Operator {rule.operator!r} has no tunable parameter") from None
    panel = load_panel(session=session, indicator_codes={rule.indicator})
    context = (region_meta(session=session), episodes.scoring_episodes(session=session))
    quarters = quarters_spanned(panel["period"].unique())
    values = panel["value"].to_numpy(dtype=np.float64)
    trials = [
        trial
        for value in candidate_values(rule, values)
        if (trial := _trial(rule, value, panel, context, quarters, window)) is not None
    ]
    return Budget(rule.name, spec.parameter, current, budget, trials, suggest(trials, budget))
