"""Rule files: good ones load, bad ones give exact ``file:line: what is wrong`` messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import OPERATORS, RuleFileError, RuleSet, load_rule_files, load_rules_text
from rules.operators import HighestInNParams

GOOD = """\
groups:
  - name: homicide
    rules:
      - name: homicide_rate_highest_5y
        indicator: homicide_rate
        operator: highest_in_n
        params: {periods: 5, floor: 3.0}
        severity: warning
        labels: {theme: homicide}
        annotations:
          summary: "{region} {value:.1f} in {period}"
"""
RULE = "rule 'homicide_rate_highest_5y'"


def _errors(text: str) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        load_rules_text(text, "bad.yaml")
    assert str(caught.value) == "\n".join(caught.value.messages)
    return caught.value.messages


def test_good_file_loads() -> None:
    rules = load_rules_text(GOOD, "good.yaml")
    assert isinstance(rules, RuleSet)
    (rule,) = rules
    assert rule.name == "homicide_rate_highest_5y"
    assert isinstance(rule.params, HighestInNParams)
    assert rule.params.periods == 5 and rule.params.floor == 3.0
    assert rule.for_ == 0 and rule.scope.everywhere
    assert rule.labels == {"theme": "homicide"}
    assert rules.origins == {"homicide_rate_highest_5y": "good.yaml:4"}
    assert rules.get("homicide_rate_highest_5y") is rule
    assert "previous 5 periods" in rule.sentence


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "operator: highest_in_n",
            "operator: highest_of",
            f"bad.yaml:6: {RULE}: operator: unknown operator 'highest_of'; did you mean "
            f"'highest_in_n'? known: {', '.join(sorted(OPERATORS))}",
            id="unknown-operator",
        ),
        pytest.param(
            "periods: 5",
            "periods: five",
            f"bad.yaml:7: {RULE}: params.periods: Input should be a valid integer, unable to "
            "parse string as an integer (got 'five')",
            id="bad-param-type",
        ),
        pytest.param(
            "params: {periods: 5, floor: 3.0}",
            "params:\n          periods: 5\n          floor: high",
            f"bad.yaml:9: {RULE}: params.floor: Input should be a valid number, unable to "
            "parse string as a number (got 'high')",
            id="bad-param-type-block-style",
        ),
        pytest.param(
            "floor: 3.0",
            "flor: 3.0",
            f"bad.yaml:7: {RULE}: params: unknown field 'flor'; did you mean 'floor'?",
            id="unknown-param",
        ),
        pytest.param(
            "floor: 3.0",
            "min_history: 9",
            f"bad.yaml:7: {RULE}: params: min_history (9) cannot exceed periods (5)",
            id="param-cross-check",
        ),
        pytest.param(
            "        indicator: homicide_rate\n",
            "",
            f"bad.yaml:4: {RULE}: missing required field 'indicator'",
            id="missing-field",
        ),
        pytest.param(
            "severity: warning",
            "severity: warning\n        severty: info",
            f"bad.yaml:9: {RULE}: unknown field 'severty'; did you mean 'severity'?",
            id="unknown-field",
        ),
        pytest.param(
            "severity: warning",
            "severity: urgent",
            f"bad.yaml:8: {RULE}: severity: Input should be 'info', 'warning' or 'critical' "
            "(got 'urgent')",
            id="bad-severity",
        ),
        pytest.param(
            "severity: warning",
            "severity: warning\n        for: -1",
            f"bad.yaml:9: {RULE}: for: Input should be greater than or equal to 0 (got -1)",
            id="negative-for",
        ),
        pytest.param(
            "labels: {theme: homicide}",
            "scope: {iso3: [mex]}",
            f"bad.yaml:9: {RULE}: scope.iso3[0]: String should match pattern '^[A-Z]{{3}}$' "
            "(got 'mex')",
            id="bad-iso3",
        ),
        pytest.param(
            "{value:.1f}",
            "{vlue:.1f}",
            f"bad.yaml:11: {RULE}: annotations.summary: unknown placeholder {{vlue}}; "
            "did you mean {value}?",
            id="unknown-placeholder",
        ),
        pytest.param(
            "{value:.1f}",
            "{value:.1q}",
            f"bad.yaml:11: {RULE}: annotations.summary: template does not render: "
            "Unknown format code 'q' for object of type 'float'",
            id="bad-format",
        ),
        pytest.param(
            "        severity: warning",
            "        severity: warning: x",
            "bad.yaml:8: YAML syntax error: mapping values are not allowed here",
            id="yaml-syntax",
        ),
        pytest.param(
            "labels: {theme: homicide}",
            "labels: {theme: homicide",
            "bad.yaml:10: YAML syntax error: expected ',' or '}', but got ':' "
            "(while parsing a flow mapping that began on line 9)",
            id="yaml-unclosed-flow",
        ),
        pytest.param(
            "        severity",
            "\tseverity",
            "bad.yaml:8: YAML syntax error: found character '\\t' that cannot start any "
            "token (while scanning for the next token)",
            id="yaml-tab",
        ),
        pytest.param(
            "homicide_rate\n",
            "homicide\x07rate\n",
            "bad.yaml:5: YAML syntax error: special characters are not allowed (character #x0007)",
            id="yaml-control-character",
        ),
        pytest.param(
            "severity: warning",
            "severity: warning\n        severity: info",
            "bad.yaml:9: duplicate key 'severity'",
            id="duplicate-key",
        ),
    ],
)
def test_bad_rule_file_message(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    assert _errors(GOOD.replace(old, new, 1)) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["bad.yaml:1: empty rule file; expected a 'groups' list"]),
        ("# only a comment\n", ["bad.yaml:1: empty rule file; expected a 'groups' list"]),
        ("- a\n- b\n", ["bad.yaml:1: expected a mapping"]),
        ("groups: nope\n", ["bad.yaml:1: groups: expected a list (got 'nope')"]),
        (
            "rules: []\n",
            [
                "bad.yaml:1: missing required field 'groups'",
                "bad.yaml:1: unknown field 'rules'; allowed: groups",
            ],
        ),
        (
            GOOD + "---\n" + GOOD,
            [
                "bad.yaml:12: YAML syntax error: a rule file holds one YAML document; "
                "this starts a second one"
            ],
        ),
        (
            GOOD + "  - name: homicide\n    rules: []\n",
            ["bad.yaml:12: group name 'homicide' repeats line 2"],
        ),
    ],
)
def test_bad_file_shapes(text: str, expected: list[str]) -> None:
    assert _errors(text) == expected


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcdefg", "bcdefgh", strict=True)
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("groups: " + "[" * 100 + "]" * 100, ["bad.yaml:1: YAML nested too deeply"]),
        ("groups: " + "[" * 5000 + "]" * 5000, ["bad.yaml:1: YAML nested too deeply"]),
        ("groups: &a [*a]\n", ["bad.yaml:1: YAML nested too deeply"]),
        (
            ALIAS_BOMB + "groups: [*h]\n",
            ["bad.yaml:1: rule file too large: over 50000 YAML nodes with aliases"],
        ),
    ],
    ids=["deep", "deeper-than-python", "recursive-alias", "alias-bomb"],
)
def test_hostile_yaml_is_refused_quickly(text: str, expected: list[str]) -> None:
    assert _errors(text) == expected


def test_every_error_in_a_file_is_reported() -> None:
    text = GOOD.replace("periods: 5", "periods: five").replace("warning", "urgent")
    messages = _errors(text)
    assert [m.split(":")[1] for m in messages] == ["7", "8"]


def test_duplicate_rule_name_in_one_file() -> None:
    second_rule = GOOD.split("    rules:\n")[1]
    assert _errors(GOOD + second_rule) == [
        "bad.yaml:12: rule name 'homicide_rate_highest_5y' is already defined at bad.yaml:4"
    ]


def test_load_rule_files_reports_duplicates_across_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(GOOD, encoding="utf-8")
    second.write_text(GOOD.replace("name: homicide\n", "name: other\n"), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rule_files([first, second])
    assert caught.value.messages == [
        f"{second}:4: rule name 'homicide_rate_highest_5y' is already defined at {first}:4"
    ]


def test_load_rule_files_collects_problems_of_all_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("operator: highest_in_n", "operator: nope"), encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    with pytest.raises(RuleFileError) as caught:
        load_rule_files([bad, missing])
    first, second = caught.value.messages
    assert first.startswith(f"{bad}:6: {RULE}: operator: unknown operator 'nope'")
    assert second == f"{missing}:1: cannot read rule file: No such file or directory"


def test_load_rule_files_merges_and_tolerates_bom(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("\ufeff" + GOOD, encoding="utf-8")
    second.write_text(GOOD.replace("homicide_rate_highest_5y", "other_rule"), encoding="utf-8")
    rules = load_rule_files([first, second])
    assert [rule.name for rule in rules] == ["homicide_rate_highest_5y", "other_rule"]
    assert rules.origins["other_rule"] == f"{second}:4"


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("homicide}", "homicidé}").encode("latin-1"))
    with pytest.raises(RuleFileError) as caught:
        load_rule_files([path])
    assert caught.value.messages == [
        f"{path}:1: rule files must be UTF-8 text: invalid continuation byte"
    ]


def test_no_files_is_an_empty_rule_set() -> None:
    assert len(load_rule_files([])) == 0


def test_rule_set_refuses_duplicate_names() -> None:
    group = load_rules_text(GOOD, "good.yaml").groups[0]
    with pytest.raises(ValueError, match="defined more than once"):
        RuleSet(groups=(group, group))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_loads_or_fails_with_messages(text: str) -> None:
    """Never a traceback: any input is a rule set or a RuleFileError."""
    try:
        load_rules_text(text, "fuzz.yaml")
    except RuleFileError as exc:
        assert exc.messages and all(m.startswith("fuzz.yaml:") for m in exc.messages)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_damaged_good_files_fail_with_messages(data: st.DataObject) -> None:
    """Cut, duplicate or garble one line of a good file: messages, never a traceback."""
    lines = GOOD.splitlines(keepends=True)
    i = data.draw(st.integers(0, len(lines) - 1))
    damage = data.draw(
        st.sampled_from(["cut", "repeat", "garble"]),
    )
    if damage == "cut":
        lines.pop(i)
    elif damage == "repeat":
        lines.insert(i, lines[i])
    else:
        lines[i] = data.draw(st.text(max_size=40)) + "\n"
    try:
        load_rules_text("".join(lines), "fuzz.yaml")
    except RuleFileError as exc:
        for message in exc.messages:
            assert message.startswith("fuzz.yaml:"), message
            assert int(message.split(":")[1]) >= 1
