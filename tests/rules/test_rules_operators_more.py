"""The signal-method operators as tables: a series in, the periods that alert out."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from rules import OPERATORS, EvalContext, PanelError
from rules.operators_counts import poisson_tail

N = math.nan


def _run(operator: str, params: dict[str, Any], series: list[float]) -> list[bool]:
    spec = OPERATORS[operator]
    result = spec.run(np.array([series], dtype=np.float64), spec.params_model(**params))
    return [bool(x) for x in result.condition[0]]


CASES = [
    # M3: reach L from below; staying above or a gap before is no crossing.
    ("crossing_above", {"threshold": 10}, [5, 10, 12, 9, 11, N, 20], [0, 1, 0, 0, 1, 0, 0]),
    ("crossing_above", {"threshold": 10}, [10, 10], [0, 0]),
    # Change on the previous period: +25% with the floor and the low-baseline guard.
    ("change_vs_previous", {"min_change": 0.25}, [4, 5, 6, 6, N, 9], [0, 1, 0, 0, 0, 0]),
    ("change_vs_previous", {"min_change": 0.25, "floor": 6}, [4, 5, 7], [0, 0, 1]),
    ("change_vs_previous", {"min_change": 0.5, "min_baseline": 2}, [1, 3, 6], [0, 0, 1]),
    ("change_vs_previous", {"min_change": 0.5, "direction": "down"}, [10, 6, 3, 0], [0, 0, 1, 1]),
    # A zero baseline has no percent change.
    ("change_vs_previous", {"min_change": 0.1}, [0, 5], [0, 0]),
    # Change on the mean of the previous 3 (at least 2 known).
    ("change_vs_rolling_mean", {"periods": 3, "min_change": 1.0}, [2, 2, 4, 5], [0, 0, 1, 0]),
    ("change_vs_rolling_mean", {"periods": 3, "min_change": 1.0}, [2, N, N, 9], [0, 0, 0, 0]),
    (
        "change_vs_rolling_mean",
        {"periods": 3, "min_change": 1.0, "min_history": 1},
        [2, N, N, 9],
        [0, 0, 0, 1],
    ),
    (
        "change_vs_rolling_mean",
        {"periods": 2, "min_change": 1.0, "min_baseline": 3},
        [1, 1, 5, 2, 4, 9],
        [0, 0, 0, 0, 0, 1],
    ),
    # Robust score: median 10, MAD 1 -> spread 1.48; 16 scores 4.0, 14 scores 2.7.
    (
        "robust_anomaly",
        {"periods": 5, "min_score": 3.5},
        [9, 10, 11, 10, 9, 16, 14],
        [0, 0, 0, 0, 0, 1, 0],
    ),
    # Flat history: MAD 0, so min_spread decides.
    ("robust_anomaly", {"periods": 3, "min_spread": 1.0}, [5, 5, 5, 8, 9.5], [0, 0, 0, 0, 1]),
    ("robust_anomaly", {"periods": 3, "floor": 100}, [1, 2, 1, 50], [0, 0, 0, 0]),
    # OLS slope over 3 periods, at least 3 points, units per period.
    ("trend_slope", {"periods": 3, "min_slope": 1.0}, [1, 2, 3, 3, 3], [0, 0, 1, 0, 0]),
    ("trend_slope", {"periods": 3, "min_slope": 1.0}, [1, N, 3, 5], [0, 0, 0, 0]),
    ("trend_slope", {"periods": 3, "min_slope": 1.0, "min_points": 2}, [1, N, 3, 5], [0, 0, 1, 1]),
    # Relative: slope 1 on a mean of 20 is 5% per period.
    (
        "trend_slope",
        {"periods": 3, "min_slope": 0.05, "relative": True},
        [19, 20, 21, 21, 22],
        [0, 0, 1, 0, 0],
    ),
    # Poisson: lambda 2 -> P(X >= 8) = 0.0011; P(X >= 5) = 0.053.
    ("poisson_exceedance", {"periods": 3, "alpha": 0.01}, [2, 2, 2, 8, 5], [0, 0, 0, 1, 0]),
    ("poisson_exceedance", {"periods": 3, "alpha": 0.01}, [2, 2, 2, 5], [0, 0, 0, 0]),
    ("poisson_exceedance", {"periods": 2, "min_baseline": 3}, [2, 2, 20], [0, 0, 0]),
    # Emergence after 3 absent periods; missing periods as unknown or as absence.
    ("emergence", {"absent_periods": 3}, [0, 0, 0, 4, 5, 0], [0, 0, 0, 1, 0, 0]),
    ("emergence", {"absent_periods": 3}, [N, 0, 0, 4], [0, 0, 0, 0]),
    ("emergence", {"absent_periods": 3, "missing": "absent"}, [N, 0, N, 4], [0, 0, 0, 1]),
    ("emergence", {"absent_periods": 2, "min_value": 1}, [1, 0.5, 1, 3], [0, 0, 0, 1]),
    ("emergence", {"absent_periods": 2, "missing": "absent"}, [N, N, 3], [0, 0, 0]),
    # Staleness: one alert, in the first period past max_age.
    ("staleness", {"max_age": 2}, [1, N, N, N, N, 2, N], [0, 0, 0, 1, 0, 0, 0]),
    ("staleness", {"max_age": 1}, [N, N, N], [0, 0, 0]),
]


@pytest.mark.parametrize(("operator", "params", "series", "expected"), CASES)
def test_operator_table(
    operator: str, params: dict[str, Any], series: list[float], expected: list[int]
) -> None:
    assert _run(operator, params, series) == [bool(x) for x in expected]


@pytest.mark.parametrize(
    ("count", "rate", "expected"),
    [
        (8, 2.0, 0.0010967),
        (5, 2.0, 0.0526530),
        (1, 0.5, 1 - math.exp(-0.5)),
        (130, 100.0, 0.0023),
    ],
)
def test_poisson_tail(count: float, rate: float, expected: float) -> None:
    (value,) = poisson_tail(np.array([[count]], dtype=float), np.array([[rate]]))[0]
    assert value == pytest.approx(expected, rel=2e-2)


def test_poisson_tail_on_large_counts_is_finite() -> None:
    (value,) = poisson_tail(np.array([[20_000.0]]), np.array([[10_000.0]]))[0]
    assert 0.0 <= value < 1e-100


def test_change_reports_the_change() -> None:
    spec = OPERATORS["change_vs_rolling_mean"]
    result = spec.run(np.array([[2.0, 4.0, 9.0]]), spec.params_model(periods=2, min_change=1))
    np.testing.assert_allclose(result.extras["change"][0], [N, 1.0, 2.0])
    np.testing.assert_allclose(result.threshold[0], [N, 4.0, 6.0])


def _peers(values: list[list[float]], groups: list[str], **params: Any) -> list[list[bool]]:
    spec = OPERATORS["peer_percentile"]
    regions = [f"R{i:02d}" for i in range(len(values))]
    meta = pd.DataFrame({"subregion": groups}, index=regions)
    context = EvalContext(regions, [str(2000 + i) for i in range(len(values[0]))], None, meta)
    result = spec.run(np.array(values, dtype=float), spec.params_model(**params), context)
    return result.condition.tolist()


def test_peer_percentile_ranks_within_the_group() -> None:
    values = [[1, 9], [2, 8], [3, 7], [10, 1], [20, 2]]
    groups = ["A", "A", "A", "B", "B"]
    assert _peers(values, groups, min_percentile=100, min_peers=2) == [
        [False, True],
        [False, False],
        [True, False],
        [False, False],
        [True, True],
    ]
    # Group A has 3 members: too few for min_peers 4; missing values are not peers.
    assert not np.any(_peers(values, groups, min_percentile=50, min_peers=4))
    values[0][1] = N
    assert _peers(values, groups, min_percentile=100, min_peers=3)[1] == [False, False]


def test_peer_percentile_needs_metadata() -> None:
    spec = OPERATORS["peer_percentile"]
    with pytest.raises(PanelError, match="region metadata"):
        spec.run(np.zeros((2, 2)), spec.params_model(min_percentile=90))
