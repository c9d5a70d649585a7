"""The dashboard's only door to data: one function per API endpoint, over httpx.

Every function takes the API's base URL first, returns the decoded JSON body, and raises
``ApiError`` with a sentence a page can show as is (the HTTP status and the problem's
``detail``) when the API is down, slow, or answers with an error.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

import flask
import httpx

API_PREFIX = "/api/v1"
# Short: a panel should say "the API did not answer" rather than spin for a minute.
TIMEOUT = httpx.Timeout(8.0, connect=2.0)


class ApiError(Exception):
    """The API could not be reached or answered with an error; ``str()`` is for humans."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Health(TypedDict):
    status: str
    database: str
    version: str
    demo_data: bool


class Indicator(TypedDict):
    code: str
    name: str
    unit: str
    frequency: str
    higher_is_worse: bool
    periods: list[str] | None


class HeatmapItem(TypedDict):
    region: str
    name: str
    value: float | None
    period: str
    vintage: str | None
    source: str | None
    is_demo: bool


class Heatmap(TypedDict):
    indicator: dict[str, Any]
    period: str | None
    level: str
    periods: list[str]
    items: list[HeatmapItem]
    missing: list[dict[str, str]]
    coverage: dict[str, int]


class Alert(TypedDict):
    id: int
    rule: str
    rule_version: int
    region: str
    region_name: str
    indicator: str
    period: str
    state: str
    triage: str
    severity: str
    value: float | None
    baseline: float | None
    threshold: float | None
    explanation: str
    detected_at: str
    is_demo: bool


class AlertPage(TypedDict):
    items: list[Alert]
    total: int
    page: int
    page_size: int


def health(base_url: str) -> Health:
    """Return the API's health, including whether it serves demo data."""
    return cast(Health, _get(base_url, "/health", {}, required=("status", "demo_data")))


def regions(base_url: str, *, level: str = "country") -> list[dict[str, Any]]:
    """Return the regions of one level (country by default)."""
    body = _get(base_url, "/regions", {"level": level}, required=("items",))
    return cast(list[dict[str, Any]], body["items"])


def indicators(base_url: str) -> list[Indicator]:
    """Return the indicator catalogue with each indicator's first and last period."""
    body = _get(base_url, "/indicators", {}, required=("items",))
    return cast(list[Indicator], body["items"])


def heatmap(
    base_url: str, *, indicator: str, period: str | None = None, level: str = "country"
) -> Heatmap:
    """Return one indicator's values by region for a period (the latest when omitted)."""
    params = {"indicator": indicator, "period": period, "level": level}
    body = _get(base_url, "/heatmap", params, required=("items", "periods", "coverage"))
    # The contract names a missing unit's code "region"; accept "code" as well, which is
    # how the API's RegionRef spells it, so the map never fails over a field name.
    body["missing"] = [
        {**unit, "region": unit.get("region") or unit.get("code")}
        for unit in body.get("missing", [])
    ]
    return cast(Heatmap, body)


def alerts(
    base_url: str,
    *,
    state: str | None = "firing",
    severity: str | None = None,
    region: str | None = None,
    rule: str | None = None,
    page: int = 1,
    page_size: int = 50,
    sort: str = "-detected_at",
) -> AlertPage:
    """Return one page of alerts, newest first by default."""
    params = {
        "state": state,
        "severity": severity,
        "region": region,
        "rule": rule,
        "page": page,
        "page_size": page_size,
        "sort": sort,
    }
    return cast(AlertPage, _get(base_url, "/alerts", params, required=("items", "total")))


def region(base_url: str, code: str) -> dict[str, Any]:
    """Return one region with its M49 region and sub-region names."""
    return _get(base_url, f"/regions/{code}", {}, required=("code", "name"))


def series(base_url: str, *, region: str, indicator: str, vintages: bool = True) -> dict[str, Any]:
    """Return one indicator's series for one region, every vintage by default."""
    params = {"region": region, "indicator": indicator, "vintages": str(vintages).lower()}
    return _get(base_url, "/observations", params, required=("items", "indicator"))


def documents(base_url: str, *, region: str | None = None, page_size: int = 500) -> dict[str, Any]:
    """Return one page of Security Council documents, newest first, tagged with the region."""
    params = {"region": region, "page_size": page_size}
    return _get(base_url, "/documents", params, required=("items", "total"))


def sources(base_url: str) -> list[dict[str, Any]]:
    """Return every source with its freshness, last run and next run."""
    return cast(list[dict[str, Any]], _get(base_url, "/sources", {}, required=("items",))["items"])


def source_runs(base_url: str, source_id: str, *, page_size: int = 12) -> dict[str, Any]:
    """Return the newest runs of one source."""
    params = {"page_size": page_size}
    return _get(base_url, f"/sources/{source_id}/runs", params, required=("items", "total"))


def coverage(base_url: str) -> dict[str, Any]:
    """Return the countries x indicators coverage matrix in its compact form."""
    return _get(base_url, "/coverage", {}, required=("regions", "indicators", "cells"))


def _get(
    base_url: str, path: str, params: dict[str, Any], *, required: tuple[str, ...]
) -> dict[str, Any]:
    """GET one endpoint and return its JSON object, or raise ApiError with a readable reason."""
    return _request("GET", base_url, path, params=params, required=required)


def _request(
    method: str,
    base_url: str,
    path: str,
    *,
    params: dict[str, Any] | None = None,
    json: Any = None,
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Call one endpoint as the signed-in user and return its JSON object (or {} for 204).

    Raises ApiError with a readable reason when the API is down, slow or answers an error.
    """
    url = f"{base_url.rstrip('/')}{API_PREFIX}{path}"
    query = {key: value for key, value in (params or {}).items() if value is not None}
    try:
        response = httpx.request(
            method, url, params=query, json=json, headers=_auth_headers(), timeout=TIMEOUT
        )
    except httpx.TimeoutException as exc:
        raise ApiError(f"The API at {base_url} did not answer in time ({path}).") from exc
    except httpx.HTTPError as exc:
        raise ApiError(f"Cannot reach the API at {base_url}: {exc}.") from exc
    if response.is_error:
        raise ApiError(_problem_message(response), status=response.status_code)
    if response.status_code == 204 or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError as exc:
        raise ApiError(f"The API answered {path} with something that is not JSON.") from exc
    missing = [key for key in required if not isinstance(body, dict) or key not in body]
    if missing:
        raise ApiError(f"The API's answer to {path} lacks {', '.join(missing)}.")
    return cast(dict[str, Any], body)


TOKEN_SESSION_KEY = "tocsin_token"  # noqa: S105 (a session key name, not a secret)


def _auth_headers() -> dict[str, str]:
    """Return the signed-in user's bearer token header, read from the Flask session.

    Outside a request (scripts, tests calling the client directly) nobody is signed in.
    """
    if not flask.has_request_context():
        return {}
    token = flask.session.get(TOKEN_SESSION_KEY)
    return {"Authorization": f"Bearer {token}"} if isinstance(token, str) and token else {}


def _problem_message(response: httpx.Response) -> str:
    """Turn an RFC 7807 problem (or any error body) into 'API error 404: detail'."""
    status = response.status_code
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if isinstance(problem, dict):
        detail = problem.get("detail") or problem.get("title")
        if isinstance(detail, str) and detail:
            return f"API error {status}: {detail}"
    return f"API error {status}: {response.reason_phrase or 'no detail given'}"
