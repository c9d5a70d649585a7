"""Network faults for every live source: retried with backoff, failed with a reason, no change.

One row per (source, fault). Each test runs the real job (``run_ingest`` with the source's
own fetch) against a respx mock of the publisher, on SQLite and on PostgreSQL, and checks:

1. retryable faults (timeouts, resets, cut-off bodies, 5xx) are retried with exponential
   backoff; the others (an HTML page, an API error envelope, a 404) are not;
2. the run is recorded ``failed`` with a one-line reason in plain words;
3. observations, documents, quarantine and alerts are exactly as before;
4. the next run, the publisher healthy again, succeeds and stores the rows.

A new live source adds a ``Publisher`` in ``_publishers.py``; its rows follow.
"""

from __future__ import annotations

import hashlib
import shutil
import ssl
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import httpx
import pytest
import respx
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backend import migrate
from backend.alerts.models import Alert
from backend.context import AppContext
from backend.db import Base, make_engine
from backend.documents.models import Document
from backend.observations.models import Observation
from backend.sources.models import IngestRun, QuarantinedRow
from ingest.fetch import VALIDATORS_FILE, Fetcher
from ingest.jobs import RunResult, run_ingest
from ingest.sources import default_registry, gdelt
from tests.conftest import _drop_postgres_database, _fresh_postgres_database, _postgres_url
from tests.ingest._publishers import PUBLISHERS, WB_FIXTURES, Publisher, gdelt_day, key
from tests.ingest.conftest import make_ctx

RETRIES = 2
BACKOFF = [0.5, 1.0]  # the Fetcher's default backoff, doubled at each retry
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>Please try again later.</p></body></html>"
)
SEED_SOURCE = "worldbank_homicide"  # a few rows already stored, so "unchanged" means something


Answer = Callable[[httpx.Request], httpx.Response]


def everywhere(url: str) -> bool:
    """Fault every URL of the publisher (the whole site is down or misbehaving)."""
    return True


@dataclass(frozen=True)
class Fault:
    """One way a publisher fails, whether the fetcher retries it, and what the run must say."""

    name: str
    answer: Answer
    retried: bool
    words: str
    hits: Callable[[str], bool] = everywhere


def raising(error: type[httpx.TransportError], message: str) -> Answer:
    """Return an answer that fails the way httpx fails on a real network fault."""

    def answer(request: httpx.Request) -> httpx.Response:
        raise error(message, request=request)

    return answer


def responding(status: int, body: bytes = b"", content_type: str = "text/plain") -> Answer:
    """Return an answer with this status and body."""
    headers = {"content-type": content_type}
    return lambda request: httpx.Response(status, content=body, headers=headers)


@cache
def day_slot_urls() -> frozenset[str]:
    """Return the URLs of the 96 slots of the day the GDELT fetch bundles."""
    return frozenset(key(gdelt.SLOT_URL.format(slot=s)) for s in gdelt.day_slots(gdelt_day()))


def is_day_slot(url: str) -> bool:
    """Tell whether the URL is one of the slots of the day the GDELT fetch bundles."""
    return url in day_slot_urls()


FAULTS = (
    Fault("timeout", raising(httpx.ReadTimeout, "timed out"), True,
          "the publisher did not answer in time after 3 attempts"),
    Fault("connection-reset", raising(httpx.ReadError, "[Errno 104] Connection reset by peer"),
          True, "the connection was dropped after 3 attempts"),
    Fault("truncated-body", raising(httpx.RemoteProtocolError, "peer closed connection without "
          "sending complete message body (received 1024 bytes, expected 8192)"), True,
          "the answer broke off or was garbled after 3 attempts"),
    Fault("server-error", responding(503), True,
          "the publisher's server failed after 3 attempts (HTTP 503 from"),
)  # fmt: skip
GDELT_SLOTS_GONE = Fault(
    "all-slots-missing", responding(404), False,
    f"no GDELT events slot of {gdelt_day().isoformat()} is published", hits=is_day_slot,
)  # fmt: skip


