"""The /live relay of the API's event stream, and the triage calls of the API client."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import anyio
import flask
import httpx
import pytest
import respx

from dashboard import api_client, auth, live
from dashboard.server import asgi_app
from dashboard.session import USER_SESSION_KEY

API = "http://api.test"
HERE = "http://dashboard.test"
EVENTS = b'id: 7\nevent: alert\ndata: {"alert_id": 3, "state": "firing"}\n\n'
RETRY = f"retry: {live.RETRY_MS}\n\n".encode()


class Dash:
    """Just what asgi_app reads of a Dash app: its Flask server."""

    def __init__(self, server: flask.Flask) -> None:
        self.server = server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> flask.Flask:
    """Return a Flask app with the dashboard's sessions and one page."""
    app = flask.Flask(__name__)
    auth.install(app, api_url=API, secret_key="k" * 40, policy=auth.SessionPolicy())
    app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})
    return app


def _cookie(server: flask.Flask, **extra: Any) -> str:
    """Return a Cookie header for a signed-in analyst's session holding ``user-token``."""
    client = server.test_client()
    with client.session_transaction() as session:
        session[api_client.TOKEN_SESSION_KEY] = "user-token"
        session[USER_SESSION_KEY] = {"username": "ana", "role": "analyst"}
        session[auth.SIGNED_IN_AT_KEY] = time.time()
        session.update(extra)
    cookie = client.get_cookie("tocsin_session")
    assert cookie is not None
    return f"tocsin_session={cookie.value}"


async def _get(
    server: flask.Flask, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    transport = httpx.ASGITransport(app=asgi_app(Dash(server), api_url=API))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=HERE) as client:
        return await client.get(path, headers=headers)


@respx.mock
@pytest.mark.anyio
async def test_live_relays_the_stream_with_the_users_token_and_cursor(
    server: flask.Flask,
) -> None:
    route = respx.get(f"{API}/api/v1/stream").respond(
        content=EVENTS, headers={"Content-Type": "text/event-stream"}
    )
    headers = {"Cookie": _cookie(server), "Last-Event-ID": "6"}
    answer = await _get(server, live.LIVE_PATH, headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.content == RETRY + EVENTS
    sent = route.calls.last.request.headers
    assert sent["Authorization"] == "Bearer user-token"
    assert sent["Last-Event-ID"] == "6"


@respx.mock
@pytest.mark.anyio
async def test_a_refused_stream_asks_the_browser_to_retry(server: flask.Flask) -> None:
    respx.get(f"{API}/api/v1/stream").respond(401, json={"detail": "Token expired"})
    answer = await _get(server, live.LIVE_PATH, {"Cookie": _cookie(server)})
    # Still an event stream: an error status would make EventSource stop for good.
    assert answer.status_code == 200
    assert answer.content == RETRY + b": API error 401: Token expired\n\n"


@respx.mock
@pytest.mark.anyio
async def test_an_unreachable_api_is_a_one_line_comment(server: flask.Flask) -> None:
    respx.get(f"{API}/api/v1/stream").mock(side_effect=httpx.ConnectError("refused\nagain"))
    answer = await _get(server, live.LIVE_PATH, {"Cookie": _cookie(server)})
    lines = answer.text.split("\n")
    assert lines[2].startswith(": The live stream at http://api.test/api/v1/stream broke off")
    assert lines[2].endswith("refused again.") and lines[3:] == ["", ""]


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param(lambda server: "", id="no session"),
        pytest.param(
            lambda server: _cookie(
                server, **{auth.SIGNED_IN_AT_KEY: time.time() - timedelta(hours=13).total_seconds()}
            ),
            id="older than the absolute lifetime",
        ),
    ],
)
@respx.mock
@pytest.mark.anyio
async def test_without_a_sign_in_the_browser_is_told_to_stop(
    server: flask.Flask, cookie: Any
) -> None:
    stream = respx.get(f"{API}/api/v1/stream").respond(content=EVENTS)
    answer = await _get(server, live.LIVE_PATH, {"Cookie": cookie(server)})
    assert answer.status_code == 204  # EventSource does not reconnect after a 204
    assert not stream.called


class _Endless(httpx.AsyncByteStream):
    """An API stream that never ends: a heartbeat every 10 ms."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            yield b": heartbeat\n\n"
            await anyio.sleep(0.01)


@respx.mock
@pytest.mark.anyio
async def test_the_relay_ends_when_the_browser_goes_away(server: flask.Flask) -> None:
    respx.get(f"{API}/api/v1/stream").mock(return_value=httpx.Response(200, stream=_Endless()))
    sent: list[dict[str, Any]] = []
    gone = anyio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) > 5:
            gone.set()

    scope = {"type": "http", "method": "GET", "path": live.LIVE_PATH,
             "headers": [(b"cookie", _cookie(server).encode())]}  # fmt: skip
    with anyio.fail_after(10):  # relaying for ever would fail here
        await live.serve(server, API, scope, receive, send)
    assert sent[0]["status"] == 200 and len(sent) >= 6


@pytest.mark.anyio
async def test_everything_else_is_the_flask_app(server: flask.Flask) -> None:
    answer = await _get(server, "/healthz")
    assert answer.json() == {"status": "ok"}


@respx.mock
def test_triage_calls_post_to_the_alert_endpoints() -> None:
    routes = {
        name: respx.post(f"{API}/api/v1/alerts/5/{name}").respond(json={"id": 5})
        for name in ("acknowledge", "assign", "comments", "label")
    }
    api_client.triage_alert(API, 5, "acknowledge", note="seen")
    api_client.assign_alert(API, 5, assignee=None)
    api_client.comment_alert(API, 5, body="press reports")
    api_client.label_alert(API, 5, label="useful")
    bodies = {name: json.loads(route.calls.last.request.content) for name, route in routes.items()}
    assert bodies == {
        "acknowledge": {"note": "seen"},
        "assign": {"assignee": None},
        "comments": {"body": "press reports"},
        "label": {"label": "useful"},
    }


@respx.mock
def test_bulk_sends_the_ids_action_and_fields() -> None:
    route = respx.post(f"{API}/api/v1/alerts/bulk").respond(
        json={"done": 2, "refused": 0, "items": []}
    )
    assert api_client.bulk_alerts(API, [1, 2], "assign", assignee="ana")["done"] == 2
    assert json.loads(route.calls.last.request.content) == {
        "ids": [1, 2],
        "action": "assign",
        "assignee": "ana",
    }


@respx.mock
def test_alerts_sends_repeated_filters() -> None:
    route = respx.get(f"{API}/api/v1/alerts").respond(json={"items": [], "total": 0})
    api_client.alerts(API, state=["firing", "pending"], triage=["new"], period_from="2018")
    params = route.calls.last.request.url.params
    assert params.get_list("state") == ["firing", "pending"]
    assert params["triage"] == "new" and params["period_from"] == "2018"
