"""Sign-in for the dashboard: an encrypted session cookie, CSRF checks and redirects.

Where the API token lives: Flask's default session is a *signed* cookie, which the browser
can read (base64 JSON), and the token must not reach the browser. Rather than keep a
server-side store (lost on restart, not shared between processes), the whole session cookie
is encrypted and authenticated with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived
from the dashboard's secret key. The browser holds an opaque blob; the token in it is usable
only by this server. Signing out also revokes the token at the API, so a copied cookie dies
with the session.

Lifetimes: the cookie is re-encrypted on every request, and one older than the idle
lifetime is refused (Fernet's timestamp); a sign-in older than the absolute lifetime is
dropped whatever the activity. The API's own session tokens expire too.

CSRF: every state-changing request (Dash callbacks are POSTs to ``/_dash-update-component``;
the sign-in and sign-out forms) must come from this origin (``Origin``, or ``Referer``
when a browser leaves ``Origin`` out) and carry the session's CSRF token, either in the
``X-CSRFToken`` header, which Dash's renderer copies from the ``_csrf_token`` cookie by
itself, or in a ``csrf_token`` form field.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import flask
from cryptography.fernet import Fernet, InvalidToken
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from dashboard import api_client
from dashboard.session import USER_SESSION_KEY, current_user

CSRF_SESSION_KEY = "tocsin_csrf"
SIGNED_IN_AT_KEY = "tocsin_signed_in_at"
# Dash's renderer reads this cookie and sends its value as the X-CSRFToken header.
CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
CSRF_FIELD = "csrf_token"
LOGIN_PATH = "/login"
LOGIN_ROUTE = "/auth/login"
LOGOUT_ROUTE = "/auth/logout"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DASH_CALLBACK_PATH = "/_dash-update-component"
# Reachable without signing in: the sign-in page and form, health, and Dash's own files.
PUBLIC_PATHS = frozenset({LOGIN_PATH, LOGIN_ROUTE, "/healthz", "/_favicon.ico"})
PUBLIC_PREFIXES = ("/assets/", "/_dash-", "/_reload-hash")
# Files the same for every visitor: served without reading or refreshing the session, so
# their answers carry no Set-Cookie and no ``Vary: Cookie`` and the browser's cache keeps
# them (a session cookie re-encrypted on every answer would make each cached copy miss).
STATIC_PATHS = frozenset({"/_favicon.ico"})
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
# What the sign-in page may say; the query string carries only these codes, never text.
LOGIN_ERRORS = {
    "invalid": "Wrong username or password.",
    "throttled": "Too many failed sign-ins for this account. Wait a few minutes and try again.",
    "unavailable": "The API cannot be reached; sign-in is not possible right now.",
    "expired": "Your session has ended. Sign in again.",
    "missing": "Enter your username and password.",
}


@dataclass(frozen=True)
class SessionPolicy:
    """How long a dashboard session lasts, and whether its cookie needs HTTPS."""

    idle: timedelta = timedelta(hours=8)
    absolute: timedelta = timedelta(hours=12)
    secure_cookie: bool = False


class _FernetSerializer:
    """The ``loads``/``dumps`` pair Flask's cookie session expects, with Fernet inside."""

    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"tocsin-dashboard-session\x00" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def dumps(self, data: dict[str, Any]) -> str:
        """Encrypt the session as JSON."""
        return self._fernet.encrypt(json.dumps(data).encode()).decode("ascii")

    def loads(self, value: str, max_age: int | None = None) -> dict[str, Any]:
        """Decrypt a cookie no older than max_age seconds; a bad or stale one is refused."""
        try:
            data = json.loads(self._fernet.decrypt(value.encode("ascii"), ttl=max_age))
        except (InvalidToken, UnicodeError, ValueError) as exc:
            raise BadSignature("unreadable session cookie") from exc
        if not isinstance(data, dict):
            raise BadSignature("unreadable session cookie")
        return data


class EncryptedSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session with the cookie encrypted rather than only signed."""

    def get_signing_serializer(self, app: flask.Flask) -> Any:
        """Return the Fernet serializer for the app's secret key."""
        return _FernetSerializer(str(app.secret_key)) if app.secret_key else None

    def should_set_cookie(self, app: flask.Flask, session: Any) -> bool:
        """Write a changed session; refresh an unchanged one only where it was read.

        Static files never read it, so they go out without a cookie (see ``STATIC_PATHS``).
        """
        if session.modified:
            return True
        return bool(session.accessed) and super().should_set_cookie(app, session)


def install(server: flask.Flask, *, api_url: str, secret_key: str, policy: SessionPolicy) -> None:
    """Give the dashboard's Flask server sessions, CSRF checks, redirects and sign-in routes."""
    server.secret_key = secret_key
    server.session_interface = EncryptedSessionInterface()
    server.config.update(
        PERMANENT_SESSION_LIFETIME=policy.idle,
        SESSION_COOKIE_NAME="tocsin_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=policy.secure_cookie,
        SESSION_REFRESH_EACH_REQUEST=True,
    )
    server.config["TOCSIN_SESSION_POLICY"] = policy
    server.before_request(_guard)
    server.after_request(_after)
    server.add_url_rule(LOGIN_ROUTE, "login", _login_route(api_url), methods=["POST"])
    server.add_url_rule(LOGOUT_ROUTE, "logout", _logout_route(api_url), methods=["POST"])


def csrf_token() -> str:
    """Return this session's CSRF token, creating it on first use ("" outside a request)."""
    if not flask.has_request_context():
        return ""
    token = flask.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        flask.session[CSRF_SESSION_KEY] = token
    return token


