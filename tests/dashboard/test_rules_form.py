"""Rules workbench YAML helpers: the operator form, the noise-budget edit and version diffs."""

from __future__ import annotations

import re

import pytest
import yaml

from dashboard import rule_form
from dashboard.rule_form import RuleTextError

RULE_FILE = """groups:
- name: homicide
  rules:
  - name: homicide_rate_jump
    indicator: homicide_rate
    operator: change_vs_rolling_mean
    params:
      periods: 3
      min_change: 0.25
      floor: 5.0
      min_baseline: 3.0
      min_history: 2
    severity: warning
"""


def rule(text: str) -> dict[str, object]:
    return yaml.safe_load(text)["groups"][0]["rules"][0]  # type: ignore[no-any-return]


def test_form_values_read_the_first_rules_operator_and_parameters() -> None:
    values = rule_form.form_values(RULE_FILE)
    assert values["operator"] == "change_vs_rolling_mean"
    assert (values["periods"], values["min_change"], values["threshold"]) == (3, 0.25, None)


def test_an_operator_the_form_does_not_cover_leaves_the_form_blank() -> None:
    text = RULE_FILE.replace("change_vs_rolling_mean", "robust_anomaly")
    assert rule_form.form_values(text)["operator"] is None


def test_the_form_keeps_hidden_parameters_while_the_operator_stays() -> None:
    params = {"periods": 4.0, "min_change": 0.5, "floor": "", "min_baseline": 3.0, "threshold": 9}
    edited = rule(rule_form.apply_form(RULE_FILE, "change_vs_rolling_mean", params))
    # periods comes back as an integer, the empty floor falls back to the operator default,
    # min_history is kept, and threshold is not a parameter of this operator.
    assert edited["params"] == {
        "min_history": 2,
        "periods": 4,
        "min_change": 0.5,
        "min_baseline": 3.0,
    }


def test_switching_operator_starts_its_parameters_afresh() -> None:
    edited = rule(
        rule_form.apply_form(RULE_FILE, "threshold_above", {"threshold": 20.0, "periods": 3})
    )
    assert (edited["operator"], edited["params"]) == ("threshold_above", {"threshold": 20.0})
    assert edited["severity"] == "warning" and edited["name"] == "homicide_rate_jump"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("groups: [\n  - name: x\n", "does not parse (line 2)"),
        ("groups: []\n", "holds no rule"),
        ("just text\n", "holds no rule"),
    ],
)
def test_text_the_form_cannot_edit_says_why(text: str, says: str) -> None:
    with pytest.raises(RuleTextError, match=re.escape(says)):
        rule_form.apply_form(text, "threshold_above", {"threshold": 1})


def test_the_form_refuses_an_operator_it_does_not_cover() -> None:
    with pytest.raises(RuleTextError, match="robust_anomaly"):
        rule_form.apply_form(RULE_FILE, "robust_anomaly", {})


def test_set_param_changes_one_parameter_of_the_named_rule() -> None:
    edited = rule(
        rule_form.set_param(RULE_FILE, rule="homicide_rate_jump", parameter="floor", value=7.5)
    )
    assert edited["params"] == {
        "periods": 3, "min_change": 0.25, "floor": 7.5, "min_baseline": 3.0, "min_history": 2,
    }  # fmt: skip
    with pytest.raises(RuleTextError, match="no rule named other"):
        rule_form.set_param(RULE_FILE, rule="other", parameter="floor", value=1.0)


def test_version_diff_is_a_unified_diff_with_each_line_classified() -> None:
    new = RULE_FILE.replace("min_change: 0.25", "min_change: 0.3")
    lines = rule_form.version_diff(RULE_FILE, new, old_label="version 1", new_label="version 2")
    assert lines[:2] == ["--- version 1", "+++ version 2"]
    kinds = {line: rule_form.diff_kind(line) for line in lines}
    assert kinds["--- version 1"] == "header"
    assert kinds["-      min_change: 0.25"] == "removed"
    assert kinds["+      min_change: 0.3"] == "added"
    assert [rule_form.diff_kind(line) for line in lines if line.startswith("@@")] == ["hunk"]
    assert kinds["       periods: 3"] == "context"
    assert rule_form.version_diff(RULE_FILE, RULE_FILE, old_label="a", new_label="b") == []
