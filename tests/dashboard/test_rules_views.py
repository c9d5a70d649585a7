"""Rules workbench views and editor routing, with a fake API client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml
from dash import dcc, no_update
from dash.exceptions import PreventUpdate

from dashboard import api_client, ids, rules_evidence, rules_views
from dashboard.api_client import ApiError
from dashboard.pages import rules as rules_page

API = "http://api.test"
RULE_YAML = """groups:
- name: homicide
  rules:
  - name: jump
    indicator: homicide_rate
    operator: change_vs_previous
    params:
      min_change: 0.25
      floor: 5.0
    severity: warning
"""


def listed(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "group": "homicide", "indicator": "homicide_rate",
            "operator": "highest_in_n", "severity": "warning", "current_version": 1,
            "enabled": True} | fields  # fmt: skip


def version(number: int, definition: str, reason: str = "why") -> dict[str, Any]:
    return {"version": number, "author": "ana", "reason": reason,
            "created_at": "2026-11-23T06:00:00Z", "definition": definition}  # fmt: skip


DETAIL = listed("jump", current_version=2, author="ana", updated_at="2026-11-23T06:00:00Z",
                sentence="change of at least +25% on the previous period", yaml=RULE_YAML,
                versions=[version(2, "floor: 5.0\n", "Raise the floor"),
                          version(1, "floor: 2.0\n", "first")])  # fmt: skip


def alert(region: str, period: str) -> dict[str, Any]:
    return {"rule": "jump", "region": region, "period": period, "severity": "warning",
            "value": 12.5, "explanation": f"{region} rose in {period}"}  # fmt: skip


def text(component: Any) -> str:
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(text(child) for child in component)
    return text(getattr(component, "children", None))


def find(component: Any, kind: type) -> list[Any]:
    """Return every component of a kind in a tree."""
    if isinstance(component, list | tuple):
        return [found for child in component for found in find(child, kind)]
    children = getattr(component, "children", None)
    own = [component] if isinstance(component, kind) else []
    return own + (find(children, kind) if children is not None else [])


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def install(**fakes: Callable[..., Any]) -> None:
        for name, fake in fakes.items():
            monkeypatch.setattr(api_client, name, fake)

    return install


def failing(*_args: Any, **_kwargs: Any) -> Any:
    raise ApiError("API error 503: database unavailable", status=503)


# ----------------------------------------------------------------------------- list


def test_the_list_filters_on_every_word_and_marks_the_selected_rule(fake_api: Any) -> None:
    fake_api(rules=lambda _url: [listed("jump"), listed("record", operator="change_vs_previous")])
    table = rules_views.rule_list_view(API, "homicide CHANGE", "record")
    rows = find(table, rules_views.html.Tr)[1:]
    assert [text(row.children[0].children[0]) for row in rows] == ["record"]
    assert rows[0].className == "selected"
    assert find(table, dcc.Link)[0].href == "/rules?rule=record"


def test_the_list_says_what_to_do_when_empty_filtered_out_or_failing(fake_api: Any) -> None:
    fake_api(rules=lambda _url: [])
    assert "tocsin demo load" in text(rules_views.rule_list_view(API, None, None))
    fake_api(rules=lambda _url: [listed("jump")])
    assert "No rule matches “seizure”" in text(rules_views.rule_list_view(API, "seizure", None))
    fake_api(rules=failing)
    error = rules_views.rule_list_view(API, None, None)
    assert error.className == "panel-message" and "database unavailable" in text(error)


def test_with_no_rule_named_the_first_rule_is_loaded(fake_api: Any) -> None:
    asked: list[str] = []
    fake_api(rules=lambda _url: [listed("jump"), listed("record")],
             rule=lambda _url, name: asked.append(name) or DETAIL)  # fmt: skip
    detail, header = rules_views.load_detail(API, None)
    assert asked == ["jump"] and detail == DETAIL
    assert "version 2 by ana, 2026-11-23 06:00 UTC" in text(header)


def test_a_rule_that_cannot_be_loaded_says_so(fake_api: Any) -> None:
    fake_api(rule=failing)
    detail, header = rules_views.load_detail(API, "gone")
    assert detail is None and "could not be loaded" in text(header)


# ----------------------------------------------------------------------------- validation


def test_validation_lists_line_numbered_errors(fake_api: Any) -> None:
    errors = ["yaml:7: params.periods: Input should be greater than or equal to 1"]
    fake_api(validate_rules=lambda _url, _text: {"valid": False, "rules": [], "errors": errors})
    view = rules_views.validation_view(API, "groups: ...")
    assert "invalid" in view.className and "yaml:7: params.periods" in text(view)


def test_validation_names_the_rules_found_and_the_warnings(fake_api: Any) -> None:
    verdict = {"valid": True, "rules": ["jump"], "errors": [], "warnings": ["no data for x"]}
    fake_api(validate_rules=lambda _url, _text: verdict)
    view = rules_views.validation_view(API, RULE_YAML)
    assert (
        "valid" in view.className and "Valid: jump" in text(view) and "no data for x" in text(view)
    )
    assert "Write or load" in text(rules_views.validation_view(API, "  "))


# ----------------------------------------------------------------------------- preview


def test_preview_counts_added_and_removed_and_draws_the_timeline(fake_api: Any) -> None:
    impact = {"saved_version": 2, "added_alerts": [alert("MEX", "2010")],
              "removed_alerts": [alert("SLV", "2015")]}  # fmt: skip
    proposed = [alert("HND", "2009"), alert("MEX", "2010")]
    fake_api(rule_impact=lambda *_: impact, backtest_rules=lambda *_: proposed)
    summary, rows, changed = rules_views.preview_view(API, "jump", RULE_YAML)
    assert text(summary) == "This edit adds 1 and removes 1 past alerts against version 2; 1 stay."
    assert [row["status"] for row in rows or []] == ["kept", "added", "removed"]
    graph = find(rules_views.timeline_view(rows), dcc.Graph)[0]
    assert [trace.name for trace in graph.figure.data] == [
        "kept (1)", "added by the edit (1)", "removed by the edit (1)",
    ]  # fmt: skip
    assert [text(row.children[1]) for row in find(changed, rules_views.html.Tr)[1:]] == [
        "MEX",
        "SLV",
    ]


def test_preview_with_no_alert_either_way_says_so(fake_api: Any) -> None:
    impact = {"saved_version": 1, "added_alerts": [], "removed_alerts": []}
    fake_api(rule_impact=lambda *_: impact, backtest_rules=lambda *_: [])
    summary, rows, changed = rules_views.preview_view(API, "jump", RULE_YAML)
    assert "adds 0 and removes 0" in text(summary) and rows == [] and changed is None
    assert "Neither the saved version nor the edit" in text(rules_views.timeline_view(rows))


def test_preview_shows_the_apis_error(fake_api: Any) -> None:
    fake_api(rule_impact=failing)
    summary, rows, changed = rules_views.preview_view(API, "jump", RULE_YAML)
    assert "preview could not be computed" in text(summary) and "503" in text(summary)
    assert rows is None and changed is None and rules_views.timeline_view(rows) is None


# ----------------------------------------------------------------------------- evidence


SCORE = {"rule": "jump", "episodes": 4, "alerts": 6, "true_positives": 3, "precision": 0.5,
         "recall": 0.75, "median_lead": 1,
         "caught": [{"region": "HND", "onset": "2009", "first_alert": "2008", "lead": 1}],
         "missed": [{"region": "SLV", "onset": "2015"}],
         "feedback": {"useful": 2, "false_alarm": 1, "already_known": 0,
                      "too_late": 0}}  # fmt: skip


def test_scorecard_shows_bars_and_episodes_caught_and_missed(fake_api: Any) -> None:
    fake_api(rule_scorecard=lambda _url, _text: [SCORE])
    view = rules_evidence.scorecard_view(API, RULE_YAML)
    assert len(find(view, dcc.Graph)) == 1
    facts = text(view)
    assert "HND 2009 (alert 2008, lead 1)" in facts and "SLV 2015" in facts
    assert "false alarm 1" in facts and "6 (3 on an episode)" in facts


def test_scorecard_without_episodes_or_api_says_so(fake_api: Any) -> None:
    fake_api(rule_scorecard=lambda *_: [SCORE | {"episodes": 0}])
    assert text(rules_evidence.scorecard_view(API, RULE_YAML)) == rules_evidence.NO_EPISODES
    fake_api(rule_scorecard=failing)
    assert "scorecard could not be computed" in text(rules_evidence.scorecard_view(API, RULE_YAML))


BUDGET = {"rule": "jump", "parameter": "min_change", "current": 0.25, "suggested": 0.4,
          "alerts_per_quarter": 1.5, "recall": 0.6, "budget": 2,
          "candidates": [
              {"value": 0.25, "alerts_per_quarter": 3.1, "recall": 0.8, "precision": 0.3},
              {"value": 0.4, "alerts_per_quarter": 1.5, "recall": 0.6, "precision": None},
          ]}  # fmt: skip


def test_noise_budget_suggests_a_value_that_the_editor_can_apply(fake_api: Any) -> None:
    sent: dict[str, Any] = {}
    fake_api(noise_budget=lambda _url, _text, **kw: sent.update(kw) or BUDGET)
    view, suggestion = rules_evidence.noise_view(API, RULE_YAML, rule="jump", max_per_quarter=2)
    assert sent == {"max_per_quarter": 2, "rule": "jump"}
    assert "Suggested min_change: 0.4 (now 0.25): 1.50 alerts a quarter, recall 60%." in text(view)
    rows = find(view, rules_views.html.Tr)
    assert [row.className for row in rows[1:]] == [None, "suggested"]
    assert suggestion == {"rule": "jump", "parameter": "min_change", "value": 0.4}


def test_noise_budget_without_a_fitting_value_bad_budget_or_api(fake_api: Any) -> None:
    fake_api(noise_budget=lambda *_a, **_k: BUDGET | {"suggested": None})
    view, suggestion = rules_evidence.noise_view(API, RULE_YAML, rule="jump", max_per_quarter=0.5)
    assert "No value of min_change keeps jump within 0.5" in text(view) and suggestion is None
    view, suggestion = rules_evidence.noise_view(API, RULE_YAML, rule="jump", max_per_quarter=2)
    assert "1 values of min_change fit the budget, but without reference episodes" in text(view)
    assert len(find(view, rules_views.html.Tr)) == 3 and suggestion is None
    assert rules_evidence.noise_view(API, RULE_YAML, rule="jump", max_per_quarter=0)[1] is None
    fake_api(noise_budget=failing)
    assert "503" in text(
        rules_evidence.noise_view(API, RULE_YAML, rule="jump", max_per_quarter=1)[0]
    )


# ----------------------------------------------------------------------------- save


def test_saving_needs_a_reason_and_sends_the_base_version(fake_api: Any) -> None:
    sent: list[dict[str, Any]] = []
    saved = {"rules": [DETAIL | {"current_version": 3}],
             "evaluation": {"created": 2, "resolved": 1}}  # fmt: skip
    fake_api(save_rule=lambda _url, name, **kw: sent.append({"name": name, **kw}) or saved)
    view, new = rules_views.save_view(API, DETAIL, text=RULE_YAML, reason="  ")
    assert "reason is required" in text(view) and new is None and sent == []
    view, new = rules_views.save_view(API, DETAIL, text=RULE_YAML, reason=" Fewer alerts ")
    assert sent == [
        {"name": "jump", "text": RULE_YAML, "reason": "Fewer alerts", "base_version": 2}
    ]
    assert text(view) == "Saved version 3. Its alerts, re-evaluated: 2 created, 1 resolved."
    assert new is not None and new["current_version"] == 3


def test_a_refused_save_shows_the_apis_reason(fake_api: Any) -> None:
    fake_api(save_rule=lambda *_a, **_k: failing())
    view, new = rules_views.save_view(API, DETAIL, text=RULE_YAML, reason="x")
    assert text(view).startswith("Not saved. API error 503") and new is None


# ----------------------------------------------------------------------------- history


def test_history_lists_who_when_why_and_diffs_the_previous_version_by_default() -> None:
    assert "Raise the floor" in text(rules_views.history_table(DETAIL))
    options, old, new = rules_views.diff_choices(DETAIL)
    assert (len(options), old, new) == (2, 1, 2)
    diff = rules_views.diff_view(DETAIL, old, new)
    classes = [span.className for span in diff.children]
    assert classes == ["diff-line diff-header", "diff-line diff-header", "diff-line diff-hunk",
                       "diff-line diff-removed", "diff-line diff-added"]  # fmt: skip
    assert text(diff.children[-1]) == "+floor: 5.0"


def test_diff_of_one_version_or_the_same_one_says_so() -> None:
    single = DETAIL | {"versions": DETAIL["versions"][1:]}
    assert rules_views.diff_choices(single)[1:] == (1, 1)
    assert "Only one version" in text(rules_views.diff_view(single, 1, 1))
    assert "identical" in text(rules_views.diff_view(DETAIL, 2, 2))
    assert rules_views.diff_view(None, 1, 2) is None


# ----------------------------------------------------------------------------- editor


def test_a_loaded_rule_fills_the_editor_and_the_form() -> None:
    assert rules_page.editor_text(ids.RULES_DETAIL, detail=DETAIL, text="old", form=(None, {}),
                                  suggestion=None) == (RULE_YAML, None)  # fmt: skip
    names = ["threshold", "min_change", "floor"]
    assert rules_page.form_from_detail(DETAIL, names) == ("change_vs_previous", [None, 0.25, 5.0])
    with pytest.raises(PreventUpdate):
        rules_page.form_from_detail(None, names)


def test_the_form_button_and_the_noise_suggestion_rewrite_the_yaml() -> None:
    form = ("change_vs_previous", {"min_change": 0.5, "floor": 5.0, "direction": "up"})
    new, note = rules_page.editor_text(ids.RULES_FORM_APPLY, detail=DETAIL, text=RULE_YAML,
                                       form=form, suggestion=None)  # fmt: skip
    params = yaml.safe_load(new)["groups"][0]["rules"][0]["params"]
    assert params == {"min_change": 0.5, "floor": 5.0, "direction": "up"} and note is None
    suggestion = {"rule": "jump", "parameter": "floor", "value": 8.0}
    new, _ = rules_page.editor_text(ids.RULES_NOISE_APPLY, detail=DETAIL, text=RULE_YAML,
                                    form=(None, {}), suggestion=suggestion)  # fmt: skip
    assert yaml.safe_load(new)["groups"][0]["rules"][0]["params"]["floor"] == 8.0


def test_yaml_the_form_cannot_edit_leaves_the_text_and_says_why() -> None:
    form = ("threshold_above", {"threshold": 1})
    new, note = rules_page.editor_text(ids.RULES_FORM_APPLY, detail=DETAIL, text="groups: [",
                                       form=form, suggestion=None)  # fmt: skip
    assert new is no_update and "does not parse" in text(note)
