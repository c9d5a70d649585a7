"""Administration (admins only): users (create, change role, disable) and API tokens.

Everything goes through the API, which checks the admin role again on every call; a
non-admin who types /admin gets a "not allowed" message and no controls. A new token's
secret is shown once, right after it is created, as the API returns it only then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash
from dash import Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import api_client, ids
from dashboard.session import ROLE_RANK, has_role

NOTHING = "—"
NOT_ALLOWED = "Not allowed: administration is for admins. Ask an admin to change your role."
ROLE_OPTIONS = [{"label": role, "value": role} for role in ROLE_RANK]
NO_TOKENS = "This user has no active API tokens. Create one below for a script or a system."


def when(moment: str | None) -> str:
    """Return an API timestamp as 'YYYY-MM-DD HH:MM UTC', or a dash when there is none."""
    return NOTHING if not moment else str(moment)[:16].replace("T", " ") + " UTC"


def layout(**_query: Any) -> html.Div:
    """Return the administration page, hidden behind a refusal for anyone below admin.

    The controls are always in the layout, only hidden (Dash checks callbacks against the
    layout it builds on its first request, whoever makes it); their callbacks do nothing
    below admin, and the API refuses anyway.
    """
    allowed = has_role("admin")
    return html.Div(
        className="admin",
        children=[
            html.P(NOT_ALLOWED, className="message error", role="alert", hidden=allowed),
            html.Div(
                className="admin",
                hidden=not allowed,
                children=[_users_panel(), _tokens_panel()],
            ),
        ],
    )


def _field(label: str, component: Any) -> html.Label:
    return html.Label([html.Span(label, className="field-label"), component], className="field")


def _users_panel() -> html.Section:
    return html.Section(
        className="panel",
        children=[
            html.Div(html.H2("Users"), className="panel-head"),
            html.Div(id=ids.ADMIN_USER_MESSAGE),
            dcc.Loading(html.Div(id=ids.ADMIN_USERS)),
            html.H3("Create a user"),
            html.Div(
                className="form-row",
                children=[
                    _field("Username", dcc.Input(id=ids.ADMIN_NEW_USERNAME, type="text")),
                    _field("Password", dcc.Input(id=ids.ADMIN_NEW_PASSWORD, type="password")),
                    _field("E-mail (optional)", dcc.Input(id=ids.ADMIN_NEW_EMAIL, type="email")),
                    _field(
                        "Role",
                        dcc.Dropdown(
                            id=ids.ADMIN_NEW_ROLE,
                            options=ROLE_OPTIONS,
                            value="viewer",
                            clearable=False,
                        ),
                    ),
                    html.Button("Create user", id=ids.ADMIN_CREATE_USER, className="button"),
                ],
            ),
            html.H3("Change a user"),
            html.Div(
                className="form-row",
                children=[
                    _field("User", dcc.Dropdown(id=ids.ADMIN_EDIT_USER, options=[])),
                    _field("New role", dcc.Dropdown(id=ids.ADMIN_EDIT_ROLE, options=ROLE_OPTIONS)),
                    html.Button("Change role", id=ids.ADMIN_SET_ROLE, className="button"),
                    html.Button("Disable", id=ids.ADMIN_DISABLE, className="button button-danger"),
                    html.Button("Enable", id=ids.ADMIN_ENABLE, className="button button-plain"),
                ],
            ),
        ],
    )


def _tokens_panel() -> html.Section:
    return html.Section(
        className="panel",
        children=[
            html.Div(
                className="panel-head",
                children=[
                    html.H2("API tokens"),
                    _field("of", dcc.Dropdown(id=ids.ADMIN_TOKEN_USER, options=[])),
                ],
            ),
            html.Div(id=ids.ADMIN_TOKEN_MESSAGE),
            html.Div(id=ids.ADMIN_SECRET_BOX),
            dcc.Loading(html.Div(id=ids.ADMIN_TOKENS)),
            html.Div(
                className="form-row",
                children=[
                    _field("Name", dcc.Input(id=ids.ADMIN_TOKEN_NAME, type="text")),
                    _field(
                        "Role (default: the user's)",
                        dcc.Dropdown(id=ids.ADMIN_TOKEN_ROLE, options=ROLE_OPTIONS),
                    ),
                    _field(
                        "Expires in days (empty: never)",
                        dcc.Input(id=ids.ADMIN_TOKEN_DAYS, type="number", min=1, max=3650),
                    ),
                    html.Button("Create token", id=ids.ADMIN_CREATE_TOKEN, className="button"),
                    _field("Token", dcc.Dropdown(id=ids.ADMIN_REVOKE_ID, options=[])),
                    html.Button("Revoke", id=ids.ADMIN_REVOKE, className="button button-danger"),
                ],
            ),
        ],
    )


# ----------------------------------------------------------------- views (pure)


def users_table(users: Sequence[Mapping[str, Any]]) -> html.Table:
    """Return the users as a table: username, role, active, e-mail, created."""
    head = html.Tr([html.Th(name) for name in ("Username", "Role", "Active", "E-mail", "Created")])
    rows = [
        html.Tr(
            [
                html.Td(user["username"]),
                html.Td(user["role"]),
                html.Td("yes" if user["is_active"] else "disabled"),
                html.Td(user.get("email") or NOTHING),
                html.Td(when(user.get("created_at"))),
            ],
            className="" if user["is_active"] else "inactive",
        )
        for user in users
    ]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="data-table")


def tokens_table(tokens: Sequence[Mapping[str, Any]]) -> html.Table | html.P:
    """Return a user's active tokens: name, role, created, last used, expires."""
    if not tokens:
        return html.P(NO_TOKENS, className="empty-state")
    titles = ("Id", "Name", "Role", "Created", "Last used", "Expires")
    rows = [
        html.Tr(
            [
                html.Td(str(token["id"]), className="num"),
                html.Td(token["name"]),
                html.Td(token["role"]),
                html.Td(when(token.get("created_at"))),
                html.Td(when(token.get("last_used_at"))),
                html.Td(when(token.get("expires_at")) if token.get("expires_at") else "never"),
            ]
        )
        for token in tokens
    ]
    head = html.Tr([html.Th(title) for title in titles])
    return html.Table([html.Thead(head), html.Tbody(rows)], className="data-table")


