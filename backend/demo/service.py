"""Load or clear the clearly labelled, synthetic demo dataset.

The load is one transaction (the caller's): reference regions when the table is empty,
the ``demo`` source and the indicator catalogue, the generated observations (``is_demo``,
through the database's bulk path), the default rule pack (rules already stored are left
as they are), and an evaluation whose alerts on demo data are marked demo. Loading again
replaces the demo rows and alerts; indicators that already hold real data are skipped.
Functions flush when they need ids and never commit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, cast

from psycopg import sql
from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.orm import Session, aliased

import rules as rule_core
from backend.alerts.models import Alert
from backend.alerts.service import delete_demo_alerts
from backend.events.service import append_event
from backend.observations.models import Observation
from backend.regions.models import Region
from backend.regions.service import ensure_reference
from backend.rules.service import evaluate_all, import_rule_files
from backend.sources import service as sources
from backend.sources.models import IngestRun, Source
from backend.timeutil import utcnow
from ingest.demo import DEFAULT_SEED, DemoCountry, DemoRow, generate
from ingest.indicators import CATALOGUE

SOURCE_ID = "demo"
AUTHOR = "system:demo"
# Observation columns the bulk path writes, in this order.
COLUMNS = (
    "indicator_id", "region_id", "period", "period_start", "value", "vintage",
    "retrieved_at", "is_latest", "is_demo", "source_id", "run_id",
)  # fmt: skip
CHUNK = 20_000
OBSERVATION = cast(Table, Observation.__table__)


@dataclass(frozen=True)
class DemoSource:
    """The demo dataset declared like a source (satisfies sources.SourceInfo)."""

    id: str = SOURCE_ID
    title: str = "Tocsin demo dataset (synthetic)"
    publisher: str = "Tocsin (generated, not real data)"
    licence: str = "CC0 — synthetic, not real data"
    url: str = ""  # nothing to link to: the data are generated locally
    cadence: str = "none"
    cadence_days: int = 36_500
    enabled: bool = False


class Reporter:
    """Receives progress: a new step (with a total when it counts), and advances.

    This base shows nothing (tests, library use); ``backend.cli.demo.RichReporter`` draws it.
    """

    def step(self, text: str, total: int | None = None) -> None:
        """Start a step."""

    def advance(self, amount: int) -> None:
        """Advance the current step."""


@dataclass(frozen=True)
class DemoCleared:
    """What clearing the demo data removed."""

    observations: int = 0
    alerts: int = 0
    runs: int = 0


@dataclass(frozen=True)
class DemoLoaded:
    """What a demo load wrote."""

    countries: int
    observations: int
    indicators: int
    skipped_indicators: tuple[str, ...]
    rules: int
    alerts: int
    firing: int
    replaced: DemoCleared


class UnknownCountryError(ValueError):
    """Country codes asked for that the region table does not hold as countries."""


def _deleted(session: Session, statement: Any) -> int:
    done = session.execute(statement, execution_options={"synchronize_session": False})
    return int(getattr(done, "rowcount", 0) or 0)


def clear_demo(*, session: Session) -> DemoCleared:
    """Delete every demo observation, demo alert and demo ingest run.

    The deletion is an event too: cached answers and open dashboards still show the demo
    alerts until the data version moves on (backend.cache).
    """
    alerts = delete_demo_alerts(session=session)
    observations = _deleted(session, delete(Observation).where(Observation.is_demo.is_(True)))
    runs = _deleted(session, delete(IngestRun).where(IngestRun.source_id == SOURCE_ID))
    cleared = DemoCleared(observations=observations, alerts=alerts, runs=runs)
    if observations or alerts or runs:
        append_event(session=session, kind="demo_cleared", payload=asdict(cleared))
    session.flush()
    return cleared


def delete_demo_source(*, session: Session) -> None:
    """Delete the ``demo`` source row (after ``clear_demo`` removed its runs)."""
    session.execute(delete(Source).where(Source.id == SOURCE_ID))


def demo_countries(*, session: Session, codes: Collection[str] | None = None) -> list[DemoCountry]:
    """Return the countries of the region table (or those codes) with their M49 tiers."""
    sub, mid = aliased(Region, name="sub"), aliased(Region, name="mid")
    query = (
        select(Region.code, sub.code, mid.code)
        .outerjoin(sub, sub.id == Region.subregion_id)
        .outerjoin(mid, mid.id == Region.intermediate_id)
        .where(Region.level == "country")
        .order_by(Region.code)
    )
    if codes is not None:
        query = query.where(Region.code.in_(sorted(codes)))
    return [DemoCountry(code, s, m) for code, s, m in session.execute(query)]


def _real_indicators(session: Session) -> set[int]:
    query = select(Observation.indicator_id).where(Observation.is_demo.is_(False)).distinct()
    return set(session.scalars(query))


def _sqlite_insert(conn: Connection, rows: Sequence[tuple[Any, ...]], reporter: Reporter) -> None:
    """Insert through the driver's executemany, values converted by the column types."""
    compiled = OBSERVATION.insert().compile(dialect=conn.dialect, column_keys=list(COLUMNS))
    positions = [COLUMNS.index(name) for name in compiled.positiontup or COLUMNS]
    converters: list[Callable[[Any], Any] | None] = []
    for index in positions:
        column_type = OBSERVATION.c[COLUMNS[index]].type.dialect_impl(conn.dialect)
        process = column_type.bind_processor(conn.dialect)
        # Dates, times and flags repeat across rows: convert each distinct value once.
        converters.append(None if process is None else functools.lru_cache(maxsize=65_536)(process))
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        columns = [[row[i] for row in chunk] for i in positions]
        values = [
            c if f is None else list(map(f, c)) for c, f in zip(columns, converters, strict=True)
        ]
        conn.exec_driver_sql(str(compiled), list(zip(*values, strict=True)))
        reporter.advance(len(chunk))


