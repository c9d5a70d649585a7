"""Turn Pydantic errors on rule files into short sentences an analyst can act on."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from rules.model import Annotations, Rule, RuleFile, RuleGroup, Scope
from rules.operators import OPERATORS

Loc = tuple[str | int, ...]

# Pydantic speaks Python; rule authors write YAML.
_PLAIN_TYPES = {
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}
_SCALARS = (str, int, float, bool, type(None))
# Errors whose message already says what was wrong with the input.
_OWN_MESSAGES = {"value_error", "summary_template"}


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        in_mapping = isinstance(data, Mapping) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_mapping or in_list:
            data = data[part]
        else:
            return None
    return data


def _is_rule_loc(loc: Loc) -> bool:
    return len(loc) >= 4 and loc[0] == "groups" and loc[2] == "rules" and isinstance(loc[3], int)


def _where(loc: Loc, data: Any) -> str:
    if not _is_rule_loc(loc):
        return _dotted(loc)
    name = _get(data, (*loc[:4], "name"))
    label = f"rule {name!r}" if isinstance(name, str) else _dotted(loc[:4])
    rest = _dotted(loc[4:])
    return f"{label}: {rest}" if rest else label


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _model_at(loc: Loc, data: Any) -> type[BaseModel] | None:
    if loc == ():
        return RuleFile
    if len(loc) == 2 and loc[0] == "groups":
        return RuleGroup
    if _is_rule_loc(loc) and len(loc) == 4:
        return Rule
    if _is_rule_loc(loc) and len(loc) == 5:
        if loc[4] == "params":
            spec = OPERATORS.get(str(_get(data, (*loc[:4], "operator"))))
            return spec.params_model if spec else None
        nested: dict[str, type[BaseModel]] = {"scope": Scope, "annotations": Annotations}
        return nested.get(str(loc[4]))
    return None


def _unknown_field(loc: Loc, data: Any) -> str:
    field = str(loc[-1])
    model = _model_at(loc[:-1], data)
    known = [info.alias or name for name, info in model.model_fields.items()] if model else []
    close = difflib.get_close_matches(field, known, n=1)
    if close:
        return f"unknown field {field!r}; did you mean {close[0]!r}?"
    if known:
        return f"unknown field {field!r}; allowed: {', '.join(known)}"
    return f"unknown field {field!r}"


def describe_error(error: ErrorDetails, data: Any) -> str:
    """Return 'where: what' for one Pydantic error on rule-file data."""
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "missing":
        where, what = _where(loc[:-1], data), f"missing required field {loc[-1]!r}"
    elif kind == "extra_forbidden":
        where, what = _where(loc[:-1], data), _unknown_field(loc, data)
    else:
        where = _where(loc, data)
        what = _PLAIN_TYPES.get(kind, error["msg"].removeprefix("Value error, "))
        value = error.get("input")
        if kind not in _OWN_MESSAGES and isinstance(value, _SCALARS):
            what += f" (got {value!r})"
    return f"{where}: {what}" if where else what
