"""Job functions: one ingest run of one source, as a plain function of its dependencies.

A run is recorded as ``running`` in its own short transaction first, so a crash leaves
evidence. Fetching and parsing happen outside any transaction; resolving, the upsert, the
quarantine, the rules hook and the run's counts then commit together in ONE transaction.
A failure rolls that back and records the reason in a separate transaction.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.context import AppContext
from backend.db import claim_writer, transaction, writing
from backend.observations.upsert import (
    ObservationIn,
    PeriodError,
    period_start,
    upsert_observations,
)
from backend.ops.metrics import time_rule_evaluation
from backend.regions.service import RegionResolver, ensure_reference
from backend.sources import service as sources
from backend.sources.models import Indicator
from backend.timeutil import utcnow
from ingest.fetch import Fetcher, archive_payload, make_fetcher
from ingest.indicators import BY_CODE
from ingest.sources import Registry, default_registry
from ingest.sources.base import ParsedRow, ParseResult, Payload, Source
from ingest.store import (
    excluded,
    indicator_codes,
    parse_payload,
    read_file,
    resolve_region,
    store_parsed_documents,
)

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
STAGES = 5  # progress messages of a full run: read, parse, resolve, write, documents


@dataclass(frozen=True)
class RunResult:
    """How one run ended, with its counts; ``summary`` is the one line the CLI prints."""

    source_id: str
    status: str  # succeeded, failed or dry-run
    run_id: int | None = None
    read: int = 0
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    quarantined: int = 0
    dropped: int = 0
    seconds: float = 0.0
    not_modified: bool = False
    error: str | None = None
    documents_inserted: int = 0
    documents_updated: int = 0
    documents_unchanged: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    replay_of: int | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the run did its job (a dry run that would succeed counts)."""
        return self.status != "failed"

    def summary(self) -> str:
        """Return the one-line account of the run."""
        where = f"run {self.run_id}" if self.run_id is not None else "not recorded"
        tail = f"({where}, {self.seconds:.1f} s)"
        if self.status == "failed":
            return f"{self.source_id}: failed: {self.error} {tail}"
        if self.not_modified:
            return f"{self.source_id}: not modified since the last run, nothing changed {tail}"
        dry = " [dry run: rolled back]" if self.status == "dry-run" else ""
        counts = ", ".join(
            f"{name} {getattr(self, name)}"
            for name in ("read", "inserted", "revised", "unchanged", "quarantined")
        )
        return f"{self.source_id}: {counts}{self._extras()} {tail}{dry}"

    @property
    def documents(self) -> int:
        """Return how many documents the run stored or found unchanged."""
        return self.documents_inserted + self.documents_updated + self.documents_unchanged

    def _extras(self) -> str:
        """Return the summary's optional parts: aggregates dropped, exclusions, documents."""
        extras = f", dropped {self.dropped} aggregates" if self.dropped else ""
        if self.replay_of is not None:
            extras += f", same payload as run {self.replay_of}: not parsed again"
        if self.excluded:
            extras += f", excluded {sum(self.excluded.values())} by design"
        if self.documents:
            extras += (
                f", documents {self.documents} (new {self.documents_inserted}, "
                f"updated {self.documents_updated}, unchanged {self.documents_unchanged})"
            )
        return extras


@dataclass
class _Prepared:
    """Parsed rows turned into observations, plus what was refused or dropped."""

    rows: list[ObservationIn] = field(default_factory=list)
    origins: list[ParsedRow] = field(default_factory=list)
    quarantine: list[tuple[int | None, dict[str, object], str]] = field(default_factory=list)
    dropped: int = 0


