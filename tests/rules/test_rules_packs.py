"""Bundled rule packs: found by name, valid, and documented."""

from __future__ import annotations

import pytest

from rules import available_packs, load_rule_files, pack_path
from rules.operators import HighestInNParams


def test_default_pack_is_found() -> None:
    assert "default" in available_packs()
    assert pack_path("default").name == "default.yaml"


@pytest.mark.parametrize("name", ["nope", "../default", "default.yaml", ""])
def test_unknown_or_unsafe_pack_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown rule pack"):
        pack_path(name)


@pytest.mark.parametrize("name", available_packs())
def test_every_pack_loads_and_every_rule_says_why(name: str) -> None:
    rules = load_rule_files([pack_path(name)])
    assert len(rules) > 0
    for rule in (*rules, *rules.composites):
        assert len(rule.annotations.why) > 100, f"{rule.name}: explain why in annotations.why"
        assert rule.labels.get("theme"), f"{rule.name}: label a theme"


def test_default_pack_covers_the_signal_families() -> None:
    rules = load_rule_files([pack_path("default")])
    operators = {rule.operator for rule in rules}
    assert {"highest_in_n", "change_vs_rolling_mean", "emergence", "staleness"} <= operators
    indicators = {c.indicator for composite in rules.composites for c in composite.clauses}
    assert {"sc_meetings", "gdelt_crime_events"} <= indicators
    assert len(rules.composites) >= 2
    # GDELT only ever corroborates: no standalone rule reads it.
    assert not any(rule.indicator.startswith("gdelt_") for rule in rules)


def test_default_homicide_rule() -> None:
    rule = load_rule_files([pack_path("default")]).get("homicide_rate_highest_5y")
    assert rule.indicator == "homicide_rate"
    assert rule.operator == "highest_in_n"
    assert isinstance(rule.params, HighestInNParams)
    assert rule.params.periods == 5
    # The floor keeps 0.3 -> 0.9 per 100,000 quiet (PRODUCT.md).
    assert rule.params.floor > 0.9
    assert rule.sentence == (
        "value above the highest of the previous 5 periods by more than 10% "
        "(at least 3 of them known), and at least 4"
    )
