"""Rules workbench: pick a rule, edit its YAML (or the form for the common operators), see
line-numbered validation as you type, preview the edit's backtest against the saved
version, its scorecard and the noise-budget suggestion, save it with a reason, and read
the version history with diffs.

The layout lives in dashboard/rules_layout.py, the views in dashboard/rules_views.py and
dashboard/rules_evidence.py, the YAML helpers in dashboard/rule_form.py; the callbacks here
only route inputs to them.
Viewers read and preview; saving needs an analyst (the API checks again).
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids, rule_form, rules_evidence, rules_views, session
from dashboard.rules_layout import VIEWER_NOTE, layout

# The browser waits this long after the last keystroke before asking the API to validate.
VALIDATE_DEBOUNCE_MS = 600
# Resolve with the text once it has not changed for VALIDATE_DEBOUNCE_MS (a debounce), so
# the API validates what the analyst paused on, not every keystroke.
DEBOUNCE_JS = f"""
function (text) {{
    const state = (window.tocsinRulesDebounce = window.tocsinRulesDebounce || {{}});
    state.latest = text;
    return new Promise(function (resolve) {{
        setTimeout(function () {{
            resolve(state.latest === text ? text : window.dash_clientside.no_update);
        }}, {VALIDATE_DEBOUNCE_MS});
    }});
}}
"""


# ------------------------------------------------------------------------- editing


def editor_text(
    trigger: Any,
    *,
    detail: dict[str, Any] | None,
    text: str | None,
    form: tuple[str | None, dict[str, Any]],
    suggestion: dict[str, Any] | None,
) -> tuple[Any, Any]:
    """Return the editor's new text and a form message for what triggered the change.

    A loaded rule replaces the text; the form button rewrites the operator and its
    parameters; the noise-budget button sets the suggested parameter value.
    """
    try:
        if trigger == ids.RULES_FORM_APPLY:
            operator, params = form
            return rule_form.apply_form(text or "", operator or "", params), None
        if trigger == ids.RULES_NOISE_APPLY and suggestion:
            return rule_form.set_param(
                text or "", rule=suggestion["rule"], parameter=suggestion["parameter"],
                value=suggestion["value"],
            ), None  # fmt: skip
    except rule_form.RuleTextError as exc:
        return no_update, rules_views.message(str(exc))
    return (detail["yaml"], None) if detail else (no_update, None)


def form_from_detail(detail: dict[str, Any] | None, names: list[str]) -> tuple[Any, list[Any]]:
    """Return the form's operator and parameter values for the loaded rule."""
    if not detail:
        raise PreventUpdate
    try:
        values = rule_form.form_values(detail["yaml"])
    except rule_form.RuleTextError:
        return None, [None] * len(names)
    return values["operator"], [values.get(name) for name in names]


def _names(entries: list[dict[str, Any]]) -> list[str]:
    """Return the parameter names of pattern-matching entries, in layout order."""
    return [entry["id"]["param"] for entry in entries]


# ------------------------------------------------------------------------- callbacks


def register(app: Dash, *, api_url: str) -> None:
    """Register the workbench at /rules and attach its callbacks to the app."""
    dash.register_page(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        __name__, path="/rules", name="Rules", title="Tocsin — Rules", order=4, layout=layout
    )
    _register_editing(app, api_url=api_url)
    _register_preview(app, api_url=api_url)
    _register_saving(app, api_url=api_url)


def _register_editing(app: Dash, *, api_url: str) -> None:
    """Attach the list, loading, editor, form and validation callbacks."""

    @app.callback(
        Output(ids.RULES_LIST, "children"),
        Input(ids.RULES_FILTER, "value"),
        Input(ids.RULES_DETAIL, "data"),
    )
    def _list(query: str | None, detail: dict[str, Any] | None) -> Any:
        return rules_views.rule_list_view(api_url, query, (detail or {}).get("name"))

    @app.callback(
        Output(ids.RULES_DETAIL, "data"),
        Output(ids.RULES_HEADER, "children"),
        Input(ids.RULES_SELECTED, "data"),
    )
    def _load(name: str | None) -> tuple[Any, Any]:
        return rules_views.load_detail(api_url, name)

    @app.callback(
        Output(ids.RULES_EDITOR, "value"),
        Output(ids.RULES_FORM_MESSAGE, "children"),
        Input(ids.RULES_DETAIL, "data"),
        Input(ids.RULES_FORM_APPLY, "n_clicks"),
        Input(ids.RULES_NOISE_APPLY, "n_clicks"),
        State(ids.RULES_EDITOR, "value"),
        State(ids.RULES_FORM_OPERATOR, "value"),
        State({"type": ids.RULES_FORM_PARAM, "param": ALL}, "value"),
        State(ids.RULES_NOISE_SUGGESTION, "data"),
    )
    def _edit(
        detail: Any, _form: Any, _noise: Any, text: str | None, operator: str | None,
        values: list[Any], suggestion: Any,
    ) -> tuple[Any, Any]:  # fmt: skip
        params = dict(zip(_names(ctx.states_list[2]), values, strict=True))
        return editor_text(
            ctx.triggered_id, detail=detail, text=text, form=(operator, params),
            suggestion=suggestion,
        )  # fmt: skip

    @app.callback(
        Output(ids.RULES_FORM_OPERATOR, "value"),
        Output({"type": ids.RULES_FORM_PARAM, "param": ALL}, "value"),
        Input(ids.RULES_DETAIL, "data"),
    )
    def _fill_form(detail: Any) -> tuple[Any, list[Any]]:
        return form_from_detail(detail, _names(ctx.outputs_list[1]))

    @app.callback(
        Output({"type": ids.RULES_FORM_FIELD, "param": ALL}, "hidden"),
        Input(ids.RULES_FORM_OPERATOR, "value"),
    )
    def _show_fields(operator: str | None) -> list[bool]:
        shown = rule_form.FORM_OPERATORS.get(operator or "", ())
        return [name not in shown for name in _names(ctx.outputs_list)]

    app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        DEBOUNCE_JS,
        Output(ids.RULES_YAML_SETTLED, "data"),
        Input(ids.RULES_EDITOR, "value"),
    )

    @app.callback(Output(ids.RULES_VALIDATION, "children"), Input(ids.RULES_YAML_SETTLED, "data"))
    def _validate(text: str | None) -> Any:
        return rules_views.validation_view(api_url, text)


