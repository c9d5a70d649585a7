"""Rule options applied around an operator: graded levels, hysteresis, hold, cooldown.

All work on whole (regions x periods) matrices, row by row, so a one-region evaluation
gives the same cells as the panel backtest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from rules.model import SEVERITIES, Composite, Rule, Severity
from rules.operators import OPERATORS, EvalContext, OperatorResult
from rules.windows import BoolMatrix, FloatMatrix, IntMatrix

NO_LEVEL = -1


def rank(severity: Severity) -> int:
    """Return the order of a severity (info < warning < critical)."""
    return SEVERITIES.index(severity)


def graded(
    rule: Rule, values: FloatMatrix, context: EvalContext
) -> tuple[OperatorResult, IntMatrix]:
    """Run the rule's operator for each level; the highest level holding wins per cell."""
    spec = OPERATORS[rule.operator]
    levels = rule.level_params()
    first = spec.run(values, levels[0][1], context)
    best: IntMatrix = np.where(first.condition, rank(levels[0][0]), NO_LEVEL).astype(np.int64)
    if len(levels) == 1:
        return first, best  # nothing to merge: no copies (most rules have one level)
    baseline, threshold = first.baseline.copy(), first.threshold.copy()
    extras = {name: matrix.copy() for name, matrix in first.extras.items()}
    for severity, params in levels[1:]:
        result = spec.run(values, params, context)
        wins = result.condition & (rank(severity) > best)
        best[wins] = rank(severity)
        baseline[wins], threshold[wins] = result.baseline[wins], result.threshold[wins]
        for name, matrix in result.extras.items():
            extras[name][wins] = matrix[wins]
    return OperatorResult(best > NO_LEVEL, baseline, threshold, extras), best


def _last_index(mask: BoolMatrix) -> IntMatrix:
    """Return, per cell, the column of the last True at or before it (-1 when none)."""
    columns = np.arange(mask.shape[1], dtype=np.int64)
    marked = np.where(mask, columns, -1)
    result: IntMatrix = np.maximum.accumulate(marked, axis=1) if mask.shape[1] else marked
    return result


def hold(
    rule: Rule, condition: BoolMatrix, values: FloatMatrix, best: IntMatrix, *, to_now: bool
) -> BoolMatrix:
    """Extend the condition by hysteresis and keep_firing_for; carry severities along.

    Without an evaluation time (``to_now`` false) an alert is never held past its
    region's last known value: the panel's end is not that region's clock.
    """
    held = condition
    if rule.recover_below is not None:
        with np.errstate(invalid="ignore"):
            reset = ~condition & ~(values >= rule.recover_below)
        held = _last_index(condition) > _last_index(reset)
    if rule.keep_firing_for:
        last = _last_index(held)
        columns = np.arange(held.shape[1], dtype=np.int64)
        held = (last >= 0) & (columns - last <= rule.keep_firing_for)
    if not to_now and held is not condition:
        last_known = _last_index(~np.isnan(values))[:, -1:]
        held = held & (np.arange(held.shape[1]) <= last_known)
    if held is not condition:
        # Extended cells keep the severity of the cell that set them.
        source = _last_index(condition)
        rows = np.arange(best.shape[0])[:, None]
        carried = np.where(source >= 0, best[rows, np.maximum(source, 0)], NO_LEVEL)
        best[...] = np.where(condition, best, np.where(held, carried, NO_LEVEL))
    return held


def cooldown_keep(
    rule: Rule | Composite, rows: Sequence[int], columns: Sequence[int], levels: Sequence[int]
) -> npt.NDArray[np.bool_]:
    """Return which hits survive the cooldown (hits sorted by row, then column)."""
    keep = np.ones(len(rows), dtype=bool)
    if not rule.cooldown:
        return keep
    last: dict[int, tuple[int, int]] = {}  # row -> (column, level) of the last kept hit
    for i, (row, column, level) in enumerate(zip(rows, columns, levels, strict=True)):
        previous = last.get(row)
        if previous is not None and column - previous[0] <= rule.cooldown and level <= previous[1]:
            keep[i] = False
            continue
        last[row] = (column, level)
    return keep
