"""Evaluation: backtest and evaluate agree, pending periods, scope, ordering, bad panels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rules import (
    AlertCandidate,
    PanelError,
    Rule,
    backtest,
    evaluate,
    fingerprint,
)


def make_rule(**overrides: Any) -> Rule:
    data: dict[str, Any] = {
        "name": "record",
        "indicator": "homicide_rate",
        "operator": "highest_in_n",
        "params": {"periods": 3, "min_history": 1},
        "severity": "warning",
        "annotations": {"summary": "{region} {value:.1f} > {baseline:.1f} in {period}"},
    }
    data.update(overrides)
    return Rule.model_validate(data)


def make_panel(
    series: dict[str, dict[str, float]], indicator: str = "homicide_rate"
) -> pd.DataFrame:
    rows = [
        {"region": region, "indicator": indicator, "period": period, "value": value}
        for region, values in series.items()
        for period, value in values.items()
    ]
    return pd.DataFrame(rows, columns=["region", "indicator", "period", "value"])


def keys(candidates: list[AlertCandidate]) -> list[tuple[str, str, str, str]]:
    return [(c.rule, c.region, c.period, c.state) for c in candidates]


# --- the property: streaming evaluation equals the backtest --------------------------

values_st = st.one_of(st.none(), st.floats(0, 60, allow_nan=False).map(lambda v: round(v, 1)))
region_series = st.dictionaries(
    st.integers(1990, 2012).map(str), values_st, min_size=2, max_size=23
)
rule_st = st.one_of(
    st.builds(
        lambda p, h, f, r: {
            "operator": "highest_in_n",
            "params": {"periods": p, "min_history": min(h, p), "floor": f, "min_rise": r},
        },
        st.integers(1, 6),
        st.integers(1, 6),
        st.sampled_from([0.0, 3.0, 10.0]),
        st.sampled_from([0.0, 0.1]),
    ),
    st.builds(
        lambda op, t: {"operator": op, "params": {"threshold": t}},
        st.sampled_from(["threshold_above", "threshold_below"]),
        st.floats(0, 60),
    ),
    st.builds(
        lambda t: {"operator": "crossing_above", "params": {"threshold": t}}, st.floats(0, 60)
    ),
    st.builds(
        lambda op, p, c, d, f, b: {
            "operator": op,
            "params": {"min_change": c, "direction": d, "floor": f, "min_baseline": b}
            | ({"periods": p} if op == "change_vs_rolling_mean" else {}),
        },
        st.sampled_from(["change_vs_previous", "change_vs_rolling_mean"]),
        st.integers(1, 5),
        st.sampled_from([0.1, 0.5]),
        st.sampled_from(["up", "down"]),
        st.sampled_from([0.0, 5.0]),
        st.sampled_from([0.0, 2.0]),
    ),
    st.builds(
        lambda p, z, m: {
            "operator": "robust_anomaly",
            "params": {"periods": p, "min_score": z, "min_spread": m},
        },
        st.integers(1, 6),
        st.sampled_from([1.0, 3.5]),
        st.sampled_from([0.0, 1.0]),
    ),
    st.builds(
        lambda p, k, s, r: {
            "operator": "trend_slope",
            "params": {"periods": p, "min_points": min(k, p), "min_slope": s, "relative": r},
        },
        st.integers(2, 6),
        st.integers(2, 6),
        st.sampled_from([-1.0, 0.05, 1.0]),
        st.booleans(),
    ),
    st.builds(
        lambda p, a: {"operator": "poisson_exceedance", "params": {"periods": p, "alpha": a}},
        st.integers(1, 6),
        st.sampled_from([0.01, 0.2]),
    ),
    st.builds(
        lambda n, m, v: {
            "operator": "emergence",
            "params": {"absent_periods": n, "missing": m, "min_value": v},
        },
        st.integers(1, 4),
        st.sampled_from(["absent", "unknown"]),
        st.sampled_from([0.0, 10.0]),
    ),
    st.builds(lambda a: {"operator": "staleness", "params": {"max_age": a}}, st.integers(1, 4)),
)
# Rule options on top: graded levels are tested separately (they need valid overrides).
options_st = st.fixed_dictionaries(
    {},
    optional={
        "keep_firing_for": st.integers(0, 3),
        "recover_below": st.sampled_from([5.0, 20.0]),
        "cooldown": st.integers(0, 4),
    },
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["AAA", "BBB", "CCC", "DDD"]), region_series, min_size=1, max_size=4
    ),
    rule_st,
    options_st,
    st.integers(0, 3),
    st.one_of(st.none(), st.integers(1990, 2014).map(str)),
)
def test_evaluate_equals_backtest(
    panel_data: dict[str, dict[str, float | None]],
    rule_data: dict[str, Any],
    options: dict[str, Any],
    pending: int,
    now: str | None,
) -> None:
    rule = make_rule(**rule_data, **options, **{"for": pending})
    if rule.operator == "staleness" and now is None:
        now = "2014"  # the clock-reading operator is streamed with its evaluation time
    series = {
        region: {p: math.nan if v is None else v for p, v in values.items()}
        for region, values in panel_data.items()
    }
    expected = backtest([rule], make_panel(series), now=now)
    streamed: list[AlertCandidate] = []
    for region, values in series.items():
        streamed.extend(evaluate(rule, pd.Series(values, dtype=float, name=region), now=now))
    streamed.sort(key=lambda c: (c.period, c.region, c.rule))
    event("has alerts" if expected else "no alerts")
    event("has pending" if any(c.state == "pending" for c in expected) else "no pending")
    assert streamed == expected
    assert all(now is None or c.period <= now for c in expected)


# --- pending periods -------------------------------------------------------------------


def test_for_makes_alerts_pending_until_the_condition_has_held_long_enough() -> None:
    rule = make_rule(operator="threshold_above", params={"threshold": 5}, **{"for": 2})
    series = pd.Series({"2001": 6, "2002": 7, "2003": 8, "2004": 1, "2005": 9}, name="AAA")
    found = evaluate(rule, series)
    assert [(c.period, c.state, c.details["held"]) for c in found] == [
        ("2001", "pending", 1),
        ("2002", "pending", 2),
        ("2003", "firing", 3),
        ("2005", "pending", 1),
    ]


def test_a_missing_period_resets_pending() -> None:
    rule = make_rule(operator="threshold_above", params={"threshold": 5}, **{"for": 1})
    found = evaluate(rule, {"2001": 6, "2003": 7, "2004": 8}, region="AAA")
    assert [(c.period, c.state) for c in found] == [
        ("2001", "pending"),
        ("2003", "pending"),
        ("2004", "firing"),
    ]


# --- the candidate itself -----------------------------------------------------------------


def test_candidate_carries_the_numbers_that_explain_it() -> None:
    rule = make_rule(labels={"theme": "homicide"})
    (alert,) = evaluate(rule, {"2001": 2.0, "2002": 1.5, "2003": 4.25}, region="MEX")
    assert alert == AlertCandidate(
        rule="record",
        region="MEX",
        indicator="homicide_rate",
        period="2003",
        state="firing",
        severity="warning",
        value=4.25,
        baseline=2.0,
        threshold=2.0,
        explanation="MEX 4.2 > 2.0 in 2003",
        details={
            "periods": 3,
            "floor": 0.0,
            "min_rise": 0.0,
            "min_history": 1,
            "history": 2.0,
            "rise": 1.125,
            "value": 4.25,
            "baseline": 2.0,
            "threshold": 2.0,
            "held": 1,
        },
        labels={"theme": "homicide"},
        fingerprint=fingerprint("record", "MEX", "2003"),
    )
    assert len(alert.fingerprint) == 40
    assert alert.to_dict()["explanation"] == "MEX 4.2 > 2.0 in 2003"
    assert hash(alert) == hash(alert)  # usable in sets despite its dict fields


def test_fingerprint_is_stable() -> None:
    # Pinned: alerts stored by one version must deduplicate against the next.
    # sha1 of "r", "MEX", "2008" joined by the unit separator \x1f.
    assert fingerprint("r", "MEX", "2008") == "8a9fb4110636445f1139b7f868e151a62dcf2c48"


def test_threshold_alerts_have_no_baseline() -> None:
    rule = make_rule(
        operator="threshold_below",
        params={"threshold": 1},
        annotations={"summary": "{value} below {threshold}"},
    )
    (alert,) = evaluate(rule, {"2020Q1": 0.5, "2020Q2": 2}, region="AAA")
    assert (alert.period, alert.baseline, alert.threshold) == ("2020Q1", None, 1.0)
    assert alert.explanation == "0.5 below 1.0"


def test_results_are_sorted_by_period_region_rule() -> None:
    rules = [
        make_rule(name="b_rule", operator="threshold_above", params={"threshold": 0}),
        make_rule(name="a_rule", operator="threshold_above", params={"threshold": 0}),
    ]
    panel = make_panel({"ZZZ": {"2001": 1, "2000": 1}, "AAA": {"2001": 1}})
    found = backtest(rules, panel)
    assert [(c.period, c.region, c.rule) for c in found] == [
        ("2000", "ZZZ", "a_rule"),
        ("2000", "ZZZ", "b_rule"),
        ("2001", "AAA", "a_rule"),
        ("2001", "AAA", "b_rule"),
        ("2001", "ZZZ", "a_rule"),
        ("2001", "ZZZ", "b_rule"),
    ]


def test_rules_only_see_their_own_indicator() -> None:
    panel = pd.concat(
        [
            make_panel({"AAA": {"2001": 50}}, indicator="other"),
            make_panel({"AAA": {"2001": 1}}),
        ]
    )
    rule = make_rule(operator="threshold_above", params={"threshold": 10})
    assert backtest([rule], panel) == []
    assert backtest([], panel) == []


def test_each_indicator_keeps_its_own_cadence() -> None:
    panel = pd.concat(
        [
            make_panel({"AAA": {"2020-01": 50, "2020-03": 60}}, indicator="monthly"),
            make_panel({"AAA": {"2020": 50}}),
        ]
    )
    rules = [
        make_rule(
            name="m",
            indicator="monthly",
            operator="threshold_above",
            params={"threshold": 10},
            **{"for": 1},
        ),
        make_rule(name="y", operator="threshold_above", params={"threshold": 10}),
    ]
    # The missing February breaks the monthly run, so March is pending again.
    assert keys(backtest(rules, panel)) == [
        ("y", "AAA", "2020", "firing"),
        ("m", "AAA", "2020-01", "pending"),
        ("m", "AAA", "2020-03", "pending"),
    ]


# --- bad panels ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("panel", "message"),
    [
        (pd.DataFrame({"region": ["A"], "period": ["2000"]}), "lacks column"),
        (make_panel({"AAA": {"2000": 1, "2000Q1": 2}}), "mixes period formats"),
        (make_panel({"AAA": {"20001": 1}}), "is not one of"),
        (make_panel({"AAA": {"2000-02-30": 1}}), "invalid day"),
        (make_panel({"AAA": {"0001-01-01": 1, "9000-01-01": 2}}), "too long"),
        (pd.concat([make_panel({"AAA": {"2000": 1}})] * 2), "AAA has several values for 2000"),
        (make_panel({"AAA": {"2000": "high"}}), "must be numeric"),  # type: ignore[dict-item]
    ],
)
def test_bad_panels_raise_panel_error(panel: pd.DataFrame, message: str) -> None:
    with pytest.raises(PanelError, match=message):
        backtest([make_rule()], panel)


def test_evaluate_needs_a_region() -> None:
    with pytest.raises(PanelError, match="pass region="):
        evaluate(make_rule(), {"2000": 1.0})


def test_values_are_never_filled_with_zero() -> None:
    rule = make_rule(operator="threshold_below", params={"threshold": 1})
    assert evaluate(rule, {"2000": 5, "2001": np.nan, "2003": 5}, region="AAA") == []


def test_periods_may_be_integers() -> None:
    rule = make_rule(operator="threshold_above", params={"threshold": 1})
    panel = pd.DataFrame(
        {"region": ["AAA"], "indicator": ["homicide_rate"], "period": [2001], "value": [5]}
    )
    assert keys(backtest([rule], panel)) == [("record", "AAA", "2001", "firing")]
