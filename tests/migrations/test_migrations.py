"""One Alembic history that works on SQLite and PostgreSQL and matches the models."""

from __future__ import annotations

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from backend import migrate
from backend.db import make_engine
from backend.models import Base, Indicator, Observation, Region, Source
from backend.timeutil import utcnow


def _insert_sample(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(Region),
            [
                {
                    "id": 1,
                    "code": "GNB",
                    "name": "Guinea-Bissau",
                    "level": "country",
                    "sids": False,
                    "ldc": True,
                    "lldc": False,
                }
            ],
        )
        conn.execute(
            insert(Source),
            [
                {
                    "id": "demo",
                    "title": "Demo",
                    "publisher": "Tocsin",
                    "licence": "CC0",
                    "url": "",
                    "cadence": "yearly",
                    "cadence_days": 365,
                    "schedule": "0 0 1 1 *",
                    "enabled": True,
                }
            ],
        )
        conn.execute(
            insert(Indicator),
            [
                {
                    "id": 1,
                    "code": "homicide_rate",
                    "name": "Homicide rate",
                    "unit": "per 100k",
                    "frequency": "year",
                    "higher_is_worse": True,
                    "description": "",
                }
            ],
        )
        conn.execute(
            insert(Observation),
            [
                {
                    "indicator_id": 1,
                    "region_id": 1,
                    "period": "2020",
                    "period_start": date(2020, 1, 1),
                    "value": 3.1,
                    "vintage": date(2022, 7, 20),
                    "retrieved_at": utcnow(),
                    "is_latest": True,
                    "is_demo": False,
                    "source_id": "demo",
                }
            ],
        )
    engine.dispose()


def test_the_history_has_exactly_one_head():
    assert len(migrate.heads()) == 1


def test_upgrade_downgrade_upgrade_with_data_present(blank_database_url):
    migrate.upgrade(blank_database_url)
    _insert_sample(blank_database_url)
    migrate.downgrade(blank_database_url, "base")
    engine = make_engine(blank_database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate.upgrade(blank_database_url)
    _insert_sample(blank_database_url)
    engine = make_engine(blank_database_url)
    with engine.connect() as conn:
        assert conn.scalar(select(Observation.value)) == 3.1
    engine.dispose()


def test_models_and_migrations_do_not_drift(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == [], f"models differ from the migrations; run `tocsin db revision`: {diff}"
