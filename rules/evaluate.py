"""Evaluate rules on observation panels: whole-history backtests and one-series updates.

A panel is a long DataFrame with columns ``region`` (ISO3), ``indicator``, ``period`` and
``value`` (float, NaN when missing). Each indicator is pivoted once to a (regions x
periods) matrix on a gap-free period axis, every rule on it runs as vectorised numpy, and
only the cells where a condition holds become Python objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from rules.candidates import AlertCandidate, DetailValue, fingerprint
from rules.errors import PanelError
from rules.explain import render
from rules.model import Rule
from rules.operators import OPERATORS, EvalContext, OperatorResult
from rules.periods import period_axis
from rules.scope import scope_mask
from rules.windows import FloatMatrix, IntMatrix, run_length

PANEL_COLUMNS = ("region", "indicator", "period", "value")
_DETAIL_TYPES = (float, int, str, bool, type(None))


@dataclass(frozen=True)
class _Wide:
    indicator: str
    regions: npt.NDArray[np.object_]
    periods: list[str]
    values: FloatMatrix


def _numeric(values: pd.Series, what: str) -> npt.NDArray[np.float64]:
    try:
        return pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64)
    except (ValueError, TypeError) as exc:
        raise PanelError(f"{what} must be numeric: {exc}") from None


def _clean_panel(panel: pd.DataFrame, now: str | None) -> pd.DataFrame:
    missing = [column for column in PANEL_COLUMNS if column not in panel.columns]
    if missing:
        raise PanelError(f"panel lacks column(s) {', '.join(missing)}")
    frame = panel.loc[:, list(PANEL_COLUMNS)]
    for column in ("region", "indicator", "period"):
        if frame[column].isna().any():
            raise PanelError(f"panel column {column!r} has missing entries")
    frame = frame.assign(
        region=frame["region"].astype(str),
        indicator=frame["indicator"].astype(str),
        period=frame["period"].astype(str),
        value=_numeric(frame["value"], "panel column 'value'"),
    )
    # Periods of one cadence sort as strings, so "as of now" is a string comparison.
    return frame if now is None else frame[frame["period"] <= now]


def _pivot(
    indicator: str,
    region_codes: npt.NDArray[np.intp],
    regions: npt.NDArray[np.object_],
    periods: npt.NDArray[np.str_],
    values: npt.NDArray[np.float64],
) -> _Wide:
    """Lay rows (region code, period, value) out on a regions x gap-free-periods matrix."""
    period_codes, uniques = pd.factorize(periods)
    axis, positions = period_axis([str(p) for p in uniques], label=f"indicator {indicator!r}")
    columns = positions[period_codes]
    cells = region_codes.astype(np.int64) * len(axis) + columns
    unique_cells, counts = np.unique(cells, return_counts=True)
    if len(unique_cells) != len(cells):
        region, column = divmod(int(unique_cells[counts > 1][0]), len(axis))
        raise PanelError(
            f"indicator {indicator!r}: {regions[region]} has several values for "
            f"{axis[column]}; pass one vintage per period"
        )
    matrix = np.full((len(regions), len(axis)), np.nan)
    matrix[region_codes, columns] = values
    return _Wide(indicator, regions, axis, matrix)


def _region_names(regions: npt.NDArray[np.object_], meta: pd.DataFrame | None) -> list[str]:
    if meta is None or "name" not in meta.columns:
        return [str(region) for region in regions]
    names = meta["name"].reindex(regions)
    return [str(n) if isinstance(n, str) else str(r) for r, n in zip(regions, names, strict=True)]


def _number(value: float) -> float | None:
    return value if value == value else None  # NaN is the only float unequal to itself


@dataclass(frozen=True)
class _Hits:
    """The cells of one rule's matrix where its condition holds."""

    rule: Rule
    regions: list[str]
    region_names: list[str]
    periods: list[str]
    rows: list[int]
    columns: list[int]
    numbers: dict[str, list[float]]


def _collect(rule: Rule, wide: _Wide, meta: pd.DataFrame | None, now: str | None) -> _Hits | None:
    mask = scope_mask(rule.scope, wide.regions, meta)
    if not mask.any():
        return None
    values = wide.values[mask]
    regions = wide.regions[mask]
    context = EvalContext([str(r) for r in regions], wide.periods, now)
    result: OperatorResult = OPERATORS[rule.operator].run(values, rule.params, context)
    held: IntMatrix = run_length(result.condition)
    rows, columns = np.nonzero(result.condition)
    matrices = {
        **result.extras,
        "value": values,
        "baseline": result.baseline,
        "threshold": result.threshold,
        "held": held.astype(np.float64),
    }
    return _Hits(
        rule=rule,
        regions=list(context.regions),
        region_names=_region_names(regions, meta),
        periods=wide.periods,
        rows=rows.tolist(),
        columns=columns.tolist(),
        numbers={name: matrix[rows, columns].tolist() for name, matrix in matrices.items()},
    )


