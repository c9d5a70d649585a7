"""The rules panel and region metadata, read from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from backend.observations.models import Observation
from backend.observations.panel import PANEL_COLUMNS, load_panel, region_meta
from backend.observations.upsert import period_start
from backend.regions.models import Region
from backend.sources.models import Indicator, Source

V1, V2 = date(2023, 6, 30), date(2024, 6, 30)


class World:
    """A tiny world: Africa > Sub-Saharan Africa > Western Africa > GNB, plus NOR."""

    def __init__(self, session: Session) -> None:
        self.session = session
        session.add(Source(id="src", title="t", publisher="p", licence="l", url="u",
                           cadence="yearly", cadence_days=365, schedule="off"))  # fmt: skip
        africa = self._region("M49_002", "Africa", "region", 2)
        ssa = self._region("M49_202", "Sub-Saharan Africa", "subregion", 202)
        west = self._region("M49_011", "Western Africa", "intermediate", 11)
        self.regions = {
            "GNB": self._region("GNB", "Guinea-Bissau", "country", 624, africa, ssa, west),
            "NOR": self._region("NOR", "Norway", "country", 578),
        }
        self.indicators = {code: self._indicator(code) for code in ("rate", "count")}

    def _region(self, code: str, name: str, level: str, m49: int, *tiers: Region) -> Region:
        region = Region(code=code, name=name, level=level, m49=m49)
        for tier in tiers:
            setattr(region, f"{tier.level}_id", tier.id)
        self.session.add(region)
        self.session.flush()
        return region

    def _indicator(self, code: str) -> Indicator:
        indicator = Indicator(code=code, name=code, unit="u", frequency="year")
        self.session.add(indicator)
        self.session.flush()
        return indicator

    def add(self, region: str, period: str, value: float | None, **kw: object) -> None:
        """Add one observation (latest, real, vintage V1 unless told)."""
        values: dict[str, object] = {"vintage": V1, "is_latest": True, "is_demo": False, **kw}
        indicator = self.indicators[str(values.pop("indicator", "rate"))]
        self.session.add(Observation(
            indicator_id=indicator.id, region_id=self.regions[region].id, period=period,
            period_start=period_start(period), value=value, source_id="src",
            retrieved_at=datetime(2024, 7, 1, tzinfo=UTC), **values,
        ))  # fmt: skip
        self.session.flush()


@pytest.fixture
def world(session: Session) -> World:
    """A tiny world on the test's session."""
    return World(session)


def _rows(frame: object) -> list[tuple[object, ...]]:
    return list(frame.itertuples(index=False, name=None))  # type: ignore[attr-defined]


def test_panel_holds_the_latest_vintage_of_each_period(session: Session, world: World) -> None:
    world.add("GNB", "2020", 5.0, is_latest=False)
    world.add("GNB", "2020", 6.0, vintage=V2)
    world.add("GNB", "2021", None)
    world.add("NOR", "2020", 0.5)
    world.add("NOR", "2020", 99.0, indicator="count")
    panel = load_panel(session=session, indicator_codes={"rate"})
    assert tuple(panel.columns) == PANEL_COLUMNS
    rows = _rows(panel)
    assert rows[0] == ("GNB", "rate", "2020", 6.0, False)
    assert rows[1][:3] == ("GNB", "rate", "2021") and rows[1][3] != rows[1][3]  # NaN
    assert rows[2] == ("NOR", "rate", "2020", 0.5, False)


def test_panel_as_known_then_replays_an_earlier_vintage(session: Session, world: World) -> None:
    world.add("GNB", "2020", 5.0, is_latest=False)
    world.add("GNB", "2020", 6.0, vintage=V2)
    world.add("GNB", "2022", 7.0, vintage=V2)
    then = load_panel(session=session, indicator_codes={"rate"}, as_known_then=date(2024, 1, 1))
    assert _rows(then) == [("GNB", "rate", "2020", 5.0, False)]
    now = load_panel(session=session, indicator_codes={"rate"}, as_known_then=V2)
    assert [row[3] for row in _rows(now)] == [6.0, 7.0]


def test_panel_keeps_only_the_asked_regions(session: Session, world: World) -> None:
    world.add("GNB", "2020", 5.0)
    world.add("NOR", "2020", 0.5)
    panel = load_panel(
        session=session, indicator_codes={"rate"}, region_ids={world.regions["NOR"].id}
    )
    assert list(panel["region"]) == ["NOR"]


def test_real_values_win_over_demo_values(session: Session, world: World) -> None:
    world.add("GNB", "2020", 1.0, is_demo=True, vintage=V2)
    world.add("GNB", "2020", 5.0)
    world.add("GNB", "2021", 2.0, is_demo=True)
    rows = _rows(load_panel(session=session, indicator_codes={"rate"}))
    assert rows == [("GNB", "rate", "2020", 5.0, False), ("GNB", "rate", "2021", 2.0, True)]


def test_no_indicators_give_an_empty_panel(session: Session) -> None:
    panel = load_panel(session=session, indicator_codes=set())
    assert panel.empty and tuple(panel.columns) == PANEL_COLUMNS


def test_region_meta_names_and_codes_the_m49_tiers(session: Session, world: World) -> None:
    meta = region_meta(session=session)
    gnb = meta.loc["GNB"]
    assert (gnb["name"], gnb["region"], gnb["subregion"], gnb["intermediate"]) == (
        "Guinea-Bissau", "Africa", "Sub-Saharan Africa", "Western Africa",
    )  # fmt: skip
    assert (gnb["region_code"], gnb["subregion_code"], gnb["intermediate_code"]) == (
        "002",
        "202",
        "011",
    )
    assert pd.isna(meta.loc["NOR", "region_code"])
    assert "M49_002" not in meta.index  # aggregates are not scope members
