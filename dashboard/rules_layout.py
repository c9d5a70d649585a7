"""Layout of the rules workbench (dashboard/pages/rules.py): the rule list, the YAML editor
with its validation and operator form, the preview, the evidence panels, saving and history.
Every component id comes from dashboard/ids.py; the page's callbacks fill the panels."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard import ids, rule_form, session

DEFAULT_BUDGET = 2.0
PARAM_LABELS = {
    "threshold": "Threshold",
    "periods": "Periods N",
    "min_change": "Minimum change (0.25 = 25%)",
    "direction": "Direction",
    "floor": "Value floor",
    "min_baseline": "Baseline floor (low-baseline guard)",
    "min_rise": "Margin over the previous high (0.1 = 10%)",
}
DIRECTIONS = [
    {"label": "up (increase)", "value": "up"},
    {"label": "down (decrease)", "value": "down"},
]
VIEWER_NOTE = "You can read and preview rules; saving a new version needs an analyst."


def layout(rule: str | None = None, **_query: Any) -> html.Div:
    """Return the workbench for ``?rule=NAME`` (the first rule when none is named)."""
    return html.Div(
        className="rules",
        children=[
            dcc.Store(id=ids.RULES_SELECTED, data=rule),
            dcc.Store(id=ids.RULES_DETAIL),
            dcc.Store(id=ids.RULES_YAML_SETTLED),
            dcc.Store(id=ids.RULES_NOISE_SUGGESTION),
            dcc.Store(id=ids.RULES_PREVIEW_ROWS),
            html.Div(
                className="rules-grid",
                children=[
                    _list_panel(),
                    html.Div(
                        className="rules-main",
                        children=[
                            _editor_panel(),
                            _preview_panel(),
                            _evidence_panel(),
                            _save_panel(can_save=session.has_role("analyst")),
                        ],
                    ),
                ],
            ),
        ],
    )


def _panel(title: Any, *children: Any, class_name: str = "") -> html.Section:
    """Return a titled panel."""
    head = html.Div(title if isinstance(title, list) else html.H2(title), className="panel-head")
    return html.Section([head, *children], className=f"panel {class_name}".strip())


def _list_panel() -> html.Section:
    """Return the rule list with its filter."""
    search = dcc.Input(
        id=ids.RULES_FILTER,
        type="search",
        placeholder="Filter: name, group, indicator...",
        debounce=True,
        persistence=True,
        persistence_type="session",
        className="rules-filter",
    )
    return _panel(
        "Rules",
        html.Label([html.Span("Filter", className="control-label"), search], className="stacked"),
        dcc.Loading(html.Div(id=ids.RULES_LIST)),
        class_name="rules-list",
    )


def _editor_panel() -> html.Section:
    """Return the YAML editor, its validation messages, and the operator form."""
    editor = dcc.Textarea(
        id=ids.RULES_EDITOR,
        className="yaml-editor",
        spellCheck=False,
        rows=24,
        wrap="off",  # one YAML line per row, so validation line numbers read true
    )
    side = html.Div(
        [
            html.H3("Validation"),
            # role=status: screen readers announce new messages without moving focus.
            html.Div(id=ids.RULES_VALIDATION, className="validation-box", role="status"),
            _form(),
        ],
        className="editor-side",
    )
    return _panel(
        [html.Div(id=ids.RULES_HEADER, className="rules-header")],
        html.Div(
            [
                html.Label(
                    [html.Span("Rule file (YAML)", className="control-label"), editor],
                    className="stacked",
                ),
                side,
            ],
            className="editor-grid",
        ),
    )


def _form() -> html.Div:
    """Return the form for the common operators; its button writes into the YAML."""
    operator = dcc.Dropdown(
        id=ids.RULES_FORM_OPERATOR,
        options=[{"label": name, "value": name} for name in rule_form.FORM_OPERATORS],
        clearable=False,
        placeholder="operator not in the form: edit the YAML",
    )
    fields = [_form_field(name) for name in rule_form.FORM_PARAMS]
    return html.Div(
        [
            html.H3("Form"),
            html.Label([html.Span("Operator", className="control-label"), operator]),
            *fields,
            html.Button("Write into the YAML", id=ids.RULES_FORM_APPLY, className="button"),
            html.Div(id=ids.RULES_FORM_MESSAGE),
        ],
        className="rule-form",
    )


def _form_field(name: str) -> html.Label:
    """Return one parameter's labelled input (hidden unless its operator takes it)."""
    key = {"type": ids.RULES_FORM_PARAM, "param": name}
    if name == "direction":
        control: Any = dcc.Dropdown(
            id=key, options=DIRECTIONS, clearable=True, placeholder="up (the default)"
        )
    else:
        control = dcc.Input(id=key, type="number", step="any", className="number-input")
    return html.Label(
        [html.Span(PARAM_LABELS[name], className="control-label"), control],
        id={"type": ids.RULES_FORM_FIELD, "param": name},
        className="form-field",
        hidden=True,
    )


