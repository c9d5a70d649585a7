"""Rule scopes: ISO3 lists, UN M49 names and codes, exclusions, and region names."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from rules import Rule, ScopeError, backtest, evaluate


def make_rule(**overrides: Any) -> Rule:
    data: dict[str, Any] = {
        "name": "above_zero",
        "indicator": "homicide_rate",
        "operator": "threshold_above",
        "params": {"threshold": 0},
        "severity": "warning",
        "annotations": {"summary": "{region} {value}"},
    }
    data.update(overrides)
    return Rule.model_validate(data)


META = pd.DataFrame(
    {
        "region": ["Americas", "Americas", "Europe"],
        "subregion": ["Latin America and the Caribbean", "Northern America", "Northern Europe"],
        "intermediate": ["Central America", None, None],
        "region_code": ["019", "019", "150"],
        "name": ["Mexico", "United States of America", "Norway"],
    },
    index=pd.Index(["MEX", "USA", "NOR"]),
)
EVERYWHERE = pd.DataFrame(
    {
        "region": ["MEX", "USA", "NOR", "JPN"],
        "indicator": "homicide_rate",
        "period": "2001",
        "value": 99.0,
    }
)


@pytest.mark.parametrize(
    ("scope", "regions"),
    [
        ({}, ["JPN", "MEX", "NOR", "USA"]),
        ({"iso3": ["JPN"]}, ["JPN"]),
        ({"regions": ["Americas"]}, ["MEX", "USA"]),
        ({"regions": ["central america"]}, ["MEX"]),
        ({"regions": ["19"]}, ["MEX", "USA"]),
        ({"regions": ["Northern Europe"], "iso3": ["JPN"]}, ["JPN", "NOR"]),
        ({"exclude": ["USA"]}, ["JPN", "MEX", "NOR"]),
        ({"regions": ["Americas"], "exclude": ["Northern America"]}, ["MEX"]),
    ],
)
def test_scope(scope: dict[str, Any], regions: list[str]) -> None:
    rule = make_rule(scope=scope)
    found = backtest([rule], EVERYWHERE, region_meta=META)
    assert [c.region for c in found] == regions


def test_region_name_comes_from_meta() -> None:
    rule = make_rule(
        operator="threshold_above",
        params={"threshold": 0},
        annotations={"summary": "{region_name} ({region})"},
    )
    found = backtest([rule], EVERYWHERE, region_meta=META)
    assert [c.explanation for c in found] == [
        "JPN (JPN)",
        "Mexico (MEX)",
        "Norway (NOR)",
        "United States of America (USA)",
    ]


@pytest.mark.parametrize(
    ("scope", "meta", "message"),
    [
        ({"regions": ["Americas"]}, None, "pass region_meta"),
        ({"regions": ["Atlantis"]}, META, "'Atlantis' matches no M49 region"),
        ({"exclude": ["Europe"]}, None, "pass region_meta"),
    ],
)
def test_scope_errors(scope: dict[str, Any], meta: pd.DataFrame | None, message: str) -> None:
    rule = make_rule(scope=scope)
    with pytest.raises(ScopeError, match=message):
        backtest([rule], EVERYWHERE, region_meta=meta)


def test_evaluate_applies_the_scope_too() -> None:
    rule = make_rule(scope={"regions": ["Americas"]})
    assert evaluate(rule, {"2001": 99}, region="NOR", region_meta=META) == []
    found = evaluate(rule, {"2001": 99}, region="MEX", region_meta=META)
    assert [c.region for c in found] == ["MEX"]
