"""The API client: the right requests, readable errors, and no way around the API."""

from __future__ import annotations

import re
import threading
from functools import partial
from pathlib import Path

import flask
import httpx
import pytest
import respx

from dashboard import api_client
from dashboard.api_client import ApiError

BASE = "http://api.test"
DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


@respx.mock
def test_heatmap_sends_only_given_parameters() -> None:
    route = respx.get(f"{BASE}/api/v1/heatmap").respond(
        json={"items": [], "periods": ["2020"], "coverage": {"with_data": 0, "total": 1}}
    )
    body = api_client.heatmap(BASE + "/", indicator="homicide_rate")
    assert body["periods"] == ["2020"]
    assert dict(route.calls.last.request.url.params) == {
        "indicator": "homicide_rate",
        "level": "country",
    }


@respx.mock
def test_alerts_default_to_firing_newest_first() -> None:
    route = respx.get(f"{BASE}/api/v1/alerts").respond(json={"items": [], "total": 0})
    api_client.alerts(BASE, severity="critical", page_size=1)
    params = dict(route.calls.last.request.url.params)
    assert params == {
        "state": "firing",
        "severity": "critical",
        "page": "1",
        "page_size": "1",
        "sort": "-detected_at",
    }


@respx.mock
def test_list_endpoints_return_their_items() -> None:
    respx.get(f"{BASE}/api/v1/indicators").respond(json={"items": [{"code": "x"}], "total": 1})
    respx.get(f"{BASE}/api/v1/regions").respond(json={"items": [{"code": "HND"}], "total": 1})
    respx.get(f"{BASE}/api/v1/health").respond(json={"status": "ok", "demo_data": True})
    assert [item["code"] for item in api_client.indicators(BASE)] == ["x"]
    assert api_client.regions(BASE) == [{"code": "HND"}]
    assert api_client.health(BASE)["demo_data"] is True


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            httpx.Response(404, json={"title": "Not Found", "status": 404, "detail": "no x"}),
            "API error 404: no x",
        ),
        (
            httpx.Response(422, json={"title": "Unprocessable", "status": 422}),
            "API error 422: Unprocessable",
        ),
        (httpx.Response(502, text="<html>bad gateway</html>"), "API error 502: Bad Gateway"),
        (httpx.Response(200, text="not json"), "not JSON"),
        (httpx.Response(200, json={"status": "ok"}), "lacks demo_data"),
    ],
    ids=["problem-detail", "problem-title", "html-error", "not-json", "wrong-shape"],
)
@respx.mock
def test_bad_answers_raise_a_readable_api_error(response: httpx.Response, expected: str) -> None:
    respx.get(f"{BASE}/api/v1/health").mock(return_value=response)
    with pytest.raises(ApiError, match=re.escape(expected)) as caught:
        api_client.health(BASE)
    assert caught.value.status == (response.status_code if response.is_error else None)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectError("refused"), "Cannot reach the API at http://api.test"),
        (httpx.ReadTimeout("slow"), "did not answer in time"),
    ],
    ids=["down", "slow"],
)
@respx.mock
def test_transport_failures_raise_a_readable_api_error(error: Exception, expected: str) -> None:
    respx.get(f"{BASE}/api/v1/alerts").mock(side_effect=error)
    with pytest.raises(ApiError, match=expected):
        api_client.alerts(BASE)


def test_dashboard_never_imports_the_backend_or_a_database_driver() -> None:
    forbidden = re.compile(
        r"^\s*(from|import)\s+(backend|sqlalchemy|psycopg|sqlite3|ingest)\b", re.M
    )
    offenders = [
        str(path.relative_to(DASHBOARD))
        for path in DASHBOARD.rglob("*.py")
        if forbidden.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@respx.mock
def test_heatmap_missing_units_always_carry_region() -> None:
    respx.get(f"{BASE}/api/v1/heatmap").respond(
        json={
            "items": [],
            "periods": [],
            "coverage": {"with_data": 0, "total": 2},
            "missing": [{"code": "ABW", "name": "Aruba"}, {"region": "AUS", "name": "Australia"}],
        }
    )
    missing = api_client.heatmap(BASE, indicator="homicide_rate")["missing"]
    assert [unit["region"] for unit in missing] == ["ABW", "AUS"]


def test_gather_makes_the_calls_at_once_as_the_signed_in_user() -> None:
    app = flask.Flask(__name__)
    app.secret_key = "test"
    together = threading.Barrier(3, timeout=5)  # broken, not passed, if run one by one

    def call(n: int) -> tuple[int, str]:
        together.wait()
        return n, api_client._auth_headers()["Authorization"]

    with app.test_request_context("/"):
        flask.session[api_client.TOKEN_SESSION_KEY] = "t0ken"
        results = api_client.gather(*(partial(call, n) for n in range(3)))
    assert results == [(n, "Bearer t0ken") for n in range(3)], "in the calls' order"


@respx.mock
def test_gather_raises_a_calls_error_and_flags_an_expired_token_on_the_request() -> None:
    respx.get(f"{BASE}/api/v1/sources").respond(401, json={"detail": "token expired"})
    respx.get(f"{BASE}/api/v1/indicators").respond(json={"items": []})
    app = flask.Flask(__name__)
    app.secret_key = "test"
    with app.test_request_context("/"):
        with pytest.raises(ApiError, match="401"):
            api_client.gather(
                partial(api_client.indicators, BASE), partial(api_client.sources, BASE)
            )
        # dashboard.auth reads the flag on this request to send the browser to sign in.
        assert flask.g.get(api_client.UNAUTHORIZED_FLAG) is True
