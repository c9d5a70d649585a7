"""Composites: ``all`` or ``any`` of clauses over indicators of different cadences.

Each clause runs its operator on its own indicator's (regions x periods) matrix, holds if
its condition held within its last ``within`` periods, and is then read at the last of
its periods inside each period of the composite's cadence (default: the coarsest clause
cadence, so a yearly-homicide + quarterly-Council + daily-GDELT composite is yearly and
reads the quarterly clause at Q4 and the daily one at 31 December, or at the last period
known). A clause with no value within its window follows its ``missing`` policy: false,
true, unknown (three-valued logic: the composite alerts only when the known clauses
decide it) or suppress (no alert for that region and period).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from rules.candidates import AlertCandidate, DetailValue, fingerprint
from rules.errors import PanelError
from rules.explain import render
from rules.model import Clause, Composite
from rules.operators import OPERATORS, EvalContext
from rules.options import cooldown_keep
from rules.panel import Wide, number, pivot, region_names
from rules.periods import detect_cadence, period_axis
from rules.scope import scope_mask
from rules.windows import BoolMatrix, FloatMatrix, rolling_max, run_length

_RANK = {"day": 0, "week": 1, "month": 2, "quarter": 3, "year": 4}


def _start(period: str) -> date:
    cadence = detect_cadence(period).name
    if cadence == "year":
        return date(int(period), 1, 1)
    if cadence == "quarter":
        return date(int(period[:4]), 3 * int(period[5]) - 2, 1)
    if cadence == "month":
        return date(int(period[:4]), int(period[5:7]), 1)
    if cadence == "week":
        return date.fromisocalendar(int(period[:4]), int(period[6:8]), 1)
    return date.fromisoformat(period)


def to_cadence(period: str, cadence: str) -> str:
    """Return the period of the given (coarser or equal) cadence that contains period."""
    if detect_cadence(period).name == cadence:
        return period
    day = _start(period)
    labels = {
        "year": f"{day.year:04d}",
        "quarter": f"{day.year:04d}Q{(day.month - 1) // 3 + 1}",
        "month": f"{day.year:04d}-{day.month:02d}",
        "week": "{:04d}-W{:02d}".format(*day.isocalendar()[:2]),
        "day": day.isoformat(),
    }
    return labels[cadence]


@dataclass(frozen=True)
class _ClauseState:
    """A clause on the composite's axis: holds, known, and the numbers behind it."""

    holds: BoolMatrix
    known: BoolMatrix  # some value within the window (before the missing policy)
    value: FloatMatrix
    baseline: FloatMatrix
    threshold: FloatMatrix
    last_value: FloatMatrix  # the newest value within the window (NaN when none)
    last_threshold: FloatMatrix  # the threshold at that value's period
    last_period: npt.NDArray[np.object_]  # that value's period ("" when none)


_Frames = dict[str, pd.DataFrame]  # the panel's rows, by indicator
_EMPTY = pd.DataFrame({"region": [], "indicator": [], "period": [], "value": []})


def _matrix(clause: Clause, frames: _Frames, regions: pd.Index, now: str | None) -> Wide:
    rows = frames.get(clause.indicator, _EMPTY)
    return pivot(
        clause.indicator,
        regions.get_indexer(pd.Index(rows["region"])).astype(np.intp),
        np.asarray(regions, dtype=object),
        rows["period"].to_numpy(dtype=str),
        rows["value"].to_numpy(dtype=np.float64),
        now,
    )


def _last_column_in(periods: list[str], axis: list[str], cadence: str) -> npt.NDArray[np.intp]:
    """Return, per composite period, the last clause column inside it (-1 when none)."""
    where = {period: i for i, period in enumerate(axis)}
    out = np.full(len(axis), -1, dtype=np.intp)
    for column, period in enumerate(periods):
        target = where.get(to_cadence(period, cadence))
        if target is not None:
            out[target] = column
    return out


def _clause_state(
    clause: Clause, wide: Wide, axis: list[str], cadence: str, meta: pd.DataFrame | None
) -> _ClauseState:
    context = EvalContext([str(r) for r in wide.regions], wide.periods, None, meta)
    result = OPERATORS[clause.operator].run(wide.values, clause.params, context)
    within = clause.within
    held = rolling_max(result.condition.astype(np.float64), within) > 0
    known = rolling_max((~np.isnan(wide.values)).astype(np.float64), within) > 0
    columns = _last_column_in(wide.periods, axis, cadence)
    holds = _take(held.astype(np.float64), columns, 0.0) > 0
    knows = _take(known.astype(np.float64), columns, 0.0) > 0
    if clause.negate:
        holds = knows & ~holds
    if clause.missing in ("false", "true"):
        holds = np.where(knows, holds, clause.missing == "true")
    source = _take(_last_known_column(wide.values, within).astype(np.float64), columns, -1.0)
    return _ClauseState(
        holds,
        knows,
        _take(wide.values, columns, np.nan),
        _take(result.baseline, columns, np.nan),
        _take(result.threshold, columns, np.nan),
        *_at_columns(source.astype(np.intp), wide.values, result.threshold, wide.periods),
    )


