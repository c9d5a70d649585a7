"""Dashboard sign-in: encrypted sessions, CSRF and same-origin checks, redirects, lifetimes.

The hooks are installed on a bare Flask app with two stand-in views (a page and a Dash
callback endpoint), so these tests exercise dashboard.auth alone; the API is mocked with
respx.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import flask
import pytest
import respx
from flask.testing import FlaskClient
from itsdangerous import BadSignature

from dashboard import api_client, auth
from dashboard.session import USER_SESSION_KEY

API = "http://api.test"
HERE = "http://localhost"
TOKEN = "tocsin_secret-session-token"
ME = {"user": {"id": 3, "username": "ana"}, "role": "analyst", "token": {"id": 9}}


def _app(policy: auth.SessionPolicy | None = None) -> flask.Flask:
    """Return a Flask app with dashboard.auth installed, a page and a callback endpoint."""
    app = flask.Flask(__name__)
    auth.install(app, api_url=API, secret_key="k" * 40, policy=policy or auth.SessionPolicy())

    @app.get("/sources")
    def _page() -> str:
        return "sources page"

    @app.post(auth.DASH_CALLBACK_PATH)
    def _callback() -> dict[str, Any]:
        try:
            return {"me": api_client.me(API)}
        except api_client.ApiError as exc:  # pages show API errors as messages
            return {"message": str(exc)}

    return app


@pytest.fixture
def client() -> Iterator[FlaskClient]:
    with _app().test_client() as test_client:
        yield test_client


def _csrf(client: FlaskClient) -> str:
    """Open the sign-in page once and return the CSRF token the browser would hold."""
    client.get(auth.LOGIN_PATH)
    cookie = client.get_cookie(auth.CSRF_COOKIE)
    assert cookie is not None
    return cookie.value


def _sign_in(client: FlaskClient, next_path: str = "/sources") -> Any:
    form = {"username": "ana", "password": "pw-long-enough", "next": next_path}
    form[auth.CSRF_FIELD] = _csrf(client)
    return client.post(auth.LOGIN_ROUTE, data=form, headers={"Origin": HERE})


def test_anonymous_page_views_go_to_sign_in_and_public_paths_do_not(client: FlaskClient) -> None:
    answer = client.get("/sources?indicator=x")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=%2Fsources%3Findicator%3Dx"
    assert client.get("/healthz").status_code == 404  # not redirected: simply not served here
    assert client.get(auth.LOGIN_PATH).status_code == 404


@respx.mock
def test_sign_in_keeps_the_token_out_of_the_browser_and_returns_to_the_page(
    client: FlaskClient,
) -> None:
    respx.post(f"{API}/api/v1/auth/login").respond(json={"token": TOKEN})
    respx.get(f"{API}/api/v1/auth/me").respond(json=ME)
    answer = _sign_in(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/sources"
    cookie = answer.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("tocsin_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert TOKEN not in session_cookie and "analyst" not in session_cookie
    assert client.get("/sources").data == b"sources page"
    with client.session_transaction() as session:
        assert session[USER_SESSION_KEY] == {"username": "ana", "role": "analyst"}
        assert session[api_client.TOKEN_SESSION_KEY] == TOKEN
    assert respx.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


@respx.mock
@pytest.mark.parametrize(
    ("status", "code"), [(401, "invalid"), (429, "throttled"), (503, "unavailable")]
)
def test_a_refused_sign_in_names_the_reason(client: FlaskClient, status: int, code: str) -> None:
    respx.post(f"{API}/api/v1/auth/login").respond(status, json={"detail": "no"})
    answer = _sign_in(client, next_path="//evil.example/x")
    assert answer.headers["Location"] == f"/login?error={code}"
    assert code in auth.LOGIN_ERRORS
    with client.session_transaction() as session:
        assert USER_SESSION_KEY not in session and api_client.TOKEN_SESSION_KEY not in session


def test_cross_site_posts_are_refused(client: FlaskClient) -> None:
    token = _csrf(client)
    form = {"username": "ana", "password": "pw-long-enough"}
    refused = [
        client.post(auth.LOGIN_ROUTE, data=form, headers={"Origin": HERE}),  # no token
        client.post(
            auth.LOGIN_ROUTE,
            data={**form, auth.CSRF_FIELD: token},
            headers={"Origin": "https://evil.example"},
        ),
        client.post(auth.LOGIN_ROUTE, data={**form, auth.CSRF_FIELD: token}),  # no origin
        client.post(
            auth.DASH_CALLBACK_PATH,
            json={},
            headers={"Origin": HERE, auth.CSRF_HEADER: "forged"},
        ),
    ]
    assert [answer.status_code for answer in refused] == [403, 403, 403, 403]


@respx.mock
def test_dash_callbacks_pass_with_the_header_and_a_same_origin_referer(
    client: FlaskClient,
) -> None:
    respx.get(f"{API}/api/v1/auth/me").respond(json=ME)
    token = _csrf(client)
    answer = client.post(
        auth.DASH_CALLBACK_PATH,
        json={},
        headers={"Referer": f"{HERE}/sources", auth.CSRF_HEADER: token},
    )
    assert answer.status_code == 200 and answer.get_json()["me"]["role"] == "analyst"


@respx.mock
def test_an_api_401_in_a_callback_signs_out_and_answers_401(client: FlaskClient) -> None:
    respx.post(f"{API}/api/v1/auth/login").respond(json={"token": TOKEN})
    me = respx.get(f"{API}/api/v1/auth/me").respond(json=ME)
    _sign_in(client)
    me.respond(401, json={"detail": "Token revoked"})
    token = client.get_cookie(auth.CSRF_COOKIE)
    assert token is not None
    answer = client.post(
        auth.DASH_CALLBACK_PATH, json={}, headers={"Origin": HERE, auth.CSRF_HEADER: token.value}
    )
    assert answer.status_code == 401
    assert client.get("/sources").status_code == 302


@respx.mock
def test_sign_out_revokes_the_token_and_forgets_the_user(client: FlaskClient) -> None:
    respx.post(f"{API}/api/v1/auth/login").respond(json={"token": TOKEN})
    respx.get(f"{API}/api/v1/auth/me").respond(json=ME)
    revoke = respx.post(f"{API}/api/v1/auth/logout").respond(204)
    _sign_in(client)
    token = client.get_cookie(auth.CSRF_COOKIE)
    assert token is not None
    answer = client.post(
        auth.LOGOUT_ROUTE, data={auth.CSRF_FIELD: token.value}, headers={"Origin": HERE}
    )
    assert answer.headers["Location"] == "/login?notice=signed-out"
    assert revoke.called
    assert client.get("/sources").status_code == 302


@respx.mock
def test_a_sign_in_older_than_the_absolute_lifetime_ends(client: FlaskClient) -> None:
    respx.post(f"{API}/api/v1/auth/login").respond(json={"token": TOKEN})
    respx.get(f"{API}/api/v1/auth/me").respond(json=ME)
    _sign_in(client)
    with client.session_transaction() as session:
        session[auth.SIGNED_IN_AT_KEY] = time.time() - timedelta(hours=13).total_seconds()
    assert client.get("/sources").status_code == 302


def test_an_idle_cookie_is_refused() -> None:
    serializer = auth._FernetSerializer("k" * 40)
    value = serializer.dumps({"a": 1})
    assert serializer.loads(value, max_age=60) == {"a": 1}
    with pytest.raises(BadSignature):
        auth._FernetSerializer("another-key").loads(value, max_age=60)
    time_of_cookie = int(time.time()) - 120
    stale = serializer._fernet.encrypt_at_time(b'{"a": 1}', time_of_cookie).decode()
    with pytest.raises(BadSignature):
        serializer.loads(stale, max_age=60)


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("/alerts?state=firing", "/alerts?state=firing"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/login?next=/x", "/"),
        (None, "/"),
    ],
)
def test_only_local_paths_are_returned_to(asked: str | None, kept: str) -> None:
    assert auth.safe_next(asked) == kept