def faults_of(publisher: Publisher) -> list[Fault]:
    """Return every fault that applies to a publisher.

    Every URL fails in each of the ``FAULTS`` ways, or answers an HTML page or the API's
    error envelope; then a URL asked for later (a second page, the file a lookup named,
    one slot of a day) fails alone, after the first answers came back.
    """
    html = responding(200, HTML_ERROR_PAGE, "text/html")
    found = [*FAULTS, Fault("html-error-page", html, False, publisher.html_reason)]
    if publisher.envelope is not None:
        envelope = responding(200, publisher.envelope, "application/json")
        found.append(Fault("api-error-envelope", envelope, False, publisher.envelope_reason))
    if publisher.later is not None:
        later = key(publisher.later())
        alone = [f for f in found if f.name in ("timeout", "html-error-page", "api-error-envelope")]
        found.extend(replace(f, name=f"later-{f.name}", hits=later.__eq__) for f in alone)
    if publisher.source_id == gdelt.SOURCE.id:
        found.append(GDELT_SLOTS_GONE)
    return found


ROWS = [
    pytest.param(source_id, fault, id=f"{source_id}-{fault.name}")
    for source_id, publisher in PUBLISHERS.items()
    for fault in faults_of(publisher)
]


class PublisherMock:
    """Answer every request from the healthy table, or with the current fault; count calls."""

    def __init__(self, publisher: Publisher) -> None:
        self.answers = {key(url): body for url, body in publisher.answers().items()}
        self.fault: Fault | None = None
        self.calls: Counter[str] = Counter()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = key(request.url)
        self.calls[url] += 1
        if self.fault is not None and self.fault.hits(url):
            return self.fault.answer(request)
        body = self.answers.get(url)
        return httpx.Response(404) if body is None else httpx.Response(200, content=body)

    def faulted_calls(self) -> dict[str, int]:
        """Return how often each faulted URL was asked for."""
        assert self.fault is not None
        return {url: n for url, n in self.calls.items() if self.fault.hits(url)}


@dataclass(frozen=True)
class Snapshot:
    """What a failed run must not change: row counts and a checksum of the observations."""

    observations: int
    documents: int
    quarantined: int
    alerts: int
    checksum: str


def count_rows(session: Session, model: type[Base]) -> int:
    """Return how many rows a table holds."""
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def snapshot(ctx: AppContext) -> Snapshot:
    """Read the counts and the observation table's checksum."""
    with ctx.sessions() as session:
        rows = session.execute(select(Observation.__table__).order_by(Observation.id)).all()
        checksum = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
        counts = [count_rows(session, m) for m in (Observation, Document, QuarantinedRow, Alert)]
    observations, documents, quarantined, alerts = counts
    return Snapshot(observations, documents, quarantined, alerts, checksum)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def template_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Migrate and seed one database of each kind for the module; every test gets a copy."""
    folder = tmp_path_factory.mktemp("faults")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'template.db'}"
        migrate.upgrade(url)
        seed(url, folder / "data")
        yield url
        return
    url, admin = _fresh_postgres_database(_postgres_url())
    migrate.upgrade(url)
    seed(url, folder / "data")
    yield url
    _drop_postgres_database(admin, url)


@pytest.fixture
def fault_ctx(template_url: str, tmp_path: Path) -> Iterator[AppContext]:
    """Yield a context on a fresh copy of the migrated template (a file copy or TEMPLATE)."""
    template = make_url(template_url)
    if template.get_backend_name() == "sqlite":
        shutil.copyfile(str(template.database), tmp_path / "tocsin.db")
        context = make_ctx(f"sqlite:///{tmp_path / 'tocsin.db'}", tmp_path / "data")
        yield context
        context.dispose()
        return
    admin = make_engine(template.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")  # fmt: skip
    name = f"tocsin_fault_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
    url = template.set(database=name).render_as_string(hide_password=False)
    context = make_ctx(url, tmp_path / "data")
    yield context
    context.dispose()
    _drop_postgres_database(admin, url)


def seed(url: str, data_dir: Path) -> None:
    """Store a few World Bank rows from a file, as an earlier successful run would have."""
    ctx = make_ctx(url, data_dir)
    try:
        result = run_ingest(ctx, SEED_SOURCE, file=WB_FIXTURES / "vc_ihr_psrc_p5_page2.json")
    finally:
        ctx.dispose()  # PostgreSQL copies a template only while nobody is connected to it
    assert result.status == "succeeded", result.error


@cache
def tls() -> ssl.SSLContext:
    """Return one TLS context for every client of the module (each costs 0.1 s to build)."""
    return httpx.create_ssl_context()


def scheduled_run(ctx: AppContext, source_id: str) -> tuple[RunResult, list[float]]:
    """Run the source's real fetch as the scheduler would; return the result and the sleeps."""
    sleeps: list[float] = []
    validators = ctx.settings.data_dir / VALIDATORS_FILE
    client = httpx.Client(timeout=1, follow_redirects=True, verify=tls())
    with Fetcher(timeout=1, retries=RETRIES, validators_path=validators, client=client,
                 sleep=sleeps.append) as fetcher:  # fmt: skip
        return run_ingest(ctx, source_id, fetcher=fetcher, trigger="schedule"), sleeps