def session_token(server: flask.Flask, cookie_header: str) -> str | None:
    """Return the API token of the signed-in session a Cookie header carries, else None.

    For routes served outside Flask (the /live relay): the session is opened by Flask's own
    machinery, so the idle and absolute lifetimes hold there as on every page.
    """
    environ = EnvironBuilder(headers=[("Cookie", cookie_header)])
    with server.request_context(environ.get_environ()):
        _expire_old_sign_in()
        token = flask.session.get(api_client.TOKEN_SESSION_KEY)
        if current_user() is None or not isinstance(token, str) or not token:
            return None
        return token


def login_url(next_path: str, **query: str) -> str:
    """Return the sign-in page's address that comes back to next_path afterwards."""
    target = safe_next(next_path)
    params = {**query, "next": target} if target != "/" else dict(query)
    return f"{LOGIN_PATH}?{urlencode(params)}" if params else LOGIN_PATH


def safe_next(value: str | None) -> str:
    """Return value when it is a path on this site (not the sign-in page), else "/"."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return "/" if urlsplit(value).path in (LOGIN_PATH, LOGIN_ROUTE) else value


# ----------------------------------------------------------------- request hooks


def _guard() -> Response | None:
    """Refuse cross-site writes, end stale sign-ins, and send anonymous page views to sign in."""
    if _is_static(flask.request.path):
        return None
    flask.session.permanent = True
    csrf_token()
    if flask.request.method not in SAFE_METHODS and not (_same_origin() and _csrf_matches()):
        flask.abort(403, description="Cross-site request refused (origin or CSRF token).")
    _expire_old_sign_in()
    path = flask.request.path
    if current_user() is None and flask.request.method == "GET" and not _is_public(path):
        return flask.redirect(login_url(flask.request.full_path.rstrip("?")))
    return None


def _after(response: Response) -> Response:
    """Hand Dash the CSRF cookie, and turn a callback that met an API 401 into a 401."""
    if _is_static(flask.request.path):
        return response
    if flask.g.get(api_client.UNAUTHORIZED_FLAG) and flask.request.path == DASH_CALLBACK_PATH:
        sign_out_locally()
        response = flask.jsonify(detail="Your session has ended; sign in again.")
        response.status_code = 401
    token = csrf_token()
    if flask.request.cookies.get(CSRF_COOKIE) != token:
        policy: SessionPolicy = flask.current_app.config["TOCSIN_SESSION_POLICY"]
        response.set_cookie(
            CSRF_COOKIE, token, httponly=False, samesite="Lax", secure=policy.secure_cookie
        )
    return response


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _is_static(path: str) -> bool:
    return path in STATIC_PATHS or path.startswith(STATIC_PREFIXES)


def _same_origin() -> bool:
    """Tell whether the request's Origin (or else Referer) names this server's host."""
    origin = flask.request.headers.get("Origin") or flask.request.headers.get("Referer")
    return bool(origin) and urlsplit(origin).netloc == flask.request.host


def _csrf_matches() -> bool:
    """Tell whether the request carries this session's CSRF token (header or form field)."""
    sent = flask.request.headers.get(CSRF_HEADER) or flask.request.form.get(CSRF_FIELD, "")
    return hmac.compare_digest(sent.encode(), csrf_token().encode())


def _expire_old_sign_in() -> None:
    """Forget a sign-in older than the absolute session lifetime."""
    signed_in_at = flask.session.get(SIGNED_IN_AT_KEY)
    if signed_in_at is None:
        return
    policy: SessionPolicy = flask.current_app.config["TOCSIN_SESSION_POLICY"]
    if time.time() - float(signed_in_at) > policy.absolute.total_seconds():
        sign_out_locally()


def sign_out_locally() -> None:
    """Forget the user and their token in this session, keeping the CSRF token."""
    for key in (USER_SESSION_KEY, api_client.TOKEN_SESSION_KEY, SIGNED_IN_AT_KEY):
        flask.session.pop(key, None)


# ----------------------------------------------------------------- sign-in and sign-out


def _login_route(api_url: str) -> Any:
    """Return the view that exchanges the sign-in form for an API token."""

    def login() -> Response:
        form = flask.request.form
        username, password = form.get("username", "").strip(), form.get("password", "")
        next_path = safe_next(form.get("next"))
        if not username or not password:
            return flask.redirect(login_url(next_path, error="missing"))
        sign_out_locally()
        try:
            flask.session[api_client.TOKEN_SESSION_KEY] = api_client.login(
                api_url, username=username, password=password
            )
            me = api_client.me(api_url)
        except api_client.ApiError as exc:
            sign_out_locally()
            return flask.redirect(login_url(next_path, error=_login_error(exc.status)))
        # A new CSRF token at sign-in: one planted before it (login CSRF) is worthless after.
        flask.session[CSRF_SESSION_KEY] = secrets.token_urlsafe(32)
        flask.session[USER_SESSION_KEY] = {"username": me["user"]["username"], "role": me["role"]}
        flask.session[SIGNED_IN_AT_KEY] = time.time()
        return flask.redirect(next_path)

    return login


def _login_error(status: int | None) -> str:
    """Map the API's answer to one of the sign-in page's messages."""
    if status in (400, 401, 403, 422):
        return "invalid"
    return "throttled" if status == 429 else "unavailable"


def _logout_route(api_url: str) -> Any:
    """Return the view that revokes the token at the API and clears the session."""

    def logout() -> Response:
        if current_user() is not None:
            # Already expired or revoked, or the API is down: forget it here anyway.
            with contextlib.suppress(api_client.ApiError):
                api_client.logout(api_url)
        sign_out_locally()
        return flask.redirect(LOGIN_PATH + "?" + urlencode({"notice": "signed-out"}))

    return logout
