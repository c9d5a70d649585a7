"""Scoring rules against reference episodes, and noise-budget tuning: tables of cases."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

import rules
from rules.scoring import (
    TUNABLE,
    AlertKey,
    Caught,
    Episode,
    Trial,
    Window,
    candidate_values,
    in_years,
    period_start,
    quarters_spanned,
    score,
    suggest,
    tunable,
    with_parameter,
)

R = "surge"


def alerts(*keys: str, rule: str = R) -> list[AlertKey]:
    """Return alert keys from "REGION:PERIOD" strings."""
    return [AlertKey(rule, *key.split(":")) for key in keys]


def episodes(*keys: str) -> list[Episode]:
    """Return episodes from "REGION:ONSET" strings."""
    return [Episode(*key.split(":")) for key in keys]


# alerts, episodes, window -> (episodes, alerts, true positives, precision, recall,
# median lead, caught as (region, onset, first alert, lead), missed as "REGION:ONSET")
SCORE_CASES = {
    "alert at onset": (
        alerts("HND:2008"), episodes("HND:2008"), Window(),
        (1, 1, 1, 1.0, 1.0, 0.0, [("HND", "2008", "2008", 0)], []),
    ),
    "early alert counts, the first one is the lead": (
        alerts("HND:2006", "HND:2007", "HND:2008"), episodes("HND:2008"), Window(),
        (1, 3, 3, 1.0, 1.0, 2.0, [("HND", "2008", "2006", 2)], []),
    ),
    "too early and too late are false alarms": (
        alerts("HND:2004", "HND:2010"), episodes("HND:2008"), Window(),
        (1, 2, 0, 0.0, 0.0, None, [], ["HND:2008"]),
    ),
    "one period late is still caught, with a negative lead": (
        alerts("MEX:2009"), episodes("MEX:2008"), Window(),
        (1, 1, 1, 1.0, 1.0, -1.0, [("MEX", "2008", "2009", -1)], []),
    ),
    "another region's alert catches nothing": (
        alerts("GTM:2008"), episodes("HND:2008"), Window(),
        (1, 1, 0, 0.0, 0.0, None, [], ["HND:2008"]),
    ),
    "a narrower window misses the early alert": (
        alerts("HND:2006"), episodes("HND:2008"), Window(lead=1, lag=0),
        (1, 1, 0, 0.0, 0.0, None, [], ["HND:2008"]),
    ),
    "median lead over several catches": (
        alerts("HND:2007", "MEX:2008", "SLV:2012", "URY:2020"),
        episodes("HND:2008", "MEX:2008", "SLV:2015", "URY:2018"), Window(),
        (4, 4, 3, 0.75, 0.75, 1.0,
         [("HND", "2008", "2007", 1), ("MEX", "2008", "2008", 0), ("SLV", "2015", "2012", 3)],
         ["URY:2018"]),
    ),
    "quarterly alerts against a yearly onset": (
        alerts("HND:2007Q4", "HND:2008Q2"), episodes("HND:2008"), Window(),
        (1, 2, 2, 1.0, 1.0, 1.0, [("HND", "2008", "2007Q4", 1)], []),
    ),
    "no alerts: precision unknown": (
        [], episodes("HND:2008"), Window(),
        (1, 0, 0, None, 0.0, None, [], ["HND:2008"]),
    ),
    "no episodes: recall unknown": (
        alerts("HND:2008"), [], Window(),
        (0, 1, 0, 0.0, None, None, [], []),
    ),
    "other rules' alerts are not counted": (
        alerts("HND:2008", rule="other"), episodes("HND:2008"), Window(),
        (1, 0, 0, None, 0.0, None, [], ["HND:2008"]),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", SCORE_CASES)
def test_score(case: str) -> None:
    found, known, window, expected = SCORE_CASES[case]
    card = score(R, found, known, window=window)
    n_episodes, n_alerts, tp, precision, recall, lead, caught, missed = expected
    assert (card.rule, card.episodes, card.alerts, card.true_positives) == (
        R, n_episodes, n_alerts, tp
    )  # fmt: skip
    assert (card.precision, card.recall, card.median_lead) == (precision, recall, lead)
    assert list(card.caught) == [Caught(*c) for c in caught]
    assert list(card.missed) == episodes(*missed)


def test_scope_limits_the_episodes_counted() -> None:
    card = score(R, alerts("HND:2008"), episodes("HND:2008", "RUS:1993"), regions={"HND"})
    assert (card.episodes, card.recall, card.missed) == (1, 1.0, ())


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("2008", date(2008, 1, 1)),
        ("2008Q3", date(2008, 7, 1)),
        ("2008-11", date(2008, 11, 1)),
        ("2020-W01", date(2019, 12, 30)),
        ("2008-02-29", date(2008, 2, 29)),
    ],
)
def test_period_start(period: str, start: date) -> None:
    assert period_start(period) == start


@pytest.mark.parametrize("period", ["2008-02-30", "2008Q5", "08"])
def test_period_start_refuses_what_is_not_a_period(period: str) -> None:
    with pytest.raises(ValueError):
        period_start(period)


@pytest.mark.parametrize(
    ("periods", "quarters"),
    [
        (["1990", "2020"], 124.0),
        (["2020"], 4.0),
        (["2019Q4", "2020Q1", "2020Q2"], 3.0),
        ([], 0.0),
    ],
)
def test_quarters_spanned(periods: list[str], quarters: float) -> None:
    assert quarters_spanned(periods) == pytest.approx(quarters, abs=0.02)


def test_every_operator_declares_a_tunable_parameter_it_has() -> None:
    assert set(TUNABLE) == set(rules.OPERATORS)
    for name, spec in TUNABLE.items():
        assert spec.parameter in rules.OPERATORS[name].params_model.model_fields, name


def rule(operator: str, params: str) -> rules.Rule:
    """Return a one-rule rule set's rule with this operator and these params."""
    text = f"""groups:
  - name: g
    rules:
      - name: {R}
        indicator: homicide_rate
        operator: {operator}
        params: {params}
        severity: warning
        annotations: {{summary: "{{region}}"}}
"""
    return rules.load_rules_text(text).rules[0]


