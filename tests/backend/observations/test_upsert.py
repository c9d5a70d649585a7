"""The vintage-keeping upsert, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from backend.observations.models import Observation
from backend.observations.upsert import (
    ObservationIn,
    PeriodError,
    UpsertResult,
    period_start,
    same_value,
    upsert_observations,
)
from backend.regions.models import Region
from backend.sources.models import Indicator, Source

V1, V2, V0 = date(2022, 7, 20), date(2023, 7, 20), date(2021, 7, 20)


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("2020", date(2020, 1, 1)),
        ("2020Q1", date(2020, 1, 1)),
        ("2020Q3", date(2020, 7, 1)),
        ("2020Q4", date(2020, 10, 1)),
        ("2020-07", date(2020, 7, 1)),
        ("2020-07-15", date(2020, 7, 15)),
        ("2020-W01", date(2019, 12, 30)),
    ],
)
def test_period_start(period, start):
    assert period_start(period) == start


@pytest.mark.parametrize(
    "period", ["20", "2020Q5", "2020-13", "2020-02-30", "2020-7", "FY2020", " 2020"]
)
def test_bad_periods_are_refused(period):
    with pytest.raises(PeriodError):
        period_start(period)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [(1.0, 1.0, True), (7.46974752253374, 7.469747522533741, True), (1.0, 1.0001, False),
     (0.0, 0.0, True), (0.0, 1e-9, False), (None, None, True), (None, 0.0, False)],
)  # fmt: skip
def test_same_value_tolerates_float_noise_only(a, b, same):
    assert same_value(a, b) is same


@pytest.fixture
def world(session):
    """Two countries, one indicator and one source: the smallest place to store values."""
    session.add(Source(id="src", title="t", publisher="p", licence="l", url="u", cadence="yearly",
                       cadence_days=365, schedule="0 3 * * 1"))  # fmt: skip
    indicator = Indicator(
        code="homicide_rate", name="Homicide rate", unit="per 100k", frequency="year"
    )
    regions = [Region(code=code, name=code, level="country") for code in ("AAA", "BBB")]
    session.add_all([indicator, *regions])
    session.flush()
    return indicator.id, [r.id for r in regions]


def obs(world, period="2020", value=1.0, vintage=V1, region=0, is_demo=False) -> ObservationIn:
    indicator_id, regions = world
    return ObservationIn(
        region_id=regions[region],
        indicator_id=indicator_id,
        period=period,
        value=value,
        vintage=vintage,
        source_id="src",
        run_id=None,
        is_demo=is_demo,
    )


def stored(session) -> list[tuple[str, float | None, date, bool, bool]]:
    rows = session.scalars(
        select(Observation).order_by(Observation.region_id, Observation.period, Observation.vintage)
    )
    return [(r.period, r.value, r.vintage, r.is_latest, r.is_demo) for r in rows]


def counts(result: UpsertResult) -> tuple[int, int, int, int]:
    return result.inserted, result.revised, result.unchanged, len(result.conflicts)


def test_new_values_are_inserted_as_latest(session, world):
    result = upsert_observations(session=session, rows=[obs(world), obs(world, "2021", 2.0)])
    assert counts(result) == (2, 0, 0, 0)
    assert stored(session) == [("2020", 1.0, V1, True, False), ("2021", 2.0, V1, True, False)]
    first = session.scalars(select(Observation)).first()
    assert first.period_start == date(2020, 1, 1) and first.source_id == "src"


def test_a_rerun_of_the_same_payload_is_all_unchanged(session, world):
    rows = [obs(world), obs(world, "2021", 2.0), obs(world, region=1)]
    upsert_observations(session=session, rows=rows)
    again = upsert_observations(session=session, rows=rows)
    assert counts(again) == (0, 0, 3, 0) and not again.changed
    assert len(stored(session)) == 3


def test_a_new_vintage_with_the_same_value_adds_nothing(session, world):
    upsert_observations(session=session, rows=[obs(world)])
    result = upsert_observations(session=session, rows=[obs(world, value=1.0 + 1e-13, vintage=V2)])
    assert counts(result) == (0, 0, 1, 0)
    assert stored(session) == [("2020", 1.0, V1, True, False)]


def test_a_revision_keeps_both_vintages_and_moves_the_latest_flag(session, world):
    upsert_observations(session=session, rows=[obs(world)])
    result = upsert_observations(session=session, rows=[obs(world, value=1.5, vintage=V2)])
    assert counts(result) == (0, 1, 0, 0)
    assert result.changed == {(world[0], world[1][0])}
    assert stored(session) == [("2020", 1.0, V1, False, False), ("2020", 1.5, V2, True, False)]


def test_two_vintages_in_one_payload_are_applied_in_order(session, world):
    result = upsert_observations(
        session=session, rows=[obs(world, value=1.5, vintage=V2), obs(world)]
    )
    assert counts(result) == (1, 1, 0, 0)
    assert stored(session) == [("2020", 1.0, V1, False, False), ("2020", 1.5, V2, True, False)]


def test_an_older_vintage_is_kept_as_history_without_taking_the_latest_flag(session, world):
    upsert_observations(session=session, rows=[obs(world)])
    result = upsert_observations(session=session, rows=[obs(world, value=0.5, vintage=V0)])
    assert counts(result) == (0, 1, 0, 0)
    assert stored(session) == [("2020", 0.5, V0, False, False), ("2020", 1.0, V1, True, False)]


def test_conflicting_values_in_one_release_are_refused(session, world):
    rows = [obs(world), obs(world, value=9.0), obs(world, "2021", 2.0), obs(world, "2021", 2.0)]
    result = upsert_observations(session=session, rows=rows)
    assert counts(result) == (1, 0, 1, 2)  # 2021 repeated exactly: one stored, one unchanged
    assert sorted(i for i, _ in result.conflicts) == [0, 1]
    assert "conflicting values for 2020" in result.conflicts[0][1]
    assert stored(session) == [("2021", 2.0, V1, True, False)]


def test_a_changed_value_under_a_stored_vintage_is_refused_not_overwritten(session, world):
    upsert_observations(session=session, rows=[obs(world)])
    result = upsert_observations(session=session, rows=[obs(world, value=3.0)])
    assert counts(result) == (0, 0, 0, 1)
    assert "stored as 1.0, now 3.0" in result.conflicts[0][1]
    assert stored(session) == [("2020", 1.0, V1, True, False)]


def test_real_data_replaces_the_demo_data_of_its_indicator(session, world):
    upsert_observations(
        session=session,
        rows=[obs(world, value=7.0, is_demo=True), obs(world, "2019", 6.0, is_demo=True)],
    )
    result = upsert_observations(session=session, rows=[obs(world, value=1.0, region=1)])
    assert result.demo_deleted == 2 and counts(result) == (1, 0, 0, 0)
    assert stored(session) == [("2020", 1.0, V1, True, False)]


def test_demo_rows_do_not_delete_demo_rows(session, world):
    upsert_observations(session=session, rows=[obs(world, is_demo=True)])
    result = upsert_observations(session=session, rows=[obs(world, is_demo=True)])
    assert result.demo_deleted == 0 and counts(result) == (0, 0, 1, 0)


def test_retrieved_at_and_run_are_recorded(session, world):
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    upsert_observations(session=session, rows=[obs(world)], retrieved_at=at)
    row = session.scalars(select(Observation)).one()
    assert row.retrieved_at.replace(tzinfo=UTC) == at and row.run_id is None


def test_an_empty_payload_does_nothing(session, world):
    assert counts(upsert_observations(session=session, rows=[])) == (0, 0, 0, 0)
