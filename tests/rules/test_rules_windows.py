"""The window primitives agree with plain loops, NaN handling included."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rules.windows import prior_count, prior_max, prior_mean, rolling_max, run_length

values_matrix = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(0, 30)),
    elements=st.one_of(st.just(math.nan), st.floats(-1e6, 1e6, allow_nan=False)),
)


def _prior(values: np.ndarray, n: int, reduce: Callable[[list[float]], float]) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    for r in range(values.shape[0]):
        for t in range(values.shape[1]):
            window = [v for v in values[r, max(0, t - n) : t] if not math.isnan(v)]
            out[r, t] = reduce(window)
    return out


@settings(max_examples=200, deadline=None)
@given(values_matrix, st.integers(1, 12))
def test_prior_max_matches_loop(values: np.ndarray, n: int) -> None:
    expected = _prior(values, n, lambda w: max(w) if w else math.nan)
    np.testing.assert_array_equal(prior_max(values, n), expected)


@settings(max_examples=200, deadline=None)
@given(values_matrix, st.integers(1, 12))
def test_prior_count_matches_loop(values: np.ndarray, n: int) -> None:
    expected = _prior(values, n, len)
    np.testing.assert_array_equal(prior_count(values, n), expected)


@settings(max_examples=200, deadline=None)
@given(values_matrix, st.integers(1, 12))
def test_prior_mean_matches_loop(values: np.ndarray, n: int) -> None:
    expected = _prior(values, n, lambda w: sum(w) / len(w) if w else math.nan)
    np.testing.assert_allclose(prior_mean(values, n), expected, rtol=1e-9, atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 4), st.integers(0, 30))))
def test_run_length_matches_loop(condition: np.ndarray) -> None:
    expected = np.zeros(condition.shape, dtype=np.int64)
    for r in range(condition.shape[0]):
        run = 0
        for t in range(condition.shape[1]):
            run = run + 1 if condition[r, t] else 0
            expected[r, t] = run
    np.testing.assert_array_equal(run_length(condition), expected)


def test_rolling_max_includes_current_period() -> None:
    values = np.array([[1.0, 5.0, np.nan, 2.0, 3.0]])
    np.testing.assert_array_equal(rolling_max(values, 2), [[1.0, 5.0, 5.0, 2.0, 3.0]])


@pytest.mark.parametrize("func", [rolling_max, prior_max, prior_count, prior_mean])
def test_window_must_be_positive(func: Callable[[np.ndarray, int], np.ndarray]) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        func(np.zeros((1, 3)), 0)