def _edited(detail: dict[str, Any] | None, text: str | None) -> str:
    """Return the YAML to preview: the loaded rule's on load, else the editor's."""
    if not detail:
        raise PreventUpdate
    return detail["yaml"] if ctx.triggered_id == ids.RULES_DETAIL or not text else text


def _register_preview(app: Dash, *, api_url: str) -> None:
    """Attach the preview, scorecard and noise-budget callbacks."""

    @app.callback(
        Output(ids.RULES_PREVIEW_SUMMARY, "children"),
        Output(ids.RULES_PREVIEW_ROWS, "data"),
        Output(ids.RULES_PREVIEW_LIST, "children"),
        Input(ids.RULES_PREVIEW, "n_clicks"),
        Input(ids.RULES_DETAIL, "data"),
        State(ids.RULES_EDITOR, "value"),
    )
    def _preview(_clicks: Any, detail: Any, text: str | None) -> tuple[Any, Any, Any]:
        edited = _edited(detail, text)
        return rules_views.preview_view(api_url, detail["name"], edited)

    @app.callback(
        Output(ids.RULES_PREVIEW_TIMELINE, "children"), Input(ids.RULES_PREVIEW_ROWS, "data")
    )
    def _timeline(rows: list[dict[str, Any]] | None) -> Any:
        return rules_views.timeline_view(rows)

    @app.callback(
        Output(ids.RULES_SCORECARD, "children"),
        Input(ids.RULES_PREVIEW, "n_clicks"),
        Input(ids.RULES_DETAIL, "data"),
        State(ids.RULES_EDITOR, "value"),
    )
    def _scorecard(_clicks: Any, detail: Any, text: str | None) -> Any:
        return rules_evidence.scorecard_view(api_url, _edited(detail, text))

    @app.callback(
        Output(ids.RULES_NOISE_RESULT, "children"),
        Output(ids.RULES_NOISE_SUGGESTION, "data"),
        Output(ids.RULES_NOISE_APPLY, "disabled"),
        Input(ids.RULES_NOISE_RUN, "n_clicks"),
        State(ids.RULES_NOISE_MAX, "value"),
        State(ids.RULES_DETAIL, "data"),
        State(ids.RULES_EDITOR, "value"),
        prevent_initial_call=True,
    )
    def _noise(
        _clicks: Any, budget: float | None, detail: Any, text: str | None
    ) -> tuple[Any, ...]:
        edited = _edited(detail, text)
        view, suggestion = rules_evidence.noise_view(
            api_url, edited, rule=detail["name"], max_per_quarter=budget
        )
        return view, suggestion, suggestion is None


def _register_saving(app: Dash, *, api_url: str) -> None:
    """Attach saving, the version history and the diff callbacks."""

    @app.callback(
        Output(ids.RULES_SAVE_MESSAGE, "children"),
        Output(ids.RULES_DETAIL, "data", allow_duplicate=True),
        Output(ids.RULES_REASON, "value"),
        Output(ids.RULES_HEADER, "children", allow_duplicate=True),
        Input(ids.RULES_SAVE, "n_clicks"),
        State(ids.RULES_DETAIL, "data"),
        State(ids.RULES_EDITOR, "value"),
        State(ids.RULES_REASON, "value"),
        prevent_initial_call=True,
    )
    def _save(_clicks: Any, detail: Any, text: str | None, reason: str | None) -> tuple[Any, ...]:
        if not detail or not text:
            raise PreventUpdate
        if not session.has_role("analyst"):
            return rules_views.message(VIEWER_NOTE), no_update, no_update, no_update
        view, saved = rules_views.save_view(api_url, detail, text=text, reason=reason)
        if saved is None:
            return view, no_update, no_update, no_update
        return view, saved, "", rules_views.rule_header(saved)

    @app.callback(
        Output(ids.RULES_HISTORY, "children"),
        Output(ids.RULES_DIFF_FROM, "options"),
        Output(ids.RULES_DIFF_FROM, "value"),
        Output(ids.RULES_DIFF_TO, "options"),
        Output(ids.RULES_DIFF_TO, "value"),
        Input(ids.RULES_DETAIL, "data"),
    )
    def _history(detail: Any) -> tuple[Any, ...]:
        if not detail:
            raise PreventUpdate
        options, older, newest = rules_views.diff_choices(detail)
        return rules_views.history_table(detail), options, older, options, newest

    @app.callback(
        Output(ids.RULES_DIFF, "children"),
        Input(ids.RULES_DIFF_FROM, "value"),
        Input(ids.RULES_DIFF_TO, "value"),
        Input(ids.RULES_DETAIL, "data"),
    )
    def _diff(old: int | None, new: int | None, detail: Any) -> Any:
        return rules_views.diff_view(detail, old, new)
