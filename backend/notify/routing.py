"""Pure routing: which subscriptions want an alert transition, and which silence mutes it.

Alertmanager's notification algebra, kept small: a subscription matches on region (a
country, or an M49 region, sub-region or intermediate region above it), minimum severity,
theme label and alert state; a silence matches on rule, region, severity and theme while
its time box is open; a subscription is not told the same alert in the same state twice
within its grace period. No database here: the service feeds it rows and facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.alerts.models import SEVERITIES
from backend.notify.models import Silence, Subscription
from backend.timeutil import as_utc

SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class AlertFacts:
    """One alert state change as routing sees it."""

    event_id: int
    at: datetime
    fingerprint: str
    rule: str
    region: str
    scopes: frozenset[str]
    severity: str
    state: str
    theme: str | None
    payload: Mapping[str, object]

    @classmethod
    def from_event(
        cls,
        event_id: int,
        at: datetime,
        payload: Mapping[str, object],
        *,
        scopes: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> AlertFacts:
        """Build the facts from an ``alert`` event payload, the region's M49 codes and labels."""
        region = str(payload["region"])
        theme = (labels or {}).get("theme")
        return cls(
            event_id=event_id, at=as_utc(at), fingerprint=str(payload["fingerprint"]),
            rule=str(payload["rule"]), region=region, scopes=frozenset({region, *scopes}),
            severity=str(payload["severity"]), state=str(payload["state"]), theme=theme,
            payload={**payload, "theme": theme},
        )  # fmt: skip


def is_state_change(payload: Mapping[str, object]) -> bool:
    """Tell whether an alert event is an engine state change (not a triage action)."""
    return "action" not in payload and payload.get("state") != payload.get("previous_state")


def wants(subscription: Subscription, facts: AlertFacts) -> bool:
    """Tell whether the subscription asks for this transition (made after it was created)."""
    regions, themes = set(subscription.regions), set(subscription.themes)
    return (
        subscription.enabled
        and facts.at >= as_utc(subscription.created_at)
        and facts.state in subscription.states
        and SEVERITY_RANK.get(facts.severity, -1) >= SEVERITY_RANK[subscription.min_severity]
        and (not regions or bool(regions & facts.scopes))
        and (not themes or facts.theme in themes)
    )


def is_active(silence: Silence, now: datetime) -> bool:
    """Tell whether the silence's time box is open at now (start inclusive, end exclusive)."""
    return as_utc(silence.starts_at) <= as_utc(now) < as_utc(silence.ends_at)


def silence_matches(silence: Silence, facts: AlertFacts) -> bool:
    """Tell whether every matcher the silence sets matches the alert."""
    return (
        (silence.rule is None or silence.rule == facts.rule)
        and (silence.region is None or silence.region in facts.scopes)
        and (silence.severity is None or silence.severity == facts.severity)
        and (silence.theme is None or silence.theme == facts.theme)
    )


def silencing(silences: Iterable[Silence], facts: AlertFacts, now: datetime) -> Silence | None:
    """Return the first silence active at now that mutes the alert, or None."""
    for silence in silences:
        if is_active(silence, now) and silence_matches(silence, facts):
            return silence
    return None


def in_grace(last_notified: datetime | None, grace_minutes: int, now: datetime) -> bool:
    """Tell whether the same alert and state was notified less than the grace period ago."""
    if last_notified is None:
        return False
    return as_utc(now) - as_utc(last_notified) < timedelta(minutes=grace_minutes)
