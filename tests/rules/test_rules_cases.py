"""Rule case files: input series, evaluation time, expected alerts (see cases/README.md).

One generic test runs every ``cases/*.yaml``, through the backtest and through
per-series evaluation, so analysts add cases without writing Python.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import pytest
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from rules import (
    OPERATORS,
    AlertCandidate,
    RuleSet,
    backtest,
    evaluate,
    evaluate_composite,
    load_rules_text,
    pack_path,
)
from rules.loader import load_rule_files

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


def _period(value: Any) -> Any:
    # YAML reads 2008 as an int and 2008-01-15 as a date; periods are strings.
    if isinstance(value, int | datetime.date):
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
    return value


Period = Annotated[str, BeforeValidator(_period)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Series(_Strict):
    region: str
    indicator: str
    values: dict[Period, float | None] | list[float | None]
    start: Period | None = None  # first period when values is a list (yearly only)

    def as_dict(self) -> dict[str, float]:
        if isinstance(self.values, dict):
            items = self.values.items()
        else:
            if self.start is None or not self.start.isdigit():
                raise ValueError("a list of values needs a yearly `start`, like '2001'")
            first = int(self.start)
            items = ((str(first + i), v) for i, v in enumerate(self.values))
        return {str(p): math.nan if v is None else v for p, v in items}


class Expected(_Strict):
    rule: str
    region: str
    period: Period
    state: Literal["pending", "firing"] = "firing"
    severity: str | None = None
    value: float | None = None
    baseline: float | None = None
    threshold: float | None = None
    explanation: str | None = None


class Region(_Strict):
    region: str | None = None
    subregion: str | None = None
    intermediate: str | None = None
    name: str | None = None


class Case(_Strict):
    description: str
    rules: str | None = None  # rule file text
    pack: str | None = None  # or a bundled pack name
    regions: dict[str, Region] = Field(default_factory=dict)
    series: list[Series]
    eval_time: Period | None = None
    expected: list[Expected]

    @model_validator(mode="after")
    def _one_rule_source(self) -> Case:
        if (self.rules is None) == (self.pack is None):
            raise ValueError("give exactly one of `rules` (rule file text) or `pack`")
        return self


def _rule_set(case: Case, path: Path) -> RuleSet:
    if case.pack is not None:
        return load_rule_files([pack_path(case.pack)])
    return load_rules_text(case.rules or "", f"{path.name}:rules")


def _panel(case: Case) -> pd.DataFrame:
    rows = [
        {"region": s.region, "indicator": s.indicator, "period": p, "value": v}
        for s in case.series
        for p, v in s.as_dict().items()
    ]
    return pd.DataFrame(rows, columns=["region", "indicator", "period", "value"])


def _meta(case: Case) -> pd.DataFrame | None:
    if not case.regions:
        return None
    return pd.DataFrame.from_dict({k: v.model_dump() for k, v in case.regions.items()}, "index")


def _matches(alert: AlertCandidate, expected: Expected) -> bool:
    for name, want in expected.model_dump(exclude_none=True).items():
        got: Any = getattr(alert, name)
        if isinstance(want, float):
            if got is None or not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
                return False
        elif got != want:
            return False
    return True


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_rule_case(path: Path) -> None:
    case = Case.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    rules, meta = _rule_set(case, path), _meta(case)
    found = backtest(rules, _panel(case), region_meta=meta, now=case.eval_time)
    got = [(a.rule, a.region, a.period, a.state) for a in found]
    want = [(e.rule, e.region, e.period, e.state) for e in case.expected]
    assert sorted(got) == sorted(want), case.description
    by_key = {(a.rule, a.region, a.period): a for a in found}
    for expected in case.expected:
        alert = by_key[(expected.rule, expected.region, expected.period)]
        assert _matches(alert, expected), f"{case.description}\n{alert}\n!= {expected}"
    streamed = [
        alert
        for rule in rules
        if not OPERATORS[rule.operator].needs_peers  # panel-only: evaluate() refuses them
        and (case.eval_time is not None or not OPERATORS[rule.operator].needs_now)
        for s in case.series
        if s.indicator == rule.indicator
        for alert in evaluate(
            rule, s.as_dict(), region=s.region, now=case.eval_time, region_meta=meta
        )
    ]
    panel = _panel(case)
    streamed += [
        alert
        for composite in rules.composites
        for region in sorted({s.region for s in case.series})
        for alert in evaluate_composite(
            composite, panel, region=region, now=case.eval_time, region_meta=meta
        )
    ]
    peers = {r.name for r in rules if OPERATORS[r.operator].needs_peers}
    if case.eval_time is None:  # clock-reading rules are streamed only with a time
        peers |= {r.name for r in rules if OPERATORS[r.operator].needs_now}
    streamable = [a for a in found if a.rule not in peers]
    assert sorted(streamed, key=lambda a: (a.period, a.region, a.rule)) == streamable


def test_there_are_cases() -> None:
    assert len(CASES) >= 5
