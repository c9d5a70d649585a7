"""Evaluate rules on observation panels: whole-history backtests and one-series updates.

A panel is a long DataFrame with columns ``region`` (ISO3), ``indicator``, ``period`` and
``value`` (float, NaN when missing). Each indicator is pivoted once to a (regions x
periods) matrix on a gap-free period axis, every rule on it runs as vectorised numpy, and
only the cells where a condition holds become Python objects.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from rules.candidates import AlertCandidate, DetailValue, fingerprint
from rules.composites import run_composites
from rules.errors import PanelError
from rules.explain import render
from rules.model import SEVERITIES, Composite, Rule, RuleSet
from rules.operators import OPERATORS, EvalContext
from rules.options import cooldown_keep, graded, hold
from rules.panel import (
    Columns,
    Wide,
    clean_panel,
    number,
    numeric,
    panel_columns,
    pivot,
    region_names,
)
from rules.scope import scope_mask
from rules.windows import IntMatrix, run_length

_DETAIL_TYPES = (float, int, str, bool, type(None))


@dataclass(frozen=True)
class _Hits:
    """The cells of one rule's matrix where its condition holds."""

    rule: Rule
    regions: list[str]
    region_names: list[str]
    periods: list[str]
    rows: list[int]
    columns: list[int]
    severities: list[int]
    numbers: dict[str, list[float]]


def _collect(
    rule: Rule,
    wide: Wide,
    names: npt.NDArray[np.object_],
    meta: pd.DataFrame | None,
    now: str | None,
) -> _Hits | None:
    """Return the cells where the rule holds; ``names`` are the matrix rows' region names."""
    mask = scope_mask(rule.scope, wide.regions, meta)
    if not mask.any():
        return None
    everywhere = bool(mask.all())  # then no copies: most rules apply everywhere
    values = wide.values if everywhere else wide.values[mask]
    regions = wide.regions if everywhere else wide.regions[mask]
    context = EvalContext(regions.tolist(), wide.periods, now, meta)
    result, best = graded(rule, values, context)
    condition = hold(rule, result.condition, values, best, to_now=now is not None)
    rows, columns = np.nonzero(condition)
    if not len(rows):
        return None  # most one-series updates raise nothing: skip the bookkeeping
    held: IntMatrix = run_length(condition)
    levels = best[rows, columns]
    keep = cooldown_keep(rule, rows.tolist(), columns.tolist(), levels.tolist())
    rows, columns, levels = rows[keep], columns[keep], levels[keep]
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
        region_names=(names if everywhere else names[mask]).tolist(),
        periods=wide.periods,
        rows=rows.tolist(),
        columns=columns.tolist(),
        severities=levels.tolist(),
        numbers={name: matrix[rows, columns].tolist() for name, matrix in matrices.items()},
    )


def _params_details(rule: Rule, params: dict[str, Any]) -> dict[str, DetailValue]:
    """Return the real parameters among the template fields, not template helpers."""
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
        severity=fields["severity"],
        value=number(fields["value"]),
        baseline=number(fields["baseline"]),
        threshold=number(fields["threshold"]),
        explanation=render(rule.annotations.summary, fields),
        details=details,
        labels=dict(rule.labels),
        fingerprint=fingerprint(rule.name, region, period),
    )


def _candidates(hits: _Hits) -> list[AlertCandidate]:
    rule = hits.rule
    params = rule.params.template_fields()
    params_details = _params_details(rule, params)
    constant = {"rule": rule.name, "indicator": rule.indicator}
    names = tuple(hits.numbers)
    per_hit = zip(*hits.numbers.values(), strict=True)  # one tuple of numbers per hit
    found = []
    for row, column, level, values in zip(
        hits.rows, hits.columns, hits.severities, per_hit, strict=True
    ):
        numbers = dict(zip(names, values, strict=True))
        held = int(numbers["held"])
        details = {**params_details, **{k: number(v) for k, v in numbers.items()}, "held": held}
        place = {
            "region": hits.regions[row],
            "region_name": hits.region_names[row],
            "period": hits.periods[column],
            "severity": SEVERITIES[level],
        }
        fields = {**params, **numbers, **constant, **place, "held": held}
        found.append(_candidate(rule, fields, details))
    return found


