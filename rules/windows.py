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

# Relative tolerance of comparisons with a computed bound (a mean x 1.25, a previous high
# + 10%, a slope). Real data are rounded, so values meet such bounds exactly (19.25 on a
# mean of 15.4 is +25%), and the bound's last bit, which depends on the order of the
# float operations that made it, must not decide: within the tolerance is a tie.
TIE_TOLERANCE = 1e-9


def _check_window(n: int) -> None:
    if n < 1:
        raise ValueError(f"window length must be at least 1, got {n}")


def _shift_right(matrix: FloatMatrix, fill: float = np.nan) -> FloatMatrix:
    shifted = np.empty_like(matrix)
    shifted[:, :1] = fill
    shifted[:, 1:] = matrix[:, :-1]
    return shifted


def _slack(bound: FloatMatrix | float) -> FloatMatrix | float:
    """Return how far from the bound a value still counts as equal to it."""
    return TIE_TOLERANCE * np.abs(bound)


def at_least(values: FloatMatrix, bound: FloatMatrix | float) -> BoolMatrix:
    """Return values >= bound, a tie within TIE_TOLERANCE included (NaN is False)."""
    result: BoolMatrix = values >= bound - _slack(bound)
    return result


def at_most(values: FloatMatrix, bound: FloatMatrix | float) -> BoolMatrix:
    """Return values <= bound, a tie within TIE_TOLERANCE included (NaN is False)."""
    result: BoolMatrix = values <= bound + _slack(bound)
    return result


def above(values: FloatMatrix, bound: FloatMatrix | float) -> BoolMatrix:
    """Return values > bound beyond TIE_TOLERANCE: a tie is not above (NaN is False)."""
    result: BoolMatrix = values > bound + _slack(bound)
    return result


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
    """Return the sums of the n periods before each period, along the last axis."""
    # Cumulative sums make every window an O(1) difference: with C the running sum,
    # the window before t sums to C[t-1] - C[t-1-n] (C of a negative index being 0).
    cumulative = np.cumsum(counts, axis=-1, dtype=np.float64)
    sums = np.zeros_like(cumulative)
    sums[..., 1:] = cumulative[..., :-1]
    sums[..., n + 1 :] -= cumulative[..., : -n - 1]
    return sums


def prior_count(values: FloatMatrix, n: int) -> IntMatrix:
    """Return how many of the n periods before each period have a value."""
    _check_window(n)
    present = (~np.isnan(values)).astype(np.float64)
    return np.rint(_window_sum_before(present, n)).astype(np.int64)


def prior_mean_count(values: FloatMatrix, n: int) -> tuple[FloatMatrix, IntMatrix]:
    """Return prior_mean and prior_count at once (one window count serves both)."""
    _check_window(n)
    present = ~np.isnan(values)
    # Both window sums in one pass over stacked values (0 when missing) and presence.
    stacked = np.zeros((2, *values.shape))
    np.copyto(stacked[0], values, where=present)
    stacked[1] = present
    totals, found = _window_sum_before(stacked, n)
    counts = np.rint(found).astype(np.int64)
    mean = np.divide(totals, counts, out=np.full(values.shape, np.nan), where=counts > 0)
    return mean, counts


def prior_mean(values: FloatMatrix, n: int) -> FloatMatrix:
    """Return the mean of the non-missing values among the n periods before each period."""
    return prior_mean_count(values, n)[0]


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