def _last_known_column(values: FloatMatrix, within: int) -> npt.NDArray[np.intp]:
    """Return, per cell, the column of the newest value in the window ending there (-1: none)."""
    columns = np.arange(values.shape[1], dtype=np.intp)
    last = np.maximum.accumulate(np.where(np.isnan(values), -1, columns), axis=1)
    return np.where((last >= 0) & (columns - last < within), last, -1)


def _at_columns(
    source: npt.NDArray[np.intp], values: FloatMatrix, threshold: FloatMatrix, periods: list[str]
) -> tuple[FloatMatrix, FloatMatrix, npt.NDArray[np.object_]]:
    """Return the values, thresholds and period labels at per-cell columns (-1 = none)."""
    rows = np.arange(source.shape[0])[:, None]
    # Column -1 reads an extra column of NaN and the empty label.
    index = np.where(source >= 0, source, len(periods))
    blank = np.full((values.shape[0], 1), np.nan)
    labels = np.asarray([*periods, ""], dtype=object)
    return (
        np.concatenate([values, blank], axis=1)[rows, index],
        np.concatenate([threshold, blank], axis=1)[rows, index],
        labels[index],
    )


def _take(matrix: FloatMatrix, columns: npt.NDArray[np.intp], fill: float) -> FloatMatrix:
    """Return the matrix's given columns (-1 = none, filled) as a new matrix."""
    out = np.full((matrix.shape[0], len(columns)), fill)
    present = columns >= 0
    out[:, present] = matrix[:, columns[present]]
    return out


def _cadence_of(composite: Composite, frames: _Frames) -> str:
    found = []
    for clause in composite.clauses:
        periods = frames.get(clause.indicator, _EMPTY)["period"]
        if len(periods):
            found.append(detect_cadence(str(periods.iloc[0])).name)
    if composite.cadence is not None:
        finer = [c for c in found if _RANK[c] > _RANK[composite.cadence]]
        if finer:
            raise PanelError(
                f"composite {composite.name!r}: cadence {composite.cadence} is finer than "
                f"a clause's {finer[0]}; clauses can only be read at a coarser cadence"
            )
        return composite.cadence
    return max(found, key=lambda c: _RANK[c]) if found else "year"


def _axis(frames: list[pd.DataFrame], cadence: str, now: str | None) -> list[str]:
    periods = {str(p) for rows in frames for p in rows["period"].unique()}
    labels = {to_cadence(p, cadence) for p in periods}
    if now is not None:
        labels.add(to_cadence(now, cadence))
    axis, _ = period_axis(sorted(labels), label="composite")
    return axis


def _last_within(period: str, clause: Clause, frames: _Frames) -> str | None:
    """Return the clause's last period inside a composite period (None without data)."""
    periods = frames.get(clause.indicator, _EMPTY)["period"]
    if not len(periods):
        return None
    cadence = detect_cadence(str(periods.iloc[0])).name
    return to_cadence(_end(period).isoformat(), cadence)


def _end(period: str) -> date:
    cadence = detect_cadence(period)
    after = cadence.from_ordinal(cadence.to_ordinal(period) + 1)
    return date.fromordinal(_start(after).toordinal() - 1)


def _known_by(period: str, now: str) -> bool:
    """Return whether a period of any cadence has started by the end of now."""
    mine, theirs = detect_cadence(period).name, detect_cadence(now).name
    if _RANK[mine] <= _RANK[theirs]:
        return to_cadence(period, theirs) <= now
    return _start(period) <= _start(now)


def _state_word(state: _ClauseState, row: int, column: int) -> str:
    if not state.known[row, column]:
        return "true" if state.holds[row, column] else "unknown"
    return "true" if state.holds[row, column] else "false"


def _clause_label(clause: Clause) -> str:
    return f"{'not ' if clause.negate else ''}{clause.indicator} {clause.operator}"


def _evidence(state: _ClauseState, row: int, column: int) -> str:
    """Return the clause's newest value within its window, in words."""
    period = str(state.last_period[row, column])
    if not period:
        return "no value"
    text = f"{_short(float(state.last_value[row, column]))} in {period}"
    threshold = float(state.last_threshold[row, column])
    return text if np.isnan(threshold) else f"{text}, threshold {_short(threshold)}"


