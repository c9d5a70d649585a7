"""API fixtures: an app on the test's rolled-back session, and small ORM factories.

Tests reach the factories through fixtures (``make``, ``world``, ``homicide``, ``app_settings``)
rather than by importing this module, which pytest loads under the shared name ``conftest``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.alerts.models import Alert
from backend.app import create_app
from backend.config import Environment, Settings
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.sources.models import Indicator, Source
from tests.backend.api._people import add_person, serve_session, use_cheap_hasher

T = TypeVar("T")
V1, V2 = date(2023, 6, 30), date(2024, 6, 30)


@pytest.fixture
def app_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Return a maker of test settings whose own database is unused unless a test wants it."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "env": Environment.test,
            "database_url": f"sqlite:///{tmp_path / 'unused.db'}",
        }
        return Settings(**(values | overrides))

    return make


@pytest.fixture
def client(
    session: Session, app_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """Yield a client of an app that uses the test's rolled-back session.

    Reads need a token, so the client sends a viewer's (the user ``reader``) unless a
    request passes its own ``Authorization`` header; anonymous tests import the bare
    ``client_fixture`` of ``_people`` instead.
    """
    app = create_app(app_settings())

    serve_session(app, session)
    use_cheap_hasher(monkeypatch)
    reader = add_person(session, "reader", "viewer")
    with TestClient(app, headers=reader.headers()) as test_client:
        yield test_client


class Factory:
    """Insert rows with sensible defaults; every method flushes so ids are known."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, obj: T) -> T:
        """Add one row and flush it."""
        self.session.add(obj)
        self.session.flush()
        return obj

    def region(self, code: str, level: str, **fields: Any) -> Region:
        """Insert a region; hierarchy links (parent, region, ...) are given as Regions."""
        links = {f"{k}_id": v.id for k, v in fields.items() if isinstance(v, Region)}
        plain = {k: v for k, v in fields.items() if not isinstance(v, Region)}
        return self.add(Region(code=code, level=level, **(dict(name=code) | plain | links)))

    def source(self, source_id: str = "worldbank_homicide") -> Source:
        """Insert a source."""
        return self.add(
            Source(id=source_id, title=source_id, publisher="World Bank", licence="CC BY 4.0",
                   url="https://example.org", cadence="yearly", cadence_days=365,
                   schedule="0 3 * * 1")
        )  # fmt: skip

    def indicator(self, code: str = "homicide_rate", source: Source | None = None) -> Indicator:
        """Insert a yearly indicator."""
        return self.add(
            Indicator(code=code, name=code.replace("_", " ").capitalize(),
                      unit="per 100,000 population", frequency="year", higher_is_worse=True,
                      source_id=source.id if source else None)
        )  # fmt: skip

    def obs(
        self, indicator: Indicator, region: Region, period: str, value: float | None, **fields: Any
    ) -> Observation:
        """Insert the latest, real, newest-vintage observation of a yearly period unless told."""
        values: dict[str, Any] = {
            "indicator_id": indicator.id, "region_id": region.id, "period": period,
            "period_start": date(int(period[:4]), 1, 1), "value": value, "vintage": V2,
            "retrieved_at": datetime(2024, 7, 1, tzinfo=UTC), "is_latest": True,
            "is_demo": False, "source_id": "worldbank_homicide",
        }  # fmt: skip
        return self.add(Observation(**(values | fields)))

    def alert(self, region: Region, n: int, **fields: Any) -> Alert:
        """Insert alert number n: firing, warning, detected at n o'clock unless told."""
        values: dict[str, Any] = {
            "fingerprint": f"fp{n}", "rule_name": "homicide_rate_spike", "rule_version": 1,
            "region_id": region.id, "indicator_code": "homicide_rate", "period": "2020",
            "detected_at": datetime(2024, 7, 1, n, 0, tzinfo=UTC), "state": "firing",
            "triage": "new", "severity": "warning", "value": 30.0 + n, "baseline": 20.0,
            "threshold": 26.0, "explanation": f"alert {n}", "details": {}, "labels": {},
        }  # fmt: skip
        return self.add(Alert(**(values | fields)))


@pytest.fixture
def make(session: Session) -> Factory:
    """Return the row factory bound to the test session."""
    return Factory(session)


class World:
    """Two M49 regions, two sub-regions, an intermediate region, five countries and an area."""

    def __init__(self, make: Factory) -> None:
        r = make.region
        self.world = r("M49_001", "world", m49=1, name="World")
        self.americas = r("M49_019", "region", m49=19, name="Americas", parent=self.world)
        self.africa = r("M49_002", "region", m49=2, name="Africa", parent=self.world)
        self.latam = r("M49_419", "subregion", m49=419, name="Latin America and the Caribbean",
                       parent=self.americas, region=self.americas)  # fmt: skip
        self.ssa = r("M49_202", "subregion", m49=202, name="Sub-Saharan Africa",
                     parent=self.africa, region=self.africa)  # fmt: skip
        self.central = r("M49_013", "intermediate", m49=13, name="Central America",
                         parent=self.latam, region=self.americas, subregion=self.latam)  # fmt: skip
        central = {"parent": self.central, "region": self.americas, "subregion": self.latam,
                   "intermediate": self.central}  # fmt: skip
        ssa = {"parent": self.ssa, "region": self.africa, "subregion": self.ssa}
        self.gtm = r("GTM", "country", m49=320, name="Guatemala", **central)
        self.hnd = r("HND", "country", m49=340, name="Honduras", sids=False, lat=15.2, **central)
        self.mex = r("MEX", "country", m49=484, name="Mexico", **central)
        self.gha = r("GHA", "country", m49=288, name="Ghana", **ssa)
        self.nga = r("NGA", "country", m49=566, name="Nigeria", **ssa)
        self.area = r("HND_X", "area", name="Honduras area", parent=self.hnd)


@pytest.fixture
def world(make: Factory) -> World:
    """Insert the small M49 world."""
    return World(make)


@pytest.fixture
def homicide(make: Factory, world: World) -> Indicator:
    """Insert homicide_rate with two vintages, a demo duplicate, an area and gaps.

    2019: GTM 10, HND 40 (v1 said 50). 2020: HND 36 (v1 said 38), MEX 28, NGA 22 real and
    99 demo (both flagged latest), HND_X (an area) 5. GHA has nothing, GTM nothing in 2020.
    """
    make.source()
    make.source("demo")
    indicator = make.indicator(source=make.source("unodc_cts"))
    firsts = [(world.gtm, "2019", 10.0), (world.mex, "2020", 28.0), (world.nga, "2020", 22.0)]
    for region, period, value in [*firsts, (world.area, "2020", 5.0)]:
        make.obs(indicator, region, period, value)
    for period, old, new in (("2019", 50.0, 40.0), ("2020", 38.0, 36.0)):
        make.obs(indicator, world.hnd, period, old, vintage=V1, is_latest=False)
        make.obs(indicator, world.hnd, period, new)
    make.obs(indicator, world.nga, "2020", 99.0, vintage=V1, is_demo=True, source_id="demo")
    return indicator
