"""The dashboard's only door to data: one function per API endpoint, over httpx.

Every function takes the API's base URL first, returns the decoded JSON body, and raises
``ApiError`` with a sentence a page can show as is (the HTTP status and the problem's
``detail``) when the API is down, slow, or answers with an error.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypedDict, cast

import flask
import httpx

API_PREFIX = "/api/v1"
# Short: a panel should say "the API did not answer" rather than spin for a minute.
TIMEOUT = httpx.Timeout(8.0, connect=2.0)
# One client for the whole process, shared by the server's threads (httpx's is thread-safe):
# making a client per call costs about 37 ms (its TLS context) and a new connection; the
# Overview makes about ten calls a load. Streams keep their own connections (see stream).
_CLIENT = httpx.Client(limits=httpx.Limits(max_connections=64, max_keepalive_connections=16))


def gather(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent calls to the API at once; return their results in the calls' order.

    A view that needs several answers then waits for the slowest one, not for their sum.
    Each call runs on its own thread in a copy of the caller's context, so it sees the
    same Flask request, session and ``flask.g`` (the signed-in user's token, the flag an
    expired token sets) as a call made here. A call's exception is raised here.
    """
    if len(calls) < 2:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="tocsin-api") as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        return [future.result() for future in futures]


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


Filter = str | list[str] | None  # one value, any of several (a repeated parameter), or all


