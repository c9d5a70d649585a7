"""The authorization matrix: every write endpoint, called by every role.

The write endpoints are read from the app's OpenAPI document, so a new one without a row
in MATRIX fails here. Each row gives the lowest role allowed ("anonymous" when open) and
whether an allowed call must leave an audit entry. Below that role the answer must be
401 (no token) or 403 (too low); at or above it, anything but 401/403 and never a 5xx.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import rules
from backend.alerts.models import Alert
from backend.rules import service as rule_service
from backend.users import service as user_service
from backend.users.models import AuditEntry
from tests.backend.api._people import (
    PASSWORD,
    Person,
    add_people,
    client_fixture,  # noqa: F401  (anonymous: no default token)
    headers_for,
    use_cheap_hasher,
)
from tests.backend.episodes.factory import episode_ids
from tests.backend.notify.factory import notify_ids

CALLERS = ("anonymous", "viewer", "analyst", "admin")
RANK = {role: rank for rank, role in enumerate(CALLERS)}
WRITE_METHODS = {"post", "put", "patch", "delete"}
RULE = "matrix_rule"


def rule_file(floor: float) -> str:
    """Return a rule file holding matrix_rule with this floor."""
    return (
        "groups:\n  - name: matrix\n    rules:\n"
        f"      - name: {RULE}\n        indicator: homicide_rate\n"
        f"        operator: threshold_above\n        params: {{threshold: {floor}}}\n"
        '        severity: info\n        annotations:\n          summary: "{region} {value}"\n'
    )


@dataclass
class Call:
    """What one call needs: the caller, fresh ids for its path, and a counter for bodies."""

    role: str
    person: Person | None
    alert_id: int
    n: int


Body = Callable[[Call], dict[str, Any] | None]
V1 = "/api/v1"
# (method, path) -> (lowest role allowed, audited when allowed, body)
MATRIX: dict[tuple[str, str], tuple[str, bool, Body]] = {
    ("post", "/auth/login"): ("anonymous", False,
                              lambda c: {"username": "viewer1", "password": PASSWORD}),
    ("post", "/auth/logout"): ("viewer", True, lambda c: None),
    ("post", "/users"): ("admin", True,
                         lambda c: {"username": f"new{c.n}", "password": PASSWORD * 2}),
    ("patch", "/users/{user_id}"): ("admin", True, lambda c: {"role": "analyst"}),
    ("post", "/users/{user_id}/tokens"): ("viewer", True, lambda c: {"name": f"t{c.n}"}),
    ("delete", "/tokens/{token_id}"): ("viewer", True, lambda c: None),
    ("post", "/alerts/{alert_id}/acknowledge"): ("analyst", True, lambda c: {}),
    ("post", "/alerts/{alert_id}/escalate"): ("analyst", True, lambda c: {"note": "why"}),
    ("post", "/alerts/{alert_id}/dismiss"): ("analyst", True, lambda c: {}),
    ("post", "/alerts/{alert_id}/assign"): ("analyst", True, lambda c: {"assignee": "viewer1"}),
    ("post", "/alerts/{alert_id}/comments"): ("analyst", True, lambda c: {"body": "seen"}),
    ("post", "/alerts/{alert_id}/label"): ("analyst", True, lambda c: {"label": "useful"}),
    ("post", "/alerts/bulk"): ("analyst", True,
                               lambda c: {"ids": [c.alert_id], "action": "escalate"}),
    ("post", "/rules"): ("analyst", True,
                         lambda c: {"yaml": rule_file(1).replace(RULE, f"r{c.n}"), "reason": "x"}),
    ("put", "/rules/{name}"): ("analyst", True,
                               lambda c: {"yaml": rule_file(10 + c.n), "reason": "tune"}),
    # Dry runs: readers' tools like the reads (a viewer), and nothing to audit.
    ("post", "/rules/validate"): ("viewer", False, lambda c: {"yaml": rule_file(1)}),
    ("post", "/rules/backtest"): ("viewer", False, lambda c: {"yaml": rule_file(1)}),
    ("post", "/rules/{name}/backtest"): ("viewer", False, lambda c: {}),
    ("post", "/rules/{name}/impact"): ("viewer", False, lambda c: {"yaml": rule_file(2)}),
    ("post", "/rules/scorecard"): ("viewer", False, lambda c: {"yaml": rule_file(1)}),
    ("post", "/rules/noise-budget"): ("viewer", False,
                                      lambda c: {"yaml": rule_file(1), "max_per_quarter": 1}),
    ("post", "/episodes"): ("analyst", True,
                            lambda c: {"region": "HND", "onset_period": "2008", "label": "e"}),
    ("put", "/episodes/{episode_id}"): ("analyst", True,
                                        lambda c: {"region": "HND", "onset_period": "2009",
                                                   "label": f"e{c.n}"}),
    ("patch", "/episodes/{episode_id}"): ("analyst", True, lambda c: {"label": f"e{c.n}"}),
    ("delete", "/episodes/{episode_id}"): ("analyst", True, lambda c: None),
    ("post", "/episodes/import"): ("analyst", True, lambda c: None),  # no file: 422 once allowed
    ("post", "/regions/{code}/judgements"): ("analyst", True,
                                             lambda c: {"verdict": "improved", "text": "calmer"}),
    ("post", "/notifications/subscriptions"): ("analyst", True, lambda c: {
        "name": f"s{c.n}", "channel": "email", "target": "desk@example.org"}),
    ("patch", "/notifications/subscriptions/{subscription_id}"): ("analyst", True,
                                                                  lambda c: {"enabled": False}),
    ("delete", "/notifications/subscriptions/{subscription_id}"): ("analyst", True, lambda c: None),
    ("post", "/notifications/silences"): ("analyst", True, lambda c: {
        "region": "HND", "ends_at": "2099-01-01T00:00:00Z", "comment": "known"}),
    ("patch", "/notifications/silences/{silence_id}"): ("analyst", True,
                                                        lambda c: {"comment": "still known"}),
    ("post", "/notifications/silences/{silence_id}/expire"): ("analyst", True, lambda c: None),
    ("post", "/snapshots"): ("analyst", True, lambda c: {"quarter": "2023Q4"}),
    ("post", "/uploads"): ("analyst", True, lambda c: None),  # no file: 422 once allowed
    ("post", "/sources/{source_id}/runs"): ("analyst", True, lambda c: None),
}  # fmt: skip


def _write_routes(client: TestClient) -> set[tuple[str, str]]:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {
        (method, path.removeprefix(V1))
        for path, operations in paths.items()
        for method in operations
        if method in WRITE_METHODS
    }


def test_every_write_route_has_a_row(client: TestClient) -> None:
    routes = _write_routes(client)
    assert not routes - set(MATRIX), "add these write routes to MATRIX"
    assert not set(MATRIX) - routes, "MATRIX lists routes the app no longer has"


@pytest.fixture
def people(session: Session, monkeypatch: pytest.MonkeyPatch) -> dict[str, Person]:
    """Insert viewer1, analyst1, admin1, a rule, and someone to change."""
    use_cheap_hasher(monkeypatch)
    found = add_people(session)
    user_service.create_user(
        session=session, actor="test", username="target", password=PASSWORD, role="viewer"
    )
    rule_service.import_rule_set(
        session=session, rule_set=rules.load_rules_text(rule_file(5)), author="t", reason="t"
    )
    return found


def _path(session: Session, template: str, call: Call) -> str:
    user = (
        call.person.user
        if call.person
        else user_service.find_user(session=session, username="target")
    )
    assert user is not None
    if "{user_id}" in template and template.startswith("/users/{user_id}/"):
        user_id = user.id  # self: a viewer may manage their own tokens
    else:
        target = user_service.find_user(session=session, username="target")
        user_id = target.id if target else 0
    token, _secret = user_service.issue_token(session=session, actor="t", user=user, name="x")
    return V1 + template.format(
        user_id=user_id, token_id=token.id, alert_id=call.alert_id, name=RULE,
        source_id="worldbank_homicide", **notify_ids(session), **episode_ids(session),
    )  # fmt: skip


def _audits(session: Session) -> int:
    return session.scalar(select(func.count(AuditEntry.id))) or 0


@pytest.mark.parametrize(("method", "template"), sorted(MATRIX))
def test_write_route_answers_each_role(
    client: TestClient, session: Session, make: Any, world: Any, people: dict[str, Person],
    method: str, template: str,
) -> None:  # fmt: skip
    minimum, audited, body = MATRIX[(method, template)]
    numbers = count(1)
    for role in CALLERS:
        n = next(numbers)
        alert: Alert = make.alert(world.hnd, n, fingerprint=f"{template}{role}")
        call = Call(role, people.get(role), alert.id, n)
        path, headers = _path(session, template, call), headers_for(people, role)
        before = _audits(session)
        response = client.request(method.upper(), path, json=body(call), headers=headers)
        got = (role, response.status_code)
        if RANK[role] < RANK[minimum]:
            assert got == (role, 401 if role == "anonymous" else 403), response.text
            continue
        assert response.status_code not in (401, 403) and response.status_code < 500, got
        if audited and response.status_code < 300:
            assert _audits(session) > before, f"{method} {template} left no audit entry"
