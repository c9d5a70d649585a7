"""Summary templates: which placeholders exist, checking them early, and rendering."""

from __future__ import annotations

import difflib
import string
from collections.abc import Mapping
from typing import Any

# Numbers every alert carries, whatever the operator.
NUMBER_FIELDS = ("value", "baseline", "threshold", "held")
# Words every alert carries.
TEXT_FIELDS = ("rule", "region", "region_name", "indicator", "period", "severity")


def template_fields(operator_fields: Mapping[str, Any], extras: tuple[str, ...]) -> dict[str, Any]:
    """Return sample values for every placeholder a summary may use."""
    # Same precedence as at render time: an alert's own numbers win over parameters.
    fields: dict[str, Any] = dict(operator_fields)
    fields.update({name: 1.0 for name in (*NUMBER_FIELDS, *extras)})
    fields.update({name: "X" for name in TEXT_FIELDS})
    fields["held"] = 1  # a count of periods, an int at render time too
    return fields


def check_template(template: str, fields: Mapping[str, Any]) -> str | None:
    """Return what is wrong with a summary template, or None when it renders."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"bad template: {exc} (write {{{{ and }}}} for literal braces)"
    for _, name, _, _ in parsed:
        if name is None:
            continue
        root = name.split(".")[0].split("[")[0]
        if root == "" or root.isdigit():
            return "placeholders need a name, like {value}"
        if root not in fields:
            close = difflib.get_close_matches(root, list(fields), n=1)
            if close:
                return f"unknown placeholder {{{root}}}; did you mean {{{close[0]}}}?"
            return f"unknown placeholder {{{root}}}; available: {', '.join(sorted(fields))}"
    try:
        template.format(**fields)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        return f"template does not render: {exc}"
    return None


def render(template: str, fields: Mapping[str, Any]) -> str:
    """Fill a checked summary template in with one alert's numbers."""
    return template.format(**fields)
