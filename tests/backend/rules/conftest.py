"""Factories for rule-service tests: a few regions, indicators and observation series."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend.observations.models import Observation
from backend.observations.upsert import period_start
from backend.regions.models import Region
from backend.sources.models import Indicator, Source


class World:
    """Countries AAA, BBB, CCC and two indicators; add series with ``series``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        session.add(Source(id="src", title="t", publisher="p", licence="l", url="u",
                           cadence="yearly", cadence_days=365, schedule="off"))  # fmt: skip
        self.regions = {
            code: Region(code=code, name=f"Land {code}", level="country")
            for code in ("AAA", "BBB", "CCC")
        }
        cadences = (("homicide_rate", "year"), ("sc_meetings", "quarter"))
        self.indicators = {
            code: Indicator(code=code, name=code, unit="u", frequency=freq)
            for code, freq in cadences
        }
        session.add_all([*self.regions.values(), *self.indicators.values()])
        session.flush()

    def series(
        self, region: str, values: Mapping[str, float], *, indicator: str = "homicide_rate",
        demo: bool = False, vintage: date = date(2024, 6, 30),
    ) -> None:  # fmt: skip
        """Store values by period as the latest vintage."""
        self.session.add_all(
            Observation(
                indicator_id=self.indicators[indicator].id,
                region_id=self.regions[region].id,
                period=period,
                period_start=period_start(period),
                value=value,
                vintage=vintage,
                retrieved_at=datetime(2024, 7, 1, tzinfo=UTC),
                is_latest=True,
                is_demo=demo,
                source_id="src",
            )
            for period, value in values.items()
        )
        self.session.flush()


@pytest.fixture
def world(session: Session) -> World:
    """A tiny world on the test's session."""
    return World(session)


@pytest.fixture
def rules_file(tmp_path: Path) -> Callable[..., Path]:
    """Return a writer of rule text to a file, giving its path."""

    def write(text: str, name: str = "rules.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
