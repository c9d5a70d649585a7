"""Routing tables: which subscription wants which change, which silence mutes it, grace."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from backend.notify.models import Silence, Subscription
from backend.notify.routing import (
    AlertFacts,
    in_grace,
    is_active,
    is_state_change,
    silence_matches,
    silencing,
    wants,
)
from tests.backend.notify.factory import T0, minutes

CENTRAL_AMERICA = ("M49_019", "M49_419", "M49_013")


def facts(**changes: Any) -> AlertFacts:
    """Return a firing warning about HND (in Central America), theme homicide, at T0 + 5 min."""
    payload: dict[str, Any] = {
        "fingerprint": "fp1", "rule": "homicide_rate_spike", "region": "HND",
        "severity": "warning", "state": "firing", "previous_state": None,
    }  # fmt: skip
    labels = {"theme": changes.pop("theme", "homicide")}
    at = changes.pop("at", minutes(5))
    return AlertFacts.from_event(1, at, payload | changes, scopes=CENTRAL_AMERICA, labels=labels)


def subscription(**fields: Any) -> Subscription:
    """Return an unsaved subscription to firing and resolved warnings anywhere, made at T0."""
    values: dict[str, Any] = {
        "regions": [], "min_severity": "warning", "themes": [], "states": ["firing", "resolved"],
        "enabled": True, "created_at": T0,
    }  # fmt: skip
    return Subscription(**(values | fields))


@pytest.mark.parametrize(
    ("fields", "change", "expected"),
    [
        ({}, {}, True),
        ({"enabled": False}, {}, False),
        ({"regions": ["HND"]}, {}, True),
        ({"regions": ["GTM"]}, {}, False),
        ({"regions": ["M49_013"]}, {}, True),  # intermediate region above HND
        ({"regions": ["M49_419"]}, {}, True),  # sub-region
        ({"regions": ["M49_019"]}, {}, True),  # region
        ({"regions": ["M49_002", "NGA"]}, {}, False),
        ({"min_severity": "critical"}, {}, False),
        ({"min_severity": "critical"}, {"severity": "critical"}, True),
        ({"min_severity": "info"}, {"severity": "info"}, True),
        ({}, {"severity": "info"}, False),
        ({"themes": ["homicide", "drugs"]}, {}, True),
        ({"themes": ["drugs"]}, {}, False),
        ({"themes": ["drugs"]}, {"theme": None}, False),
        ({}, {"state": "pending"}, False),
        ({"states": ["pending"]}, {"state": "pending"}, True),
        ({}, {"state": "resolved"}, True),
        ({}, {"at": minutes(-1)}, False),  # made before the subscription existed
    ],
)
def test_subscription_wants(fields: dict[str, Any], change: dict[str, Any], expected: bool) -> None:
    assert wants(subscription(**fields), facts(**change)) is expected


def silence(**fields: Any) -> Silence:
    """Return an unsaved silence of everything about HND from T0 for an hour."""
    values: dict[str, Any] = {"region": "HND", "starts_at": T0, "ends_at": minutes(60)}
    return Silence(**(values | fields))


@pytest.mark.parametrize(
    ("fields", "change", "expected"),
    [
        ({}, {}, True),
        ({"region": "GTM"}, {}, False),
        ({"region": "M49_013"}, {}, True),
        ({"region": None, "rule": "homicide_rate_spike"}, {}, True),
        ({"region": None, "rule": "seizure_jump"}, {}, False),
        ({"severity": "warning"}, {}, True),
        ({"severity": "critical"}, {}, False),
        ({"theme": "homicide"}, {}, True),
        ({"theme": "homicide"}, {"theme": None}, False),
        ({"theme": "drugs", "severity": "warning"}, {}, False),  # every matcher must hold
    ],
)
def test_silence_matchers(fields: dict[str, Any], change: dict[str, Any], expected: bool) -> None:
    assert silence_matches(silence(**fields), facts(**change)) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [(minutes(-1), False), (T0, True), (minutes(59), True), (minutes(60), False)],
)
def test_a_silence_is_active_from_its_start_until_before_its_end(at: Any, expected: bool) -> None:
    assert is_active(silence(), at) is expected


def test_silencing_returns_the_first_active_matching_silence() -> None:
    expired = silence(id=1, ends_at=minutes(1))
    other = silence(id=2, region="GTM")
    muting = silence(id=3)
    found = silencing([expired, other, muting], facts(), minutes(5))
    assert found is muting
    assert silencing([expired, other], facts(), minutes(5)) is None


@pytest.mark.parametrize(
    ("last", "grace", "now", "expected"),
    [
        (None, 60, T0, False),
        (T0, 60, minutes(59), True),
        (T0, 60, minutes(60), False),
        (T0, 0, T0, False),
        (T0.replace(tzinfo=None), 60, minutes(30), True),  # SQLite's naive datetimes are UTC
    ],
)
def test_grace_period(last: Any, grace: int, now: Any, expected: bool) -> None:
    assert in_grace(last, grace, now) is expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"state": "firing", "previous_state": None}, True),
        ({"state": "resolved", "previous_state": "firing"}, True),
        ({"state": "firing", "previous_state": "firing", "action": "acknowledge"}, False),
        ({"state": "firing", "previous_state": "firing"}, False),
    ],
)
def test_only_engine_state_changes_are_routed(payload: dict[str, Any], expected: bool) -> None:
    assert is_state_change(payload) is expected


def test_facts_carry_the_theme_and_the_region_scopes() -> None:
    found = facts(at=T0.replace(tzinfo=None) + timedelta(minutes=1))
    assert found.scopes == {"HND", *CENTRAL_AMERICA}
    assert found.payload["theme"] == "homicide" and found.at == minutes(1)
