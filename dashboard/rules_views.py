"""Views of the rules workbench: each calls the API client and returns components, with the
API's error as a message rather than a blank panel. The page's callbacks only route to
them (dashboard/pages/rules.py), so tests call these directly with a fake client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from dashboard import api_client, figures_rules, rule_form
from dashboard.figures import GRAPH_CONFIG, format_value
from dashboard.figures_rules import STATUS_STYLES
from dashboard.pages.overview import ink_for

ABOUT_FIELDS = ("group", "indicator", "operator")  # under each rule name in the list
NOTHING = "—"
NO_RULES: list[Any] = [
    "No rules yet. Import the default pack with ",
    html.Code("tocsin demo load"),
    " or add a rule file through the API.",
]


def message(text: str) -> html.Div:
    """Return an error message panel (the API's own words)."""
    return html.Div(text, className="panel-message", role="alert")


# ----------------------------------------------------------------------------- rule list


def rule_matches(item: Mapping[str, Any], query: str | None) -> bool:
    """Return whether every word of the filter occurs in the rule's name or listed fields."""
    words = (query or "").lower().split()
    haystack = " ".join(
        str(item.get(key) or "") for key in ("name", *ABOUT_FIELDS, "severity")
    ).lower()
    return all(word in haystack for word in words)


def rule_list_view(api_url: str, query: str | None, selected: str | None) -> Any:
    """Return the table of rules matching the filter, the selected one marked."""
    try:
        items = api_client.rules(api_url)
    except api_client.ApiError as exc:
        return message(f"Rules could not be loaded. {exc}")
    if not items:
        return html.P(NO_RULES, className="empty-state")
    shown = [item for item in items if rule_matches(item, query)]
    if not shown:
        return html.P(f"No rule matches “{query}”: clear the filter.", className="empty-state")
    header = html.Tr([html.Th(h) for h in ("Rule", "Severity", "v.", "On")])
    return html.Table(
        [html.Thead(header), html.Tbody([_rule_row(item, selected) for item in shown])],
        className="data-table rule-table",
    )


def _rule_row(item: Mapping[str, Any], selected: str | None) -> html.Tr:
    """Return one rule's row: its name links to it in the workbench, with what it reads."""
    name = str(item["name"])
    current = name == selected
    about = " · ".join(str(item.get(column) or NOTHING) for column in ABOUT_FIELDS)
    return html.Tr(
        [
            html.Td(
                [
                    dcc.Link(name, href=f"/rules?rule={name}", className="rule-link"),
                    html.Div(about, className="rule-about"),
                ]
            ),
            html.Td(item.get("severity") or NOTHING),
            html.Td(item["current_version"], className="num"),
            html.Td("yes" if item.get("enabled") else "no"),
        ],
        className="selected" if current else None,
    )


# ----------------------------------------------------------------------------- detail


def load_detail(api_url: str, name: str | None) -> tuple[dict[str, Any] | None, Any]:
    """Return the rule to edit (the first rule when none is named) and its header."""
    try:
        if name is None:
            items = api_client.rules(api_url)
            if not items:
                return None, html.P(NO_RULES, className="empty-state")
            name = str(items[0]["name"])
        detail = api_client.rule(api_url, name)
    except api_client.ApiError as exc:
        return None, message(f"The rule could not be loaded. {exc}")
    return detail, rule_header(detail)


def rule_header(detail: Mapping[str, Any]) -> list[Any]:
    """Return the rule's title line: name, version, who saved it and its sentence."""
    state = "enabled" if detail.get("enabled") else "disabled"
    saved = f"version {detail['current_version']} by {detail.get('author', '?')}, " + when(
        detail.get("updated_at")
    )
    return [
        html.H2([detail["name"], html.Span(detail.get("group", ""), className="code")]),
        html.P([saved, f" · {state}"], className="figure-note"),
        html.P(detail.get("sentence") or "", className="rule-sentence"),
    ]


def when(moment: Any) -> str:
    """Return an API timestamp as 'YYYY-MM-DD HH:MM UTC'."""
    return NOTHING if not moment else str(moment)[:16].replace("T", " ") + " UTC"


# ----------------------------------------------------------------------------- validation


def validation_view(api_url: str, text: str | None) -> Any:
    """Return the validator's verdict on the YAML: line-numbered errors, or the rules found."""
    if not text or not text.strip():
        return html.P("Write or load a rule file to validate it.", className="empty-state")
    try:
        result = api_client.validate_rules(api_url, text)
    except api_client.ApiError as exc:
        return message(f"The YAML could not be validated. {exc}")
    if not result["valid"]:
        return html.Div(
            [
                html.P(f"{len(result['errors'])} problem(s):", className="validation-title"),
                html.Ul([html.Li(html.Code(e)) for e in result["errors"]]),
            ],
            className="validation invalid",
            role="alert",
        )
    rules = ", ".join(result.get("rules", []))
    warnings = [html.Li(w) for w in result.get("warnings", [])]
    return html.Div(
        [html.P(f"Valid: {rules}", className="validation-title"), html.Ul(warnings)],
        className="validation valid",
    )


# ----------------------------------------------------------------------------- preview


def preview_view(
    api_url: str, name: str, text: str
) -> tuple[Any, list[dict[str, Any]] | None, Any]:
    """Return the edit's impact sentence, its alerts for the timeline, and the changed ones.

    The timeline is drawn by its own callback from the rows (``timeline_view``), so the
    sentence and the list show while the browser is still loading the plotting library.
    """
    try:
        impact = api_client.rule_impact(api_url, name, text)
        proposed = api_client.backtest_rules(api_url, text)
    except api_client.ApiError as exc:
        return message(f"The preview could not be computed. {exc}"), None, None
    rows = figures_rules.impact_rows(proposed, impact["added_alerts"], impact["removed_alerts"])
    counts = figures_rules.status_counts(rows)
    summary = html.P(
        [
            html.Strong(
                f"This edit adds {counts['added']} and removes {counts['removed']} past alerts"
            ),
            f" against version {impact['saved_version']}; {counts['kept']} stay.",
        ],
        className="impact-summary",
    )
    return summary, rows, changed_alerts_table(rows) if rows else None


def timeline_view(rows: Sequence[Mapping[str, Any]] | None) -> Any:
    """Return the timeline graph (with a note when regions were left out) or its empty state."""
    if rows is None:
        return None
    if not rows:
        empty = "Neither the saved version nor the edit raises any past alert."
        return html.P(empty, className="empty-state")
    drawn, left_out = figures_rules.focus_rows(rows)
    note = (
        f"Drawn: every region the edit changes, then those with the most alerts; "
        f"{left_out} more regions with alerts the edit keeps are not drawn."
        if left_out
        else None
    )
    graph = dcc.Graph(
        figure=figures_rules.timeline_figure(drawn, figures_rules.status_counts(rows)),
        config=GRAPH_CONFIG | {"displayModeBar": False},  # type: ignore[arg-type]
        className="rules-timeline-graph",
    )
    return [html.P(note, className="figure-note") if note else None, graph]


def changed_alerts_table(rows: Sequence[Mapping[str, Any]]) -> Any:
    """Return the added and removed alerts as a table (the kept ones are on the timeline)."""
    changed = [row for row in rows if row["status"] != "kept"]
    if not changed:
        return html.P("The edit changes no past alert.", className="empty-state")
    header = html.Tr([html.Th(h) for h in ("", "Region", "Period", "Severity", "Value", "Why")])
    body = [
        html.Tr(
            [
                html.Td(_status_chip(row["status"])),
                html.Td(row["region"]),
                html.Td(row["period"], className="nowrap"),
                html.Td(row["severity"]),
                html.Td(
                    NOTHING if row["value"] is None else format_value(row["value"]), className="num"
                ),
                html.Td(row.get("explanation", "")),
            ]
        )
        for row in changed
    ]
    return html.Div(
        html.Table([html.Thead(header), html.Tbody(body)], className="data-table"),
        className="scroll-box",
    )


def _status_chip(status: str) -> html.Span:
    """Return a chip naming an alert's status in the preview, in its timeline colour."""
    colour = STATUS_STYLES[status]["color"]
    style = {"backgroundColor": colour, "color": ink_for(colour)}
    return html.Span(status, className=f"chip status-{status}", style=style)


# ----------------------------------------------------------------------------- save


def save_view(
    api_url: str, detail: Mapping[str, Any], *, text: str, reason: str | None
) -> tuple[Any, dict[str, Any] | None]:
    """Save the YAML as the rule's new version; return the outcome and the new detail."""
    if not reason or not reason.strip():
        return message("Say why you change the rule: a reason is required to save."), None
    try:
        saved = api_client.save_rule(
            api_url, detail["name"], text=text, reason=reason.strip(),
            base_version=detail["current_version"],
        )  # fmt: skip
    except api_client.ApiError as exc:
        return message(f"Not saved. {exc}"), None
    new = saved["rules"][0]
    evaluation = saved.get("evaluation", {})
    note = (
        f"Saved version {new['current_version']}. Its alerts, re-evaluated: "
        f"{evaluation.get('created', 0)} created, {evaluation.get('resolved', 0)} resolved."
    )
    return html.P(note, className="save-ok", role="status"), new


# ----------------------------------------------------------------------------- history


def history_table(detail: Mapping[str, Any]) -> html.Table:
    """Return every version, newest first: who saved it, when and why."""
    header = html.Tr([html.Th(h) for h in ("Version", "Who", "When", "Why")])
    body = [
        html.Tr(
            [
                html.Td(v["version"], className="num"),
                html.Td(v["author"]),
                html.Td(when(v["created_at"]), className="nowrap"),
                html.Td(v["reason"]),
            ]
        )
        for v in detail["versions"]
    ]
    return html.Table([html.Thead(header), html.Tbody(body)], className="data-table")


def diff_choices(detail: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int, int]:
    """Return the version options and the default pair: the previous and the current one."""
    numbers = [int(v["version"]) for v in detail["versions"]]
    options = [{"label": f"version {n}", "value": n} for n in numbers]
    newest = max(numbers)
    older = [n for n in numbers if n < newest]
    return options, max(older) if older else newest, newest


def diff_view(detail: Mapping[str, Any] | None, old: int | None, new: int | None) -> Any:
    """Return the unified diff between two versions' YAML, coloured line by line."""
    if not detail or old is None or new is None:
        return None
    by_number = {int(v["version"]): v["definition"] for v in detail["versions"]}
    if old not in by_number or new not in by_number:
        return None
    if len(by_number) == 1:
        return html.P("Only one version so far: save an edit to compare.", className="empty-state")
    lines = rule_form.version_diff(
        by_number[old], by_number[new], old_label=f"version {old}", new_label=f"version {new}"
    )
    if not lines:
        return html.P("These two versions are identical.", className="empty-state")
    return html.Pre(
        [
            html.Span(line, className=f"diff-line diff-{rule_form.diff_kind(line)}")
            for line in lines
        ],
        className="rule-diff",
    )
