"""The /live relay of the API's event stream, and the triage calls of the API client."""

from __future__ import annotations

import json

import flask
import httpx
import pytest
import respx

from dashboard import api_client, live

API = "http://api.test"
EVENTS = b'id: 7\nevent: alert\ndata: {"alert_id": 3, "state": "firing"}\n\n'


@pytest.fixture
def client() -> flask.testing.FlaskClient:
    """Return a Flask app with only the /live route, signed in through its session."""
    app = flask.Flask(__name__)
    app.secret_key = "test-only"
    live.install(app, api_url=API)
    test_client = app.test_client()
    with test_client.session_transaction() as session:
        session[api_client.TOKEN_SESSION_KEY] = "user-token"
    return test_client


@respx.mock
def test_live_relays_the_stream_with_the_users_token_and_cursor(
    client: flask.testing.FlaskClient,
) -> None:
    route = respx.get(f"{API}/api/v1/stream").respond(
        content=EVENTS, headers={"Content-Type": "text/event-stream"}
    )
    answer = client.get(live.LIVE_PATH, headers={"Last-Event-ID": "6"})
    assert answer.status_code == 200
    assert answer.mimetype == "text/event-stream"
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.data == f"retry: {live.RETRY_MS}\n\n".encode() + EVENTS
    sent = route.calls.last.request.headers
    assert sent["Authorization"] == "Bearer user-token"
    assert sent["Last-Event-ID"] == "6"


@respx.mock
def test_a_refused_stream_asks_the_browser_to_retry(client: flask.testing.FlaskClient) -> None:
    respx.get(f"{API}/api/v1/stream").respond(401, json={"detail": "Token expired"})
    answer = client.get(live.LIVE_PATH)
    # Still an event stream: an error status would make EventSource stop for good.
    assert answer.status_code == 200
    assert answer.data.decode() == f"retry: {live.RETRY_MS}\n\n: API error 401: Token expired\n\n"


@respx.mock
def test_an_unreachable_api_is_a_one_line_comment(client: flask.testing.FlaskClient) -> None:
    respx.get(f"{API}/api/v1/stream").mock(side_effect=httpx.ConnectError("refused\nagain"))
    lines = client.get(live.LIVE_PATH).data.decode().split("\n")
    assert lines[2].startswith(": The live stream at http://api.test/api/v1/stream broke off")
    assert lines[2].endswith("refused again.") and lines[3:] == ["", ""]


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
