"""Exact ties at thresholds: rounded data meeting a bound exactly count as meeting it.

Each case is a real float tie: two-decimal values whose bound, computed in floats (a
mean, a ratio, a previous high plus a margin, a least-squares slope), misses the exact
decimal by a last bit. ``naive`` is what a plain float comparison said; the table checks
that the case is such a tie and that the engine, and the DuckDB reference, decide it as
a human would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from benchmarks.bench_rules_backtest import duckdb_backtest
from rules import OPERATORS, Rule, backtest
from rules.windows import TIE_TOLERANCE, above, at_least, at_most, prior_mean


@dataclass(frozen=True)
class Tie:
    """A series whose last value ties with the operator's bound."""

    operator: str
    params: dict[str, Any]
    series: tuple[float, ...]
    fires: bool  # what a human says at the last period
    naive: bool | None  # a plain float comparison's answer (None: no arithmetic, exact)


TIES = {
    # 13.2 / 10.56 - 1 is 0.2499999999999998.
    "change_vs_previous up": Tie(
        "change_vs_previous", {"min_change": 0.25}, (10.56, 13.2), fires=True, naive=False
    ),
    # 7.53 / 10.04 - 1 is -0.24999999999999994.
    "change_vs_previous down": Tie(
        "change_vs_previous",
        {"min_change": 0.25, "direction": "down"},
        (10.04, 7.53),
        fires=True,
        naive=False,
    ),
    # The running-sum mean of 17.8, 28.8 and 8.6 is 18.400000000000002, not 18.4.
    "change_vs_rolling_mean": Tie(
        "change_vs_rolling_mean",
        {"periods": 3, "min_change": 0.25},
        (17.8, 28.8, 8.6, 23.0),
        fires=True,
        naive=False,
    ),
    # 1.2 + 10% is 1.32 exactly: not a record beaten by more than 10%, though
    # 1.2 + 0.1 x 1.2 is 1.3199999999999998 in floats.
    "highest_in_n with a margin": Tie(
        "highest_in_n",
        {"periods": 3, "min_rise": 0.1},
        (1.0, 1.1, 1.2, 1.32),
        fires=False,
        naive=True,
    ),
    "highest_in_n equal to the high": Tie(
        "highest_in_n", {"periods": 3}, (1.0, 1.2, 1.1, 1.2), fires=False, naive=None
    ),
    # The least-squares slope of 8.9, 9.0, 9.1, 9.2 is 0.09999999999999858.
    "trend_slope": Tie(
        "trend_slope",
        {"periods": 4, "min_points": 3, "min_slope": 0.1},
        (8.9, 9.0, 9.1, 9.2),
        fires=True,
        naive=False,
    ),
    "threshold_above": Tie("threshold_above", {"threshold": 20.0}, (20.0,), False, None),
    "threshold_below": Tie("threshold_below", {"threshold": 1.5}, (1.5,), False, None),
    "crossing_above": Tie("crossing_above", {"threshold": 20.0}, (19.99, 20.0), True, None),
}


def _run(tie: Tie) -> bool:
    """Return whether the operator's condition holds at the series' last period."""
    spec = OPERATORS[tie.operator]
    result = spec.run(np.array([tie.series]), spec.params_model.model_validate(tie.params))
    return bool(result.condition[0, -1])


def _naive(tie: Tie) -> bool:
    """Return what a plain float comparison with the computed bound says."""
    *history, value = tie.series
    if tie.operator == "change_vs_previous":
        change = value / history[-1] - 1.0
        up = tie.params.get("direction", "up") == "up"
        return change >= tie.params["min_change"] if up else change <= -tie.params["min_change"]
    if tie.operator == "change_vs_rolling_mean":
        mean = prior_mean(np.array([tie.series]), tie.params["periods"])[0, -1]
        return bool(value / mean - 1.0 >= tie.params["min_change"])
    if tie.operator == "highest_in_n":
        high = max(history)
        return value > high + tie.params["min_rise"] * abs(high)
    u, y = np.arange(len(tie.series), dtype=np.float64), np.array(tie.series)
    n, su, sy, suu, suy = len(u), u.sum(), y.sum(), (u * u).sum(), (u * y).sum()
    slope = (n * suy - su * sy) / (n * suu - su * su)
    return bool(slope >= tie.params["min_slope"])


@pytest.mark.parametrize("name", list(TIES))
def test_exact_tie_is_decided_as_written(name: str) -> None:
    tie = TIES[name]
    if tie.naive is not None:
        assert _naive(tie) is tie.naive  # the case is a real float tie
    assert _run(tie) is tie.fires


@pytest.mark.parametrize("name", ["change_vs_rolling_mean", "change_vs_previous up"])
def test_one_cent_short_of_a_tie_does_not_fire(name: str) -> None:
    tie = TIES[name]
    short = Tie(tie.operator, tie.params, (*tie.series[:-1], tie.series[-1] - 0.01), True, None)
    assert not _run(short)


def test_comparisons_count_only_ties_within_the_tolerance() -> None:
    bound = np.array([[100.0, 100.0, 100.0, np.nan]])
    close = 100.0 * (1 - TIE_TOLERANCE / 2)
    far = 100.0 * (1 - 2 * TIE_TOLERANCE)
    values = np.array([[close, far, 100.0, 100.0]])
    assert at_least(values, bound).tolist() == [[True, False, True, False]]
    assert at_most(2 * bound - values, bound).tolist() == [[True, False, True, False]]
    assert above(2 * bound - values, bound).tolist() == [[False, True, False, False]]


def _rule(name: str, tie: Tie) -> Rule:
    """Return a one-level rule applying the tie's operator to indicator ``x``."""
    return Rule.model_validate(
        {
            "name": name.replace(" ", "_"),
            "indicator": "x",
            "operator": tie.operator,
            "params": tie.params,
            "severity": "warning",
            "annotations": {"summary": "{region} {period}"},
        }
    )


def _panel(names: list[str]) -> pd.DataFrame:
    """Return each tie's series as region R<i> of indicator ``x``, from 2000."""
    frames = [
        pd.DataFrame(
            {
                "region": f"R{i}",
                "indicator": "x",
                "period": [str(2000 + k) for k in range(len(TIES[name].series))],
                "value": TIES[name].series,
            }
        )
        for i, name in enumerate(names)
    ]
    return pd.concat(frames, ignore_index=True)


def test_duckdb_reference_decides_ties_as_the_engine() -> None:
    ported = [name for name in TIES if not name.startswith("crossing")]
    rules = [_rule(name, TIES[name]) for name in ported]
    panel = _panel(ported)
    engine = {(a.rule, a.region, a.period) for a in backtest(rules, panel)}
    reference = {(r, region, period) for r, region, period, _ in duckdb_backtest(panel, rules, ())}
    assert engine == reference
    for i, name in enumerate(ported):
        last = str(2000 + len(TIES[name].series) - 1)
        assert ((rules[i].name, f"R{i}", last) in engine) is TIES[name].fires