def one_line(exc: BaseException) -> str:
    """Return a short one-line reason for an exception."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    known = ("ParseError", "FetchError", "RegionDataError", "UnknownSourceError", "RegistryError")
    line = text if type(exc).__name__ in known else f"{type(exc).__name__}: {text}"
    return line if len(line) <= 300 else line[:297] + "..."


def _prepare_source(session: Session, source: Source, registry: Registry, ctx: AppContext) -> None:
    """Make sure regions, the source row and its indicators exist before a run."""
    loaded = ensure_reference(session)
    if loaded:
        log.info("loaded %d reference regions into an empty region table", loaded)
    schedule = registry.schedule(source.id, ctx.settings.schedules)
    sources.sync_source(session=session, source=source, schedule=schedule)
    sources.sync_indicators(
        session=session, specs=[BY_CODE[c] for c in source.indicators], source_id=source.id
    )


def _classify(
    row: ParsedRow, resolver: RegionResolver, source: Source, indicator_ids: dict[str, int]
) -> int | str | None:
    """Return the region id, None for an aggregate to drop, or the reason to quarantine."""
    if row.indicator not in indicator_ids:
        return f"indicator {row.indicator!r} is not declared by {source.id}"
    try:
        period_start(row.period)
    except PeriodError as exc:
        return str(exc)
    region_id = resolve_region(resolver, row.region)
    if region_id is not None and resolver.info(region_id).is_country:
        return region_id
    if region_id is not None or row.region.strip().upper() in source.aggregates:
        return None  # aggregates are computed from countries, not stored as countries
    return f"unknown region code {row.region!r}"


def _resolve(
    session: Session, parsed: ParseResult, source: Source, run_id: int | None, vintage: date,
    resolver: RegionResolver,
) -> _Prepared:  # fmt: skip
    """Resolve regions and indicators of parsed rows with dictionary lookups."""
    codes = indicator_codes(session, source, parsed)
    query = select(Indicator.code, Indicator.id).where(Indicator.code.in_(codes))
    ids = {row.code: row.id for row in session.execute(query)}
    out = _Prepared(quarantine=[(p.row_number, p.raw, p.reason) for p in parsed.problems])
    for row in parsed.rows:
        outcome = _classify(row, resolver, source, ids)
        if outcome is None:
            out.dropped += 1
        elif isinstance(outcome, str):
            out.quarantine.append((row.row_number, row.raw, outcome))
        else:
            out.origins.append(row)
            out.rows.append(ObservationIn(
                region_id=outcome, indicator_id=ids[row.indicator], period=row.period,
                value=row.value, vintage=row.vintage or parsed.vintage or vintage,
                source_id=source.id, run_id=run_id,
            ))  # fmt: skip
    return out


def _evaluate_rules(session: Session, changed: set[tuple[int, int]]) -> None:
    """Hand the changed (indicator, region) series to the rules, in the run's transaction."""
    if not changed:
        return
    from backend.rules.service import evaluate_changed  # heavy (pandas); only when needed

    codes = {row.id: row.code for row in session.execute(select(Indicator.id, Indicator.code))}
    with time_rule_evaluation():
        evaluate_changed(
            session=session,
            indicator_codes={codes[i] for i, _ in changed},
            region_ids={r for _, r in changed},
        )


def _append_event(session: Session, payload: dict[str, object]) -> None:
    """Append the run's ``ingest_run`` event for live viewers."""
    from backend.events.service import append_event

    append_event(session=session, kind="ingest_run", payload=payload)


