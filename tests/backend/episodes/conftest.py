"""Fixtures for episodes, judgements and scorecards: the real geography and homicide series."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.observations.models import Observation
from backend.observations.upsert import period_start
from backend.regions.models import Region, RegionAlias
from backend.regions.service import alias_key, load_reference
from backend.sources.models import Indicator, Source

PLACES = {
    "GNB": "Guinea-Bissau", "GTM": "Guatemala", "HND": "Honduras", "JPN": "Japan",
    "MEX": "Mexico", "SLV": "El Salvador", "URY": "Uruguay",
}  # fmt: skip


@pytest.fixture
def geography(session: Session) -> dict[str, int]:
    """Insert a few countries, each with its name as an alias; return ids by code."""
    regions = {code: Region(code=code, name=name, level="country") for code, name in PLACES.items()}
    session.add_all(regions.values())
    session.flush()
    session.add_all(
        RegionAlias(region_id=regions[code].id, alias=name, key=alias_key(name, "name"),
                    kind="name")
        for code, name in PLACES.items()
    )  # fmt: skip
    session.flush()
    return {code: region.id for code, region in regions.items()}


@pytest.fixture
def reference(session: Session) -> dict[str, int]:
    """Load the shipped regions and aliases; return region ids by code."""
    load_reference(session)
    return {code: id_ for id_, code in session.execute(select(Region.id, Region.code))}


class Series:
    """Store homicide_rate values by region code and period."""

    def __init__(self, session: Session, regions: Mapping[str, int]) -> None:
        self.session, self.regions = session, regions
        session.add(Source(id="src", title="t", publisher="p", licence="l", url="u",
                           cadence="yearly", cadence_days=365, schedule="off"))  # fmt: skip
        self.indicator = Indicator(code="homicide_rate", name="Homicide rate", unit="u",
                                   frequency="year")  # fmt: skip
        session.add(self.indicator)
        session.flush()

    def add(self, code: str, values: Mapping[str, float]) -> None:
        """Store the values as the latest vintage."""
        self.session.add_all(
            Observation(
                indicator_id=self.indicator.id,
                region_id=self.regions[code],
                period=period,
                period_start=period_start(period),
                value=value,
                vintage=date(2024, 6, 30),
                retrieved_at=datetime(2024, 7, 1, tzinfo=UTC),
                is_latest=True,
                is_demo=False,
                source_id="src",
            )
            for period, value in values.items()
        )
        self.session.flush()


@pytest.fixture
def series(session: Session, geography: dict[str, int]) -> Series:
    """HND surges in 2008 (caught by a record rule), MEX in 2008 (late), JPN stays flat."""
    found = Series(session, geography)
    found.add("HND", {"2003": 40.0, "2004": 41.0, "2005": 39.0, "2006": 42.0, "2007": 44.0,
                      "2008": 56.0, "2009": 65.0})  # fmt: skip
    found.add("MEX", {"2003": 9.8, "2004": 10.0, "2005": 9.4, "2006": 9.7, "2007": 8.1,
                      "2008": 8.0, "2009": 17.6})  # fmt: skip
    found.add("JPN", {str(y): 0.3 for y in range(2003, 2010)})
    return found