def test_values_candidates_follow_the_data_and_keep_the_current_value() -> None:
    found = candidate_values(rule("threshold_above", "{threshold: 7.5}"), np.arange(1.0, 101.0))
    assert 7.5 in found and found == sorted(found)
    assert min(found) == pytest.approx(5.95) and max(found) == pytest.approx(95.0)


def test_relative_candidates_scale_the_current_value() -> None:
    found = candidate_values(rule("robust_anomaly", "{periods: 5, min_score: 4}"), np.array([]))
    assert found == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 12.0, 16.0]


def test_integer_parameters_are_tried_as_integers() -> None:
    found = candidate_values(rule("staleness", "{max_age: 2}"), np.array([1.0]))
    assert found == [0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0]


def test_with_parameter_sets_the_value_or_refuses_an_invalid_one() -> None:
    base = rule("poisson_exceedance", "{periods: 5, alpha: 0.01}")
    assert tunable(base)[0].parameter == "alpha"
    tuned = with_parameter(base, 0.05)
    assert tuned is not None and tuned.params.model_dump()["alpha"] == 0.05
    assert tuned.name == base.name and tuned.annotations == base.annotations
    assert with_parameter(base, 4.0) is None  # alpha must stay below 1


T = Trial
SUGGEST_CASES = {
    "best recall within budget": (
        [T(1, 5.0, 1.0, 0.2), T(2, 1.5, 0.8, 0.5), T(3, 0.5, 0.4, 0.9)], 2.0, 2
    ),
    "ties on recall: fewer alerts": (
        [T(1, 1.9, 0.8, 0.2), T(2, 1.2, 0.8, 0.5), T(3, 0.5, 0.4, 0.9)], 2.0, 2
    ),
    "the budget is inclusive": ([T(1, 2.0, 0.9, 0.2), T(2, 1.0, 0.5, 0.5)], 2.0, 1),
    "nothing fits": ([T(1, 5.0, 1.0, 0.2), T(2, 3.0, 0.8, 0.5)], 2.0, None),
    "no recall to compare": ([T(1, 1.0, None, None), T(2, 0.5, None, None)], 2.0, None),
}  # fmt: skip


@pytest.mark.parametrize("case", SUGGEST_CASES)
def test_suggest(case: str) -> None:
    trials, budget, value = SUGGEST_CASES[case]
    best = suggest(trials, budget)
    assert (best.value if best else None) == value


@pytest.mark.parametrize(
    ("period", "start", "end", "inside"),
    [
        ("2008", None, None, True),
        ("2008Q4", 2008, 2008, True),
        ("2007-12-31", 2008, None, False),
        ("2009-W01", None, 2008, False),
    ],
)
def test_in_years(period: str, start: int | None, end: int | None, inside: bool) -> None:
    assert in_years(period, start, end) is inside
