"""The API client's rules workbench calls: the right method, path and body, readable errors."""

from __future__ import annotations

import json

import pytest
import respx

from dashboard import api_client
from dashboard.api_client import ApiError

BASE = "http://api.test"
RULES = f"{BASE}/api/v1/rules"


@respx.mock
def test_reads_return_the_rule_list_and_one_rule() -> None:
    respx.get(RULES).respond(json={"items": [{"name": "jump"}], "total": 1})
    respx.get(f"{RULES}/jump").respond(json={"name": "jump", "yaml": "groups: []", "versions": []})
    assert api_client.rules(BASE) == [{"name": "jump"}]
    assert api_client.rule(BASE, "jump")["yaml"] == "groups: []"


@respx.mock
def test_validate_backtest_and_impact_post_the_yaml() -> None:
    validate = respx.post(f"{RULES}/validate").respond(json={"valid": True, "errors": []})
    backtest = respx.post(f"{RULES}/backtest").respond(json={"alerts": [{"rule": "jump"}]})
    impact = respx.post(f"{RULES}/jump/impact").respond(
        json={"added_alerts": [], "removed_alerts": [], "saved_version": 2}
    )
    assert api_client.validate_rules(BASE, "text")["valid"] is True
    assert api_client.backtest_rules(BASE, "text") == [{"rule": "jump"}]
    assert api_client.rule_impact(BASE, "jump", "text")["saved_version"] == 2
    for route in (validate, backtest, impact):
        assert json.loads(route.calls.last.request.content) == {"yaml": "text"}


@respx.mock
def test_save_puts_the_yaml_with_reason_and_base_version() -> None:
    route = respx.put(f"{RULES}/jump").respond(json={"rules": [{"name": "jump"}]})
    api_client.save_rule(BASE, "jump", text="text", reason="why", base_version=3)
    sent = json.loads(route.calls.last.request.content)
    assert sent == {"yaml": "text", "reason": "why", "base_version": 3}


@respx.mock
def test_a_refused_save_raises_the_problems_detail() -> None:
    respx.put(f"{RULES}/jump").respond(
        409, json={"title": "Conflict", "detail": "rule jump moved on to version 4"}
    )
    with pytest.raises(ApiError, match="API error 409: rule jump moved on to version 4"):
        api_client.save_rule(BASE, "jump", text="text", reason="why", base_version=3)


@respx.mock
def test_evidence_calls_send_the_yaml_budget_and_rule() -> None:
    scorecard = respx.post(f"{RULES}/scorecard").respond(json={"items": [{"rule": "jump"}]})
    budget = respx.post(f"{RULES}/noise-budget").respond(
        json={"parameter": "floor", "suggested": 4.1, "candidates": []}
    )
    assert api_client.rule_scorecard(BASE, "text") == [{"rule": "jump"}]
    assert api_client.noise_budget(BASE, "text", max_per_quarter=2, rule="jump")["suggested"] == 4.1
    assert json.loads(budget.calls.last.request.content) == {
        "yaml": "text", "max_per_quarter": 2, "rule": "jump",
    }  # fmt: skip
    assert json.loads(scorecard.calls.last.request.content) == {"yaml": "text"}


@respx.mock
def test_an_answer_without_the_expected_fields_is_an_error() -> None:
    respx.post(f"{RULES}/noise-budget").respond(json={"rule": "jump"})
    with pytest.raises(ApiError, match="lacks parameter, suggested, candidates"):
        api_client.noise_budget(BASE, "text", max_per_quarter=2, rule="jump")
