"""A client written against the OpenAPI document alone: it imports no Tocsin module.

It reads ``/openapi.json`` to find each operation by its summary, signs in, pages through
the firing alerts, acknowledges one, and sees that transition arrive on the live stream,
against a real ``tocsin serve api`` process holding the demo data. Only httpx and the
standard library are used, as a script in another UN system would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "analyst1-e2e-password"  # the e2e session's analyst (tests/e2e/conftest.py USERS)
EVENT_SECONDS = 10.0


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: method and path template."""

    method: str
    path: str

    def url(self, **params: object) -> str:
        """Fill the path template's parameters."""
        return self.path.format(**params)


class SpecClient:
    """A thin client that knows nothing but what /openapi.json says."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10.0)
        spec = self.http.get("/openapi.json").raise_for_status().json()
        self.operations = {
            op["summary"]: Operation(method.upper(), path)
            for path, methods in spec["paths"].items()
            for method, op in methods.items()
            if "summary" in op
        }

    def call(self, summary: str, *, path: dict[str, object] | None = None,
             **kwargs: Any) -> httpx.Response:  # fmt: skip
        """Call the operation with this summary and return its answer, raising on errors."""
        op = self.operations[summary]
        answer = self.http.request(op.method, op.url(**(path or {})), **kwargs)
        return answer.raise_for_status()

    def sign_in(self, username: str, password: str) -> None:
        """Sign in and send the session token on every later call."""
        body = self.call("Sign in", json={"username": username, "password": password}).json()
        self.http.headers["Authorization"] = f"Bearer {body['token']}"

    def all_alerts(self, page_size: int, **filters: object) -> Iterator[dict[str, Any]]:
        """Yield every alert matching the filters, page after page, checking the total."""
        page, seen = 1, 0
        while True:
            params = {**filters, "page": page, "page_size": page_size}
            body = self.call("List alerts", params=params).json()
            yield from body["items"]
            seen += len(body["items"])
            if seen >= body["total"] or not body["items"]:
                assert seen == body["total"]
                return
            page += 1


def events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Parse server-sent events into (event name, JSON data), skipping comments."""
    name, data = "message", ""
    for line in lines:
        if not line:
            if data:
                yield name, json.loads(data)
            name, data = "message", ""
        elif line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data += line.removeprefix("data:").strip()


def test_a_spec_only_client_pages_acknowledges_and_hears_the_transition(
    live_servers: Any,
) -> None:
    client = SpecClient(live_servers.api_url)
    client.sign_in("analyst1", PASSWORD)
    firing = list(client.all_alerts(7, state="firing"))
    assert len(firing) > 7, "the demo data should need several pages"
    assert len({a["id"] for a in firing}) == len(firing)
    target = next(a for a in firing if a["triage"] == "new")
    stream = client.operations["Live event stream"]
    # The stream sends only events after it opened, so open it, then acknowledge.
    with client.http.stream(stream.method, stream.path, timeout=EVENT_SECONDS) as live:
        assert live.headers["content-type"].startswith("text/event-stream")
        acked = client.call("Acknowledge an alert", path={"alert_id": target["id"]}, json={})
        assert acked.json()["triage"] == "acknowledged"
        started = time.monotonic()
        for name, data in events(live.iter_lines()):
            if name == "alert" and data.get("alert_id") == target["id"]:
                assert (data["triage"], data["action"]) == ("acknowledged", "acknowledge")
                break
            assert time.monotonic() - started < EVENT_SECONDS, "the transition never arrived"
    assert time.monotonic() - started < EVENT_SECONDS
