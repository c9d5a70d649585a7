"""The rules API: list, read, create, version (with re-evaluation), validate, backtest, impact."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert
from backend.users.models import AuditEntry

# client and people are fixtures, found by pytest in this module's namespace.
from tests.backend.api._people import Person, client_fixture, people_fixture  # noqa: F401

API = "/api/v1/rules"
World = Any  # the ``world`` fixture's factory (tests/backend/rules/conftest.py)
LOUD = "severity: loud"  # not a severity: reported on line 8 of rule_file()
CONTRACT = {"rule", "region", "period", "severity", "value", "explanation"}


def rule_file(periods: int = 3, floor: float = 2.0, name: str = "rate_record") -> str:
    """Return a rule file with one highest_in_n rule."""
    return f"""groups:
  - name: homicide
    rules:
      - name: {name}
        indicator: homicide_rate
        operator: highest_in_n
        params: {{periods: {periods}, floor: {floor}}}
        severity: warning
        annotations:
          summary: "{{region}} {{value:.1f}} in {{period}}"
"""


@pytest.fixture
def data(world: World) -> World:
    """AAA surges in 2018 and again in 2021; BBB stays low and flat-ish."""
    world.series("AAA", {"2015": 3.0, "2016": 3.2, "2017": 3.1, "2018": 6.5, "2019": 6.0,
                         "2020": 5.0, "2021": 7.0})  # fmt: skip
    world.series("BBB", {"2015": 0.3, "2016": 0.4, "2017": 0.2, "2018": 0.9, "2019": 0.5})
    return world


def _create(client: TestClient, people: dict[str, Person], text: str | None = None) -> Any:
    body = {"yaml": text or rule_file(), "reason": "first cut"}
    return client.post(API, json=body, headers=people["analyst"].headers())


def _put(client: TestClient, who: Person, body: dict[str, Any], name: str = "rate_record") -> Any:
    return client.put(f"{API}/{name}", json=body, headers=who.headers())


def _keys(alerts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(a["region"], a["period"]) for a in alerts]


def test_create_stores_version_one_evaluates_and_audits(
    client: TestClient, session: Session, people: dict[str, Person], data: World
) -> None:
    response = _create(client, people)
    assert response.status_code == 201, response.text
    saved = response.json()
    [rule] = saved["rules"]
    assert (rule["name"], rule["current_version"], rule["author"]) == ("rate_record", 1, "analyst1")
    assert rule["sentence"] and rule["indicator"] == "homicide_rate"
    assert saved["evaluation"]["created"] >= 1
    alerts = session.scalars(select(Alert).where(Alert.rule_name == "rate_record")).all()
    assert {(a.period, a.rule_version) for a in alerts} >= {("2018", 1), ("2021", 1)}
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "rule.create")).one()
    assert entry.actor == "analyst1" and entry.after and entry.after["version"] == 1
    assert _create(client, people).status_code == 409


def test_list_and_get_round_trip_the_yaml(
    client: TestClient, people: dict[str, Person], data: World
) -> None:
    _create(client, people)
    viewer = people["viewer"].headers()
    listed = client.get(API, headers=viewer).json()
    assert listed["total"] == 1 and listed["items"][0]["group"] == "homicide"
    detail = client.get(f"{API}/rate_record", headers=viewer).json()
    assert [v["version"] for v in detail["versions"]] == [1]
    assert detail["versions"][0]["reason"] == "first cut"
    body = {"yaml": detail["yaml"], "reason": "no change"}
    assert _put(client, people["analyst"], body).status_code == 409  # the same rule again
    assert client.get(f"{API}/nope", headers=viewer).status_code == 404


def test_update_adds_a_version_re_evaluates_and_audits_before_after(
    client: TestClient, session: Session, people: dict[str, Person], data: World
) -> None:
    _create(client, people)
    # A floor of 6.8 keeps 2021 (7.0) and drops 2018 (6.5).
    body = {"yaml": rule_file(floor=6.8), "reason": "too noisy", "base_version": 1}
    response = _put(client, people["analyst"], body)
    assert response.status_code == 200, response.text
    [rule] = response.json()["rules"]
    assert rule["current_version"] == 2
    assert [(v["version"], v["author"], v["reason"]) for v in rule["versions"]] == [
        (2, "analyst1", "too noisy"), (1, "analyst1", "first cut"),
    ]  # fmt: skip
    alerts = {a.period: a for a in session.scalars(select(Alert))}
    assert alerts["2021"].rule_version == 2
    assert alerts["2018"].state == "resolved"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "rule.update")).one()
    assert entry.before and entry.after
    assert (entry.before["version"], entry.after["version"]) == (1, 2)
    assert "6.8" in str(entry.after["definition"]) and "6.8" not in str(entry.before["definition"])
    stale = {"yaml": rule_file(floor=9.0), "reason": "again", "base_version": 1}
    assert _put(client, people["analyst"], stale).status_code == 409


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"yaml": rule_file().replace("severity: warning", LOUD), "reason": "x"}, "yaml:8:"),
        ({"yaml": "groups: [", "reason": "x"}, "yaml:1:"),
        ({"yaml": rule_file(name="other"), "reason": "x"}, "exactly the rule"),
        ({"yaml": rule_file(), "reason": "  "}, "reason"),
    ],
)
def test_update_rejects_bad_input_with_a_422_problem(
    client: TestClient, people: dict[str, Person], data: World, body: dict[str, Any], needle: str
) -> None:
    _create(client, people)
    response = _put(client, people["analyst"], body)
    assert response.status_code == 422, response.text
    assert needle in response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_writes_need_an_analyst(client: TestClient, people: dict[str, Person], data: World) -> None:
    body = {"yaml": rule_file(), "reason": "x"}
    assert client.post(API, json=body).status_code == 401
    assert client.post(API, json=body, headers=people["viewer"].headers()).status_code == 403
    assert _put(client, people["viewer"], body).status_code == 403


def test_validate_reports_lines_and_warnings(
    client: TestClient, people: dict[str, Person], data: World
) -> None:
    viewer = people["viewer"].headers()  # a dry run, allowed to every reader
    ok = client.post(f"{API}/validate", json={"yaml": rule_file()}, headers=viewer).json()
    assert ok == {"valid": True, "rules": ["rate_record"], "errors": [], "warnings": []}
    unknown = rule_file().replace("indicator: homicide_rate", "indicator: not_here")
    warned = client.post(f"{API}/validate", json={"yaml": unknown}, headers=viewer).json()
    assert warned["valid"] and "not_here" in warned["warnings"][0]
    loud = rule_file().replace("severity: warning", LOUD)
    bad = client.post(f"{API}/validate", json={"yaml": loud}, headers=viewer)
    assert bad.status_code == 200
    assert bad.json()["valid"] is False and bad.json()["errors"][0].startswith("yaml:8:")


def test_backtests_return_the_cli_contract(
    client: TestClient, people: dict[str, Person], data: World
) -> None:
    viewer = people["viewer"].headers()
    found = client.post(f"{API}/backtest", json={"yaml": rule_file()}, headers=viewer).json()[
        "alerts"
    ]
    assert found and all(set(a) == CONTRACT for a in found)
    assert ("AAA", "2018") in _keys(found) and ("AAA", "2021") in _keys(found)
    _create(client, people)
    saved = client.post(f"{API}/rate_record/backtest", json={"start": 2019}, headers=viewer).json()[
        "alerts"
    ]
    assert _keys(saved) == [k for k in _keys(found) if k[1] >= "2019"]
    assert client.post(f"{API}/nope/backtest", json={}, headers=viewer).status_code == 404


def test_impact_diffs_saved_and_proposed(
    client: TestClient, people: dict[str, Person], data: World
) -> None:
    _create(client, people)
    viewer = people["viewer"].headers()
    response = client.post(
        f"{API}/rate_record/impact", json={"yaml": rule_file(floor=6.8)}, headers=viewer
    )
    assert response.status_code == 200, response.text
    impact = response.json()
    assert impact["saved_version"] == 1 and impact["added"] == 0
    assert ("AAA", "2018") in _keys(impact["removed_alerts"])
    assert impact["removed"] == len(impact["removed_alerts"])
    assert impact["summary"].startswith(f"This edit adds 0 and removes {impact['removed']} ")
    back = client.post(
        f"{API}/rate_record/impact", json={"yaml": rule_file(floor=0.1)}, headers=viewer
    ).json()
    assert back["removed"] == 0 and ("BBB", "2018") in _keys(back["added_alerts"])
    wrong = client.post(
        f"{API}/rate_record/impact", json={"yaml": rule_file(name="x")}, headers=viewer
    )
    assert wrong.status_code == 422


COMPOSITE = """groups:
  - name: composites
    composites:
      - name: rising_twice
        all:
          - {indicator: homicide_rate, operator: change_vs_previous, params: {min_change: 0.2}}
          - indicator: homicide_rate
            operator: threshold_above
            params: {threshold: 6}
        severity: critical
        labels: {theme: homicide}
        annotations: {summary: "{region} {period} ({clauses})"}