def _short(value: float) -> str:
    """Return a number with at most two decimals and thousands separators: 12,345.6."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _explain(composite: Composite, states: list[_ClauseState], row: int, column: int) -> str:
    parts = []
    for clause, state in zip(composite.clauses, states, strict=True):
        word, evidence = _state_word(state, row, column), _evidence(state, row, column)
        parts.append(f"{_clause_label(clause)}: {word} ({evidence})")
    return "; ".join(parts)


def _clause_details(
    composite: Composite, states: list[_ClauseState], row: int, column: int
) -> dict[str, DetailValue]:
    """Return each clause's state, newest value and its period as flat detail fields."""
    details: dict[str, DetailValue] = {}
    for i, (clause, state) in enumerate(zip(composite.clauses, states, strict=True), start=1):
        details[f"clause{i}"] = _clause_label(clause)
        details[f"clause{i}_state"] = _state_word(state, row, column)
        details[f"clause{i}_value"] = number(float(state.last_value[row, column]))
        details[f"clause{i}_period"] = str(state.last_period[row, column]) or None
    return details


def _combine(composite: Composite, states: list[_ClauseState]) -> BoolMatrix:
    holds = np.stack([state.holds for state in states])
    fires: BoolMatrix = np.asarray(
        holds.all(axis=0) if composite.mode == "all" else holds.any(axis=0)
    )
    for clause, state in zip(composite.clauses, states, strict=True):
        if clause.missing == "suppress":
            fires &= state.known
    return fires


def _run_one(
    composite: Composite, frames: _Frames, meta: pd.DataFrame | None, now: str | None
) -> list[AlertCandidate]:
    used = [frames[c.indicator] for c in composite.clauses if c.indicator in frames]
    regions = pd.Index(sorted({str(r) for rows in used for r in rows["region"].unique()}))
    if regions.empty:
        return []
    cadence = _cadence_of(composite, frames)
    axis = _axis(used, cadence, now)
    states = []
    for clause in composite.clauses:
        # Every clause axis runs to the end of the last composite period, so a clause is
        # read at the same period whichever regions the panel holds.
        wide = _matrix(clause, frames, regions, _last_within(axis[-1], clause, frames))
        states.append(_clause_state(clause, wide, axis, cadence, meta))
    fires = _combine(composite, states)
    fires &= scope_mask(composite.scope, np.asarray(regions, dtype=object), meta)[:, None]
    if now is None:
        # Without a clock a region's periods end with its last known clause value.
        any_known = np.logical_or.reduce([s.known for s in states])
        last = np.maximum.accumulate(np.where(any_known, np.arange(len(axis)), -1), axis=1)
        fires &= np.arange(len(axis)) <= last[:, -1:]
    return _candidates(composite, states, fires, regions, axis, meta)


def _candidates(
    composite: Composite,
    states: list[_ClauseState],
    fires: BoolMatrix,
    regions: pd.Index,
    axis: list[str],
    meta: pd.DataFrame | None,
) -> list[AlertCandidate]:
    held = run_length(fires)
    names = region_names(np.asarray(regions, dtype=object), meta)
    first = states[0]
    rows, columns = np.nonzero(fires)  # by row, then column, as the cooldown needs
    keep = cooldown_keep(composite, rows.tolist(), columns.tolist(), [0] * len(rows))
    found = []
    for row, column in zip(rows[keep], columns[keep], strict=True):
        region, period, count = str(regions[row]), axis[column], int(held[row, column])
        numbers = {
            "value": float(first.value[row, column]),
            "baseline": float(first.baseline[row, column]),
            "threshold": float(first.threshold[row, column]),
        }
        clauses = _explain(composite, states, row, column)
        fields = {
            **numbers,
            "rule": composite.name,
            "region": region,
            "region_name": names[row],
            "indicator": composite.indicator,
            "period": period,
            "severity": composite.severity,
            "held": count,
            "clauses": clauses,
        }
        found.append(
            AlertCandidate(
                rule=composite.name,
                region=region,
                indicator=composite.indicator,
                period=period,
                state="firing" if count > composite.for_ else "pending",
                severity=composite.severity,
                value=number(numbers["value"]),
                baseline=number(numbers["baseline"]),
                threshold=number(numbers["threshold"]),
                explanation=render(composite.annotations.summary, fields),
                details={
                    "clauses": clauses,
                    "held": count,
                    "mode": composite.mode,
                    **_clause_details(composite, states, row, column),
                },
                labels=dict(composite.labels),
                fingerprint=fingerprint(composite.name, region, period),
            )
        )
    return found


def run_composites(
    composites: Iterable[Composite],
    frame: pd.DataFrame,
    meta: pd.DataFrame | None,
    now: str | None,
) -> list[AlertCandidate]:
    """Return the candidates of every composite over a cleaned panel (unfiltered by now)."""
    chosen = list(composites)
    wanted = {clause.indicator for composite in chosen for clause in composite.clauses}
    frames: _Frames = {}
    for indicator, rows in frame[frame["indicator"].isin(list(wanted))].groupby("indicator"):
        if now is not None:
            keep = [p for p in rows["period"].unique() if _known_by(str(p), now)]
            rows = rows[rows["period"].isin(keep)]
        if len(rows):
            frames[str(indicator)] = rows
    found: list[AlertCandidate] = []
    for composite in chosen:
        found.extend(_run_one(composite, frames, meta, now))
    return found
