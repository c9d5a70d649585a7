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
import pandas as pd

from rules.candidates import AlertCandidate, DetailValue, fingerprint
from rules.composites import run_composites
from rules.errors import PanelError
from rules.explain import render
from rules.model import SEVERITIES, Composite, Rule, RuleSet
from rules.operators import OPERATORS, EvalContext
from rules.options import cooldown_keep, graded, hold
from rules.panel import Wide, clean_panel, number, numeric, pivot, region_names
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


def _collect(rule: Rule, wide: Wide, meta: pd.DataFrame | None, now: str | None) -> _Hits | None:
    mask = scope_mask(rule.scope, wide.regions, meta)
    if not mask.any():
        return None
    values = wide.values[mask]
    regions = wide.regions[mask]
    context = EvalContext([str(r) for r in regions], wide.periods, now, meta)
    result, best = graded(rule, values, context)
    condition = hold(rule, result.condition, values, best, to_now=now is not None)
    held: IntMatrix = run_length(condition)
    rows, columns = np.nonzero(condition)
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
        region_names=region_names(regions, meta),
        periods=wide.periods,
        rows=rows.tolist(),
        columns=columns.tolist(),
        severities=levels.tolist(),
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
    params_details = _params_details(rule)
    constant = {"rule": rule.name, "indicator": rule.indicator}
    found = []
    for i, (row, column) in enumerate(zip(hits.rows, hits.columns, strict=True)):
        numbers = {name: values[i] for name, values in hits.numbers.items()}
        held = int(numbers["held"])
        details = {**params_details, **{k: number(v) for k, v in numbers.items()}, "held": held}
        place = {
            "region": hits.regions[row],
            "region_name": hits.region_names[row],
            "period": hits.periods[column],
            "severity": SEVERITIES[hits.severities[i]],
        }
        fields = {**params, **numbers, **constant, **place, "held": held}
        found.append(_candidate(rule, fields, details))
    return found


def _run_rules(
    rules: Iterable[Rule], wide: Wide, meta: pd.DataFrame | None, now: str | None
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
    composites: Iterable[Composite] = (),
) -> list[AlertCandidate]:
    """Return every alert candidate the rules raise over the panel's whole history.

    ``now`` (a period of the indicators' cadence) ignores later periods, as in a
    replay of what was known then. Candidates come sorted by period, region, rule.
    A ``RuleSet`` brings its composites along; other composites can be passed.
    """
    chosen = [*composites, *(rules.composites if isinstance(rules, RuleSet) else ())]
    frame = clean_panel(panel, None)
    # Periods of one cadence sort as strings, so "as of now" is a string comparison.
    known = frame if now is None else frame[frame["period"] <= now]
    found = _backtest_rules(rules, known, region_meta, now)
    if chosen:
        found.extend(run_composites(chosen, frame, region_meta, now))
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
    rules: Iterable[Rule], frame: pd.DataFrame, region_meta: pd.DataFrame | None, now: str | None
) -> list[AlertCandidate]:
    by_indicator: dict[str, list[Rule]] = {}
    for rule in rules:
        by_indicator.setdefault(rule.indicator, []).append(rule)
    if not by_indicator:
        return []
    frame = frame[frame["indicator"].isin(list(by_indicator))]
    found: list[AlertCandidate] = []
    for indicator, rows in frame.groupby("indicator", sort=True):
        region_codes, regions = pd.factorize(rows["region"], sort=True)
        wide = pivot(
            str(indicator),
            region_codes,
            np.asarray(regions, dtype=object),
            rows["period"].to_numpy(dtype=str),
            rows["value"].to_numpy(dtype=np.float64),
            now,
        )
        found.extend(_run_rules(by_indicator[str(indicator)], wide, region_meta, now))
    return found


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
