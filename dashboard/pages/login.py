"""Sign in: a plain HTML form posted to ``/auth/login`` (dashboard.auth), with its messages.

The form works without any callback: the browser posts it with the session's CSRF token,
the server exchanges the password for an API token, keeps the token in the encrypted
session and sends the user back to the page they asked for. Failures come back as a code in
the query string (``error=invalid``), which this page turns into a fixed sentence.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Dash, dcc, html

from dashboard import auth, ids
from dashboard.session import current_user

NOTICES = {"signed-out": "You have signed out."}


def layout(**query: Any) -> html.Div:
    """Return the sign-in form, with the message its query string names."""
    user = current_user()
    return html.Div(
        className="login",
        children=[
            html.Section(
                className="panel login-panel",
                children=[
                    html.H1("Sign in to Tocsin"),
                    *_messages(query),
                    html.P(
                        f"You are signed in as {user['username']} ({user['role']}).",
                        className="login-already",
                    )
                    if user
                    else None,
                    _form(auth.safe_next(_text(query.get("next")))),
                ],
            )
        ],
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _messages(query: dict[str, Any]) -> list[html.P]:
    """Return the error and notice paragraphs the query string asks for (known codes only)."""
    error = auth.LOGIN_ERRORS.get(_text(query.get("error")) or "")
    notice = NOTICES.get(_text(query.get("notice")) or "")
    messages = []
    if error:
        messages.append(html.P(error, id=ids.LOGIN_ERROR, className="message error", role="alert"))
    if notice:
        messages.append(html.P(notice, id=ids.LOGIN_NOTICE, className="message notice"))
    return messages


def _form(next_path: str) -> html.Form:
    """Return the sign-in form posting to the dashboard server (never to the API)."""
    return html.Form(
        id=ids.LOGIN_FORM,
        action=auth.LOGIN_ROUTE,
        method="POST",
        className="login-form",
        children=[
            html.Label("Username", htmlFor=ids.LOGIN_USERNAME),
            dcc.Input(
                id=ids.LOGIN_USERNAME,
                name="username",
                type="text",
                autoComplete="username",
                required=True,
                autoFocus=True,
            ),
            html.Label("Password", htmlFor=ids.LOGIN_PASSWORD),
            dcc.Input(
                id=ids.LOGIN_PASSWORD,
                name="password",
                type="password",
                autoComplete="current-password",
                required=True,
            ),
            dcc.Input(type="hidden", name="next", value=next_path),
            dcc.Input(type="hidden", name=auth.CSRF_FIELD, value=auth.csrf_token()),
            html.Button("Sign in", id=ids.LOGIN_SUBMIT, type="submit", className="button"),
        ],
    )


def register(app: Dash, *, api_url: str) -> None:
    """Register the sign-in page at /login (it has no callbacks and no nav link)."""
    del app, api_url  # the form posts to a Flask route installed by dashboard.auth
    dash.register_page(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        __name__,
        path=auth.LOGIN_PATH,
        name="Sign in",
        title="Tocsin — Sign in",
        order=99,
        layout=layout,
        in_nav=False,
    )
