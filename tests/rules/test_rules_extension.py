"""A new operator slots in as one registry entry: loader, evaluator and docs just work."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

from rules import (
    OPERATORS,
    EvalContext,
    OperatorParams,
    OperatorResult,
    OperatorSpec,
    RuleFileError,
    backtest,
    evaluate,
    load_rules_text,
    register,
)
from rules.operators import _REGISTRY
from rules.windows import FloatMatrix

SEEN: list[EvalContext] = []


class JumpParams(OperatorParams):
    factor: float = Field(gt=1, description="How many times the previous value.")


def _jump(values: FloatMatrix, params: JumpParams, context: EvalContext) -> OperatorResult:
    SEEN.append(context)
    previous = np.full(values.shape, np.nan)
    previous[:, 1:] = values[:, :-1]
    threshold = previous * params.factor
    return OperatorResult(values > threshold, previous, threshold)


RULES = """\
groups:
  - name: toy
    rules:
      - name: doubles
        indicator: seizures
        operator: jump
        params: {factor: 2}
        severity: info
        annotations: {summary: "{region} {value:g} is {factor:g}x {baseline:g}"}
"""


@pytest.fixture
def jump() -> Iterator[OperatorSpec[JumpParams]]:
    spec = register(
        OperatorSpec(
            name="jump",
            params_model=JumpParams,
            sentence="value above {factor:g} times the previous period's",
            compute=_jump,
            doc="A sudden multiple of the previous value.",
            example={"factor": 2},
        )
    )
    yield spec
    del _REGISTRY["jump"]
    SEEN.clear()


def test_a_registered_operator_is_usable_from_yaml(jump: OperatorSpec[JumpParams]) -> None:
    rules = load_rules_text(RULES, "toy.yaml")
    assert rules.get("doubles").sentence == "value above 2 times the previous period's"
    panel = pd.DataFrame(
        {
            "region": ["AAA", "AAA", "AAA", "BBB", "BBB"],
            "indicator": "seizures",
            "period": ["2020-01", "2020-02", "2020-03", "2020-01", "2020-02"],
            "value": [1.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    (alert,) = backtest(rules, panel, now="2020-03")
    assert (alert.region, alert.period, alert.explanation) == ("AAA", "2020-02", "AAA 3 is 2x 1")
    assert SEEN[-1] == EvalContext(["AAA", "BBB"], ["2020-01", "2020-02", "2020-03"], "2020-03")
    streamed = evaluate(rules.get("doubles"), {"2020-01": 1.0, "2020-02": 3.0}, region="AAA")
    assert streamed == [alert]


def test_its_params_are_validated_like_any_other(jump: OperatorSpec[JumpParams]) -> None:
    with pytest.raises(RuleFileError) as caught:
        load_rules_text(RULES.replace("factor: 2", "factor: 1"), "toy.yaml")
    assert caught.value.messages == [
        "toy.yaml:7: rule 'doubles': params.factor: Input should be greater than 1 (got 1)"
    ]


def test_names_are_unique(jump: OperatorSpec[JumpParams]) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(jump)
    assert OPERATORS["jump"] is jump
