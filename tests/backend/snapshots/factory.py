"""Small local factories: regions, a source, observations, alerts and documents."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.alerts.models import Alert, AlertComment, AlertTransition
from backend.documents.models import Document, DocumentTag
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.rules.models import Rule, RuleVersion
from backend.sources.models import Indicator, IngestRun, Source

SOURCE = "snaptest_src"
CODES = {"SQA": "Snapland A", "SQB": "Snapland <B> & Co", "SQC": "Snapland C"}


def at(year: int, month: int, day: int = 1) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(year, month, day, 12, tzinfo=UTC)


class World:
    """Builds a small, known world in the test session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        session.add(Source(id=SOURCE, title="Snap test source", publisher="Tests", licence="CC0",
                           url="https://example.org", cadence="yearly", cadence_days=400,
                           schedule="off"))  # fmt: skip
        session.flush()
        found = session.scalars(select(Indicator).where(Indicator.code == "homicide_rate")).first()
        self.indicator = found or Indicator(
            code="homicide_rate", name="Intentional homicide rate", unit="per 100,000 population",
            frequency="year", higher_is_worse=True, source_id=SOURCE,
        )  # fmt: skip
        self.regions = {c: Region(code=c, name=n, level="country") for c, n in CODES.items()}
        session.add_all([self.indicator, *self.regions.values()])
        session.flush()

    def run(self, started: datetime, sha: str = "ab" * 32) -> IngestRun:
        """Add a succeeded ingest run of the test source."""
        run = IngestRun(source_id=SOURCE, started_at=started, finished_at=started,
                        status="succeeded", payload_sha256=sha, trigger="manual")  # fmt: skip
        self.session.add(run)
        self.session.flush()
        return run

    def obs(self, region: str, period: str, value: float, vintage: date, run: IngestRun) -> None:
        """Add one observation row."""
        self.session.add(Observation(
            indicator_id=self.indicator.id, region_id=self.regions[region].id, period=period,
            period_start=date(int(period), 1, 1), value=value, vintage=vintage,
            retrieved_at=run.started_at, is_latest=True, source_id=SOURCE, run_id=run.id,
        ))  # fmt: skip
        self.session.flush()

    def rule(self, name: str = "snap_rule", text: str = "name: snap_rule\n") -> None:
        """Add an enabled rule with one version."""
        rule = Rule(name=name, group_name="tests", enabled=True, current_version=1,
                    created_at=at(2023, 1, 1))  # fmt: skip
        self.session.add(rule)
        self.session.flush()
        self.session.add(RuleVersion(rule_id=rule.id, version=1, definition=text, author="t",
                                     reason="test", created_at=at(2023, 1, 1)))  # fmt: skip
        self.session.flush()

    def alert(self, region: str, period: str, detected: datetime, *, severity: str = "warning",
              rule: str = "snap_rule") -> Alert:  # fmt: skip
        """Add a firing alert with its creation transition."""
        alert = Alert(
            fingerprint=f"{rule}-{region}-{period}", rule_name=rule, rule_version=1,
            region_id=self.regions[region].id, indicator_code="homicide_rate", period=period,
            detected_at=detected, state="firing", severity=severity, value=9.0, baseline=5.0,
            threshold=5.0, explanation=f"{CODES[region]} {period} above <threshold> & rising",
        )  # fmt: skip
        self.session.add(alert)
        self.session.flush()
        self.move(alert, detected, "state", "firing", None)
        return alert

    def move(self, alert: Alert, when: datetime, field: str, to: str, frm: str | None) -> None:
        """Add a transition (and apply it to the alert)."""
        setattr(alert, field, to)
        self.session.add(AlertTransition(alert_id=alert.id, at=when, actor="system:rules",
                                         field=field, from_value=frm, to_value=to))  # fmt: skip
        self.session.flush()

    def comment(self, alert: Alert, body: str, when: datetime) -> None:
        """Add an analyst comment."""
        self.session.add(AlertComment(alert_id=alert.id, author="ana", body=body, created_at=when))
        self.session.flush()

    def document(self, symbol: str, day: date, region: str) -> None:
        """Add a Security Council document tagged with a region."""
        doc = Document(symbol=symbol, kind="meeting", date=day, title=f"Meeting on {region}",
                       source_id=SOURCE)  # fmt: skip
        doc.tags.append(DocumentTag(kind="region", value=region))
        self.session.add(doc)
        self.session.flush()


def build_2023(session: Session) -> World:
    """Return a world with data up to 2023 and alerts in 2023Q3 and 2023Q4."""
    world = World(session)
    run = world.run(at(2023, 6, 1))
    for region, values in {"SQA": (10.0, 12.0, 18.0), "SQB": (5.0, 4.0, 4.5),
                           "SQC": (30.0, 31.0, 25.0)}.items():  # fmt: skip
        for period, value in zip(("2020", "2021", "2022"), values, strict=True):
            world.obs(region, period, value, date(2023, 5, 1), run)
    world.rule()
    return world
