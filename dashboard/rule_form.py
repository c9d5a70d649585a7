"""Pure helpers of the rules workbench: the operator form that writes a rule file's YAML,
and unified diffs between rule versions. No I/O, no Dash.

The form covers the operators analysts tune most (fixed thresholds, change against the
previous period or a rolling mean with floors, highest in N with a floor); any other
operator is edited in the YAML itself. The API stays the judge of what is valid: these
helpers only rewrite the document, and the workbench validates the result.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import yaml

# operator -> the parameters the form shows for it, in display order.
FORM_OPERATORS: dict[str, tuple[str, ...]] = {
    "threshold_above": ("threshold",),
    "threshold_below": ("threshold",),
    "change_vs_previous": ("min_change", "direction", "floor", "min_baseline"),
    "change_vs_rolling_mean": ("periods", "min_change", "direction", "floor", "min_baseline"),
    "highest_in_n": ("periods", "floor", "min_rise"),
}
FORM_PARAMS: tuple[str, ...] = tuple(
    dict.fromkeys(name for names in FORM_OPERATORS.values() for name in names)
)
INTEGER_PARAMS = frozenset({"periods"})


class RuleTextError(ValueError):
    """The text is not a rule file the form can edit; ``str()`` says why, for people."""


def load_rule_file(text: str) -> dict[str, Any]:
    """Return the rule file as a mapping with at least one rule, or raise RuleTextError."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise RuleTextError(f"The YAML does not parse{where}; fix it in the editor.") from exc
    groups = document.get("groups") if isinstance(document, dict) else None
    if not isinstance(groups, list) or not any(_group_rules(group) for group in groups):
        raise RuleTextError("The YAML holds no rule under groups: - rules:.")
    return dict(document)


def _group_rules(group: Any) -> list[dict[str, Any]]:
    """Return a group's rule mappings (none when the group is malformed)."""
    found = group.get("rules") if isinstance(group, dict) else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def find_rule(document: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
    """Return the rule called ``name`` (the first rule when None), or raise RuleTextError."""
    for group in document["groups"]:
        for item in _group_rules(group):
            if name is None or item.get("name") == name:
                return item
    raise RuleTextError(f"The YAML has no rule named {name}.")


def rule_params(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return a rule's parameters (none when the mapping is missing or malformed)."""
    params = item.get("params")
    return dict(params) if isinstance(params, dict) else {}


def dump_rule_file(document: Mapping[str, Any]) -> str:
    """Return the document as YAML in the API's own layout (keys in their given order)."""
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)


def form_values(text: str) -> dict[str, Any]:
    """Return the first rule's operator and the form's parameters (None where unset).

    The operator is None when the form does not cover it: the YAML stays the editor.
    """
    item = find_rule(load_rule_file(text))
    operator = item.get("operator")
    params = rule_params(item)
    values: dict[str, Any] = {name: params.get(name) for name in FORM_PARAMS}
    values["operator"] = operator if operator in FORM_OPERATORS else None
    return values


def apply_form(text: str, operator: str, params: Mapping[str, Any]) -> str:
    """Return the rule file with the first rule's operator and parameters set from the form.

    Parameters the form does not show (``min_history``, ...) are kept while the operator
    stays the same; switching operator starts its parameters afresh. Empty fields are left
    out, so the operator's defaults apply.
    """
    if operator not in FORM_OPERATORS:
        raise RuleTextError(f"The form does not edit the operator {operator}.")
    document = load_rule_file(text)
    item = find_rule(document)
    kept = {k: v for k, v in rule_params(item).items() if k not in FORM_PARAMS}
    chosen = {name: _number(name, params.get(name)) for name in FORM_OPERATORS[operator]}
    new_params = (kept if item.get("operator") == operator else {}) | {
        name: value for name, value in chosen.items() if value is not None
    }
    item["operator"] = operator
    item["params"] = new_params
    return dump_rule_file(document)


def _number(name: str, value: Any) -> Any:
    """Return a form value typed as the rule expects (periods whole, others as given)."""
    if value in (None, ""):
        return None
    if name in INTEGER_PARAMS and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def set_param(text: str, *, rule: str, parameter: str, value: float) -> str:
    """Return the rule file with one parameter of the named rule set to ``value``."""
    document = load_rule_file(text)
    item = find_rule(document, rule)
    item["params"] = {**rule_params(item), parameter: _number(parameter, value)}
    return dump_rule_file(document)


def version_diff(old: str, new: str, *, old_label: str, new_label: str) -> list[str]:
    """Return the unified diff (3 lines of context) from one YAML text to another."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm=""
    )
    return list(lines)


def diff_kind(line: str) -> str:
    """Return how a unified-diff line reads: header, hunk, added, removed or context."""
    if line.startswith(("---", "+++")):
        return "header"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "added"
    if line.startswith("-"):
        return "removed"
    return "context"
