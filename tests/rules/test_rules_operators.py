"""Operators as tables: a series in, the periods where the condition holds out."""

from __future__ import annotations

import math
import string
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from rules import OPERATORS, EvalContext, OperatorParams
from rules.operators import HighestInNParams

N = math.nan


def _run(operator: str, params: dict[str, Any], series: list[float]) -> list[bool]:
    spec = OPERATORS[operator]
    result = spec.run(np.array([series], dtype=np.float64), spec.params_model(**params))
    return [bool(x) for x in result.condition[0]]


@pytest.mark.parametrize(
    ("params", "series", "expected"),
    [
        # A plain record needs min_history (ceil(3/2) = 2) known previous values.
        ({"periods": 3}, [1, 2, 3, 4], [0, 0, 1, 1]),
        # Equal to the previous high is not a record.
        ({"periods": 3}, [5, 5, 5, 5], [0, 0, 0, 0]),
        # Only the previous N periods count: 9 leaves the window after 2 periods.
        ({"periods": 2}, [9, 1, 2, 3], [0, 0, 0, 1]),
        # The floor is inclusive: 3 >= 3 alerts, 2.9 does not.
        ({"periods": 2, "floor": 3}, [1, 1, 2.9, 3], [0, 0, 0, 1]),
        # Missing values never alert, and do not count as history (2 needed of 3).
        ({"periods": 3}, [1, N, 2, N, 5], [0, 0, 0, 0, 0]),
        ({"periods": 3, "min_history": 1}, [1, N, 2, N, 5], [0, 0, 1, 0, 1]),
        # A gap longer than the window leaves no history at all.
        ({"periods": 2}, [1, 2, N, N, 9], [0, 1, 0, 0, 0]),
        # min_history can demand the whole window.
        ({"periods": 3, "min_history": 3}, [1, 2, 3, 4, 5], [0, 0, 0, 1, 1]),
        ({"periods": 3, "min_history": 1}, [1, 2, 3], [0, 1, 1]),
        # min_rise: beat the previous high by more than 10%.
        ({"periods": 2, "min_history": 1, "min_rise": 0.1}, [10, 11, 12.2], [0, 0, 1]),
        # A negative previous high still needs to be beaten upwards.
        # (-10 -> record at -5: -4 passes; -4 -> record at -2: -2.5 does not.)
        ({"periods": 1, "floor": -100, "min_rise": 0.5}, [-10, -4, -2.5], [0, 1, 0]),
    ],
)
def test_highest_in_n(params: dict[str, Any], series: list[float], expected: list[int]) -> None:
    assert _run("highest_in_n", params, series) == [bool(x) for x in expected]


@pytest.mark.parametrize(
    ("operator", "threshold", "series", "expected"),
    [
        ("threshold_above", 10, [9, 10, 11, N], [0, 0, 1, 0]),
        ("threshold_above", -1, [-2, 0], [0, 1]),
        ("threshold_below", 1, [0.5, 1, 2, N], [1, 0, 0, 0]),
    ],
)
def test_thresholds(
    operator: str, threshold: float, series: list[float], expected: list[int]
) -> None:
    assert _run(operator, {"threshold": threshold}, series) == [bool(x) for x in expected]


def test_highest_in_n_baseline_threshold_and_extras() -> None:
    spec = OPERATORS["highest_in_n"]
    params = HighestInNParams(periods=2, floor=5.0, min_rise=0.5, min_history=1)
    result = spec.run(np.array([[2.0, 4.0, 7.0]]), params)
    np.testing.assert_allclose(result.baseline[0], [N, 2.0, 4.0])
    # threshold = max(previous high x 1.5, floor)
    np.testing.assert_allclose(result.threshold[0], [5.0, 5.0, 6.0])
    np.testing.assert_allclose(result.extras["history"][0], [0, 1, 2])
    np.testing.assert_allclose(result.extras["rise"][0], [N, 1.0, 0.75])
    assert result.condition[0].tolist() == [False, False, True]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"periods": 0}, "greater than or equal to 1"),
        ({"periods": 3, "min_history": 4}, "cannot exceed periods"),
        ({"periods": 3, "min_rise": -0.1}, "greater than or equal to 0"),
        ({"periods": 3, "flor": 1}, "Extra inputs are not permitted"),
        ({"periods": 3, "floor": math.nan}, "finite number"),
    ],
)
def test_highest_in_n_params_are_checked(params: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        HighestInNParams.model_validate(params)


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        (
            {"periods": 5},
            "value above the highest of the previous 5 periods (at least 3 of them known), "
            "and at least 0",
        ),
        (
            {"periods": 5, "floor": 4.0, "min_rise": 0.1, "min_history": 5},
            "value above the highest of the previous 5 periods by more than 10% "
            "(at least 5 of them known), and at least 4",
        ),
    ],
)
def test_highest_in_n_sentence(params: dict[str, Any], sentence: str) -> None:
    spec = OPERATORS["highest_in_n"]
    assert spec.describe(spec.params_model(**params)) == sentence


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_is_documented(name: str) -> None:
    """Fails when an operator lacks a sentence, a doc, an example or described params."""
    spec = OPERATORS[name]
    assert spec.name == name
    assert issubclass(spec.params_model, OperatorParams)
    assert spec.doc.strip(), f"{name}: doc is empty"
    assert spec.example, f"{name}: example params are missing"
    params = spec.params_model.model_validate(spec.example)
    sentence = spec.describe(params)
    assert sentence.strip() and "{" not in sentence, f"{name}: sentence does not render"
    used = {field for _, field, _, _ in string.Formatter().parse(spec.sentence) if field}
    assert used <= set(params.template_fields()), f"{name}: sentence uses unknown fields"
    for field, info in spec.params_model.model_fields.items():
        assert info.description, f"{name}: parameter {field!r} has no description"


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_is_shape_safe(name: str) -> None:
    """Every operator returns full matrices and its declared extras, and ignores NaN."""
    spec = OPERATORS[name]
    values = np.array([[1.0, N, 3.0, 50.0], [N, N, N, N]])
    meta = pd.DataFrame({"subregion": ["X", "X"]}, index=["AAA", "BBB"])
    context = EvalContext(["AAA", "BBB"], ["2001", "2002", "2003", "2004"], None, meta)
    result = spec.run(values, spec.params_model.model_validate(spec.example), context)
    for matrix in (result.condition, result.baseline, result.threshold):
        assert matrix.shape == values.shape
    assert set(result.extras) == set(spec.extras)
    if not spec.needs_now:  # staleness alerts precisely where values are missing
        assert not result.condition[np.isnan(values)].any()


def test_run_refuses_params_of_another_operator() -> None:
    with pytest.raises(TypeError, match="HighestInNParams"):
        other = OPERATORS["threshold_above"].params_model(threshold=1)
        OPERATORS["highest_in_n"].run(np.zeros((1, 1)), other)