def _run_rules(
    rules: Iterable[Rule], wide: Wide, meta: pd.DataFrame | None, now: str | None
) -> list[AlertCandidate]:
    found: list[AlertCandidate] = []
    names = np.asarray(region_names(wide.regions, meta), dtype=object)
    for rule in rules:
        hits = _collect(rule, wide, names, meta, now)
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
    composites: Iterable[Composite] = (),
) -> list[AlertCandidate]:
    """Return every alert candidate the rules raise over the panel's whole history.

    ``now`` (a period of the indicators' cadence) ignores later periods, as in a
    replay of what was known then. Candidates come sorted by period, region, rule.
    A ``RuleSet`` brings its composites along; other composites can be passed.
    """
    chosen = [*composites, *(rules.composites if isinstance(rules, RuleSet) else ())]
    columns = panel_columns(panel)
    found = _backtest_rules(rules, columns.up_to(now), region_meta, now)
    if chosen:
        found.extend(run_composites(chosen, columns.frame(), region_meta, now))
    return _in_order(found)


def evaluate_composite(
    composite: Composite,
    panel: pd.DataFrame,
    *,
    region: str,
    now: str | None = None,
    region_meta: pd.DataFrame | None = None,
) -> list[AlertCandidate]:
    """Return one composite's candidates for one region (equal to the backtest's)."""
    frame = clean_panel(panel, None)
    found = run_composites([composite], frame[frame["region"] == region], region_meta, now)
    return _in_order(found)


def _backtest_rules(
    rules: Iterable[Rule], columns: Columns, region_meta: pd.DataFrame | None, now: str | None
) -> list[AlertCandidate]:
    by_indicator: dict[str, list[Rule]] = {}
    for rule in rules:
        by_indicator.setdefault(rule.indicator, []).append(rule)
    if not by_indicator:
        return []
    found: list[AlertCandidate] = []
    for indicator, region, period, value in _split(columns, by_indicator):
        region_codes, regions = _factorize(region)
        wide = pivot(indicator, region_codes, regions, period, value, now)
        found.extend(_run_rules(by_indicator[indicator], wide, region_meta, now))
    return found


def _factorize(
    labels: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """Return each label's code and the sorted distinct labels.

    One region's series, the incremental case, needs no hashing.
    """
    if len(labels) and (labels == labels[0]).all():
        return np.zeros(len(labels), dtype=np.intp), labels[:1]
    codes, uniques = pd.factorize(labels, sort=True)
    return codes, np.asarray(uniques, dtype=object)


_Columns = tuple[str, npt.NDArray[np.object_], npt.NDArray[np.str_], npt.NDArray[np.float64]]


def _split(columns: Columns, wanted: Collection[str]) -> Iterator[_Columns]:
    """Yield (indicator, regions, periods, values) of each wanted indicator, in code order.

    Plain arrays, split with one stable sort: a pandas groupby costs more than the
    rules themselves on the one-series panels of incremental evaluation.
    """
    if len(columns.indicator) and (columns.indicator == columns.indicator[0]).all():
        # One indicator, as in incremental evaluation: nothing to split.
        if str(columns.indicator[0]) in wanted:
            yield str(columns.indicator[0]), columns.region, columns.period, columns.value
        return
    codes, indicators = pd.factorize(columns.indicator, sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(indicators) + 1))
    region, period, value = columns.region[order], columns.period[order], columns.value[order]
    for i, indicator in enumerate(str(code) for code in indicators):
        if indicator in wanted:
            rows = slice(bounds[i], bounds[i + 1])
            yield indicator, region[rows], period[rows], value[rows]


def _check_streamable(rule: Rule, now: str | None) -> None:
    spec = OPERATORS[rule.operator]
    if spec.needs_peers:
        raise PanelError(
            f"rule {rule.name!r}: {rule.operator} compares regions with their peers; "
            "evaluate() sees one region, so run backtest() on the panel instead"
        )
    if spec.needs_now and now is None:
        raise PanelError(f"rule {rule.name!r}: {rule.operator} needs now= (the evaluation time)")


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
    _check_streamable(rule, now)
    values = series if isinstance(series, pd.Series) else pd.Series(series, dtype=object)
    code = region if region is not None else values.name
    if not isinstance(code, str):
        raise PanelError("evaluate needs the region: pass region= or name the series")
    periods = values.index.astype(str).to_numpy(dtype=str)
    numbers = numeric(values, "series values")
    if now is not None:
        keep = periods <= now
        periods, numbers = periods[keep], numbers[keep]
    regions = np.array([code], dtype=object)
    codes = np.zeros(len(periods), dtype=np.intp)
    wide = pivot(rule.indicator, codes, regions, periods, numbers, now)
    return _in_order(_run_rules([rule], wide, region_meta, now))