@dataclass
class _Job:
    """The state of one run while it executes."""

    ctx: AppContext
    source: Source
    run_id: int
    dry_run: bool
    progress: Progress
    session: Session | None = None  # the dry run's single session, rolled back at the end
    force: bool = False  # parse even bytes that the newest run already stored
    started: float = field(default_factory=time.perf_counter)

    def result(self, status: str, **counts: Any) -> RunResult:
        """Return the run's result with the time spent so far."""
        seconds = time.perf_counter() - self.started
        run_id = None if self.dry_run else self.run_id
        return RunResult(self.source.id, status, run_id, seconds=seconds, **counts)

    def store(
        self,
        session: Session,
        payload: Payload,
        parsed: ParseResult,
        archived: tuple[str, str] | None,
    ) -> RunResult:
        """Resolve, upsert, quarantine, notify and record counts inside the caller's transaction."""
        self.progress(f"resolving {len(parsed.rows):,} rows")
        resolver = RegionResolver.from_session(session)
        vintage = payload.vintage_hint or utcnow().date()
        prepared = _resolve(session, parsed, self.source, self.run_id, vintage, resolver)
        self.progress(f"writing {len(prepared.rows):,} observations")
        upserted = upsert_observations(session=session, rows=prepared.rows)
        prepared.quarantine.extend(
            (prepared.origins[i].row_number, prepared.origins[i].raw, reason)
            for i, reason in upserted.conflicts
        )
        self.progress("storing documents")
        docs = store_parsed_documents(session, parsed, self.source, self.run_id, resolver)
        prepared.quarantine.extend(docs.quarantine)
        counts = sources.RunCounts(
            read=len(parsed.rows) + len(parsed.problems),
            inserted=upserted.inserted,
            revised=upserted.revised,
            unchanged=upserted.unchanged,
            quarantined=len(prepared.quarantine),
            dropped=prepared.dropped,
        )
        sources.quarantine_rows(session=session, run_id=self.run_id, rows=prepared.quarantine)
        sha, path = archived or (None, None)
        sources.finish_run(
            session=session, run_id=self.run_id, counts=counts,
            payload_sha256=sha, payload_path=path, payload_url=payload.url,
        )  # fmt: skip
        status = "dry-run" if self.dry_run else "succeeded"
        result = self.result(
            status, **vars(counts), excluded=excluded(parsed),
            documents_inserted=docs.counts.inserted, documents_updated=docs.counts.updated,
            documents_unchanged=docs.counts.unchanged,
        )  # fmt: skip
        _evaluate_rules(session, upserted.changed)
        _append_event(session, self.event(result))
        return result

    def event(self, result: RunResult) -> dict[str, object]:
        """Return the payload of the run's ``ingest_run`` event."""
        return asdict(result)

    def scope(self) -> AbstractContextManager[Session]:
        """Return the data transaction: a new one, or the dry run's session rolled back later."""
        if self.session is not None:
            return nullcontext(self.session)
        return writing(self.ctx.sessions)

    def execute(
        self, file: Path | None, fetcher: Fetcher | None, given: Payload | None
    ) -> RunResult:
        """Fetch or read, archive, parse and store; raise on any failure."""
        self.progress(f"reading {file}" if file else f"fetching {self.source.id}")
        made = None
        if given is None and file is None and fetcher is None:
            made = fetcher = make_fetcher(self.ctx.settings)
        try:
            payload = self.payload(file, fetcher, given)
            if payload.not_modified:
                return self.not_modified(payload)
            archived = None
            if not self.dry_run:
                sha, path = archive_payload(payload.content, self.ctx.settings.payload_dir())
                archived = (sha, str(path))
            replayed = None if self.force else self.replay(payload, archived)
            if replayed is not None:
                return replayed
            self.progress(f"parsing {len(payload.content):,} bytes")
            parsed = parse_payload(self.source, payload)
            with self.scope() as session:
                result = self.store(session, payload, parsed, archived)
            if fetcher is not None and not self.dry_run:
                fetcher.commit_validators()
            return result
        finally:
            if made is not None:
                made.close()

    def payload(self, file: Path | None, fetcher: Fetcher | None, given: Payload | None) -> Payload:
        """Return the given payload, the local file, or what the source fetches."""
        if given is not None:
            return given
        if file is not None:
            return read_file(file, self.source)
        if fetcher is None:
            raise ValueError("a run needs a file, a payload or a fetcher")
        return self.source.fetch(fetcher, self.ctx.settings)

    def replay(self, payload: Payload, archived: tuple[str, str] | None) -> RunResult | None:
        """Record an unchanged re-ingest without parsing, when the newest run stored these bytes."""
        sha = archived[0] if archived else hashlib.sha256(payload.content).hexdigest()
        with self.scope() as session:
            before = sources.replayable_run(
                session=session, source_id=self.source.id, payload_sha256=sha
            )
            if before is None:
                return None
            counts = sources.RunCounts(
                read=before.rows_read,
                unchanged=before.rows_inserted + before.rows_revised + before.rows_unchanged,
                quarantined=before.rows_quarantined,
                dropped=before.rows_dropped,
            )
            sources.copy_quarantine(session=session, from_run_id=before.id, to_run_id=self.run_id)
            sources.finish_run(
                session=session, run_id=self.run_id, counts=counts, payload_sha256=sha,
                payload_path=archived[1] if archived else None, payload_url=payload.url,
            )  # fmt: skip
            status = "dry-run" if self.dry_run else "succeeded"
            result = self.result(status, **vars(counts), replay_of=before.id)
            _append_event(session, self.event(result))
        return result

    def not_modified(self, payload: Payload) -> RunResult:
        """Record a run whose publisher answered "not modified": a success that changed nothing."""
        with self.scope() as session:
            sources.finish_run(session=session, run_id=self.run_id, counts=sources.RunCounts(),
                               payload_url=payload.url)  # fmt: skip
            result = self.result("dry-run" if self.dry_run else "succeeded", not_modified=True)
            _append_event(session, self.event(result))
        return result

    def record_failure(self, reason: str) -> RunResult:
        """Mark the run failed in its own transaction (the data transaction rolled back)."""
        result = self.result("failed", error=reason)
        if self.dry_run:
            return result
        try:
            with writing(self.ctx.sessions) as session:
                sources.fail_run(session=session, run_id=self.run_id, error=reason)
        except Exception:
            log.exception("could not record the failure of run %s", self.run_id)
            return result
        try:  # the failure is on record; the event for live viewers comes second
            with writing(self.ctx.sessions) as session:
                _append_event(session, self.event(result))
        except Exception:
            log.exception("could not append the event of failed run %s", self.run_id)
        return result