def alerts(
    base_url: str,
    *,
    state: Filter = "firing",
    severity: Filter = None,
    region: Filter = None,
    rule: Filter = None,
    triage: Filter = None,
    period_from: str | None = None,
    period_to: str | None = None,
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
        "triage": triage,
        "period_from": period_from,
        "period_to": period_to,
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
        response = _CLIENT.request(
            method, url, params=query, json=json, headers=_auth_headers(), timeout=TIMEOUT
        )
    except httpx.TimeoutException as exc:
        raise ApiError(f"The API at {base_url} did not answer in time ({path}).") from exc
    except httpx.HTTPError as exc:
        raise ApiError(f"Cannot reach the API at {base_url}: {exc}.") from exc
    if response.is_error:
        if response.status_code == 401 and flask.has_request_context():
            flask.g.setdefault(UNAUTHORIZED_FLAG, True)  # dashboard.auth sends them to sign in
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
# Set on flask.g when the API answered 401: the token expired or was revoked.
UNAUTHORIZED_FLAG = "tocsin_api_unauthorized"


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


# ----------------------------------------------------------------- rules workbench


def rules(base_url: str) -> list[dict[str, Any]]:
    """Return every rule with its current version, by group and name."""
    return cast(list[dict[str, Any]], _get(base_url, "/rules", {}, required=("items",))["items"])


def rule(base_url: str, name: str) -> dict[str, Any]:
    """Return one rule: its current version as an editable rule file, and every version."""
    return _get(base_url, f"/rules/{name}", {}, required=("name", "yaml", "versions"))


def validate_rules(base_url: str, text: str) -> dict[str, Any]:
    """Validate a rule file without saving it: errors read ``yaml:LINE: message``."""
    body = {"yaml": text}
    return _request("POST", base_url, "/rules/validate", json=body, required=("valid", "errors"))


def backtest_rules(base_url: str, text: str) -> list[dict[str, Any]]:
    """Return every alert the rules of a rule file would have raised, in period order."""
    body = _request("POST", base_url, "/rules/backtest", json={"yaml": text}, required=("alerts",))
    return cast(list[dict[str, Any]], body["alerts"])


def rule_impact(base_url: str, name: str, text: str) -> dict[str, Any]:
    """Return the past alerts a proposed edit of a saved rule adds and removes."""
    path, required = f"/rules/{name}/impact", ("added_alerts", "removed_alerts", "saved_version")
    return _request("POST", base_url, path, json={"yaml": text}, required=required)


def save_rule(
    base_url: str, name: str, *, text: str, reason: str, base_version: int | None
) -> dict[str, Any]:
    """Save a rule file holding exactly this rule as its new version, with the reason."""
    body = {"yaml": text, "reason": reason, "base_version": base_version}
    return _request("PUT", base_url, f"/rules/{name}", json=body, required=("rules",))


def rule_scorecard(base_url: str, text: str) -> list[dict[str, Any]]:
    """Return each rule's scorecard against the reference episodes."""
    body = _request("POST", base_url, "/rules/scorecard", json={"yaml": text}, required=("items",))
    return cast(list[dict[str, Any]], body["items"])


def noise_budget(base_url: str, text: str, *, max_per_quarter: float, rule: str) -> dict[str, Any]:
    """Return the parameter value with the best recall within ``max_per_quarter`` alerts."""
    body = {"yaml": text, "max_per_quarter": max_per_quarter, "rule": rule}
    required = ("parameter", "suggested", "candidates")
    return _request("POST", base_url, "/rules/noise-budget", json=body, required=required)


def alert(base_url: str, alert_id: int) -> dict[str, Any]:
    """Return one alert with its transitions, comments and feedback labels."""
    return _get(base_url, f"/alerts/{alert_id}", {}, required=("id", "transitions", "comments"))


def triage_alert(
    base_url: str, alert_id: int, action: str, *, note: str | None = None
) -> dict[str, Any]:
    """Acknowledge, escalate or dismiss one alert; return the alert as it now is."""
    body = {"note": note} if note else {}
    return _request("POST", base_url, f"/alerts/{alert_id}/{action}", json=body, required=("id",))


def assign_alert(base_url: str, alert_id: int, *, assignee: str | None) -> dict[str, Any]:
    """Assign one alert to a user (None unassigns); return the alert as it now is."""
    path = f"/alerts/{alert_id}/assign"
    return _request("POST", base_url, path, json={"assignee": assignee}, required=("id",))


def comment_alert(base_url: str, alert_id: int, *, body: str) -> dict[str, Any]:
    """Add a comment to one alert; return the alert with its comments."""
    path = f"/alerts/{alert_id}/comments"
    return _request("POST", base_url, path, json={"body": body}, required=("id",))


def label_alert(base_url: str, alert_id: int, *, label: str) -> dict[str, Any]:
    """Give one alert a feedback label; return the alert as it now is."""
    path = f"/alerts/{alert_id}/label"
    return _request("POST", base_url, path, json={"label": label}, required=("id",))


def bulk_alerts(base_url: str, ids: list[int], action: str, **fields: str | None) -> dict[str, Any]:
    """Apply one action (and its assignee, label or note) to many alerts; return per-id outcomes."""
    body = {"ids": ids, "action": action, **fields}
    return _request("POST", base_url, "/alerts/bulk", json=body, required=("done", "items"))


# ----------------------------------------------------------------- sign-in and administration


def login(base_url: str, *, username: str, password: str) -> str:
    """Exchange a username and password for a session token and return the token."""
    body = {"username": username, "password": password}
    return str(_request("POST", base_url, "/auth/login", json=body, required=("token",))["token"])


def me(base_url: str) -> dict[str, Any]:
    """Return the signed-in user, their effective role and the token used."""
    return _get(base_url, "/auth/me", {}, required=("user", "role"))


def logout(base_url: str) -> None:
    """Revoke the signed-in user's session token at the API."""
    _request("POST", base_url, "/auth/logout")


def users(base_url: str) -> list[dict[str, Any]]:
    """Return every user (admin)."""
    return cast(list[dict[str, Any]], _get(base_url, "/users", {}, required=("items",))["items"])


def create_user(
    base_url: str, *, username: str, password: str, role: str, email: str | None = None
) -> dict[str, Any]:
    """Create a user (admin) and return it."""
    body = {"username": username, "password": password, "role": role, "email": email}
    return _request("POST", base_url, "/users", json=body, required=("id", "username"))


def update_user(
    base_url: str, user_id: int, *, role: str | None = None, is_active: bool | None = None
) -> dict[str, Any]:
    """Change a user's role or active flag (admin) and return the user."""
    changes = (("role", role), ("is_active", is_active))
    body = {key: value for key, value in changes if value is not None}
    return _request("PATCH", base_url, f"/users/{user_id}", json=body, required=("id", "role"))


def tokens(base_url: str, user_id: int, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Return one user's tokens, newest first, without their secrets."""
    params = {"include_inactive": str(include_inactive).lower()}
    body = _get(base_url, f"/users/{user_id}/tokens", params, required=("items",))
    return cast(list[dict[str, Any]], body["items"])


def create_token(
    base_url: str, user_id: int, *, name: str, role: str | None, expires_in_days: int | None
) -> dict[str, Any]:
    """Issue an API token for a user; the answer's "token" is the secret, shown once."""
    body = {"name": name, "role": role, "expires_in_days": expires_in_days}
    path = f"/users/{user_id}/tokens"
    return _request("POST", base_url, path, json=body, required=("id", "token"))


def revoke_token(base_url: str, token_id: int) -> None:
    """Revoke a token; revoking it again is harmless."""
    _request("DELETE", base_url, f"/tokens/{token_id}")


# The API sends a heartbeat every 15 s: a minute of silence means the stream is dead.
STREAM_TIMEOUT = httpx.Timeout(5.0, read=60.0)


async def stream(
    base_url: str, *, token: str, last_event_id: str | None = None
) -> AsyncIterator[bytes]:
    """Yield the raw server-sent events of GET /stream as ``token``'s holder, as they arrive.

    Asynchronous, so that an open stream costs the dashboard a coroutine, not a thread (see
    dashboard/live.py); the token is passed in because no Flask request is active there.
    ApiError is raised from the iteration when the API cannot be reached or refuses.
    """
    url = f"{base_url.rstrip('/')}{API_PREFIX}/stream"
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    try:
        async with (
            httpx.AsyncClient(timeout=STREAM_TIMEOUT) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.is_error:
                await response.aread()
                raise ApiError(_problem_message(response), status=response.status_code)
            async for chunk in response.aiter_raw():
                yield chunk
    except httpx.HTTPError as exc:
        raise ApiError(f"The live stream at {url} broke off: {exc}.") from exc


# ----------------------------------------------------------------- snapshots

# Exporting a PDF brief the first time takes seconds; a download may wait longer than a panel.
DOWNLOAD_TIMEOUT = httpx.Timeout(120.0, connect=2.0)
SNAPSHOT_FORMATS = ("pdf", "xlsx", "csv", "zip")


class Download(TypedDict):
    content: bytes
    media_type: str
    disposition: str


def snapshots(base_url: str, *, page: int = 1, page_size: int = 50) -> dict[str, Any]:
    """Return one page of snapshots, newest first, with their counts and files."""
    params = {"page": page, "page_size": page_size}
    return _get(base_url, "/snapshots", params, required=("items", "total"))


def create_snapshot(base_url: str, quarter: str) -> dict[str, Any]:
    """Freeze a quarter (analyst) and return the new snapshot."""
    body = {"quarter": quarter}
    return _request("POST", base_url, "/snapshots", json=body, required=("id", "quarter"))


def snapshot_diff(base_url: str, snapshot_id: int) -> dict[str, Any]:
    """Return what changed in a snapshot against the previous quarter's."""
    path, required = f"/snapshots/{snapshot_id}/diff", ("new", "escalated", "resolved", "ranks")
    return _get(base_url, path, {}, required=required)


def snapshot_file(base_url: str, snapshot_id: int, fmt: str) -> Download:
    """Download one export of a snapshot (pdf, xlsx, csv or zip) as the signed-in user."""
    path = f"/snapshots/{snapshot_id}/files/{fmt}"
    url = f"{base_url.rstrip('/')}{API_PREFIX}{path}"
    try:
        response = _CLIENT.get(url, headers=_auth_headers(), timeout=DOWNLOAD_TIMEOUT)
    except httpx.HTTPError as exc:
        raise ApiError(f"Cannot download {path} from the API at {base_url}: {exc}.") from exc
    if response.is_error:
        raise ApiError(_problem_message(response), status=response.status_code)
    return Download(
        content=response.content,
        media_type=response.headers.get("content-type", "application/octet-stream"),
        disposition=response.headers.get("content-disposition", "attachment"),
    )