"""


def test_composites_are_created_listed_versioned_and_backtested(
    client: TestClient, people: dict[str, Person], data: World
) -> None:
    assert _create(client, people, COMPOSITE).status_code == 201
    viewer = people["viewer"].headers()
    listed = {r["name"]: r for r in client.get(API, headers=viewer).json()["items"]}
    rule = listed["rising_twice"]
    assert (rule["kind"], rule["operator"], rule["indicator"]) == (
        "composite",
        "all",
        "homicide_rate",
    )
    assert rule["sentence"].startswith("all of: homicide_rate: change of at least +20%")
    detail = client.get(f"{API}/rising_twice", headers=viewer).json()
    assert "composites:" in detail["yaml"]
    edited = detail["yaml"].replace("threshold: 6", "threshold: 5")
    assert (
        _put(
            client, people["analyst"], {"yaml": edited, "reason": "lower"}, "rising_twice"
        ).status_code
        == 200
    )
    found = client.post(f"{API}/rising_twice/backtest", json={}, headers=viewer).json()["alerts"]
    assert _keys(found) == [("AAA", "2018"), ("AAA", "2021")]
    assert "homicide_rate threshold_above: true (7 in 2021, threshold 5)" in found[1]["explanation"]


@pytest.mark.parametrize("as_known_then", [True, "2024-06-30"])
def test_backtest_as_known_then_replays_the_releases(
    client: TestClient, people: dict[str, Person], data: World, as_known_then: object
) -> None:
    body = {"yaml": rule_file(), "as_known_then": as_known_then}
    response = client.post(f"{API}/backtest", json=body, headers=people["viewer"].headers())
    found = response.json()["alerts"]
    assert found and all(set(a) == CONTRACT for a in found)
    assert all(
        a["explanation"].endswith("(raised with the data published by 2024-06-30)") for a in found
    )
    before = {"yaml": rule_file(), "as_known_then": "2024-06-29"}
    assert client.post(
        f"{API}/backtest", json=before, headers=people["viewer"].headers()
    ).json() == {"alerts": []}