def _postgres_copy(conn: Connection, rows: Sequence[tuple[Any, ...]], reporter: Reporter) -> None:
    """Stream the rows with COPY, the fastest path PostgreSQL has."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(OBSERVATION.name),
        sql.SQL(", ").join(sql.Identifier(name) for name in COLUMNS),
    )
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("no PostgreSQL driver connection for COPY")
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(rows), CHUNK):
            for row in rows[start : start + CHUNK]:
                copy.write_row(row)
            reporter.advance(len(rows[start : start + CHUNK]))


def bulk_insert_observations(
    *, session: Session, rows: Sequence[tuple[Any, ...]], reporter: Reporter | None = None
) -> int:
    """Insert new observation rows (tuples in ``COLUMNS`` order) on the fastest path."""
    reporter = reporter or Reporter()
    session.flush()
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        _sqlite_insert(conn, rows, reporter)
    elif conn.dialect.name == "postgresql":
        _postgres_copy(conn, rows, reporter)
    else:
        conn.execute(OBSERVATION.insert(), [dict(zip(COLUMNS, r, strict=True)) for r in rows])
    return len(rows)


@dataclass(frozen=True)
class _Ids:
    regions: dict[str, int]
    indicators: dict[str, int]


def _to_tuples(
    rows: Sequence[DemoRow], ids: _Ids, run_id: int, vintage: date, retrieved_at: datetime
) -> list[tuple[Any, ...]]:
    return [
        (ids.indicators[row.indicator], ids.regions[row.region], row.period, row.period_start,
         row.value, vintage, retrieved_at, True, True, SOURCE_ID, run_id)
        for row in rows
        if row.indicator in ids.indicators
    ]  # fmt: skip


def _prepare(session: Session, reporter: Reporter) -> tuple[DemoCleared, dict[str, int]]:
    """Load regions if needed, clear the previous demo, register the source and indicators."""
    reporter.step("reference regions")
    ensure_reference(session)
    reporter.step("clearing the previous demo data")
    cleared = clear_demo(session=session)
    sources.sync_source(session=session, source=DemoSource(), schedule="off")
    # source_id=None: the demo must not become any indicator's primary source.
    indicator_ids = sources.sync_indicators(session=session, specs=CATALOGUE, source_id=None)
    return cleared, indicator_ids


def _insert_demo_rows(
    session: Session, chosen: Sequence[DemoCountry], present: date, seed: int,
    indicator_ids: dict[str, int], reporter: Reporter,
) -> list[tuple[Any, ...]]:  # fmt: skip
    """Generate the rows, insert them as one recorded demo run, and return them."""
    reporter.step(f"generating demo data for {len(chosen)} countries")
    generated = generate(chosen, present=present, seed=seed)
    run = sources.start_run(session=session, source_id=SOURCE_ID, trigger="demo")
    regions = {
        code: region_id for code, region_id in session.execute(select(Region.code, Region.id))
    }
    rows = _to_tuples(generated, _Ids(regions, indicator_ids), run.id, present, utcnow())
    reporter.step("inserting demo observations", total=len(rows))
    bulk_insert_observations(session=session, rows=rows, reporter=reporter)
    counts = sources.RunCounts(read=len(generated), inserted=len(rows))
    sources.finish_run(session=session, run_id=run.id, counts=counts)
    return rows


def _rules_and_alerts(session: Session, reporter: Reporter) -> int:
    """Import the default pack's missing rules, evaluate, and return the number of rules."""
    reporter.step("importing the default rule pack")
    summary = import_rule_files(
        session=session,
        paths=[rule_core.pack_path("default")],
        author=AUTHOR,
        reason="default rule pack, imported with the demo dataset",
        keep_existing=True,
    )
    reporter.step("evaluating the rules")
    evaluate_all(session=session)
    return len(summary.created) + len(summary.updated) + len(summary.unchanged)


def load_demo(
    *,
    session: Session,
    present: date,
    countries: Collection[str] | None = None,
    seed: int = DEFAULT_SEED,
    reporter: Reporter | None = None,
) -> DemoLoaded:
    """Replace the demo dataset: observations, the default rules if absent, and alerts."""
    reporter = reporter or Reporter()
    cleared, indicator_ids = _prepare(session, reporter)
    chosen = demo_countries(session=session, codes=countries)
    missing = sorted(set(countries or ()) - {c.code for c in chosen})
    if missing:
        raise UnknownCountryError(f"not countries in the region table: {', '.join(missing)}")
    real = _real_indicators(session)
    usable = {code: i for code, i in indicator_ids.items() if i not in real}
    rows = _insert_demo_rows(session, chosen, present, seed, usable, reporter)
    rules = _rules_and_alerts(session, reporter)
    return DemoLoaded(
        countries=len(chosen),
        observations=len(rows),
        indicators=len({row[0] for row in rows}),
        skipped_indicators=tuple(sorted(c for c, i in indicator_ids.items() if i in real)),
        rules=rules,
        alerts=_demo_alerts(session),
        firing=_demo_alerts(session, "firing"),
        replaced=cleared,
    )


def _demo_alerts(session: Session, state: str | None = None) -> int:
    query = select(func.count(Alert.id)).where(Alert.is_demo.is_(True))
    if state is not None:
        query = query.where(Alert.state == state)
    return session.scalar(query) or 0