def _preview_panel() -> html.Section:
    """Return the preview: the impact sentence, the backtest timeline and the changed alerts."""
    button = html.Button("Preview the edit", id=ids.RULES_PREVIEW, className="button")
    return _panel(
        [html.H2("Preview: backtest against the saved version"), button],
        # Loading states apart: the sentence shows while the timeline is still drawing.
        dcc.Loading(html.Div(id=ids.RULES_PREVIEW_SUMMARY)),
        dcc.Loading(html.Div(id=ids.RULES_PREVIEW_TIMELINE, className="rules-timeline")),
        dcc.Loading(html.Div(id=ids.RULES_PREVIEW_LIST)),
    )


def _evidence_panel() -> html.Div:
    """Return the scorecard and the noise budget side by side."""
    budget = dcc.Input(
        id=ids.RULES_NOISE_MAX, type="number", min=0, step="any", value=DEFAULT_BUDGET,
        className="number-input",
    )  # fmt: skip
    controls = html.Div(
        [
            html.Label([html.Span("At most", className="control-label"), budget]),
            html.Span("alerts per quarter", className="control-label"),
            html.Button("Suggest", id=ids.RULES_NOISE_RUN, className="button"),
            html.Button(
                "Apply the suggestion", id=ids.RULES_NOISE_APPLY, className="button", disabled=True
            ),
        ],
        className="noise-controls",
    )
    return html.Div(
        [
            _panel(
                "Scorecard against reference episodes",
                dcc.Loading(html.Div(id=ids.RULES_SCORECARD)),
            ),
            _panel("Noise budget", controls, dcc.Loading(html.Div(id=ids.RULES_NOISE_RESULT))),
        ],
        className="evidence-grid",
    )


def _save_panel(*, can_save: bool) -> html.Section:
    """Return saving with a reason, and the version history with diffs."""
    reason = dcc.Input(
        id=ids.RULES_REASON, type="text", placeholder="Why this change (required)",
        disabled=not can_save, className="reason-input",
    )  # fmt: skip
    save = html.Button(
        "Save as a new version",
        id=ids.RULES_SAVE,
        className="button primary",
        disabled=not can_save,
    )
    pickers = [
        html.Label(
            [html.Span(label, className="control-label"), dcc.Dropdown(id=key, clearable=False)]
        )
        for label, key in (("Diff from", ids.RULES_DIFF_FROM), ("to", ids.RULES_DIFF_TO))
    ]
    return _panel(
        "Save and history",
        html.Div(
            [
                html.Label(
                    [html.Span("Reason", className="control-label"), reason],
                    className="stacked reason-field",
                ),
                save,
            ],
            className="save-row",
        ),
        html.P(VIEWER_NOTE, className="figure-note") if not can_save else None,
        html.Div(id=ids.RULES_SAVE_MESSAGE),
        html.Div(id=ids.RULES_HISTORY, className="scroll-box"),
        html.Div(pickers, className="diff-pickers"),
        html.Div(id=ids.RULES_DIFF),
    )
