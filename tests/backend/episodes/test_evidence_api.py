"""Scorecards and noise budgets over the API, on a small homicide history.

HND rises from about 40 to 56 in 2008 and 65 in 2009; MEX jumps to 17.6 only in 2009;
JPN stays at 0.3. The reference episodes are HND 2008 and MEX 2008.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import rules
from backend.alerts.models import Alert, AlertLabel
from backend.rules import service as rule_service
from backend.rules.models import ReferenceEpisode

# client and people are fixtures, found by pytest in this module's namespace.
from tests.backend.api._people import Person, client_fixture, people_fixture  # noqa: F401

API = "/api/v1/rules"
Series = Any  # the ``series`` fixture (tests/backend/episodes/conftest.py)


def rule_file(threshold: float, name: str = "rate_high", extra: str = "") -> str:
    """Return a rule file with one threshold_above rule on homicide_rate."""
    return f"""groups:
  - name: homicide
    rules:
      - name: {name}
        indicator: homicide_rate
        operator: threshold_above
        params: {{threshold: {threshold}}}
        severity: warning
        annotations:
          summary: "{{region}} {{value}}"{extra}
"""


@pytest.fixture
def episodes(session: Session, series: Series, geography: dict[str, int]) -> None:
    """Store the reference episodes HND 2008 and MEX 2008."""
    for code in ("HND", "MEX"):
        session.add(ReferenceEpisode(region_id=geography[code], onset_period="2008",
                                     label=f"{code} surge", created_by="t",
                                     created_at=datetime(2024, 1, 1, tzinfo=UTC)))  # fmt: skip
    session.flush()


def _score(client: TestClient, people: dict[str, Person], body: dict[str, Any]) -> Any:
    response = client.post(f"{API}/scorecard", json=body, headers=people["viewer"].headers())
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_scorecard_of_a_rule_file(
    client: TestClient, people: dict[str, Person], episodes: None
) -> None:
    text = rule_file(50) + rule_file(15, "rate_any").split("rules:\n", 1)[1]
    strict, loose = _score(client, people, {"yaml": text})
    assert strict == {
        "rule": "rate_high", "episodes": 2, "alerts": 2, "true_positives": 2,
        "precision": 1.0, "recall": 0.5, "median_lead": 0.0,
        "caught": [{"region": "HND", "onset": "2008", "first_alert": "2008", "lead": 0}],
        "missed": [{"region": "MEX", "onset": "2008"}],
        "feedback": {"useful": 0, "false_alarm": 0, "already_known": 0, "too_late": 0},
    }  # fmt: skip
    # HND 2003-2009 (five within 2005-2009) and MEX 2009, one year late.
    assert (loose["alerts"], loose["true_positives"], loose["recall"]) == (8, 6, 1.0)
    assert loose["caught"] == [
        {"region": "HND", "onset": "2008", "first_alert": "2005", "lead": 3},
        {"region": "MEX", "onset": "2008", "first_alert": "2009", "lead": -1},
    ]
    assert (loose["precision"], loose["median_lead"]) == (0.75, 1.0)


def test_window_years_and_scope_narrow_the_count(
    client: TestClient, people: dict[str, Person], episodes: None
) -> None:
    [narrow] = _score(client, people, {"yaml": rule_file(15), "lead": 0, "lag": 0})
    assert (narrow["true_positives"], narrow["recall"]) == (1, 0.5)
    [late] = _score(client, people, {"yaml": rule_file(15), "from": 2009, "to": 2009})
    assert (late["episodes"], late["alerts"], late["recall"]) == (0, 2, None)
    scoped = rule_file(15, extra="\n        scope: {iso3: [MEX]}")
    [mex] = _score(client, people, {"yaml": scoped})
    assert (mex["episodes"], mex["alerts"], mex["missed"]) == (1, 1, [])


def test_saved_rule_scorecard_counts_feedback_labels(
    client: TestClient, session: Session, people: dict[str, Person], episodes: None,
    geography: dict[str, int],
) -> None:  # fmt: skip
    rule_service.import_rule_set(
        session=session, rule_set=rules.load_rules_text(rule_file(50)), author="t", reason="t"
    )
    at = datetime(2024, 7, 1, tzinfo=UTC)
    for n, (period, labels) in enumerate([("2008", ["useful", "useful"]), ("2001", ["too_late"])]):
        alert = Alert(
            fingerprint=f"f{n}", rule_name="rate_high", rule_version=1,
            region_id=geography["HND"], indicator_code="homicide_rate", period=period,
            detected_at=at, state="firing", severity="warning", explanation="x",
        )  # fmt: skip
        session.add(alert)
        session.flush()
        session.add_all(AlertLabel(alert_id=alert.id, label=v, author="a", created_at=at)
                        for v in labels)  # fmt: skip
    session.flush()
    viewer = people["viewer"].headers()
    [card] = client.get(f"{API}/rate_high/scorecard", headers=viewer).json()["items"]
    assert card["feedback"] == {"useful": 2, "false_alarm": 0, "already_known": 0, "too_late": 1}
    assert (card["alerts"], card["recall"]) == (2, 0.5)
    recent = client.get(f"{API}/rate_high/scorecard", params={"from": 2005}, headers=viewer)
    assert recent.json()["items"][0]["feedback"]["too_late"] == 0
    assert client.get(f"{API}/nope/scorecard", headers=viewer).status_code == 404


def test_noise_budget_suggests_best_recall_within_budget(
    client: TestClient, people: dict[str, Person], episodes: None
) -> None:
    body = {"yaml": rule_file(50), "max_per_quarter": 0.1}
    response = client.post(f"{API}/noise-budget", json=body, headers=people["viewer"].headers())
    assert response.status_code == 200, response.text
    tight = response.json()
    assert (tight["rule"], tight["parameter"], tight["current"], tight["budget"]) == (
        "rate_high", "threshold", 50.0, 0.1
    )  # fmt: skip
    values = [c["value"] for c in tight["candidates"]]
    assert values == sorted(values) and 50.0 in values
    # 2003-2009 is 28 quarters: within 0.1 a quarter only HND 2008-2009 fit (recall 0.5).
    assert tight["recall"] == 0.5 and tight["alerts_per_quarter"] <= 0.1
    assert tight["suggested"] >= 44.0
    loose = client.post(
        f"{API}/noise-budget", json=body | {"max_per_quarter": 10},
        headers=people["viewer"].headers(),
    ).json()  # fmt: skip
    # Catching MEX 2009 takes a threshold under 17.6; ties go to the fewest alerts.
    assert loose["recall"] == 1.0 and 10.0 <= loose["suggested"] < 17.6
    assert loose["alerts_per_quarter"] == pytest.approx(8 / 28, abs=0.01)


def test_noise_budget_of_a_saved_rule_and_refusals(
    client: TestClient, session: Session, people: dict[str, Person], episodes: None
) -> None:
    rule_service.import_rule_set(
        session=session, rule_set=rules.load_rules_text(rule_file(50)), author="t", reason="t"
    )
    viewer = people["viewer"].headers()
    url = f"{API}/rate_high/noise-budget"
    saved = client.get(url, params={"max_per_quarter": 0.1}, headers=viewer)
    assert saved.status_code == 200 and saved.json()["recall"] == 0.5
    assert client.get(url, headers=viewer).status_code == 422  # the budget is required
    two = rule_file(50) + rule_file(15, "rate_any").split("rules:\n", 1)[1]
    refused = client.post(f"{API}/noise-budget", json={"yaml": two, "max_per_quarter": 1},
                          headers=viewer)  # fmt: skip
    assert refused.status_code == 422 and "name the one to tune" in refused.text
    picked = client.post(f"{API}/noise-budget", headers=viewer,
                         json={"yaml": two, "max_per_quarter": 1, "rule": "rate_any"})  # fmt: skip
    assert picked.json()["current"] == 15.0
    missing = client.post(f"{API}/noise-budget", headers=viewer,
                          json={"yaml": two, "max_per_quarter": 1, "rule": "other"})  # fmt: skip
    assert missing.status_code == 422 and "no rule named" in missing.text


def test_no_episodes_means_no_suggestion(
    client: TestClient, people: dict[str, Person], series: Series
) -> None:
    body = {"yaml": rule_file(50), "max_per_quarter": 5}
    result = client.post(f"{API}/noise-budget", json=body, headers=people["viewer"].headers())
    assert result.status_code == 200
    assert (result.json()["suggested"], result.json()["recall"]) == (None, None)
    assert all(c["recall"] is None for c in result.json()["candidates"])
