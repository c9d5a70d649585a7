"""``tocsin demo``: load, reload and clear the demo dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend import migrate
from backend.alerts.models import Alert, AlertTransition
from backend.cli import app
from backend.demo.service import SOURCE_ID, DemoCleared, clear_demo, load_demo
from backend.events.models import Event
from backend.events.service import last_cursor
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.rules.models import Rule
from backend.sources.models import Indicator, IngestRun, Source

PRESENT = date(2025, 8, 20)
FEW = ("GNB", "HND", "MLI", "NOR")


def _count(session: Session, *where: object, model: type = Observation) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def test_load_marks_everything_demo_and_raises_demo_alerts(session: Session) -> None:
    loaded = load_demo(session=session, present=PRESENT, countries=FEW)
    assert loaded.countries == len(FEW)
    assert loaded.observations == _count(session) > 1000
    assert _count(session, Observation.is_demo.is_(False)) == 0
    assert loaded.alerts == _count(session, model=Alert) > 0
    assert _count(session, Alert.is_demo.is_(False), model=Alert) == 0
    assert (
        _count(session, AlertTransition.from_value.is_(None), model=AlertTransition)
        == loaded.alerts
    )
    source = session.get(Source, SOURCE_ID)
    assert source is not None and "synthetic" in source.title and "not real data" in source.licence
    run = session.scalars(select(IngestRun).where(IngestRun.source_id == SOURCE_ID)).one()
    assert (run.status, run.trigger, run.rows_inserted) == (
        "succeeded",
        "demo",
        loaded.observations,
    )
    assert _count(session, model=Rule) == loaded.rules > 0


def test_a_second_load_replaces_instead_of_duplicating(session: Session) -> None:
    first = load_demo(session=session, present=PRESENT, countries=FEW)
    second = load_demo(session=session, present=PRESENT, countries=FEW)
    assert second.replaced.observations == first.observations
    assert second.replaced.alerts == first.alerts
    assert (_count(session), _count(session, model=Alert)) == (first.observations, first.alerts)
    assert _count(session, model=IngestRun) == 1


def test_indicators_with_real_data_are_left_alone(session: Session) -> None:
    load_demo(session=session, present=PRESENT, countries=("NOR",))
    nor = session.scalars(select(Region).where(Region.code == "NOR")).one()
    rate = session.scalars(select(Indicator).where(Indicator.code == "homicide_rate")).one()
    session.add(Source(id="real", title="r", publisher="p", licence="l", url="u",
                       cadence="yearly", cadence_days=365, schedule="off"))  # fmt: skip
    session.flush()
    session.add(Observation(
        indicator_id=rate.id, region_id=nor.id, period="2020", period_start=date(2020, 1, 1),
        value=0.5, vintage=date(2024, 6, 30), retrieved_at=datetime(2025, 1, 1, tzinfo=UTC),
        source_id="real",
    ))  # fmt: skip
    session.flush()
    loaded = load_demo(session=session, present=PRESENT, countries=("NOR",))
    assert "homicide_rate" in loaded.skipped_indicators
    assert _count(session, Observation.indicator_id == rate.id) == 1


def test_clear_removes_demo_rows_alerts_and_runs(session: Session) -> None:
    load_demo(session=session, present=PRESENT, countries=FEW)
    cleared = clear_demo(session=session)
    assert cleared.observations > 0 and cleared.alerts > 0 and cleared.runs == 1
    assert _count(session) == _count(session, model=Alert) == _count(session, model=IngestRun) == 0


def test_clear_moves_the_data_version_on_so_no_cached_answer_survives(session: Session) -> None:
    load_demo(session=session, present=PRESENT, countries=FEW)
    before = last_cursor(session=session)
    cleared = clear_demo(session=session)
    newest = session.scalars(select(Event).order_by(Event.id.desc()).limit(1)).one()
    assert newest.id > before
    assert (newest.kind, newest.payload["alerts"]) == ("demo_cleared", cleared.alerts)
    assert clear_demo(session=session) == DemoCleared()  # nothing left: no event
    assert last_cursor(session=session) == newest.id


def test_cli_load_prints_one_line_and_clear_undoes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("TOCSIN_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "load", "--countries", "GNB,NOR"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("demo data loaded: ")
    assert "for 2 countries" in lines[0] and "synthetic" in lines[0]
    cleared = runner.invoke(app, ["demo", "clear"])
    assert cleared.exit_code == 0, cleared.output
    assert cleared.stdout.startswith("demo data cleared: ")
