"""Vectorised window primitives on (regions x periods) matrices.

Every function works on a whole matrix at once, with rows as regions and columns as
consecutive periods; NaN means "no observation". Work is O(rows x periods) whatever the
window length, so daily windows of a year cost the same as yearly windows of five.
Operators are built from these, so new operators inherit the speed and the NaN rules.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float64]
BoolMatrix = npt.NDArray[np.bool_]
IntMatrix = npt.NDArray[np.int64]


def _check_window(n: int) -> None:
    if n < 1:
        raise ValueError(f"window length must be at least 1, got {n}")


def _shift_right(matrix: FloatMatrix, fill: float = np.nan) -> FloatMatrix:
    shifted = np.empty_like(matrix)
    shifted[:, :1] = fill
    shifted[:, 1:] = matrix[:, :-1]
    return shifted


def rolling_max(values: FloatMatrix, n: int) -> FloatMatrix:
    """Return the max of the n periods ending at each period, ignoring NaN."""
    _check_window(n)
    rows, cols = values.shape
    if cols == 0:
        return values.astype(np.float64, copy=True)
    # van Herk / Gil-Werman: split into blocks of n; any window of n spans at most two
    # blocks, so it is max(suffix-max of the first, prefix-max of the second).
    pad = (-cols) % n
    blocks = np.concatenate([values, np.full((rows, pad), np.nan)], axis=1)
    blocks = blocks.reshape(rows, -1, n)
    prefix = np.fmax.accumulate(blocks, axis=2).reshape(rows, -1)
    suffix = np.fmax.accumulate(blocks[:, :, ::-1], axis=2)[:, :, ::-1].reshape(rows, -1)
    out = np.empty((rows, cols), dtype=np.float64)
    head = min(n - 1, cols)
    out[:, :head] = prefix[:, :head]  # truncated windows at the start lie in block 0
    out[:, head:] = np.fmax(suffix[:, : cols - head], prefix[:, head:cols])
    return out


def prior_max(values: FloatMatrix, n: int) -> FloatMatrix:
    """Return the max of the n periods before each period (NaN when all are missing)."""
    return _shift_right(rolling_max(values, n))


def _window_sum_before(counts: FloatMatrix, n: int) -> FloatMatrix:
    # Cumulative sums make every window an O(1) difference.
    rows, cols = counts.shape
    cumulative = np.zeros((rows, cols + 1), dtype=np.float64)
    np.cumsum(counts, axis=1, out=cumulative[:, 1:])
    starts = np.maximum(np.arange(cols) - n, 0)
    return cumulative[:, :cols] - cumulative[:, starts]


def prior_count(values: FloatMatrix, n: int) -> IntMatrix:
    """Return how many of the n periods before each period have a value."""
    _check_window(n)
    present = (~np.isnan(values)).astype(np.float64)
    return np.rint(_window_sum_before(present, n)).astype(np.int64)


def prior_mean(values: FloatMatrix, n: int) -> FloatMatrix:
    """Return the mean of the non-missing values among the n periods before each period."""
    _check_window(n)
    present = ~np.isnan(values)
    totals = _window_sum_before(np.where(present, values, 0.0), n)
    counts = _window_sum_before(present.astype(np.float64), n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, totals / counts, np.nan)


def run_length(condition: BoolMatrix) -> IntMatrix:
    """Return how many consecutive periods the condition has held, ending at each period."""
    totals = np.cumsum(condition, axis=1, dtype=np.int64)
    # The running total at the last False, carried forward, is what to subtract.
    resets = np.maximum.accumulate(np.where(condition, 0, totals), axis=1)
    result: IntMatrix = totals - resets
    return result


def shift(values: FloatMatrix, k: int = 1) -> FloatMatrix:
    """Return the matrix moved k periods later (the value of k periods before), NaN-padded."""
    out = np.full(values.shape, np.nan)
    if k < values.shape[1]:
        out[:, k:] = values[:, : values.shape[1] - k]
    return out


def prior_windows(values: FloatMatrix, n: int) -> FloatMatrix:
    """Return a (regions x periods x n) view of the n periods before each period."""
    _check_window(n)
    padded = np.concatenate([np.full((values.shape[0], n), np.nan), values[:, :-1]], axis=1)
    if values.shape[1] == 0:
        return np.empty((values.shape[0], 0, n))
    view: FloatMatrix = np.lib.stride_tricks.sliding_window_view(padded, n, axis=1)
    return view[:, : values.shape[1]]


def trailing_windows(values: FloatMatrix, n: int) -> FloatMatrix:
    """Return a (regions x periods x n) view of the n periods ending at each period."""
    _check_window(n)
    padded = np.concatenate([np.full((values.shape[0], n - 1), np.nan), values], axis=1)
    view: FloatMatrix = np.lib.stride_tricks.sliding_window_view(padded, n, axis=1)
    return view


def periods_since_value(values: FloatMatrix) -> FloatMatrix:
    """Return how many periods have passed since the last known value (0 when known)."""
    cols = values.shape[1]
    index = np.where(~np.isnan(values), np.arange(cols, dtype=np.float64), np.nan)
    last = np.fmax.accumulate(index, axis=1) if cols else index
    result: FloatMatrix = np.arange(cols, dtype=np.float64) - last
    return result