def message(text: str, *, ok: bool) -> html.P:
    """Return a status line: a notice after success, an alert after a failure."""
    if ok:
        return html.P(text, className="message notice")
    return html.P(text, className="message error", role="alert")


def user_options(users: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return dropdown options naming each user with their role."""
    return [{"label": f"{u['username']} ({u['role']})", "value": u["id"]} for u in users]


def secret_box(issued: Mapping[str, Any]) -> html.Div:
    """Return the new token's secret, with the warning that it is shown only once."""
    return html.Div(
        className="secret-box",
        children=[
            html.P(f"Token {issued['id']} ({issued['role']}) created. Copy it now:"),
            html.Code(issued["token"], id=ids.ADMIN_SECRET),
            html.P("It is shown only this once; Tocsin keeps only a digest of it."),
        ],
    )


# ----------------------------------------------------------------- actions


def user_action(api_url: str, action: str | None, form: Mapping[str, Any]) -> html.P | None:
    """Create or change a user as the button asked; return the status line (None: no action)."""
    if action == ids.ADMIN_CREATE_USER:
        if not form["username"] or not form["password"]:
            return message("Give the new user a username and a password.", ok=False)
        created = api_client.create_user(
            api_url,
            username=form["username"],
            password=form["password"],
            role=form["role"],
            email=form["email"] or None,
        )
        return message(f"Created {created['username']} ({created['role']}).", ok=True)
    if action not in (ids.ADMIN_SET_ROLE, ids.ADMIN_DISABLE, ids.ADMIN_ENABLE):
        return None
    if form["user_id"] is None:
        return message("Choose a user first.", ok=False)
    if action == ids.ADMIN_SET_ROLE and not form["new_role"]:
        return message("Choose the new role.", ok=False)
    changed = api_client.update_user(
        api_url,
        form["user_id"],
        role=form["new_role"] if action == ids.ADMIN_SET_ROLE else None,
        is_active=None if action == ids.ADMIN_SET_ROLE else action == ids.ADMIN_ENABLE,
    )
    state = "active" if changed["is_active"] else "disabled"
    return message(f"{changed['username']} is now {changed['role']}, {state}.", ok=True)


def token_action(
    api_url: str, action: str | None, form: Mapping[str, Any]
) -> tuple[html.P | None, Any]:
    """Create or revoke a token as the button asked; return (status line, secret box)."""
    if action == ids.ADMIN_CREATE_TOKEN:
        if form["user_id"] is None or not form["name"]:
            return message("Choose a user and name the token.", ok=False), None
        issued = api_client.create_token(
            api_url,
            form["user_id"],
            name=form["name"],
            role=form["role"],
            expires_in_days=int(form["days"]) if form["days"] else None,
        )
        return None, secret_box(issued)
    if action == ids.ADMIN_REVOKE:
        if form["token_id"] is None:
            return message("Choose the token to revoke.", ok=False), None
        api_client.revoke_token(api_url, form["token_id"])
        return message(f"Token {form['token_id']} revoked.", ok=True), None
    return None, None


def register(app: Dash, *, api_url: str) -> None:
    """Register the administration page at /admin and attach its callbacks."""
    dash.register_page(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        __name__,
        path="/admin",
        name="Admin",
        title="Tocsin — Administration",
        order=20,
        layout=layout,
        min_role="admin",
    )

    @app.callback(
        Output(ids.ADMIN_USER_MESSAGE, "children"),
        Output(ids.ADMIN_USERS, "children"),
        Output(ids.ADMIN_EDIT_USER, "options"),
        Output(ids.ADMIN_TOKEN_USER, "options"),
        Input(ids.ADMIN_CREATE_USER, "n_clicks"),
        Input(ids.ADMIN_SET_ROLE, "n_clicks"),
        Input(ids.ADMIN_DISABLE, "n_clicks"),
        Input(ids.ADMIN_ENABLE, "n_clicks"),
        State(ids.ADMIN_NEW_USERNAME, "value"),
        State(ids.ADMIN_NEW_PASSWORD, "value"),
        State(ids.ADMIN_NEW_EMAIL, "value"),
        State(ids.ADMIN_NEW_ROLE, "value"),
        State(ids.ADMIN_EDIT_USER, "value"),
        State(ids.ADMIN_EDIT_ROLE, "value"),
    )
    def _users(*args: Any) -> tuple[Any, Any, Any, Any]:
        if not has_role("admin"):
            raise PreventUpdate
        form = dict(
            zip(
                ("username", "password", "email", "role", "user_id", "new_role"),
                args[4:],
                strict=True,
            )
        )
        try:
            status = user_action(api_url, ctx.triggered_id, form)
            users = api_client.users(api_url)
        except api_client.ApiError as exc:
            return message(str(exc), ok=False), dash.no_update, dash.no_update, dash.no_update
        options = user_options(users)
        return status, users_table(users), options, options

    @app.callback(
        Output(ids.ADMIN_TOKEN_MESSAGE, "children"),
        Output(ids.ADMIN_TOKENS, "children"),
        Output(ids.ADMIN_REVOKE_ID, "options"),
        Output(ids.ADMIN_SECRET_BOX, "children"),
        Input(ids.ADMIN_TOKEN_USER, "value"),
        Input(ids.ADMIN_CREATE_TOKEN, "n_clicks"),
        Input(ids.ADMIN_REVOKE, "n_clicks"),
        State(ids.ADMIN_TOKEN_NAME, "value"),
        State(ids.ADMIN_TOKEN_ROLE, "value"),
        State(ids.ADMIN_TOKEN_DAYS, "value"),
        State(ids.ADMIN_REVOKE_ID, "value"),
    )
    def _tokens(user_id: int | None, *args: Any) -> tuple[Any, Any, Any, Any]:
        if not has_role("admin"):
            raise PreventUpdate
        form = dict(
            zip(("name", "role", "days", "token_id"), args[2:], strict=True), user_id=user_id
        )
        try:
            status, secret = token_action(api_url, ctx.triggered_id, form)
            tokens = api_client.tokens(api_url, user_id) if user_id is not None else []
        except api_client.ApiError as exc:
            return message(str(exc), ok=False), dash.no_update, dash.no_update, None
        options = [{"label": f"{t['id']} · {t['name']}", "value": t["id"]} for t in tokens]
        table = (
            tokens_table(tokens)
            if user_id is not None
            else html.P("Choose a user to see their tokens.", className="empty-state")
        )
        return status, table, options, secret