def _start(
    ctx: AppContext, session: Session, source: Source, registry: Registry, trigger: str
) -> int:
    claim_writer(session)
    sources.abandon_dead_runs(session=session)
    _prepare_source(session, source, registry, ctx)
    return sources.start_run(session=session, source_id=source.id, trigger=trigger).id


def run_ingest(
    ctx: AppContext,
    source_id: str,
    file: Path | str | None = None,
    dry_run: bool = False,
    trigger: str = "manual",
    *,
    registry: Registry | None = None,
    fetcher: Fetcher | None = None,
    payload: Payload | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> RunResult:
    """Run one ingest of one source and return how it ended (a failed run is returned).

    Bytes identical to those the newest run stored are not parsed again (a replay that
    reports everything unchanged) unless ``force`` is set.
    """
    registry = registry or default_registry()
    source = registry.get(source_id)
    path = Path(file) if file is not None else None
    report = progress or (lambda _message: None)
    session = ctx.sessions() if dry_run else None
    try:
        if session is not None:
            run_id = _start(ctx, session, source, registry, trigger)
        else:
            with transaction(ctx.sessions) as first:  # its own commit: a crash leaves evidence
                run_id = _start(ctx, first, source, registry, trigger)
    except Exception as exc:
        log.info("could not start a run of %s", source.id, exc_info=True)
        _close(session)
        return RunResult(source.id, "failed", error=one_line(exc))
    job = _Job(ctx, source, run_id, dry_run, report, session=session, force=force)
    try:
        return job.execute(path, fetcher, payload)
    except Exception as exc:
        log.info("run %s of %s failed", run_id, source.id, exc_info=True)
        return job.record_failure(one_line(exc))
    except BaseException:
        job.record_failure("interrupted")
        raise
    finally:
        _close(session)


def _close(session: Session | None) -> None:
    """Roll back and close a dry run's session (nothing it did is kept)."""
    if session is not None:
        session.rollback()
        session.close()