def _params_details(rule: Rule) -> dict[str, DetailValue]:
    # Real parameters (resolved defaults included), not template helpers.
    params = rule.params.template_fields()
    model_fields = type(rule.params).model_fields
    return {k: v for k, v in params.items() if k in model_fields and isinstance(v, _DETAIL_TYPES)}


def _candidate(
    rule: Rule, fields: dict[str, Any], details: dict[str, DetailValue]
) -> AlertCandidate:
    region, period, held = fields["region"], fields["period"], fields["held"]
    return AlertCandidate(
        rule=rule.name,
        region=region,
        indicator=rule.indicator,
        period=period,
        state="firing" if held > rule.for_ else "pending",
        severity=rule.severity,
        value=_number(fields["value"]),
        baseline=_number(fields["baseline"]),
        threshold=_number(fields["threshold"]),
        explanation=render(rule.annotations.summary, fields),
        details=details,
        labels=dict(rule.labels),
        fingerprint=fingerprint(rule.name, region, period),
    )


def _candidates(hits: _Hits) -> list[AlertCandidate]:
    rule = hits.rule
    params = rule.params.template_fields()
    params_details = _params_details(rule)
    constant = {"rule": rule.name, "indicator": rule.indicator, "severity": rule.severity}
    found = []
    for i, (row, column) in enumerate(zip(hits.rows, hits.columns, strict=True)):
        numbers = {name: values[i] for name, values in hits.numbers.items()}
        held = int(numbers["held"])
        details = {**params_details, **{k: _number(v) for k, v in numbers.items()}, "held": held}
        place = {
            "region": hits.regions[row],
            "region_name": hits.region_names[row],
            "period": hits.periods[column],
        }
        fields = {**params, **numbers, **constant, **place, "held": held}
        found.append(_candidate(rule, fields, details))
    return found


def _run_rules(
    rules: Iterable[Rule], wide: _Wide, meta: pd.DataFrame | None, now: str | None
) -> list[AlertCandidate]:
    found: list[AlertCandidate] = []
    for rule in rules:
        hits = _collect(rule, wide, meta, now)
        if hits is not None:
            found.extend(_candidates(hits))
    return found


def _in_order(found: list[AlertCandidate]) -> list[AlertCandidate]:
    return sorted(found, key=lambda c: (c.period, c.region, c.rule))


def backtest(
    rules: Iterable[Rule],
    panel: pd.DataFrame,
    *,
    region_meta: pd.DataFrame | None = None,
    now: str | None = None,
) -> list[AlertCandidate]:
    """Return every alert candidate the rules raise over the panel's whole history.

    ``now`` (a period of the indicators' cadence) ignores later periods, as in a
    replay of what was known then. Candidates come sorted by period, region, rule.
    """
    by_indicator: dict[str, list[Rule]] = {}
    for rule in rules:
        by_indicator.setdefault(rule.indicator, []).append(rule)
    if not by_indicator:
        return []
    frame = _clean_panel(panel, now)
    frame = frame[frame["indicator"].isin(list(by_indicator))]
    found: list[AlertCandidate] = []
    for indicator, rows in frame.groupby("indicator", sort=True):
        region_codes, regions = pd.factorize(rows["region"], sort=True)
        wide = _pivot(
            str(indicator),
            region_codes,
            np.asarray(regions, dtype=object),
            rows["period"].to_numpy(dtype=str),
            rows["value"].to_numpy(dtype=np.float64),
        )
        found.extend(_run_rules(by_indicator[str(indicator)], wide, region_meta, now))
    return _in_order(found)


def evaluate(
    rule: Rule,
    series: pd.Series | Mapping[str, float],
    *,
    region: str | None = None,
    now: str | None = None,
    region_meta: pd.DataFrame | None = None,
) -> list[AlertCandidate]:
    """Return the alert candidates one rule raises on one region's series up to now.

    ``series`` maps period to value for ``rule.indicator``; ``region`` defaults to the
    series name. The result equals ``backtest`` restricted to this region, without
    building a panel: this is the path for evaluating one updated series.
    """
    values = series if isinstance(series, pd.Series) else pd.Series(series, dtype=object)
    code = region if region is not None else values.name
    if not isinstance(code, str):
        raise PanelError("evaluate needs the region: pass region= or name the series")
    periods = values.index.astype(str).to_numpy(dtype=str)
    numbers = _numeric(values, "series values")
    if now is not None:
        keep = periods <= now
        periods, numbers = periods[keep], numbers[keep]
    regions = np.array([code], dtype=object)
    wide = _pivot(rule.indicator, np.zeros(len(periods), dtype=np.intp), regions, periods, numbers)
    return _in_order(_run_rules([rule], wide, region_meta, now))
