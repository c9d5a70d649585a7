"""Rule options as tables: graded levels, hysteresis, keep-firing, cooldown, refusals."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from rules import PanelError, Rule, RuleFileError, backtest, evaluate, load_rules_text

N = math.nan


def _rule(**overrides: Any) -> Rule:
    data: dict[str, Any] = {
        "name": "r",
        "indicator": "x",
        "operator": "threshold_above",
        "params": {"threshold": 10},
        "severity": "warning",
        "annotations": {"summary": "{value} {severity}"},
    }
    data.update(overrides)
    return Rule.model_validate(data)


def _alerts(rule: Rule, values: list[float], now: str | None = None) -> list[tuple[str, str]]:
    series = {str(2000 + i): v for i, v in enumerate(values)}
    streamed = evaluate(rule, series, region="AAA", now=now)
    panel = pd.DataFrame(
        {"region": "AAA", "indicator": "x", "period": list(series), "value": list(series.values())}
    )
    assert backtest([rule], panel, now=now) == streamed
    return [(a.period, a.severity) for a in streamed]


CRITICAL_ABOVE_20 = [{"severity": "critical", "params": {"threshold": 20}}]


@pytest.mark.parametrize(
    ("options", "values", "expected"),
    [
        # Levels: the highest level holding wins, per period.
        (
            {"levels": CRITICAL_ABOVE_20},
            [5, 15, 25, 15],
            [("2001", "warning"), ("2002", "critical"), ("2003", "warning")],
        ),
        # A level may grade downwards too (info above 5), still the highest wins.
        (
            {"levels": [{"severity": "info", "params": {"threshold": 5}}]},
            [6, 11],
            [("2000", "info"), ("2001", "warning")],
        ),
        # Hysteresis: once above 10, firing until below 8; a gap ends it.
        (
            {"recover_below": 8},
            [5, 11, 9, 8, 7, 9, 12, N, 9],
            [("2001", "warning"), ("2002", "warning"), ("2003", "warning"), ("2006", "warning")],
        ),
        # keep_firing_for 2: held two periods after the condition clears (data known).
        (
            {"keep_firing_for": 2},
            [11, 1, 1, 1, 12],
            [("2000", "warning"), ("2001", "warning"), ("2002", "warning"), ("2004", "warning")],
        ),
        # Held cells keep the severity that set them.
        (
            {"keep_firing_for": 1, "levels": CRITICAL_ABOVE_20},
            [25, 1, 1],
            [("2000", "critical"), ("2001", "critical")],
        ),
        # Cooldown 2: a new alert of the same severity waits 3 periods.
        (
            {"cooldown": 2},
            [11, 11, 11, 11, 11],
            [("2000", "warning"), ("2003", "warning")],
        ),
        # ... but an escalation goes through (M6).
        (
            {"cooldown": 3, "levels": CRITICAL_ABOVE_20},
            [11, 25, 11, 30, 11],
            [("2000", "warning"), ("2001", "critical")],
        ),
    ],
)
def test_rule_options(
    options: dict[str, Any], values: list[float], expected: list[tuple[str, str]]
) -> None:
    assert _alerts(_rule(**options), values) == expected


def test_keep_firing_reaches_now_but_not_past_the_data_without_it() -> None:
    rule = _rule(keep_firing_for=3)
    assert _alerts(rule, [11]) == [("2000", "warning")]
    assert [p for p, _ in _alerts(rule, [11], now="2002")] == ["2000", "2001", "2002"]


def test_staleness_runs_to_now() -> None:
    rule = _rule(
        operator="staleness", params={"max_age": 2}, annotations={"summary": "{age:.0f} late"}
    )
    assert _alerts(rule, [1, 2], now="2004") == [("2004", "warning")]
    assert _alerts(rule, [1, 2], now="2003") == []
    with pytest.raises(PanelError, match="needs now="):
        evaluate(rule, {"2000": 1.0}, region="AAA")


def test_evaluate_refuses_peer_rules() -> None:
    rule = _rule(operator="peer_percentile", params={"min_percentile": 90})
    with pytest.raises(PanelError, match="compares regions with their peers"):
        evaluate(rule, {"2000": 1.0}, region="AAA")


def test_bad_level_params_are_reported_with_a_line() -> None:
    text = """\
groups:
  - name: g
    rules:
      - name: r
        indicator: x
        operator: threshold_above
        params: {threshold: 1}
        severity: warning
        levels:
          - {severity: critical, params: {treshold: 2}}
        annotations: {summary: "{value}"}
"""
    with pytest.raises(RuleFileError) as caught:
        load_rules_text(text, "bad.yaml")
    (message,) = caught.value.messages
    assert message.startswith("bad.yaml:9: rule 'r': levels")
    assert "treshold" in message
