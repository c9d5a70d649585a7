"""Vintage-aware backtests: the releases replayed one by one, each alert when first raised."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

import rules
from backend.observations.models import Observation
from backend.observations.panel import known_on, load_vintages, vintage_dates
from backend.rules import service

World = Any  # the ``world`` fixture's factory (tests/backend/rules/conftest.py)
V1, V2, V3 = date(2020, 6, 30), date(2021, 6, 30), date(2022, 6, 30)
RECORD = rules.load_rules_text(
    """
groups:
  - name: g
    rules:
      - name: rate_record
        indicator: homicide_rate
        operator: highest_in_n
        params: {periods: 3, floor: 2.0}
        severity: warning
        annotations: {summary: "{region} {value:.1f} in {period}"}
""",
    "replay.yaml",
).rules


def _publish(session: Session, world: World, values: dict[str, float], vintage: date) -> None:
    """Store a release; the periods it revises lose their latest flag."""
    session.execute(
        update(Observation).where(Observation.period.in_(list(values))).values(is_latest=False)
    )
    world.series("AAA", values, vintage=vintage)


def _releases(session: Session, world: World) -> None:
    # V1: 2019 is a record. V2: 2019 revised down (no record any more), 2020 added.
    # V3: 2018 revised up, which makes it a record that V1 and V2 never showed.
    _publish(session, world, {"2015": 3.0, "2016": 3.0, "2017": 3.0, "2018": 3.0}, V1)
    _publish(session, world, {"2019": 6.0}, V1)
    _publish(session, world, {"2019": 3.0, "2020": 2.9}, V2)
    _publish(session, world, {"2018": 4.0}, V3)


def _found(session: Session, **kw: Any) -> list[tuple[str, str | None]]:
    found = service.backtest(session=session, rules=RECORD, **kw)
    return [(c.period, c.details.get("known_on")) for c in found]  # type: ignore[misc]


def test_the_latest_data_hide_what_the_bell_said_then(session: Session, world: World) -> None:
    _releases(session, world)
    assert _found(session) == [("2018", None)]


def test_the_replay_keeps_each_alert_from_the_release_that_raised_it(
    session: Session, world: World
) -> None:
    _releases(session, world)
    # 2019 was raised by V1 and revised away by V2; 2018 appeared only with V3.
    assert _found(session, as_known_then=True) == [("2018", "2022-06-30"), ("2019", "2020-06-30")]
    (first, *_) = service.backtest(session=session, rules=RECORD, as_known_then=True)
    assert first.explanation == "AAA 4.0 in 2018 (raised with the data published by 2022-06-30)"


def test_a_date_stops_the_replay_at_the_releases_published_by_then(
    session: Session, world: World
) -> None:
    _releases(session, world)
    assert _found(session, as_known_then=V2) == [("2019", "2020-06-30")]
    assert _found(session, as_known_then=date(2019, 1, 1)) == []


def test_vintages_come_in_one_frame_cut_by_date(session: Session, world: World) -> None:
    _releases(session, world)
    vintages = load_vintages(session=session, indicator_codes={"homicide_rate"})
    assert vintage_dates(vintages) == [V1, V2, V3]
    then = known_on(vintages, V2)
    assert dict(zip(then["period"], then["value"], strict=True)) == {
        "2015": 3.0, "2016": 3.0, "2017": 3.0, "2018": 3.0, "2019": 3.0, "2020": 2.9,
    }  # fmt: skip
    assert known_on(vintages, date(2019, 1, 1)).empty
