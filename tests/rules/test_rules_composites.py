"""Composites: cadence mapping, missing-data policies, and streaming equal to backtest."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from rules import (
    Composite,
    PanelError,
    RuleFileError,
    backtest,
    evaluate_composite,
    load_rules_text,
)
from rules.composites import to_cadence


@pytest.mark.parametrize(
    ("period", "cadence", "expected"),
    [
        ("2020-05-17", "year", "2020"),
        ("2020-05-17", "quarter", "2020Q2"),
        ("2020-05-17", "month", "2020-05"),
        ("2020-05", "quarter", "2020Q2"),
        ("2020Q4", "year", "2020"),
        ("2021-01-01", "week", "2020-W53"),
        ("2020", "year", "2020"),
    ],
)
def test_to_cadence(period: str, cadence: str, expected: str) -> None:
    assert to_cadence(period, cadence) == expected


def _composite(missing: str, mode: str = "all", **extra: Any) -> Composite:
    clause_a = {"indicator": "a", "operator": "threshold_above", "params": {"threshold": 1}}
    clause_b = {
        "indicator": "b",
        "operator": "threshold_above",
        "params": {"threshold": 1},
        "missing": missing,
        "within": 4,  # quarters: the last year, read at Q4
    }
    data = {
        "name": "c",
        mode: [clause_a, clause_b],
        "severity": "warning",
        "annotations": {"summary": "{clauses}"},
        **extra,
    }
    return Composite.model_validate(data)


PANEL = pd.DataFrame(
    {
        "region": ["AAA", "AAA", "AAA", "BBB", "BBB"],
        "indicator": ["a", "a", "b", "a", "b"],
        "period": ["2019", "2020", "2020Q2", "2020", "2020Q1"],
        "value": [5.0, 5.0, 3.0, 5.0, 0.0],
    }
)


@pytest.mark.parametrize(
    ("missing", "mode", "expected"),
    [
        # AAA 2019 has no b; AAA 2020 holds on both; BBB 2020 has b = 0 (in 2020Q1).
        ("false", "all", [("2020", "AAA")]),
        ("true", "all", [("2019", "AAA"), ("2020", "AAA")]),
        ("unknown", "all", [("2020", "AAA")]),
        ("unknown", "any", [("2019", "AAA"), ("2020", "AAA"), ("2020", "BBB")]),
        ("suppress", "any", [("2020", "AAA"), ("2020", "BBB")]),
    ],
)
def test_missing_policies(missing: str, mode: str, expected: list[tuple[str, str]]) -> None:
    composite = _composite(missing, mode)
    found = backtest([], PANEL, composites=[composite])
    assert [(a.period, a.region) for a in found] == expected
    streamed = [
        alert
        for region in ("AAA", "BBB")
        for alert in evaluate_composite(composite, PANEL, region=region)
    ]
    assert sorted(streamed, key=lambda a: (a.period, a.region)) == found


def test_explanation_names_each_clause_state() -> None:
    (alert, *_) = backtest([], PANEL, composites=[_composite("unknown", "any")])
    assert alert.explanation == (
        "a threshold_above: true (5 in 2019, threshold 1); b threshold_above: unknown (no value)"
    )
    assert alert.indicator == "a"
    assert alert.details["clause1_value"] == 5.0
    assert alert.details["clause1_period"] == "2019"
    assert alert.details["clause2_state"] == "unknown"
    assert alert.details["clause2_period"] is None


def test_now_reads_periods_of_any_cadence_and_extends_the_axis() -> None:
    composite = _composite("true")
    found = backtest([], PANEL, composites=[composite], now="2021")
    assert [(a.period, a.region) for a in found] == [("2019", "AAA"), ("2020", "AAA")]
    assert backtest([], PANEL, composites=[composite], now="2019") == found[:1]


def test_a_cadence_finer_than_a_clause_is_refused() -> None:
    with pytest.raises(PanelError, match="finer than"):
        backtest([], PANEL, composites=[_composite("false", cadence="quarter")])


def test_rule_files_hold_composites() -> None:
    text = """\
groups:
  - name: g
    composites:
      - name: c
        all:
          - {indicator: a, operator: threshold_above, params: {threshold: 1}}
        any:
          - {indicator: b, operator: threshold_above, params: {threshold: 1}}
        severity: warning
        annotations: {summary: "{clauses}"}
"""
    with pytest.raises(RuleFileError, match="exactly one of `all` or `any`"):
        load_rules_text(text, "c.yaml")
    rules = load_rules_text(
        text.replace("        any:\n", "").replace(
            "          - {indicator: b, operator: threshold_above, params: {threshold: 1}}\n", ""
        ),
        "c.yaml",
    )
    assert [c.name for c in rules.composites] == ["c"]
    assert len(backtest(rules, PANEL)) == 3


RISING = pd.DataFrame(
    {
        "region": ["AAA"] * 6,
        "indicator": ["a"] * 6,
        "period": ["2015", "2016", "2017", "2018", "2019", "2020"],
        "value": [5.0, 5.0, 5.0, 0.0, 0.0, 5.0],
    }
)


@pytest.mark.parametrize(
    ("cooldown", "expected"),
    [
        (0, ["2015", "2016", "2017", "2020"]),
        (1, ["2015", "2017", "2020"]),
        (2, ["2015", "2020"]),
        (5, ["2015"]),  # 2020 is 5 periods after the kept 2015: inside the cooldown
    ],
)
def test_cooldown_keeps_one_alert_per_episode(cooldown: int, expected: list[str]) -> None:
    composite = _composite("true", cooldown=cooldown)
    found = backtest([], RISING, composites=[composite])
    assert [a.period for a in found] == expected
    streamed = evaluate_composite(composite, RISING, region="AAA")
    assert streamed == found
