"""Panel cleaning and the one-series shortcuts give what the general path gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rules import PanelError, Rule, backtest
from rules.panel import panel_columns, region_names

RULE = Rule.model_validate(
    {
        "name": "high",
        "indicator": "a",
        "operator": "threshold_above",
        "params": {"threshold": 1.0},
        "severity": "warning",
        "annotations": {"summary": "{region_name} {value}"},
    }
)
OTHER = RULE.model_copy(update={"name": "high_b", "indicator": "b"})


def _panel(dtype: str | type) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": pd.Series(["AAA", "AAA", "BBB", "AAA"], dtype=dtype),
            "indicator": pd.Series(["a", "b", "a", "a"], dtype=dtype),
            "period": pd.Series(["2001", "2001", "2001", "2002"], dtype=dtype),
            "value": [2.0, 3.0, 0.5, 4.0],
        }
    )


@pytest.mark.parametrize("column", ["region", "indicator", "period"])
def test_missing_labels_are_refused(column: str) -> None:
    panel = _panel(object)
    panel.loc[1, column] = None
    with pytest.raises(PanelError, match=f"{column!r} has missing entries"):
        panel_columns(panel)


def test_string_and_object_columns_read_alike() -> None:
    text, objects = panel_columns(_panel("string")), panel_columns(_panel(object))
    for name in ("region", "indicator", "period", "value"):
        np.testing.assert_array_equal(getattr(text, name), getattr(objects, name))
    assert text.period.dtype.kind == "U"


def test_columns_up_to_now_drop_later_periods() -> None:
    assert panel_columns(_panel("string"), "2001").period.tolist() == ["2001"] * 3


def test_one_series_panels_give_the_panels_cells() -> None:
    panel = _panel("string")
    whole = backtest([RULE, OTHER], panel)
    one_by_one = [
        candidate
        for _, rows in panel.groupby(["region", "indicator"])
        for candidate in backtest([RULE, OTHER], rows)
    ]
    assert sorted(whole, key=lambda c: c.fingerprint) == sorted(
        one_by_one, key=lambda c: c.fingerprint
    )
    assert {(c.rule, c.region, c.period) for c in whole} == {
        ("high", "AAA", "2001"),
        ("high", "AAA", "2002"),
        ("high_b", "AAA", "2001"),
    }


def test_region_names_fall_back_to_the_code() -> None:
    meta = pd.DataFrame({"name": ["Aland", None]}, index=["AAA", "BBB"])
    regions = np.array(["AAA", "BBB", "CCC"], dtype=object)
    assert region_names(regions, meta) == ["Aland", "BBB", "CCC"]
    assert region_names(regions, None) == ["AAA", "BBB", "CCC"]
