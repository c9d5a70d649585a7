"""Notification test helpers: a small M49 world, alert changes in the event log, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert
from backend.alerts.service import alert_event
from backend.events.service import append_event
from backend.notify.models import Delivery, Silence, Subscription
from backend.regions.models import Region

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOOK = "https://hooks.example.org/services/T0K3N-S3CRET"


def minutes(n: float) -> datetime:
    """Return T0 plus n minutes."""
    return T0 + timedelta(minutes=n)


class Places:
    """Americas > Latin America > Central America > HND, GTM; Africa > SSA > NGA."""

    def __init__(self, session: Session) -> None:
        def add(code: str, level: str, **links: Region) -> Region:
            region = Region(code=code, name=code, level=level,
                            **{f"{k}_id": v.id for k, v in links.items()})  # fmt: skip
            session.add(region)
            session.flush()
            return region

        americas, africa = add("M49_019", "region"), add("M49_002", "region")
        latam = add("M49_419", "subregion", parent=americas, region=americas)
        central = add("M49_013", "intermediate", parent=latam, region=americas, subregion=latam)
        ssa = add("M49_202", "subregion", parent=africa, region=africa)
        links = {"parent": central, "region": americas, "subregion": latam, "intermediate": central}
        self.hnd, self.gtm = add("HND", "country", **links), add("GTM", "country", **links)
        self.nga = add("NGA", "country", parent=ssa, region=africa, subregion=ssa)


class Changes:
    """Create alerts and write their state changes to the event log, as the engine does."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self, region: Region, fingerprint: str, state: str, fields: Any) -> Alert:
        """Insert a warning alert with the homicide theme unless fields say otherwise."""
        values: dict[str, Any] = {
            "rule_name": "homicide_rate_spike", "rule_version": 1,
            "indicator_code": "homicide_rate", "period": "2025", "detected_at": T0,
            "triage": "new", "severity": "warning",
            "value": 40.0, "baseline": 20.0, "threshold": 30.0,
            "explanation": f"{region.code} homicide rate 40 above 30", "details": {},
            "labels": {"theme": "homicide"},
        }  # fmt: skip
        alert = Alert(fingerprint=fingerprint, region_id=region.id, state=state,
                      **(values | fields))  # fmt: skip
        self.session.add(alert)
        return alert

    def move(
        self,
        region: Region,
        state: str,
        *,
        at: datetime,
        fingerprint: str = "fp-hnd",
        **fields: Any,
    ) -> Alert:
        """Move the alert (new, or known by fingerprint) to state and log the engine's event."""
        found = self.session.scalar(select(Alert).where(Alert.fingerprint == fingerprint))
        previous = found.state if found is not None else None
        alert = found or self._insert(region, fingerprint, state, fields)
        alert.state = state
        self.session.flush()
        payload = alert_event(alert, region.code, previous)
        append_event(session=self.session, kind="alert", payload=payload, at=at)
        return alert


def subscribe(session: Session, **fields: Any) -> Subscription:
    """Insert a subscription: a webhook for warnings and up, anywhere, created at T0."""
    values: dict[str, Any] = {
        "name": "desk", "owner": "analyst1", "channel": "webhook", "target": HOOK, "regions": [],
        "min_severity": "warning", "themes": [], "states": ["firing", "resolved"],
        "grace_minutes": 60, "enabled": True, "created_at": T0, "updated_at": T0,
    }  # fmt: skip
    subscription = Subscription(**(values | fields))
    session.add(subscription)
    session.flush()
    return subscription


def deliveries(session: Session) -> list[Delivery]:
    """Return every delivery in id order, fresh from the database."""
    session.expire_all()
    return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def notify_ids(session: Session) -> dict[str, int]:
    """Insert a subscription and a silence and return their ids as path parameters."""
    silence = Silence(region="HND", starts_at=T0, ends_at=minutes(60), author="analyst1",
                      comment="test", created_at=T0)  # fmt: skip
    session.add(silence)
    session.flush()
    return {"subscription_id": subscribe(session).id, "silence_id": silence.id}