def last_run(ctx: AppContext) -> IngestRun:
    """Return the newest recorded run."""
    with ctx.sessions() as session:
        return session.scalars(select(IngestRun).order_by(IngestRun.id.desc()).limit(1)).one()


def assert_backoff(mock: PublisherMock, fault: Fault, sleeps: list[float]) -> None:
    """Each faulted URL was tried 1 + RETRIES times with growing sleeps, or once if not retried."""
    faulted = mock.faulted_calls()
    assert faulted, "the fault was never hit"
    if fault.retried:
        assert set(faulted.values()) == {RETRIES + 1}, faulted
        assert sleeps == BACKOFF * len(faulted)
    else:
        assert set(faulted.values()) == {1}, faulted
        assert sleeps == []


def assert_failed_in_plain_words(ctx: AppContext, result: RunResult, words: str) -> None:
    """The run is recorded failed, with one line that says what went wrong."""
    assert result.status == "failed"
    assert result.error is not None and words in result.error, result.error
    assert "\n" not in result.error and "Traceback" not in result.error
    run = last_run(ctx)
    assert (run.status, run.error, run.rows_inserted) == ("failed", result.error, 0)


@pytest.mark.parametrize(("source_id", "fault"), ROWS)
def test_a_network_fault_fails_the_run_and_the_next_run_stores(
    fault_ctx: AppContext, source_id: str, fault: Fault
) -> None:
    mock = PublisherMock(PUBLISHERS[source_id])
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=mock)
        before = snapshot(fault_ctx)
        mock.fault = fault
        failed, sleeps = scheduled_run(fault_ctx, source_id)
        assert_backoff(mock, fault, sleeps)
        assert_failed_in_plain_words(fault_ctx, failed, fault.words)
        assert snapshot(fault_ctx) == before
        mock.fault = None
        healed, _ = scheduled_run(fault_ctx, source_id)
    assert healed.status == "succeeded", healed.error
    assert healed.inserted + healed.documents_inserted > 0
    after = snapshot(fault_ctx)
    assert after.observations == before.observations + healed.inserted
    assert after.documents == before.documents + healed.documents_inserted


def test_every_live_source_has_a_publisher_in_the_matrix() -> None:
    live = {source.id for source in default_registry() if source.live}
    assert live == set(PUBLISHERS)


def test_some_missing_gdelt_slots_are_counted_and_the_rest_stored(fault_ctx: AppContext) -> None:
    mock = PublisherMock(PUBLISHERS[gdelt.SOURCE.id])
    gone = {key(gdelt.SLOT_URL.format(slot=s)) for s in gdelt.day_slots(gdelt_day())[::2]}
    mock.fault = Fault("half-the-slots-missing", responding(404), False, "", hits=gone.__contains__)
    before = snapshot(fault_ctx)
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=mock)
        result, sleeps = scheduled_run(fault_ctx, gdelt.SOURCE.id)
    assert result.status == "succeeded", result.error
    assert result.excluded["slot missing upstream"] == len(gone) == 48
    assert_backoff(mock, mock.fault, sleeps)
    assert result.inserted > 0
    assert snapshot(fault_ctx).observations == before.observations + result.inserted
